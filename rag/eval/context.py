"""What a run records of its context: the settings, the commit, how follow-ups are asked, usage."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

from pydantic import SecretStr

from ..config import REPO_DIR, Settings


# --- settings recorded with a run ----------------------------------------------------------------
def settings_record(settings: Settings) -> dict:
    """Every setting, JSON-ready, secrets reduced to whether they are set."""
    out = {}
    for k, v in settings.model_dump().items():
        if isinstance(v, SecretStr):
            v = "<set>" if v.get_secret_value() else None
        elif isinstance(v, Path):
            v = str(v)
        elif isinstance(v, str) and "://" in v and "@" in v.split("://", 1)[1].split("/", 1)[0]:
            scheme, rest = v.split("://", 1)
            v = f"{scheme}://<credentials>@{rest.split('@', 1)[1]}"  # userinfo in a URL
        out[k] = v
    return out


def _git_commit() -> str | None:
    with contextlib.suppress(Exception):
        r = subprocess.run(
            ["git", "-C", str(REPO_DIR), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        if r.returncode == 0:
            return r.stdout.strip() or None
    return None


def _llm_configured(settings: Settings) -> bool:
    from ..llm.endpoint import llm_endpoint

    return llm_endpoint(settings) is not None


# --- follow-ups ------------------------------------------------------------------------------------
FOLLOWUP_MODE = "chat: earlier turns answered first, then Assistant.chat(question, history)"


def followup_mode(assistant=None) -> str:
    """How follow-ups are asked: through the chat API, as a user would."""
    return FOLLOWUP_MODE


# --- one question, end to end --------------------------------------------------------------------
def _usage_numbers(usage) -> dict:
    if not isinstance(usage, dict):
        return {}
    return {
        k: v for k, v in usage.items() if isinstance(v, int | float) and not isinstance(v, bool)
    }
