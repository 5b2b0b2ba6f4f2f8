"""Experiment 7: one 2-thread ONNX session against two 1-thread sessions taking alternate
token-sorted batches from two Python threads (ORT releases the GIL in run), same texts, ABBA.

    python bench/experiments/exp7_two_sessions.py --papers 256
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--papers", type=int, default=256)
    args = ap.parse_args()
    from bench.data import scifact_dir
    from rag.config import get_settings
    from rag.embed.local import OnnxEmbedder
    from rag.ingest import chunk_paper, embed_text
    from rag.parse import parse_paths

    src = (scifact_dir() / "corpus.jsonl").read_text().splitlines()
    tmp = Path("/tmp/speedexp/exp7.jsonl")
    tmp.write_text("\n".join(src[: args.papers]) + "\n")
    papers = parse_paths([tmp]).papers
    st = get_settings(store="/tmp/speedexp/unused")
    texts = [embed_text(p, c) for p in papers for c in chunk_paper(p, st)]
    one = OnnxEmbedder("fp32", threads=2)
    a, b = OnnxEmbedder("fp32", threads=1), OnnxEmbedder("fp32", threads=1)
    for e in (one, a, b):
        e.embed(["warm up"])

    def two(ts):
        encs = a.session.tokenize(ts)
        order = sorted(range(len(ts)), key=lambda i: len(encs[i].ids), reverse=True)
        batches = [order[s : s + 16] for s in range(0, len(order), 16)]
        out = np.zeros((len(ts), 384), dtype=np.float32)

        def work(sess, mine):
            for idx in mine:
                out[idx] = sess.run([encs[i] for i in idx])

        th = [
            threading.Thread(target=work, args=(a.session, batches[0::2])),
            threading.Thread(target=work, args=(b.session, batches[1::2])),
        ]
        for t in th:
            t.start()
        for t in th:
            t.join()
        return out

    fns = {"one 2-thread session": lambda ts: one.embed(ts, batch_size=16), "two 1-thread": two}
    halves = [texts[: len(texts) // 2], texts[len(texts) // 2 :]]
    wall = dict.fromkeys(fns, 0.0)
    cpu = dict.fromkeys(fns, 0.0)
    vecs = {k: [] for k in fns}
    loads = []
    for k, part in enumerate(halves * 2):
        names = list(fns) if k % 2 == 0 else list(fns)[::-1]
        for n in names:
            loads.append(round(os.getloadavg()[0], 2))
            w, c = time.perf_counter(), cpu_s()
            v = fns[n](part)
            wall[n] += time.perf_counter() - w
            cpu[n] += cpu_s() - c
            if k < 2:
                vecs[n].append(v)
    ref = np.concatenate(vecs["one 2-thread session"])
    out = {"papers": len(papers), "texts": len(texts), "load_avg": loads, "variants": {}}
    for n in fns:
        out["variants"][n] = {
            "wall_s": round(wall[n], 2),
            "cpu_s": round(cpu[n], 2),
            "max_abs_diff": float(np.abs(np.concatenate(vecs[n]) - ref).max()),
        }
        print(n, out["variants"][n])
    print("load", loads)
    (HERE / "results" / "exp7_two_sessions.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
