"""Experiment 1: length-sorted batches for fp32 ONNX. Throughput (ABBA over slices of 256
papers, the unit `rag ingest` hands the embedder), padded tokens fed, and whether the vectors
stay the same.

Variants:
  today     rag.embed.OnnxEmbedder as ingest calls it: sorted by characters, batch 64 -> 16
  none16    input order, batches of 16 (no sorting at all)
  token16   tokenised once, sorted by token count, batches of 16, padded per batch
  token32   the same, batches of 32
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from common import (
    WORK,
    Encoder,
    abba,
    chunk_texts,
    cosine_stats,
    fp32_path,
    raw_tokenizer,
    save_json,
    scifact_papers,
    session,
)

# papers per ABBA slice (ingest hands the embedder 256; smaller slices interleave finer)
SLICE = int(os.environ.get("SPEEDEXP_SLICE", "128"))


def padded_tokens(lengths: list[int], order: list[int], batch: int) -> int:
    return sum(
        max(lengths[i] for i in order[s : s + batch]) * len(order[s : s + batch])
        for s in range(0, len(order), batch)
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--papers", type=int, default=2048)
    args = ap.parse_args()
    from rag.embed.local import OnnxEmbedder

    papers = scifact_papers(args.papers)
    texts, owner = chunk_texts(papers)
    slices = []
    for g in range(0, len(papers), SLICE):
        slices.append([t for t, o in zip(texts, owner, strict=True) if g <= o < g + SLICE])
    today = OnnxEmbedder("fp32", WORK / "onnx")
    today.load()
    sess = session(fp32_path())
    encs = {
        "none16": Encoder(sess, "none", 16),
        "token16": Encoder(sess, "token", 16),
        "token32": Encoder(sess, "token", 32),
    }
    fns = {"today": lambda ts: today.embed(ts, batch_size=64)}
    fns.update({k: e.encode for k, e in encs.items()})
    fns["today"](slices[0][:16])  # warm
    vecs: dict[str, list[np.ndarray]] = {k: [None] * len(slices) for k in fns}

    def run(name, k):
        vecs[name][k] = fns[name](slices[k])

    timing = abba(fns, list(range(len(slices))), run)
    ref = np.concatenate(vecs["today"])
    tok = raw_tokenizer()
    lengths_by_slice = [[len(e.ids) for e in tok.encode_batch(s)] for s in slices]
    pad = dict.fromkeys(fns, 0)
    real = sum(sum(x) for x in lengths_by_slice)
    for sl, lens in zip(slices, lengths_by_slice, strict=True):
        n = range(len(sl))
        by_char = sorted(n, key=lambda i: len(sl[i]), reverse=True)
        # today: groups of 64 by characters, each cut into 16s
        pad["today"] += padded_tokens(lens, by_char, 16)
        pad["none16"] += padded_tokens(lens, list(n), 16)
        by_tok = sorted(n, key=lambda i: lens[i], reverse=True)
        pad["token16"] += padded_tokens(lens, by_tok, 16)
        pad["token32"] += padded_tokens(lens, by_tok, 32)
    out = {
        "papers": len(papers),
        "texts": len(texts),
        "real_tokens": real,
        "variants": {},
        "load_avg": timing["load_avg"],
    }
    for name in fns:
        v = np.concatenate(vecs[name])
        out["variants"][name] = {
            "wall_s": round(timing["wall_s"][name], 2),
            "cpu_s": round(timing["cpu_s"][name], 2),
            "papers_per_s": round(len(papers) / timing["wall_s"][name], 2),
            "speed_vs_today_wall": round(timing["wall_s"]["today"] / timing["wall_s"][name], 3),
            "speed_vs_today_cpu": round(timing["cpu_s"]["today"] / timing["cpu_s"][name], 3),
            "padded_tokens": pad[name],
            "padding_share": round(1 - real / pad[name], 4),
            **cosine_stats(v, ref),
        }
    for name, r in out["variants"].items():
        print(name, r, flush=True)
    save_json("exp1_sorting.json", out)


if __name__ == "__main__":
    main()
