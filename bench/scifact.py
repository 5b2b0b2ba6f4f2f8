"""SciFact retrieval quality through the real CLI: `rag ingest` then `rag search -k 100 -`.

    python bench/scifact.py [DIR] [--store STORE]

Prints nDCG@10, Recall@100 and MRR@10 for hybrid, dense-only and BM25-only retrieval beside
the published reference points, and writes bench/results/scifact.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rag.eval.metrics import mean, mrr_at_k, ndcg_at_k, recall_at_k

REFERENCE = {
    "BM25 (Anserini, flat)": (0.679, 0.925),
    "all-MiniLM-L6-v2 dense (MTEB)": (0.645, 0.925),
    "BGE-base + BM25, RRF": (0.744, None),
}


def load_qrels(path: Path) -> dict[str, dict[str, float]]:
    qrels: dict[str, dict[str, float]] = {}
    for i, line in enumerate(path.read_text().splitlines()):
        parts = line.split("\t")
        if i == 0 and not parts[-1].strip().isdigit():
            continue
        qid, did, score = parts[0], parts[1], float(parts[2])
        qrels.setdefault(qid, {})[did] = score
    return qrels


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "dir",
        nargs="?",
        default=str(Path(__file__).resolve().parents[2] / "shared/benchmarks/scifact"),
    )
    ap.add_argument("--store", default=None, help="reuse a store (default: a new temporary one)")
    args = ap.parse_args()
    d = Path(args.dir)
    store = args.store or tempfile.mkdtemp(prefix="scifact-store-")
    env = {**os.environ, "RAG_STORE": store}
    rag = str(Path(sys.executable).with_name("rag"))
    t0 = time.time()
    subprocess.run([rag, "ingest", str(d / "corpus.jsonl")], env=env, check=True)
    ingest_s = time.time() - t0
    qrels = load_qrels(d / "qrels" / "test.tsv")
    queries = [
        json.loads(line) for line in (d / "queries.jsonl").read_text().splitlines() if line.strip()
    ]
    queries = [q for q in queries if q["_id"] in qrels]
    stdin = "\n".join(q["text"].replace("\n", " ") for q in queries) + "\n"
    rows = {}
    for mode in ("hybrid", "dense", "keyword"):
        t1 = time.time()
        out = subprocess.run(
            [rag, "search", "-", "-k", "100", "--json", "--mode", mode],
            input=stdin,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
        secs = time.time() - t1
        assert len(out) == len(queries), (len(out), len(queries))
        runs = [[h["paper_id"] for h in json.loads(line)] for line in out]
        rows[mode] = {
            "ndcg@10": mean(
                [ndcg_at_k(r, qrels[q["_id"]], 10) for r, q in zip(runs, queries, strict=True)]
            ),
            "recall@100": mean(
                [recall_at_k(r, qrels[q["_id"]], 100) for r, q in zip(runs, queries, strict=True)]
            ),
            "mrr@10": mean(
                [mrr_at_k(r, qrels[q["_id"]], 10) for r, q in zip(runs, queries, strict=True)]
            ),
            "seconds": secs,
        }
    print(f"SciFact: {len(queries)} queries, store {store}, ingest {ingest_s:.0f} s")
    print(f"{'system':<34} {'nDCG@10':>8} {'R@100':>7} {'MRR@10':>7}")
    names = {
        "hybrid": "ours: hybrid (dense+BM25, RRF)",
        "dense": "ours: dense only",
        "keyword": "ours: BM25 only",
    }
    for mode, r in rows.items():
        print(f"{names[mode]:<34} {r['ndcg@10']:>8.3f} {r['recall@100']:>7.3f} {r['mrr@10']:>7.3f}")
    for name, (n, r) in REFERENCE.items():
        print(f"{'ref: ' + name:<34} {n:>8.3f} {(f'{r:.3f}' if r else '-'):>7} {'-':>7}")
    out_dir = Path(__file__).resolve().parent / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "scifact.json").write_text(
        json.dumps({"queries": len(queries), "ingest_s": ingest_s, "results": rows}, indent=2)
    )


if __name__ == "__main__":
    main()
