"""Claim-set evaluation: how often the claim checker flags each kind of claim, dev and test apart.

A claim set is JSONL (``eval/claims.jsonl``): ``{id, kind, claim, cites, expected, split, note}``.
A claim is *flagged* when its verdict is not ``supported``. For the faithful kinds a flag is a
false alarm; for every other kind it is a catch. ``run_claims`` checks every claim against its
cited papers with the same verifier answers use, and ``write_claims_report`` writes
``claims.json``, ``claims.md`` and a bar chart ``claims.png``.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from ..errors import IngestError as DataError
from ..records import Paper

FAITHFUL = ("faithful", "faithful_number")
KIND_ORDER = (
    "faithful",
    "faithful_number",
    "wrong_number",
    "wrong_count",
    "wrong_place_year",
    "swapped_name",
    "reversed",
    "negation",
    "overclaim",
    "wrong_paper",
)
# the targets of the claim checker on the test half: (kinds pooled, "min"/"max", rate)
TARGETS = [
    (("wrong_number", "wrong_count"), "min", 0.95),
    (("wrong_paper",), "min", 0.95),
    (("swapped_name",), "min", 0.8),
    (("reversed", "negation"), "min", 0.6),
    (FAITHFUL, "max", 0.08),
]
_FIELDS = ("id", "kind", "claim", "cites", "expected")


def load_claims(path: Path) -> list[dict]:
    """The claims of a JSONL file; DataError naming the line for a bad one."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise DataError(f"{path}: cannot read the claim set ({e.strerror})") from e
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"{path}:{n}: not valid JSON ({e.msg}); one claim per line") from e
        missing = [f for f in _FIELDS if f not in obj] if isinstance(obj, dict) else _FIELDS
        if missing:
            raise DataError(f"{path}:{n}: claim lacks field(s) {', '.join(missing)}")
        if isinstance(obj["cites"], str):
            obj["cites"] = [obj["cites"]]
        obj.setdefault("split", "all")
        out.append(obj)
    if not out:
        raise DataError(f"{path}: no claims in the file")
    return out


def run_claims(
    claims: list[dict],
    papers: dict[str, Paper],
    verifier,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict]:
    """Every claim through the verifier against its cited papers: one row per claim."""
    from ..answer.verify import Source

    rows = []
    for i, c in enumerate(claims):
        missing = [p for p in c["cites"] if p not in papers]
        if missing:
            rows.append({**_row(c), "verdict": "error", "reason": f"unknown paper {missing[0]}"})
            continue
        srcs = [Source(f"[{pid}]", papers[pid]) for pid in c["cites"]]
        t = time.perf_counter()
        (v,) = verifier.verify([c["claim"]], [srcs])
        ms = (time.perf_counter() - t) * 1000
        rows.append(
            {
                **_row(c),
                "verdict": v.verdict,
                "flagged": v.verdict != "supported",
                "reason": v.reason,
                "evidence": v.evidence,
                "support": None if v.support is None else round(v.support, 3),
                "checks": {k.name: k.verdict for k in v.checks},
                "ms": round(ms, 2),
            }
        )
        if progress:
            progress(i + 1, len(claims))
    return rows


def _row(c: dict) -> dict:
    return {k: c.get(k) for k in ("id", "kind", "split", "claim", "cites", "expected", "note")}


def summarize_claims(rows: list[dict]) -> dict:
    """Flag rate and verdict accuracy per kind and split, the targets, and the false alarms."""
    table: dict[str, dict[str, dict]] = defaultdict(dict)
    splits = sorted({r["split"] for r in rows}, key=lambda s: (s != "dev", s != "test", s))
    kinds = [k for k in KIND_ORDER if any(r["kind"] == k for r in rows)]
    kinds += sorted({r["kind"] for r in rows} - set(kinds))
    for k in kinds:
        for sp in [*splits, "all"]:
            rs = [r for r in rows if r["kind"] == k and (sp == "all" or r["split"] == sp)]
            if not rs:
                continue
            flagged = sum(1 for r in rs if r.get("flagged"))
            exact = sum(1 for r in rs if r["verdict"] == r["expected"])
            table[k][sp] = {
                "n": len(rs),
                "flagged": flagged,
                "flag_rate": round(flagged / len(rs), 3),
                "verdict_accuracy": round(exact / len(rs), 3),
            }
    targets = []
    for pooled, how, bound in TARGETS:
        entry = {"kinds": list(pooled), "rule": f"{'>=' if how == 'min' else '<='} {bound}"}
        for sp in [*splits, "all"]:
            rs = [r for r in rows if r["kind"] in pooled and (sp == "all" or r["split"] == sp)]
            if rs:
                rate = sum(1 for r in rs if r.get("flagged")) / len(rs)
                entry[sp] = {
                    "n": len(rs),
                    "flag_rate": round(rate, 3),
                    "met": rate >= bound if how == "min" else rate <= bound,
                }
        targets.append(entry)
    ms = sorted(r["ms"] for r in rows if "ms" in r)
    return {
        "n": len(rows),
        "splits": splits,
        "kinds": table,
        "targets": targets,
        "false_alarms": [
            {k: r[k] for k in ("id", "split", "claim", "reason")}
            for r in rows
            if r["kind"] in FAITHFUL and r.get("flagged")
        ],
        "missed": [
            {k: r[k] for k in ("id", "split", "kind", "claim")}
            for r in rows
            if r["kind"] not in FAITHFUL and not r.get("flagged")
        ],
        "errors": [r for r in rows if r["verdict"] == "error"],
        "ms_per_claim_p50": ms[len(ms) // 2] if ms else None,
    }


def render_claims_table(summary: dict) -> str:
    """A markdown table: flag rate per kind, one column per split."""
    splits = summary["splits"]
    head = "| kind | " + " | ".join(f"{s} flagged" for s in splits) + " |"
    out = [head, "|---|" + "---:|" * len(splits)]
    for k, per in summary["kinds"].items():
        cells = []
        for s in splits:
            e = per.get(s)
            cells.append(f"{e['flag_rate']:.2f} ({e['flagged']}/{e['n']})" if e else "")
        out.append(f"| {k} | " + " | ".join(cells) + " |")
    out += ["", "| target | " + " | ".join(splits) + " |", "|---|" + "---|" * len(splits)]
    for t in summary["targets"]:
        cells = []
        for s in splits:
            e = t.get(s)
            cells.append(f"{e['flag_rate']:.2f} {'met' if e['met'] else 'MISSED'}" if e else "")
        out.append(f"| {' + '.join(t['kinds'])} {t['rule']} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def plot_claims(path: Path, summary: dict) -> Path:
    """Grouped bars: the flag rate of each kind, one bar per split; faithful kinds in grey."""
    from .report import _plt

    plt = _plt()
    kinds = list(summary["kinds"])
    splits = summary["splits"]
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(kinds) + 2), 4))
    width = 0.8 / max(1, len(splits))
    colors = ["#4C72B0", "#DD8452", "#55A868", "#8172B2"]
    for j, sp in enumerate(splits):
        xs = [i + (j - (len(splits) - 1) / 2) * width for i in range(len(kinds))]
        ys = [summary["kinds"][k].get(sp, {}).get("flag_rate", 0) for k in kinds]
        ax.bar(xs, ys, width, label=sp, color=colors[j % len(colors)])
    ax.set_xticks(range(len(kinds)))
    ax.set_xticklabels(kinds, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share flagged (not supported)")
    ax.set_title("Claim checker: flag rate by kind (faithful kinds: lower is better)")
    for i, k in enumerate(kinds):
        if k in FAITHFUL:
            ax.axvspan(i - 0.45, i + 0.45, color="#dddddd", zorder=0)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_claims_report(out_dir: Path, rows: list[dict], summary: dict) -> dict[str, Path]:
    """claims.json (summary and rows), claims.md (the table) and claims.png in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / "claims.json",
        "markdown": out_dir / "claims.md",
        "plot": out_dir / "claims.png",
    }
    paths["json"].write_text(
        json.dumps({"summary": summary, "rows": rows}, indent=1, ensure_ascii=False) + "\n"
    )
    md = ["# Claim checker", "", render_claims_table(summary)]
    if summary["false_alarms"]:
        md += ["", "## False alarms", ""]
        md += [
            f"- {r['id']} ({r['split']}): {r['claim']} — {r['reason']}"
            for r in summary["false_alarms"]
        ]
    paths["markdown"].write_text("\n".join(md) + "\n")
    plot_claims(paths["plot"], summary)
    return paths


def run_claims_eval(
    path: Path, assistant, runs_dir: Path | None = None, progress: bool = True
) -> tuple[Path, dict]:
    """Check every claim of ``path`` against the assistant's collection and write the report
    into a new ``claims-<timestamp>`` directory under ``runs_dir``: (that directory, summary)."""
    import sys

    from .runs import _new_run_dir, default_runs_dir

    claims = load_claims(Path(path))
    papers = {p.paper_id: p for p in assistant.papers()}
    bar = None
    if progress and len(claims) >= 20:
        from tqdm import tqdm

        bar = tqdm(total=len(claims), desc="claims", unit="claim", file=sys.stderr, leave=False)
    t0 = time.perf_counter()
    try:
        rows = run_claims(
            claims, papers, assistant.verifier, (lambda i, n: bar.update(1)) if bar else None
        )
    finally:
        if bar is not None:
            bar.close()
    summary = summarize_claims(rows)
    summary["file"] = str(path)
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    out = _new_run_dir(Path(runs_dir or default_runs_dir()), "-claims")
    write_claims_report(out, rows, summary)
    return out, summary
