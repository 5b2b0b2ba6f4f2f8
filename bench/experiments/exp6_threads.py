"""Experiment 6: the product's token-sorted ONNX path, intra-op threads and spinning, wall and
CPU seconds (ABBA over slices, one process), beside the character-sorted batches of before.

    python bench/experiments/exp6_threads.py --papers 384 --slice 96
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench.data import scifact_dir  # noqa: E402

SCIFACT = scifact_dir()


def cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--papers", type=int, default=384)
    ap.add_argument("--slice", type=int, default=96)
    ap.add_argument("--variants", default="char-spin2,token-spin2,token-nospin2,token-1")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "exp6_threads.json")
    args = ap.parse_args()
    from rag.config import get_settings
    from rag.embed.local import OnnxEmbedder
    from rag.ingest import chunk_paper, embed_text
    from rag.parse import parse_paths

    lines = (SCIFACT / "corpus.jsonl").read_text().splitlines()[: args.papers]
    tmp = Path("/tmp/speedexp") / f"scifact-{args.papers}.jsonl"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text("\n".join(lines) + "\n")
    papers = parse_paths([tmp]).papers
    settings = get_settings(store="/tmp/speedexp/unused")
    slices = []
    for g in range(0, len(papers), args.slice):
        slices.append(
            [embed_text(p, c) for p in papers[g : g + args.slice] for c in chunk_paper(p, settings)]
        )

    def make(spec: str):
        order, mode = spec.split("-")
        threads = int(mode[-1])
        spin = not mode.startswith("nospin") if mode != "1" else False
        if mode == "1":
            threads = 1
        emb = OnnxEmbedder("fp32", threads=threads, spinning=spin)
        emb.load()
        if order == "token":
            return lambda ts: emb.embed(ts, batch_size=16)

        def char_sorted(ts):  # what rag.embed did before: sorted by characters, runs of 16
            out = np.zeros((len(ts), 384), dtype=np.float32)
            idx = sorted(range(len(ts)), key=lambda i: len(ts[i]), reverse=True)
            for s in range(0, len(idx), 16):
                part = idx[s : s + 16]
                out[part] = emb.session.encode([ts[i] for i in part])
            return out

        return char_sorted

    fns = {v: make(v) for v in args.variants.split(",")}
    for f in fns.values():
        f(slices[0][:16])
    names = list(fns)
    wall = dict.fromkeys(names, 0.0)
    cpu = dict.fromkeys(names, 0.0)
    vecs = {n: [] for n in names}
    loads = []
    for k, sl in enumerate(slices):
        order = names if k % 2 == 0 else names[::-1]
        if k % 4 >= 2:
            order = order[len(order) // 2 :] + order[: len(order) // 2]
        for n in order:
            loads.append(round(os.getloadavg()[0], 2))
            w0, c0 = time.perf_counter(), cpu_s()
            vecs[n].append(fns[n](sl))
            wall[n] += time.perf_counter() - w0
            cpu[n] += cpu_s() - c0
        print(
            f"slice {k + 1}/{len(slices)}: " + ", ".join(f"{n} {wall[n]:.1f}s" for n in names),
            flush=True,
        )
    ref = np.concatenate(vecs[names[0]])
    out = {"papers": len(papers), "texts": sum(map(len, slices)), "load_avg": loads, "variants": {}}
    for n in names:
        v = np.concatenate(vecs[n])
        out["variants"][n] = {
            "wall_s": round(wall[n], 2),
            "cpu_s": round(cpu[n], 2),
            "papers_per_s": round(len(papers) / wall[n], 2),
            "wall_speed_vs_first": round(wall[names[0]] / wall[n], 3),
            "cpu_speed_vs_first": round(cpu[names[0]] / cpu[n], 3),
            "max_abs_diff_vs_first": float(np.abs(v - ref).max()),
        }
        print(n, out["variants"][n])
    print("load", loads)
    args.out.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
