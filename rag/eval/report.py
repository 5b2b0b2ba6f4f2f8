"""Report: an evaluation run's summary as Markdown and PNG plots (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

from .halves import halves_markdown
from .questions import QUESTION_TYPES, WORST_SHOWN
from .scoring import quality

BAR_METRICS = (
    "retrieval.hit@1",
    "retrieval.hit@{k}",
    "retrieval.mrr@10",
    "retrieval.ndcg@10",
    "retrieval.recall@{k}",
    "citations.validity",
    "citations.precision",
    "citations.recall",
    "citations.sentence_support",
    "citations.support_precision",
    "answers.fact_recall",
    "answers.abstention_precision",
    "answers.abstention_recall",
    "judge.supported",
    "judge.correct",
)
_LABELS = {
    "retrieval.hit@1": "hit@1",
    "retrieval.mrr@10": "MRR@10",
    "retrieval.ndcg@10": "nDCG@10",
    "citations.validity": "citation validity",
    "citations.precision": "citation precision",
    "citations.recall": "citation recall",
    "citations.sentence_support": "sentence support",
    "citations.support_precision": "support precision (ALCE)",
    "answers.fact_recall": "key-fact recall",
    "answers.abstention_precision": "abstention precision",
    "answers.abstention_recall": "abstention recall",
    "answers.false_abstention_rate": "false abstentions",
    "judge.supported": "judge: supported",
    "judge.correct": "judge: correct",
}


def label(metric: str) -> str:
    """A short human name for a metric key."""
    if metric in _LABELS:
        return _LABELS[metric]
    return metric.split(".", 1)[-1]


def _fmt(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


def _quality_metrics(summary: dict) -> list[str]:
    k = summary["settings"]["top_k"]
    keys = [m.format(k=k) for m in BAR_METRICS]
    keys.insert(keys.index(f"retrieval.recall@{k}") + 1, "retrieval.recall@10")
    keys.append("answers.false_abstention_rate")
    seen = []
    for key in keys:
        if key not in seen and (
            summary["metrics"].get(key) is not None
            or any(key in b for b in summary["by_type"].values())
        ):
            seen.append(key)
    return seen


def write_report(
    run_dir: Path,
    summary: dict,
    records: list[dict],
    titles: dict[str, str],
    papers: dict | None = None,
) -> list[Path]:
    """report.md, metrics.png and latency.png in ``run_dir``; returns the paths written."""
    run_dir = Path(run_dir)
    paths = [
        plot_metrics(run_dir / "metrics.png", summary),
        plot_latency(run_dir / "latency.png", summary, records),
    ]
    md = render_markdown(summary, records, titles, papers)
    (run_dir / "report.md").write_text(md, encoding="utf-8")
    return [run_dir / "report.md", *[p for p in paths if p is not None]]


def render_markdown(
    summary: dict, records: list[dict], titles: dict[str, str], papers: dict | None = None
) -> str:
    """The Markdown report: settings, a metrics table by question type, latency, worst
    questions, and the references of the papers those name (``papers``: paper_id -> Paper)."""
    run, st, m = summary["run"], summary["settings"], summary["metrics"]
    out = [f"# Evaluation run {run['id']}", ""]
    out.append(
        f"{run['answered']} of {run['questions']} questions from `{run['questions_file']}`"
        f" in {run['seconds']:.1f} s ({run['sessions']} session(s), {run['workers']} worker(s))"
        + (f"; {run['errors']} failed" if run["errors"] else "")
        + (f"; code {run['git_commit']}" if run.get("git_commit") else "")
        + "."
    )
    out.append("")
    out.append("## Settings")
    out.append("")
    out.append("| setting | value |")
    out.append("|---|---|")
    for key in (
        "backend",
        "llm_model",
        "embed_model",
        "chunk_size",
        "chunk_overlap",
        "chunk_title",
        "top_k",
        "candidates",
        "rrf_k",
        "dense_weight",
        "keyword_weight",
        "abstain_dense",
        "abstain_sentence",
        "store_papers",
    ):
        if st.get(key) is not None:
            out.append(f"| {key} | {st[key]} |")
    out.append(f"| follow-ups | {run['followup_mode']} |")
    out.append(
        f"| support scorer | {run['support_scorer']}, threshold {run['support_threshold']} |"
    )
    out.append(f"| LLM judge | {run['judge_model'] or 'none (no LLM configured)'} |")
    out.append("")
    out.append("## Metrics")
    out.append("")
    types = [t for t in QUESTION_TYPES if t in summary["by_type"]]
    counts = {t: sum(r["type"] == t for r in records) for t in types}
    out.append("| metric | all | " + " | ".join(f"{t} ({counts[t]})" for t in types) + " |")
    out.append("|---|---:|" + "---:|" * len(types))
    for key in _quality_metrics(summary):
        row = [_fmt(m.get(key))] + [_fmt(summary["by_type"][t].get(key)) for t in types]
        out.append(f"| {label(key)} | " + " | ".join(row) + " |")
    out.append("")
    out.append(
        "Retrieval metrics score the ranking against the gold papers (k = top_k sources; MRR, "
        "nDCG and recall@10 over the first 10). Citation validity: cited numbers that point at a "
        "retrieved source. Citation precision/recall: cited papers against the gold papers. "
        "Sentence support (ALCE-style): share of answer sentences whose cited abstracts back them "
        "by the local support score; support precision: share of citations that are needed. "
        "Key-fact recall: share of the gold facts found verbatim (case-insensitive) in the answer; "
        "an abstention on an answerable question scores 0 on it and on citation recall."
    )
    out.append("")
    out.append("![metrics](metrics.png)")
    out.append("")
    out += halves_markdown(summary)
    out.append("## Latency (ms)")
    out.append("")
    out.append("| stage | n | mean | p50 | p95 |")
    out.append("|---|---:|---:|---:|---:|")
    for stage, row in summary["latency_ms"].items():
        out.append(
            f"| {stage} | {row['n']} | {row['mean']:.1f} | {row['p50']:.1f} | {row['p95']:.1f} |"
        )
    out.append("")
    out.append("![latency](latency.png)")
    out.append("")
    usage = summary.get("usage") or {}
    if usage.get("answers") or usage.get("judge"):
        out.append("## Tokens and cost")
        out.append("")
        for who in ("answers", "judge"):
            if usage.get(who):
                parts = ", ".join(f"{k} {_fmt(v)}" for k, v in usage[who].items())
                out.append(f"- {who}: {parts}")
        out.append("")
    worst = sorted(records, key=lambda r: (quality(r), r["id"]))[:WORST_SHOWN]
    worst = [r for r in worst if quality(r) < 1.0]
    out.append(f"## Worst questions ({len(worst)})")
    out.append("")
    if not worst:
        out.append("Every question scored full marks.")
    for r in worst:
        out.append(f"### {r['id']} ({r['type']}): quality {quality(r):.2f}")
        out.append("")
        if r.get("history"):
            out.append("History: " + " / ".join(f"“{h}”" for h in r["history"]))
            out.append("")
        out.append(f"**Q:** {r['question']}")
        if r.get("asked") and r["asked"] != r["question"]:
            out.append(f"(asked as: {r['asked']})")
        out.append("")
        if r["gold"]:
            out.append(
                "Gold: " + "; ".join(f"`{g}` {titles.get(g, '')}".strip() for g in r["gold"])
            )
        else:
            out.append("Gold: none (abstention expected)")
        if r.get("facts"):
            out.append("Facts: " + "; ".join(f"“{f}”" for f in r["facts"]))
        if r.get("error"):
            out.append("")
            out.append(f"Error: {r['error']}")
            out.append("")
            continue
        srcs = r.get("sources") or []
        out.append(
            "Sources: "
            + (
                ", ".join(
                    f"[{i}] `{p}`" + (" (gold)" if p in r["gold"] else "")
                    for i, p in enumerate(srcs, 1)
                )
                or "none"
            )
        )
        out.append("")
        text = r["answer"] if len(r["answer"]) <= 900 else r["answer"][:900] + " …"
        out.append("> " + text.replace("\n", "\n> "))
        out.append("")
        mm = r["metrics"]
        shown = ", ".join(f"{label(k)} {_fmt(v)}" for k, v in mm.items() if v is not None)
        out.append(f"{'abstained; ' if r['abstained'] else ''}{shown}")
        out.append("")
    named = dict.fromkeys(p for r in worst for p in r["gold"] + (r.get("sources") or []))
    refs = [papers[p] for p in named if papers and p in papers]
    if refs:
        from ..export import reference

        out.append("## References")
        out.append("")
        for p in sorted(refs, key=lambda p: reference(p).casefold()):
            out.append(f"- {reference(p)} Paper id `{p.paper_id}`.")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_metrics(path: Path, summary: dict) -> Path:
    """Bar charts: every quality metric overall, and the main ones by question type."""
    plt = _plt()
    keys = [k for k in _quality_metrics(summary) if summary["metrics"].get(k) is not None]
    vals = [summary["metrics"][k] for k in keys]
    colors = [
        "#4C72B0"
        if k.startswith("retrieval")
        else "#DD8452"
        if k.startswith("citations")
        else "#55A868"
        if k.startswith("answers")
        else "#8172B3"
        for k in keys
    ]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 6.5), gridspec_kw={"width_ratios": [1.1, 1]})
    y = range(len(keys))
    ax1.barh(list(y), vals, color=colors)
    ax1.set_yticks(list(y), [label(k) for k in keys])
    ax1.invert_yaxis()
    ax1.set_xlim(0, 1.12)
    for i, v in enumerate(vals):
        ax1.text(v + 0.01, i, f"{v:.2f}", va="center", fontsize=9)
    ax1.set_title(f"All {summary['run']['answered']} questions")
    ax1.grid(axis="x", alpha=0.3)

    k = summary["settings"]["top_k"]
    main = [
        f"retrieval.hit@{k}",
        "retrieval.mrr@10",
        "citations.recall",
        "citations.sentence_support",
        "answers.fact_recall",
        "answers.abstention_recall",
    ]
    types = [t for t in QUESTION_TYPES if t in summary["by_type"]]
    width = 0.8 / max(1, len(types))
    palette = ["#4C72B0", "#DD8452", "#55A868", "#C44E52"]
    for i, t in enumerate(types):
        xs = [j + i * width for j in range(len(main))]
        vs = [summary["by_type"][t].get(key) or 0.0 for key in main]
        has = [summary["by_type"][t].get(key) is not None for key in main]
        bars = ax2.bar(xs, vs, width=width, label=t, color=palette[i % len(palette)])
        for b, h in zip(bars, has, strict=True):
            if not h:
                b.set_alpha(0)
    ax2.set_xticks(
        [j + width * (len(types) - 1) / 2 for j in range(len(main))],
        [label(x) for x in main],
        rotation=25,
        ha="right",
    )
    ax2.set_ylim(0, 1.18)
    ax2.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax2.set_title("By question type (no bar: not applicable)")
    from matplotlib.patches import Patch

    ax2.legend(
        handles=[Patch(color=palette[i % len(palette)], label=t) for i, t in enumerate(types)],
        loc="upper center",
        ncol=len(types),
        fontsize=9,
    )
    ax2.grid(axis="y", alpha=0.3)
    st = summary["settings"]
    fig.suptitle(
        f"Run {summary['run']['id']}: backend {st['backend']}, {st['embed_model']}, "
        f"chunks {st['chunk_size']}/{st['chunk_overlap']}/{st.get('chunk_title', 'all')}, k={k}",
        fontsize=12,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_latency(path: Path, summary: dict, records: list[dict]) -> Path | None:
    """Box plots of per-stage latency (log scale), with p50/p95 written beside each stage."""
    plt = _plt()
    stages: dict[str, list[float]] = {}
    for r in records:
        for stage, ms in (r.get("timings_ms") or {}).items():
            stages.setdefault(stage, []).append(max(float(ms), 0.01))
    if not stages:
        return None
    order = [s for s in stages if s != "total"] + (["total"] if "total" in stages else [])
    order.reverse()  # pipeline order from the top down, the total last
    fig, ax = plt.subplots(figsize=(10, 0.6 * len(order) + 2))
    ax.boxplot([stages[s] for s in order], orientation="horizontal", whis=(5, 95), showfliers=True)
    ax.set_yticks(range(1, len(order) + 1), order)
    ax.set_xscale("log")
    ax.set_xlabel("milliseconds per question (log scale; whiskers at p5 and p95)")
    for i, s in enumerate(order, start=1):
        row = summary["latency_ms"].get(s)
        if row:
            ax.annotate(
                f"p50 {row['p50']:.1f}  p95 {row['p95']:.1f}",
                xy=(1.01, i),
                xycoords=("axes fraction", "data"),
                va="center",
                fontsize=9,
            )
    ax.set_title(f"Latency per stage, {len(records)} questions (run {summary['run']['id']})")
    ax.grid(axis="x", alpha=0.3, which="both")
    fig.tight_layout()
    fig.subplots_adjust(right=0.78)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_beir_report(run_dir: Path, summary: dict, rows: list[dict]) -> Path:
    """report.md of a BEIR run: the figures, the settings and the worst queries."""
    run, m = summary["run"], summary["metrics"]
    depth = summary["settings"]["depth"]
    out = [f"# BEIR retrieval run {run['id']}", ""]
    out.append(
        f"Dataset `{run['dataset']}` (split {run['split']}): {run['queries']} queries over "
        f"{run['corpus']} documents, {run['mode']} retrieval; ingest {run['ingest_s']} s, "
        f"search {run['search_s']} s."
    )
    out.append("")
    out.append(f"| nDCG@10 | Recall@{depth} | Recall@10 | MRR@10 |")
    out.append("|---:|---:|---:|---:|")
    out.append(
        f"| {m['beir.ndcg@10']:.4f} | {m[f'beir.recall@{depth}']:.4f} | "
        f"{m['beir.recall@10']:.4f} | {m['beir.mrr@10']:.4f} |"
    )
    out.append("")
    out.append("| setting | value |")
    out.append("|---|---|")
    for key, v in summary["settings"].items():
        if key != "all":
            out.append(f"| {key} | {v} |")
    out.append("")
    worst = sorted(rows, key=lambda r: (r["ndcg@10"], r["id"]))[:WORST_SHOWN]
    out.append("## Worst queries")
    out.append("")
    for r in worst:
        out.append(
            f"- `{r['id']}` nDCG@10 {r['ndcg@10']:.3f}: {r['query']} (relevant: "
            + ", ".join(r["relevant"])
            + "; top 3: "
            + ", ".join(r["ranking"][:3])
            + ")"
        )
    path = Path(run_dir) / "report.md"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path
