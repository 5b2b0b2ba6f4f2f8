"""Comparing two runs: every metric, and which changes are beyond noise."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import NotFound
from .runs import RunDir
from .scoring import LOWER_IS_BETTER_PREFIXES, quality


# --- comparing two runs -----------------------------------------------------------------------------
@dataclass
class Comparison:
    rows: list[tuple[str, float | None, float | None, float | None, str]]
    regressions: list[str]
    settings_diff: list[tuple[str, object, object]]
    question_changes: list[str]
    notes: list[str]


def _load_summary(path: Path) -> dict:
    p = Path(path)
    f = p / "summary.json" if p.is_dir() else p
    if not f.exists():
        hint = (
            " (the run did not finish: resume it with `rag eval --resume RUN`)"
            if p.is_dir()
            else ""
        )
        raise NotFound(f"no summary.json in {p}{hint}")
    return json.loads(f.read_text())


def lower_is_better(metric: str) -> bool:
    return metric.startswith(LOWER_IS_BETTER_PREFIXES)


def compare_runs(
    a: Path, b: Path, tolerance: float = 0.02, latency_tolerance: float = 0.25
) -> Comparison:
    """Differences of B against A; a quality drop beyond ``tolerance`` is a regression.

    Latency and cost regress when B is more than ``latency_tolerance`` (a share) above A and the
    difference is more than 5 ms (timer noise).
    """
    sa, sb = _load_summary(a), _load_summary(b)
    ma, mb = sa["metrics"], sb["metrics"]
    rows = []
    regressions = []
    for key in list(ma) + [x for x in mb if x not in ma]:
        va, vb = ma.get(key), mb.get(key)
        delta = None if va is None or vb is None else vb - va
        flag = ""
        if delta is not None:
            # beyond noise: a share of A (and 5 ms) for latency and cost, ``tolerance`` otherwise
            if key.startswith(("latency.", "cost.")):
                change = abs(delta) > latency_tolerance * abs(va) and (
                    not key.startswith("latency.") or abs(delta) > 5.0
                )
            else:
                change = abs(delta) > (0 if key == "errors" else tolerance)
            up_is_bad = lower_is_better(key)
            if change and (delta > 0) == up_is_bad:
                flag = "REGRESSION"
                regressions.append(key)
            elif change:
                flag = "better"
        elif va is None and vb is not None:
            flag = "new"
        elif vb is None and va is not None:
            flag = "gone"
        rows.append((key, va, vb, delta, flag))
    notes = []
    ra, rb = sa.get("run", {}), sb.get("run", {})
    if ra.get("questions_sha256") != rb.get("questions_sha256") or ra.get("kind") != rb.get("kind"):
        notes.append("the two runs used different question sets: differences may not mean much")
    flat_a = sa.get("settings", {}).get("all", {})
    flat_b = sb.get("settings", {}).get("all", {})
    top_a = {k: v for k, v in sa.get("settings", {}).items() if k != "all"}
    top_b = {k: v for k, v in sb.get("settings", {}).items() if k != "all"}
    settings_diff = []
    for key in sorted(set(top_a) | set(top_b) | set(flat_a) | set(flat_b)):
        va = top_a.get(key, flat_a.get(key))
        vb = top_b.get(key, flat_b.get(key))
        if va != vb and key != "store":
            settings_diff.append((key, va, vb))
    changes = []
    with contextlib.suppress(OSError, json.JSONDecodeError, KeyError):
        if Path(a).is_dir() and Path(b).is_dir():
            qa, qb = RunDir(Path(a)).records(), RunDir(Path(b)).records()
            for qid in qa:
                if qid not in qb or qa[qid].get("error") or qb[qid].get("error"):
                    continue
                x, y = quality(qa[qid]), quality(qb[qid])
                if y < x - 0.25:
                    what = []
                    if qa[qid]["abstained"] != qb[qid]["abstained"]:
                        what.append(
                            "now abstains" if qb[qid]["abstained"] else "no longer abstains"
                        )
                    kk = qb[qid].get("k", 5)
                    if (
                        qa[qid]["metrics"].get(f"hit@{kk}") == 1
                        and qb[qid]["metrics"].get(f"hit@{kk}") == 0
                    ):
                        what.append("gold paper fell out of the sources")
                    changes.append(
                        f"{qid} ({qb[qid]['type']}): quality {x:.2f} -> {y:.2f}"
                        + (f"; {', '.join(what)}" if what else "")
                    )
    return Comparison(rows, regressions, settings_diff, changes, notes)


def format_comparison(c: Comparison, a: Path, b: Path) -> str:
    """The comparison as plain text for the terminal."""
    lines = [f"A: {a}", f"B: {b}", ""]
    for n in c.notes:
        lines.append(f"note: {n}")
    if c.settings_diff:
        lines.append("settings that differ:")
        for key, va, vb in c.settings_diff:
            lines.append(f"  {key}: {va!r} -> {vb!r}")
        lines.append("")
    lines.append(f"{'metric':<38} {'A':>10} {'B':>10} {'B-A':>10}")
    for key, va, vb, d, flag in c.rows:

        def fmt(v):
            return "-" if v is None else (f"{v:.1f}" if abs(v) >= 10 else f"{v:.3f}")

        dd = "-" if d is None else (f"{d:+.1f}" if abs(d) >= 10 else f"{d:+.3f}")
        lines.append(f"{key:<38} {fmt(va):>10} {fmt(vb):>10} {dd:>10}  {flag}".rstrip())
    if c.question_changes:
        lines.append("")
        lines.append("questions that got worse:")
        lines.extend(f"  {x}" for x in c.question_changes)
    lines.append("")
    if c.regressions:
        lines.append(f"{len(c.regressions)} regression(s): {', '.join(c.regressions)}")
    else:
        lines.append("no regressions")
    return "\n".join(lines)


def iter_headline(summary: dict) -> Iterable[tuple[str, float]]:
    """The metrics worth a line in the terminal, in order."""
    for key, v in summary["metrics"].items():
        if v is None or key.startswith("latency.") and not key.startswith("latency.total"):
            continue
        yield key, v
