"""Calibrate the on-topic cut of `rag summarize` on tests/data/topics.json.

For every topic (12 research areas with the papers on each, read from the abstracts, plus 8
topics the corpus does not cover) it scores every retrieved paper with the production code
(``Summarizer.score``), fits a logistic regression of "on topic" on the evidence, and prints:

* the weights to put in rag/summarize/topic.py (fit on all topics),
* leave-one-topic-out figures (each topic scored by weights fit without it): recall and
  precision per topic at the cut, and whether off-corpus topics abstain,
* the margins behind the coverage gate (``COVER_DENSE``).

    .venv/bin/python bench/calibrate_summarize.py            # ingests the bundled corpus once
    .venv/bin/python bench/calibrate_summarize.py --store DIR
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

FEATURES = ("dense", "relative", "lexical", "contribution")


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> np.ndarray:
    """Class-balanced, L2-regularised logistic regression by Newton's method; returns [w..., b]."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    pos = y.sum()
    sw = np.where(y == 1, len(y) / (2 * max(pos, 1)), len(y) / (2 * max(len(y) - pos, 1)))
    w = np.zeros(xb.shape[1])
    reg = np.full(xb.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(xb @ w)))
        grad = xb.T @ (sw * (p - y)) + reg * w
        hess = (xb * (sw * p * (1 - p))[:, None]).T @ xb + np.diag(reg)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def prob(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(x @ w[:-1] + w[-1])))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=None)
    ap.add_argument("--cut", type=float, default=None, help="probability cut (default: settings)")
    args = ap.parse_args()

    from rag.assistant import Assistant
    from rag.config import get_settings
    from rag.ingest import ingest
    from rag.summarize import Summarizer
    from rag.summarize.topic import COVER_DENSE, clean_topic, topic_parts

    store = args.store
    if store is None:
        store = Path(tempfile.mkdtemp(prefix="rag-calib-")) / "store"
        ingest([REPO / "store" / "corpus"], get_settings(store=store), progress=False)
    a = Assistant(get_settings(store=store))
    cut = args.cut if args.cut is not None else a.settings.summary_on_topic
    sm = Summarizer(a.store, a.embedder, a.settings, a.idf)
    data = json.loads((REPO / "tests" / "data" / "topics.json").read_text())
    topics = [(t, set(g)) for t, g in data["topics"].items()] + [
        (t, set()) for t in data["off_topic"]
    ]

    rows: dict[str, list] = {}
    for t, gold in topics:
        g = sm.gather(clean_topic(t), pool=a.settings.summary_pool)
        rows[t] = [(c, c.paper_id in gold) for c in g.candidates]
        print(f"scored {len(g.candidates):3d} candidates for {t!r} (parts {topic_parts(t)})")

    def xy(ts):
        x = np.array([[getattr(c, f) for f in FEATURES] for t in ts for c, _ in rows[t]])
        y = np.array([float(lab) for t in ts for _, lab in rows[t]])
        return x, y

    names = [t for t, _ in topics]
    w_all = fit_logistic(*xy(names))
    print("\nweights fit on all topics:")
    for f, v in zip(FEATURES, w_all[:-1], strict=True):
        print(f"  W_{f.upper()} = {v:.2f}")
    print(f"  BIAS = {w_all[-1]:.2f}")
    import rag.summarize.topic as rs

    shipped = [getattr(rs, f"W_{f.upper()}") for f in FEATURES] + [rs.BIAS]
    print("  (shipped in rag/summarize/topic.py: " + ", ".join(f"{v:.2f}" for v in shipped) + ")")

    # the coverage gate: off-corpus topics' best passage vs research topics whose kept papers
    # do not hold all of the topic's words (those rely on the passage similarity alone)
    cut0 = cut
    off_best = max(max((c.dense for c, _ in rows[t]), default=0.0) for t, g in topics if not g)
    need = [
        max(c.dense for c, _ in rows[t])
        for t, g in topics
        if g
        and not any(
            c.lexical >= 0.999
            for c, _ in rows[t]
            if prob(w_all, np.array([[getattr(c, f) for f in FEATURES]]))[0] >= cut0
        )
    ]
    print(
        f"\ncoverage gate: best passage of an off-corpus topic {off_best:.3f}; research topics "
        f"without a kept paper holding all their words: best passages {sorted(round(v, 3) for v in need)}"
        f"; midpoint {(off_best + min(need)) / 2 if need else off_best + 0.05:.3f} (COVER_DENSE = {COVER_DENSE})"
    )

    for label, per_topic_w in (
        (
            "leave-one-topic-out",
            {t: fit_logistic(*xy([u for u in names if u != t])) for t in names},
        ),
        ("in-sample (weights fit on all topics)", {t: w_all for t in names}),
    ):
        print(f"\n{label}, cut {cut}:")
        recalls, precisions = [], []
        for t, gold in topics:
            x = np.array([[getattr(c, f) for f in FEATURES] for c, _ in rows[t]])
            p = prob(per_topic_w[t], x) if len(x) else np.array([])
            kept = [c for (c, _), pp in zip(rows[t], p, strict=True) if pp >= cut]
            ids = {c.paper_id for c in kept}
            best_dense = max((c.dense for c, _ in rows[t]), default=0.0)
            full = any(c.lexical >= 0.999 for c in kept)
            covered = bool(kept) and (best_dense >= COVER_DENSE or full)
            if gold:
                r = len(gold & ids) / len(gold)
                pr = len(gold & ids) / max(1, len(ids))
                recalls.append(r)
                precisions.append(pr)
                miss = sorted(gold - ids)
                print(
                    f"  {t[:40]:40s} recall {r:.2f} precision {pr:.2f} kept {len(ids):2d} "
                    f"covered={covered} best_dense={best_dense:.2f} missing {miss}"
                )
            else:
                print(
                    f"  {t[:40]:40s} off-corpus: kept {len(ids):2d} covered={covered} "
                    f"best_dense={best_dense:.2f} all-words={full}"
                )
        print(
            f"  mean recall {np.mean(recalls):.3f}, topics with recall >= 0.8: "
            f"{sum(r >= 0.8 for r in recalls)}/{len(recalls)}, mean precision {np.mean(precisions):.3f}"
        )


if __name__ == "__main__":
    main()
