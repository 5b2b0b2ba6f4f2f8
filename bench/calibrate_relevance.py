"""Calibrate the relevance floor: the best-chunk cosine above which a paper counts as relevant.

Tuned on the dev half of eval/questions.jsonl, reported on both halves (precision, recall and
F1 of "above the floor" against the gold papers; off-topic questions add only negatives).

    .venv/bin/python bench/calibrate_relevance.py [--store DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def pairs(assistant, questions: list[dict]) -> list[tuple[float, bool]]:
    """(cosine, is gold) for every paper retrieved for every question."""
    out = []
    n = len(assistant.papers())
    for q in questions:
        gold = set(q.get("gold") or [])
        for h in assistant.search(q["question"], k=n, mode="dense"):
            out.append((float(h.dense or 0.0), h.paper.paper_id in gold))
    return out


def prf(data: list[tuple[float, bool]], floor: float) -> tuple[float, float, float]:
    tp = sum(1 for s, g in data if s >= floor and g)
    fp = sum(1 for s, g in data if s >= floor and not g)
    fn = sum(1 for s, g in data if s < floor and g)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def fbeta(data: list[tuple[float, bool]], floor: float, beta: float) -> float:
    p, r, _ = prf(data, floor)
    return (1 + beta**2) * p * r / (beta**2 * p + r) if p + r else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path, default=None)
    args = ap.parse_args()
    from rag.assistant import Assistant
    from rag.config import get_settings
    from rag.ingest import ingest

    store = args.store
    if store is None:
        store = Path(tempfile.mkdtemp(prefix="rag-calib-")) / "store"
        ingest([REPO / "store" / "corpus"], get_settings(store=store), progress=False)
    a = Assistant(get_settings(store=store))
    qs = [json.loads(x) for x in (REPO / "eval" / "questions.jsonl").read_text().splitlines() if x]
    qs = [q for q in qs if q["type"] != "followup"]
    dev = pairs(a, [q for q in qs if q["split"] == "dev"])
    test = pairs(a, [q for q in qs if q["split"] == "test"])
    grid = [round(0.05 + 0.01 * i, 2) for i in range(60)]
    # the floor: papers under it are not listed. Best F2 on dev (a missed paper costs twice
    # what a stray one does: the list is for finding papers)
    floor = max(grid, key=lambda f: (fbeta(dev, f, 2.0), -f))
    # a "close match": the cut with the best F1 on dev
    close = max(grid, key=lambda f: (prf(dev, f)[2], -f))
    print(
        f"{'cut':18} {'half':5} {'pairs':>6} {'gold':>5} {'precision':>9} {'recall':>7} {'F1':>6} {'F2':>6}"
    )
    for label, cut in ((f"floor {floor:.2f}", floor), (f"close match {close:.2f}", close)):
        for name, data in (("dev", dev), ("test", test)):
            p, r, f = prf(data, cut)
            g = sum(g for _, g in data)
            f2 = fbeta(data, cut, 2.0)
            print(f"{label:18} {name:5} {len(data):6d} {g:5d} {p:9.3f} {r:7.3f} {f:6.3f} {f2:6.3f}")
    gold = sorted(s for s, g in dev if g)
    other = sorted(s for s, g in dev if not g)
    print(
        f"dev cosine: gold median {gold[len(gold) // 2]:.3f}; others median "
        f"{other[len(other) // 2]:.3f}, 99th percentile {other[int(len(other) * 0.99)]:.3f}"
    )


if __name__ == "__main__":
    main()
