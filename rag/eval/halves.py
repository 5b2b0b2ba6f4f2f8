"""The dev and test halves of a question set side by side, and the answer metrics by kind.

Anything tuned on the gold set is tuned on its ``dev`` half; the ``test`` half is only
measured. A large gap between them means the tuning fits the dev questions.
"""

from __future__ import annotations

from ..answer.question import KINDS

HALF_METRICS = (
    "retrieval.hit@{k}",
    "citations.precision",
    "citations.recall",
    "answers.fact_recall",
    "answers.part_fact_recall",
    "answers.abstention_recall",
    "answers.false_abstention_rate",
    "answers.none_expected_correct",
)
KIND_ORDER = ("single-paper", *KINDS, "none")  # the answer kinds, in report order


def _f(v) -> str:
    return "–" if v is None else f"{v:.3f}"


def _gap(a, b) -> str:
    return "–" if a is None or b is None else f"{b - a:+.3f}"


def half_rows(summary: dict) -> list[tuple[str, float | None, float | None]]:
    """(metric, dev, test) for the headline answer metrics; [] when the set has no halves."""
    halves = summary.get("by_split") or {}
    if not halves:
        return []
    k = summary["settings"]["top_k"]
    dev, test = halves.get("dev", {}), halves.get("test", {})
    rows = []
    for key in HALF_METRICS:
        key = key.format(k=k)
        if key in dev or key in test:
            rows.append((key, dev.get(key), test.get(key)))
    return rows


def kind_rows(summary: dict) -> list[tuple[str, dict, dict]]:
    """(kind, dev row, test row) of the by-kind table, in a fixed order."""
    bk = summary.get("by_kind") or {}
    dev, test = bk.get("dev", {}), bk.get("test", {})
    kinds = [k for k in KIND_ORDER if k in dev or k in test]
    kinds += sorted((set(dev) | set(test)) - set(kinds))
    return [(k, dev.get(k, {}), test.get(k, {})) for k in kinds]


def halves_markdown(summary: dict) -> list[str]:
    """The report's section: the halves side by side with the gap, and the metrics by kind."""
    rows = half_rows(summary)
    if not rows:
        return []
    counts = {sp: summary["by_kind"].get(sp, {}) for sp in ("dev", "test")}
    n = {sp: sum(r["n"] for k, r in c.items() if k != "single-paper") for sp, c in counts.items()}
    out = ["## Dev and test halves", ""]
    out.append(
        f"Tune on dev ({n['dev']} questions), report test ({n['test']}); a large gap means "
        "the tuning fits the dev questions."
    )
    out += ["", "| metric | dev | test | gap (test - dev) |", "|---|---:|---:|---:|"]
    for key, d, t in rows:
        out.append(f"| {key} | {_f(d)} | {_f(t)} | {_gap(d, t)} |")
    out += ["", "### By kind of question", ""]
    out.append(
        "| kind | n dev / test | key-fact recall dev | test | citation recall dev | test | "
        "citation precision dev | test |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind, d, t in kind_rows(summary):
        fr = "part_fact_recall" if kind == "compound" else "fact_recall"
        out.append(
            f"| {kind}{' (per part)' if kind == 'compound' else ''} | {d.get('n', 0)} / "
            f"{t.get('n', 0)} | {_f(d.get(fr))} | {_f(t.get(fr))} | "
            f"{_f(d.get('citation_recall'))} | {_f(t.get('citation_recall'))} | "
            f"{_f(d.get('citation_precision'))} | {_f(t.get('citation_precision'))} |"
        )
    out += [
        "",
        "single-paper: every question of type single; list: multi and follow-up questions "
        "asking which papers; compound (per part): the share of each part's facts found, "
        "averaged over the parts.",
        "",
    ]
    return out


def halves_lines(summary: dict) -> list[str]:
    """The same for the terminal: the halves side by side, then key-fact recall by kind."""
    rows = half_rows(summary)
    if not rows:
        return []
    out = [f"  {'':<34} {'dev':>7} {'test':>7} {'gap':>7}"]
    for key, d, t in rows:
        out.append(f"  {key:<34} {_f(d):>7} {_f(t):>7} {_gap(d, t):>7}")
    out.append("  key-fact recall by kind (dev / test):")
    for kind, d, t in kind_rows(summary):
        fr = "part_fact_recall" if kind == "compound" else "fact_recall"
        if d.get(fr) is None and t.get(fr) is None and kind != "list":
            continue
        extra = ""
        if kind == "list":
            extra = (
                f"  citation recall {_f(d.get('citation_recall'))} / {_f(t.get('citation_recall'))}"
            )
        out.append(f"    {kind:<14} {_f(d.get(fr)):>7} / {_f(t.get(fr)):<7}{extra}")
    return out
