"""int8 chunk vectors with fp32 query vectors (issue 18, round 4).

int8's error is in both sides of every cosine when queries and chunks both come from the int8
graph. The ingest cost is all in the chunks; a query is one short text. So: chunks embedded
with int8 (today's dynamic per-channel graph, today's 200/40 chunks with the title), queries
with fp32, against both sides fp32 and both int8, nDCG@10 on the query halves (replica).

    python exp10_int8_queries.py
"""

from __future__ import annotations

import time

from common import (
    WORK,
    VectorCache,
    chunk_texts,
    cpu_s,
    load,
    ndcg_halves,
    save_json,
    scifact_papers,
)


def main() -> None:
    from rag.embed.local import OnnxEmbedder

    papers = scifact_papers()
    texts, owner = chunk_texts(papers)
    emb = {v: OnnxEmbedder(v, WORK / "onnx") for v in ("fp32", "int8")}
    l0 = load()
    vecs = {}
    secs = {}
    for v, cache in (("fp32", "fp32-today"), ("int8", "int8-today")):
        t0, c0 = time.perf_counter(), cpu_s()
        vecs[v] = VectorCache(cache).embed(
            lambda x, v=v: emb[v].embed(x, batch_size=16), texts, owner, log=print
        )
        secs[v] = (round(time.perf_counter() - t0, 1), round(cpu_s() - c0, 1))
    out = {"papers": len(papers), "chunks": len(texts), "embed_wall_cpu_s": secs, "ndcg@10": {}}
    for docs, queries in (("fp32", "fp32"), ("int8", "int8"), ("int8", "fp32")):
        key = f"chunks {docs} / queries {queries}"
        q = emb[queries]
        out["ndcg@10"][key] = ndcg_halves(
            papers, vecs[docs], owner, lambda qs, q=q: q.embed(qs, batch_size=16)
        )
        print(key, out["ndcg@10"][key], flush=True)
    out["load_avg"] = [l0, load()]
    save_json("exp10_int8_queries.json", out)


if __name__ == "__main__":
    main()
