"""Experiment 3: int8 variants that keep the vectors. For each: throughput (ABBA over slices of
256 papers, token-sorted batches of 16, beside fp32), cosine against fp32 on those texts, and
(--quality) nDCG@10 on SciFact's dev/test query halves from vectors of the full corpus (hybrid,
the replica of `rag.retrieve`; queries embedded by the same variant, as `rag search` would).

    python exp3_int8.py --speed [--papers 1024] [--variants a,b]
    python exp3_int8.py --quality --variants int8-today,int8-ffn
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
from common import (
    RESULTS,
    WORK,
    Encoder,
    VectorCache,
    abba,
    chunk_texts,
    cosine_stats,
    fp32_path,
    load,
    ndcg_halves,
    save_json,
    scifact_papers,
    session,
)

ALL = [
    "fp32",
    "fp32-fused",
    "int8-today",
    "int8-constb-ends",
    "int8-ffn",
    "int8-fused",
    "int8-fused-mm",
    "qdq-minmax",
    "qdq-pct",
    "nb8-b32",
    "nb8-fused-b32",
    "nb8-fused-b128",
    "nb4-fused-b32",
]


# papers per ABBA slice (ingest hands the embedder 256; smaller slices interleave finer)
SLICE = int(os.environ.get("SPEEDEXP_SLICE", "128"))


def path_of(name: str):
    return fp32_path() if name == "fp32" else WORK / "variants" / f"{name}.onnx"


def encoder(name: str, threads=None, spin=None) -> Encoder:
    return Encoder(session(path_of(name), threads=threads, spin=spin), "token", 16)


def speed(names: list[str], n_papers: int, spin) -> dict:
    papers = scifact_papers(n_papers)
    texts, owner = chunk_texts(papers)
    slices = [
        [t for t, o in zip(texts, owner, strict=True) if g <= o < g + SLICE]
        for g in range(0, len(papers), SLICE)
    ]
    encs = {n: encoder(n, spin=spin) for n in names}
    for e in encs.values():
        e.encode(slices[0][:16])
    vecs = {n: [None] * len(slices) for n in names}

    def run(name, k):
        vecs[name][k] = encs[name].encode(slices[k])

    timing = abba(encs, list(range(len(slices))), run)
    ref = np.concatenate(vecs["fp32"])
    out = {
        "papers": len(papers),
        "texts": len(texts),
        "spin": spin,
        "load_avg": timing["load_avg"],
        "variants": {},
    }
    for n in names:
        w, c = timing["wall_s"][n], timing["cpu_s"][n]
        out["variants"][n] = {
            "wall_s": round(w, 2),
            "cpu_s": round(c, 2),
            "papers_per_s": round(len(papers) / w, 2),
            "speed_vs_fp32_wall": round(timing["wall_s"]["fp32"] / w, 3),
            "speed_vs_fp32_cpu": round(timing["cpu_s"]["fp32"] / c, 3),
            **cosine_stats(np.concatenate(vecs[n]), ref),
        }
        print(n, out["variants"][n], flush=True)
    return out


def quality(name: str, chunk_size=200, overlap=40, title=True) -> dict:
    papers = scifact_papers()
    texts, owner = chunk_texts(papers, chunk_size, overlap, title)
    enc = encoder(name)
    cache = VectorCache(name)
    l0 = load()
    vecs = cache.embed(enc.encode, texts, owner, log=lambda m: print(m, flush=True))
    q = ndcg_halves(papers, vecs, owner, enc.encode)
    ref = VectorCache("fp32-today")
    cos = None
    if all(ref.key(t) in ref.data for t in texts):
        cos = cosine_stats(vecs, ref.embed(None, texts, owner))
    return {
        "variant": name,
        "chunks": len(texts),
        "ndcg@10": q,
        "cos_vs_fp32_today": cos,
        "load_avg": [l0, load()],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--papers", type=int, default=1024)
    ap.add_argument("--variants", default=",".join(ALL))
    ap.add_argument("--nospin", action="store_true")
    args = ap.parse_args()
    names = [n for n in args.variants.split(",") if n and path_of(n).exists()]
    if args.speed:
        if "fp32" not in names:
            names.insert(0, "fp32")
        res = speed(names, args.papers, False if args.nospin else None)
        save_json("exp3_int8_speed%s.json" % ("_nospin" if args.nospin else ""), res)
    if args.quality:
        path = RESULTS / "exp3_int8_quality.json"
        done = json.loads(path.read_text()) if path.exists() else {}
        for n in names:
            done[n] = quality(n)
            print(n, done[n], flush=True)
            save_json(path.name, done)


if __name__ == "__main__":
    main()
