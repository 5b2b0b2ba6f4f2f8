"""Late chunking (issue 18, round 4): one encoder pass over a paper's whole title + abstract, then
each chunk's vector is the mean of the token states inside the chunk's span (contextual chunk
vectors; every token encoded once, no overlap recomputed, the title once).

The chunks are today's (200/40, `rag.ingest.chunk_paper`): only how their vectors are made
changes. A graph that returns the token states (not the pooled sentence vector) is exported
beside today's; its mean over all tokens is today's sentence vector, so queries use it too.

Pooling variants (one encoder pass serves all of them):
  chunk        the chunk's own tokens
  chunk+title  the chunk's tokens and the title's (every chunk carries the title, as today)
Window: the most tokens one pass sees (+[CLS]/[SEP]); longer papers are cut into equal windows.

    python exp9_late.py --model fp32 --window 510 [--limit N]
    python exp9_late.py --speed   # ABBA throughput against today's embedder
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
from common import (
    WORK,
    cpu_s,
    load,
    model_dir,
    ndcg_halves,
    save_json,
    scifact_papers,
    settings,
)

LATE = WORK / "late"


def export_tokens(dest) -> None:
    """The packaged model traced to ONNX with the token states as output."""
    import warnings

    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(
        str(model_dir()), local_files_only=True, attn_implementation="eager"
    ).eval()

    class Tokens(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )[0]

    ids = torch.ones((2, 16), dtype=torch.long)
    axes = {0: "batch", 1: "seq"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Tokens(bert).eval(),
            (ids, ids, torch.zeros_like(ids)),
            str(dest),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["token_embeddings"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "token_embeddings": {0: "batch", 1: "seq"},
            },
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )


def token_model(variant: str):
    LATE.mkdir(parents=True, exist_ok=True)
    fp32 = LATE / "tokens-fp32.onnx"
    if not fp32.exists():
        export_tokens(fp32)
    if variant == "fp32":
        return fp32
    dest = LATE / "tokens-int8.onnx"
    if not dest.exists():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(
            str(fp32),
            str(dest),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
    return dest


class LateEncoder:
    """Token states of whole papers, windows sorted by length, batches capped in tokens."""

    def __init__(self, path, window: int, threads: int | None = None, max_tokens: int = 4096):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        self.tok.no_truncation()
        self.tok.no_padding()
        self.cls = self.tok.token_to_id("[CLS]")
        self.sep = self.tok.token_to_id("[SEP]")
        self.window = window
        self.max_tokens = max_tokens
        self.fed = 0

    def _batches(self, rows: list[list[int]]):
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]), reverse=True)
        start = 0
        while start < len(order):
            width = len(rows[order[start]])
            n = max(1, min(16, self.max_tokens // width))
            yield order[start : start + n]
            start += n

    def run(self, rows: list[list[int]]) -> list[np.ndarray]:
        """Token states of each row of ids (specials included)."""
        out: list = [None] * len(rows)
        for idx in self._batches(rows):
            width = len(rows[idx[0]])
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for r, i in enumerate(idx):
                ids[r, : len(rows[i])] = rows[i]
                mask[r, : len(rows[i])] = 1
            self.fed += ids.size
            (states,) = self.sess.run(
                None,
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )
            for r, i in enumerate(idx):
                out[i] = states[r, : len(rows[i])]
        return out

    def queries(self, texts: list[str]) -> np.ndarray:
        rows = [
            [self.cls, *self.tok.encode(t, add_special_tokens=False).ids[:254], self.sep]
            for t in texts
        ]
        vecs = np.stack([s.mean(axis=0) for s in self.run(rows)])
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)

    def papers(self, docs: list[tuple[str, int, list[tuple[int, int]]]]) -> list[dict]:
        """``docs``: (full text, title length in characters, chunk spans in characters). Per doc,
        each pooling's chunk vectors."""
        rows, where, encs = [], [], []
        for d, (text, _, _) in enumerate(docs):
            enc = self.tok.encode(text, add_special_tokens=False)
            encs.append(enc)
            n = len(enc.ids)
            k = max(1, math.ceil(n / self.window))
            size = math.ceil(n / k)
            for w in range(k):
                rows.append([self.cls, *enc.ids[w * size : (w + 1) * size], self.sep])
                where.append((d, w * size))
        states = self.run(rows)
        per_doc = [np.zeros((len(e.ids), 384), dtype=np.float32) for e in encs]
        for (d, off), s in zip(where, states, strict=True):
            inner = s[1:-1]
            per_doc[d][off : off + len(inner)] = inner
        out = []
        for (_text, tlen, spans), enc, st in zip(docs, encs, per_doc, strict=True):
            starts = np.array([o[0] for o in enc.offsets])
            ends = np.array([o[1] for o in enc.offsets])
            title = ends <= tlen
            res = {"chunk": [], "chunk+title": []}
            for a, b in spans:
                sel = (starts < b) & (ends > a)
                if not sel.any():
                    sel = np.ones_like(sel)
                v = st[sel].mean(axis=0)
                res["chunk"].append(v / np.linalg.norm(v))
                both = sel | title
                v = st[both].mean(axis=0)
                res["chunk+title"].append(v / np.linalg.norm(v))
            out.append(res)
        return out


def paper_docs(papers, s):
    """(full text, title chars, chunk spans) per paper, and counts of chunks found / missing."""
    from rag.ingest import chunk_paper
    from rag.ingest.chunks import indexed_title

    docs, owner, missing = [], [], 0
    for i, p in enumerate(papers):
        title = indexed_title(p)
        prefix = f"{title}. " if title else ""
        text = prefix + p.text
        spans, pos = [], len(prefix)
        for c in chunk_paper(p, s):
            at = text.find(c, pos)
            if at < 0:
                at = text.find(c, len(prefix))
            if at < 0:
                missing += 1
                at, end = pos, min(len(text), pos + len(c))
            else:
                end = at + len(c)
            spans.append((at, end))
            pos = at + 1
            owner.append(i)
        docs.append((text, len(title), spans))
    return docs, owner, missing


def quality(args) -> None:
    papers = scifact_papers(args.limit)
    s = settings(chunk_size=200, chunk_overlap=40)
    docs, owner, missing = paper_docs(papers, s)
    enc = LateEncoder(token_model(args.model), args.window)
    l0, t0, c0 = load(), time.perf_counter(), cpu_s()
    vecs = {"chunk": [], "chunk+title": []}
    for g in range(0, len(docs), 256):
        for res in enc.papers(docs[g : g + 256]):
            for k in vecs:
                vecs[k].extend(res[k])
        print(
            f"  {min(g + 256, len(docs))}/{len(docs)} ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
    secs, cpu = time.perf_counter() - t0, cpu_s() - c0
    out = {
        "model": args.model,
        "window": args.window,
        "papers": len(papers),
        "chunks": len(owner),
        "spans_missing": missing,
        "tokens_fed": enc.fed,
        "embed_s": round(secs, 1),
        "cpu_s": round(cpu, 1),
        "load_avg": [l0, load()],
        "ndcg@10": {},
    }
    for k, v in vecs.items():
        out["ndcg@10"][k] = ndcg_halves(papers, np.stack(v), owner, enc.queries)
        print(k, out["ndcg@10"][k], flush=True)
    print(out, flush=True)
    if not args.limit:
        save_json(f"exp9_late_{args.model}_{args.window}.json", out)


def speed(args) -> None:
    """Today's embedder (chunk texts) against late chunking, fp32 and int8, ABBA on slices."""
    from common import abba

    from rag.embed.local import OnnxEmbedder
    from rag.ingest.chunks import embed_texts

    papers = scifact_papers(args.limit or 512)
    s = settings(chunk_size=200, chunk_overlap=40)
    from rag.ingest import chunk_paper

    today = {v: OnnxEmbedder(v, WORK / "onnx") for v in ("fp32", "int8")}
    for e in today.values():
        e.load()
    late = {v: LateEncoder(token_model(v), args.window) for v in ("fp32", "int8")}
    slices = [papers[i : i + 128] for i in range(0, len(papers), 128)]

    def run(name, sl):
        if name.startswith("today"):
            texts = [t for p in sl for t in embed_texts(p, chunk_paper(p, s), s)]
            today[name.split("-")[1]].embed(texts, batch_size=16)
        else:
            docs, _, _ = paper_docs(sl, s)
            late[name.split("-")[1]].papers(docs)

    names = {n: None for n in ("today-fp32", "late-fp32", "today-int8", "late-int8")}
    res = abba(names, slices, run)
    base = res["cpu_s"]["today-fp32"]
    res["cpu_ratio"] = {n: round(base / c, 3) for n, c in res["cpu_s"].items()}
    wb = res["wall_s"]["today-fp32"]
    res["wall_ratio"] = {n: round(wb / w, 3) for n, w in res["wall_s"].items()}
    res["papers"] = len(papers)
    res["window"] = args.window
    print(res, flush=True)
    save_json(f"exp9_late_speed_{args.window}.json", res)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="fp32", choices=["fp32", "int8"])
    ap.add_argument("--window", type=int, default=510)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--speed", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    speed(args) if args.speed else quality(args)


if __name__ == "__main__":
    main()
