"""Experiment 2: ONNX Runtime graph optimisations and thread settings, fp32, 2 cores.

Every variant encodes the same texts through the same token-sorted batches of 16 (experiment 1),
so only the graph or the session options differ. ABBA over slices of 256 papers; cosine of each
variant's vectors against the baseline's.

  base        today's exported graph, ORT_ENABLE_ALL at session start (what rag does), threads
              left to ORT (intra_op = physical cores = 2), spinning on
  ortall      the same optimisations applied once offline and saved; loaded with ENABLE_ALL
  fused       onnxruntime.transformers.optimizer (model_type bert): Attention, SkipLayerNorm,
              EmbedLayerNorm, BiasGelu fused
  fused-t1    fused, intra_op_num_threads=1
  fused-nospin  fused, 2 threads, session.intra_op.allow_spinning=0 (no busy-wait between ops:
              kinder to a shared machine, maybe slower)
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from common import (
    WORK,
    Encoder,
    abba,
    chunk_texts,
    cosine_stats,
    fp32_path,
    save_json,
    scifact_papers,
    session,
)

# papers per ABBA slice (ingest hands the embedder 256; smaller slices interleave finer)
SLICE = int(os.environ.get("SPEEDEXP_SLICE", "128"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--papers", type=int, default=1024)
    ap.add_argument("--out", default="exp2_ort.json")
    args = ap.parse_args()
    papers = scifact_papers(args.papers)
    texts, owner = chunk_texts(papers)
    slices = [
        [t for t, o in zip(texts, owner, strict=True) if g <= o < g + SLICE]
        for g in range(0, len(papers), SLICE)
    ]
    v = WORK / "variants"
    specs = {
        "base": (fp32_path(), {}),
        "ortall": (v / "fp32-ortall.onnx", {}),
        "fused": (v / "fp32-fused.onnx", {}),
        "fused-t1": (v / "fp32-fused.onnx", {"threads": 1}),
        "fused-nospin": (v / "fp32-fused.onnx", {"spin": False}),
    }
    init_s, encs = {}, {}
    for name, (path, kw) in specs.items():
        t0 = time.perf_counter()
        encs[name] = Encoder(session(path, **kw), "token", 16)
        init_s[name] = round(time.perf_counter() - t0, 3)
        encs[name].encode(slices[0][:16])  # warm
    vecs = {k: [None] * len(slices) for k in specs}

    def run(name, k):
        vecs[name][k] = encs[name].encode(slices[k])

    timing = abba(specs, list(range(len(slices))), run)
    ref = np.concatenate(vecs["base"])
    out = {
        "papers": len(papers),
        "texts": len(texts),
        "load_avg": timing["load_avg"],
        "variants": {},
    }
    for name in specs:
        w, c = timing["wall_s"][name], timing["cpu_s"][name]
        out["variants"][name] = {
            "session_init_s": init_s[name],
            "wall_s": round(w, 2),
            "cpu_s": round(c, 2),
            "papers_per_s": round(len(papers) / w, 2),
            "speed_vs_base_wall": round(timing["wall_s"]["base"] / w, 3),
            "speed_vs_base_cpu": round(timing["cpu_s"]["base"] / c, 3),
            **cosine_stats(np.concatenate(vecs[name]), ref),
        }
        print(name, out["variants"][name], flush=True)
    save_json(args.out, out)


if __name__ == "__main__":
    main()
