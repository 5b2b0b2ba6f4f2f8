"""Where the benchmarks find SciFact: one rule for every script of bench/."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _checkouts() -> list[Path]:
    """This checkout, and the main one when this is a git worktree (the data sits beside that)."""
    found = [REPO]
    try:
        common = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--path-format=absolute", "--git-common-dir"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        common = ""
    if common and Path(common).parent != REPO:
        found.append(Path(common).parent)
    return found


def scifact_dir() -> Path:
    """$RAG_BENCH_SCIFACT, else ``../shared/benchmarks/scifact`` beside the checkout (the first
    that exists; the first candidate when none does, so the caller's message names it)."""
    if os.environ.get("RAG_BENCH_SCIFACT"):
        return Path(os.environ["RAG_BENCH_SCIFACT"])
    candidates = [c.parent / "shared" / "benchmarks" / "scifact" for c in _checkouts()]
    return next((c for c in candidates if c.exists()), candidates[0])
