"""Experiment 4: chunking that embeds fewer tokens. For each (chunk size, overlap, title prefix)
on full SciFact: chunks, tokens the model sees (title + chunk, special tokens included, after
its 256-token truncation), and nDCG@10 (hybrid and dense) on the dev and test query halves.
Vectors from the fused fp32 graph (the same vectors as today's to 1e-7, experiment 2), cached
by text so variants share what they have in common. The BM25 side indexes title + abstract as
today unless the variant says otherwise; 'derived' replaces SciFact's real titles with the
ones rag derives for title-less abstracts (rag.titles.derive_title), as a check for issue 12.

    python exp4_chunking.py [--variants 200/40/title,256/0/title,...] [--model fp32-fused]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

from common import (
    RESULTS,
    WORK,
    Encoder,
    VectorCache,
    chunk_texts,
    keyword_index,
    load,
    ndcg_halves,
    raw_tokenizer,
    save_json,
    scifact_papers,
    session,
)

DEFAULT = [
    "200/40/title",
    "200/0/title",
    "240/0/title",
    "256/0/title",
    "1024/0/title",
    "200/40/none",
    "256/0/none",
    "256/0/none+bm25title",
    "200/40/derived",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", default=",".join(DEFAULT))
    ap.add_argument("--model", default="fp32-fused")
    args = ap.parse_args()
    from common import fp32_path

    path = fp32_path() if args.model == "fp32" else WORK / "variants" / f"{args.model}.onnx"
    enc = Encoder(session(path), "token", 16)
    tok = raw_tokenizer()
    base = scifact_papers()
    out_path = RESULTS / f"exp4_chunking_{args.model}.json"
    done = json.loads(out_path.read_text()) if out_path.exists() else {}
    cache = VectorCache(args.model)
    for v in args.variants.split(","):
        size, overlap, mode = v.split("/")
        papers = base
        if mode.startswith("derived"):
            from rag.parse.titles import derive_title

            papers = [replace(p, title=derive_title(p.text)) for p in base]
        title = mode != "none" and not mode.startswith("none")
        texts, owner = chunk_texts(papers, int(size), int(overlap), title)
        tokens = sum(len(e.ids) for e in tok.encode_batch(texts))
        t0, l0 = time.perf_counter(), load()
        vecs = cache.embed(enc.encode, texts, owner, log=lambda m: print(m, flush=True))
        embed_s = time.perf_counter() - t0
        bm25_title = mode != "none"  # 'none' drops the title from BM25 too
        kw = keyword_index(papers, title=bm25_title)
        q = ndcg_halves(papers, vecs, owner, enc.encode, kw=kw)
        done[v] = {
            "chunk_size": int(size),
            "overlap": int(overlap),
            "embedded_title": title,
            "bm25_title": bm25_title,
            "titles": "derived" if mode.startswith("derived") else "scifact",
            "chunks": len(texts),
            "tokens_embedded": tokens,
            "new_texts_embed_s": round(embed_s, 1),
            "load_avg": [l0, load()],
            "ndcg@10": q,
        }
        print(v, done[v], flush=True)
        save_json(out_path.name, done)


if __name__ == "__main__":
    main()
