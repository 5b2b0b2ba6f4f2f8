"""Baseline: today's fp32 ONNX embedder (rag.embed.OnnxEmbedder) over full SciFact, as ingest
calls it (per 256-paper batch, batch_size 64); vectors cached for the other experiments, and
nDCG@10 of the retrieval replica on the dev/test query halves (checks the replica against the
README's 0.729 hybrid / 0.670 dense measured on a real store)."""

from __future__ import annotations

import os
import pickle
import time

from common import (
    WORK,
    VectorCache,
    chunk_texts,
    embed_grouped,
    load,
    ndcg_halves,
    save_json,
    scifact_papers,
)


def main() -> None:
    from rag.embed.local import OnnxEmbedder

    papers = scifact_papers()
    texts, owner = chunk_texts(papers)
    emb = OnnxEmbedder("fp32", WORK / "onnx")
    emb.load()
    cache = VectorCache("fp32-today")
    l0, t0 = load(), time.perf_counter()
    vecs = embed_grouped(lambda x: emb.embed(x, batch_size=64), texts, owner)
    secs = time.perf_counter() - t0
    for t, v in zip(texts, vecs, strict=True):
        cache.data[cache.key(t)] = v
    cache.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(cache.data))
    os.replace(tmp, cache.path)
    q = ndcg_halves(papers, vecs, owner, lambda qs: emb.embed(qs, batch_size=64))
    out = {
        "papers": len(papers),
        "chunks": len(texts),
        "embed_s": round(secs, 1),
        "papers_per_s": round(len(papers) / secs, 2),
        "load_avg": [l0, load()],
        "ndcg@10": q,
    }
    print(out, flush=True)
    save_json("exp0_baseline.json", out)


if __name__ == "__main__":
    main()
