"""Shared pieces of the encoder-speed experiments (issue 18): SciFact, the query halves, chunk
texts exactly as `rag ingest` builds them, ONNX sessions with chosen options, and a retrieval
replica (exact dense + BM25, RRF, as `rag.retrieve`) so that nDCG@10 of a vector variant can be
scored without a Chroma store per variant.

Nothing here changes rag/: variants are built beside it and compared with what it does today.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from bench.data import scifact_dir  # noqa: E402

SCIFACT = scifact_dir()
WORK = Path(os.environ.get("SPEEDEXP_WORK", "/tmp/speedexp"))
RESULTS = HERE / "results"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def load() -> float:
    return round(os.getloadavg()[0], 2)


def cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def save_json(name: str, data) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(data, indent=2))
    return path


# --- data ----------------------------------------------------------------------------------------
def scifact_papers(limit: int | None = None):
    """SciFact parsed by `rag.parse` (ids, titles and cleaned text exactly as ingest sees them)."""
    from rag.parse import parse_paths

    papers = parse_paths([SCIFACT / "corpus.jsonl"]).papers
    return papers[:limit] if limit else papers


def query_halves() -> tuple[list[dict], list[dict], dict]:
    """The judged test queries split by sorted query id, alternating: (dev, test, qrels)."""
    from rag.eval.beir import load_beir_queries, load_qrels

    qrels = load_qrels(SCIFACT / "qrels" / "test.tsv")
    queries = load_beir_queries(SCIFACT / "queries.jsonl")
    judged = sorted((qid for qid in queries if qid in qrels), key=lambda q: (int(q), q))
    rows = [{"_id": qid, "text": queries[qid].replace("\n", " ").strip()} for qid in judged]
    return rows[0::2], rows[1::2], qrels


def settings(**kw):
    from rag.config import get_settings

    return get_settings(store=str(WORK / "unused-store"), **kw)


def chunk_texts(
    papers, chunk_size: int = 200, overlap: int = 40, title: bool = True
) -> tuple[list[str], list[int]]:
    """What ingest embeds (title + '. ' + chunk, or the bare chunk), and each text's paper index."""
    from rag.ingest import chunk_paper

    s = settings(chunk_size=chunk_size, chunk_overlap=overlap)
    texts, owner = [], []
    for i, p in enumerate(papers):
        for c in chunk_paper(p, s):
            texts.append(f"{p.title}. {c}" if title else c)
            owner.append(i)
    return texts, owner


# --- models --------------------------------------------------------------------------------------
def model_dir() -> Path:
    from rag.embed.local import local_model_path

    return local_model_path()


def fp32_path() -> Path:
    """Today's exported fp32 graph (exported once into WORK/onnx, as rag does into its cache)."""
    from rag.embed.onnx import ensure_model

    return ensure_model(WORK / "onnx", model_dir(), "fp32")


def int8_path() -> Path:
    from rag.embed.onnx import ensure_model

    return ensure_model(WORK / "onnx", model_dir(), "int8")


def session(path: Path, threads: int | None = None, level: str = "all", spin: bool | None = None):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = {
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "none": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    }[level]
    if threads:
        opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    if spin is not None:
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def raw_tokenizer():
    """The model tokenizer, truncating at 256 like sentence-transformers, no padding."""
    from rag.embed.onnx import load_tokenizer

    tok = load_tokenizer(model_dir())
    tok.no_padding()
    return tok


class Encoder:
    """One ONNX session; encodes texts in token-length order (pre-tokenised, padded per batch).

    ``order``: 'token' (sort by token count, what issue 18 proposes), 'char' (sort by characters,
    what rag.embed does today), 'none' (input order)."""

    def __init__(self, sess, order: str = "token", batch: int = 16) -> None:
        self.sess = sess
        self.order = order
        self.batch = batch
        self.tok = raw_tokenizer()
        self.inputs = {i.name for i in sess.get_inputs()}
        self.tokens = 0  # tokens fed to the model, padding included
        self.real_tokens = 0

    def _run(self, encs) -> np.ndarray:
        n = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), n), dtype=np.int64)
        mask = np.zeros((len(encs), n), dtype=np.int64)
        for r, e in enumerate(encs):
            ids[r, : len(e.ids)] = e.ids
            mask[r, : len(e.ids)] = 1
        self.tokens += ids.size
        self.real_tokens += int(mask.sum())
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (out,) = self.sess.run(None, {k: v for k, v in feeds.items() if k in self.inputs})
        return out

    def encode(self, texts: list[str]) -> np.ndarray:
        encs = self.tok.encode_batch([t.strip() for t in texts])
        if self.order == "token":
            order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids), reverse=True)
        elif self.order == "char":
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        else:
            order = list(range(len(texts)))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for s in range(0, len(order), self.batch):
            idx = order[s : s + self.batch]
            out[idx] = self._run([encs[i] for i in idx])
        return out


def embed_grouped(encode, texts: list[str], owner: list[int], group: int = 256) -> np.ndarray:
    """Encode in groups of ``group`` papers, as ingest calls the embedder per 256-paper batch."""
    out = np.zeros((len(texts), 384), dtype=np.float32)
    start = 0
    while start < len(texts):
        g = owner[start] // group
        end = start
        while end < len(texts) and owner[end] // group == g:
            end += 1
        out[start:end] = encode(texts[start:end])
        start = end
    return out


class VectorCache:
    """Vectors of one model variant by text (sha1), on disk: chunking variants share texts."""

    def __init__(self, variant: str) -> None:
        self.path = WORK / "vectors" / f"{variant}.pkl"
        self.data: dict[str, np.ndarray] = {}
        if self.path.exists():
            self.data = pickle.loads(self.path.read_bytes())

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode()).hexdigest()

    def embed(self, encode, texts: list[str], owner: list[int], log=None) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        todo = sorted({k: i for i, k in enumerate(keys) if k not in self.data}.values())
        if todo:
            t0 = time.perf_counter()
            step = 512
            for s in range(0, len(todo), step):
                part = todo[s : s + step]
                vecs = encode([texts[i] for i in part])
                for i, v in zip(part, vecs, strict=True):
                    self.data[keys[i]] = v
                if log:
                    log(
                        f"  embedded {min(s + step, len(todo))}/{len(todo)} new texts "
                        f"({time.perf_counter() - t0:.0f} s)"
                    )
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_bytes(pickle.dumps(self.data))
            os.replace(tmp, self.path)
        return np.stack([self.data[k] for k in keys])


# --- retrieval replica ---------------------------------------------------------------------------
def keyword_index(papers, title: bool = True):
    """BM25 over whole papers, as `rag.ingest.keyword_tokens` builds it (title optional)."""
    from rag.store.keyword import KeywordIndex
    from rag.text import tokenize

    docs = [
        (p.paper_id, " ".join(tokenize(f"{p.title} {p.text}" if title else p.text))) for p in papers
    ]
    return KeywordIndex.build(docs)


def rank(
    qvec: np.ndarray,
    chunk_vecs: np.ndarray,
    chunk_pids: list[str],
    kw,
    query: str,
    k: int = 10,
    candidates: int = 100,
    rrf_k: int = 60,
    mode: str = "hybrid",
) -> list[str]:
    """`rag.retrieve.Retriever.retrieve` with exact cosine search instead of Chroma's HNSW."""
    dense: dict[str, int] = {}
    if mode in ("hybrid", "dense"):
        sims = chunk_vecs @ qvec
        n = min(len(sims), candidates * 2)
        top = np.argpartition(-sims, n - 1)[:n]
        top = top[np.argsort(-sims[top], kind="stable")]
        r = 0
        for i in top:
            pid = chunk_pids[i]
            if pid not in dense:
                r += 1
                dense[pid] = r
    keyword: dict[str, int] = {}
    if mode in ("hybrid", "keyword"):
        for r, (pid, _) in enumerate(kw.search(query, candidates), start=1):
            keyword[pid] = r
    fused: dict[str, float] = {}
    for pid, r in dense.items():
        fused[pid] = fused.get(pid, 0.0) + 1.0 / (rrf_k + r)
    for pid, r in keyword.items():
        fused[pid] = fused.get(pid, 0.0) + 1.0 / (rrf_k + r)
    return [pid for pid, _ in sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]


def ndcg_halves(
    papers,
    chunk_vecs: np.ndarray,
    owner: list[int],
    query_encode,
    kw=None,
    modes=("hybrid", "dense"),
) -> dict:
    """nDCG@10 on the dev half, the test half and all 300 queries, per retrieval mode."""
    from rag.eval.metrics import mean, ndcg_at_k

    dev, test, qrels = query_halves()
    kw = kw or keyword_index(papers)
    pids = [papers[i].paper_id for i in owner]
    allq = dev + test
    qv = query_encode([q["text"] for q in allq])
    out = {}
    for mode in modes:
        per = {}
        for q, v in zip(allq, qv, strict=True):
            per[q["_id"]] = ndcg_at_k(
                rank(v, chunk_vecs, pids, kw, q["text"], mode=mode), qrels[q["_id"]], 10
            )
        out[mode] = {
            "dev": round(mean([per[q["_id"]] for q in dev]), 4),
            "test": round(mean([per[q["_id"]] for q in test]), 4),
            "all": round(mean(list(per.values())), 4),
        }
    return out


def cosine_stats(a: np.ndarray, b: np.ndarray) -> dict:
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return {
        "cos_min": round(float(cos.min()), 6),
        "cos_mean": round(float(cos.mean()), 6),
        "cos_p01": round(float(np.percentile(cos, 1)), 6),
        "max_abs_diff": float(np.abs(a - b).max()),
    }


def abba(variants: dict, slices: list, run, log=print) -> dict:
    """Run every variant on every slice, the order rotated/reversed per slice (ABCD, DCBA, ...),
    so that other load on the shared machine falls on all variants alike. ``run(variant, slice)``
    does the work; wall and CPU seconds are summed per variant."""
    names = list(variants)
    wall = dict.fromkeys(names, 0.0)
    cpu = dict.fromkeys(names, 0.0)
    loads = []
    for k, sl in enumerate(slices):
        order = names if k % 2 == 0 else names[::-1]
        if k % 4 >= 2:  # also rotate, so no variant always runs right after the same one
            order = order[len(order) // 2 :] + order[: len(order) // 2]
        for name in order:
            loads.append(load())
            w0, c0 = time.perf_counter(), cpu_s()
            run(name, sl)
            wall[name] += time.perf_counter() - w0
            cpu[name] += cpu_s() - c0
        log(
            f"  slice {k + 1}/{len(slices)} done: "
            + ", ".join(f"{n} {wall[n]:.1f}s" for n in names)
        )
    return {"wall_s": wall, "cpu_s": cpu, "load_avg": loads}
