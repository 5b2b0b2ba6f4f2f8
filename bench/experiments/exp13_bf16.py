"""bfloat16 chunk vectors on CPUs with AMX / AVX-512 BF16 (issue 18, round 5).

The machines this runs on have AMX (`amx_bf16` in /proc/cpuinfo): oneDNN runs bf16 matrix
products there several times faster than fp32. ONNX Runtime's CPU provider has no bf16 kernels
on x86, so the variant is sentence-transformers on PyTorch with the weights cast to bfloat16
(and, beside it, fp32 weights under `torch.autocast`). Chunks as `rag ingest` builds them
(200/40, title in each); queries fp32 (ONNX, as `rag ask` embeds them) or bf16; cosine to the
fp32 vectors and nDCG@10 on the two query halves (replica: exact dense + BM25, RRF).

    python exp13_bf16.py
"""

from __future__ import annotations

import time

from common import (
    WORK,
    VectorCache,
    chunk_texts,
    cosine_stats,
    cpu_s,
    load,
    ndcg_halves,
    save_json,
    scifact_papers,
)


def main() -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    from rag.embed.local import OnnxEmbedder, local_model_path

    papers = scifact_papers()
    texts, owner = chunk_texts(papers)
    fp32 = OnnxEmbedder("fp32", WORK / "onnx")

    st = SentenceTransformer(str(local_model_path()), device="cpu", local_files_only=True)

    def st_encode(x):
        return st.encode(
            x,
            batch_size=16,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def autocast(x):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return st_encode(x)

    st_b = SentenceTransformer(str(local_model_path()), device="cpu", local_files_only=True)
    st_b = st_b.to(torch.bfloat16)

    def weights(x):
        v = st_b.encode(
            x,
            batch_size=16,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return v.astype("float32")

    l0 = load()
    vecs, secs = {}, {}
    for name, enc in (
        ("fp32", lambda x: fp32.embed(x, batch_size=16)),
        ("bf16-weights", weights),
        ("bf16-autocast", autocast),
    ):
        t0, c0 = time.perf_counter(), cpu_s()
        vecs[name] = VectorCache(name).embed(enc, texts, owner, log=print)
        secs[name] = (round(time.perf_counter() - t0, 1), round(cpu_s() - c0, 1))
        print(name, secs[name], flush=True)
    out = {
        "papers": len(papers),
        "chunks": len(texts),
        "embed_wall_cpu_s": secs,
        "note": "embed times count only texts not already in the vector cache",
        "cosine_to_fp32": {
            k: cosine_stats(v, vecs["fp32"]) for k, v in vecs.items() if k != "fp32"
        },
        "ndcg@10": {},
    }
    qenc = {"fp32": lambda q: fp32.embed(q, batch_size=16), "bf16-weights": weights}
    for docs, queries in (
        ("fp32", "fp32"),
        ("bf16-weights", "fp32"),
        ("bf16-weights", "bf16-weights"),
        ("bf16-autocast", "fp32"),
    ):
        key = f"chunks {docs} / queries {queries}"
        out["ndcg@10"][key] = ndcg_halves(papers, vecs[docs], owner, qenc[queries])
        print(key, out["ndcg@10"][key], flush=True)
    out["load_avg"] = [l0, load()]
    save_json("exp13_bf16.json", out)


if __name__ == "__main__":
    main()
