"""BM25 keyword index over whole papers (title + abstract), as a sparse matrix.

Weights are precomputed per (paper, term), so a query is a sum of a few sparse columns:
milliseconds at 100k+ papers. The matrix is kept as its compressed-column arrays (data,
indices, indptr): scipy builds it at ingest, but a query process reads and sums the columns
with numpy alone (no scipy import on the way to a first answer).
"""

from __future__ import annotations

import json
import os
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np

from ..text import tokenize

K1 = 0.9
B = 0.4


class KeywordIndex:
    def __init__(
        self,
        ids: list[str],
        vocab: dict[str, int],
        columns: tuple[np.ndarray, np.ndarray, np.ndarray],
        idf: np.ndarray,
        generation: int,
    ):
        self.ids = ids
        self.vocab = vocab
        # papers x terms BM25 weights, compressed by column: (data, row indices, column starts)
        self.data, self.indices, self.indptr = columns
        self.idf = idf
        self.generation = generation

    @classmethod
    def build(cls, docs: list[tuple[str, str]], generation: int = 0) -> KeywordIndex:
        """docs: (paper_id, space-joined tokens) pairs."""
        from scipy import sparse

        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        lengths = np.zeros(len(docs), dtype=np.float32)
        for r, (_, toks) in enumerate(docs):
            counts = Counter(toks.split())
            lengths[r] = sum(counts.values())
            for t, c in counts.items():
                j = vocab.setdefault(t, len(vocab))
                rows.append(r)
                cols.append(j)
                vals.append(c)
        n = len(docs)
        tf = sparse.csr_matrix(
            (np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(n, max(len(vocab), 1))
        )
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=max(len(vocab), 1))
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        avgdl = float(lengths.mean()) if n else 1.0
        tf = tf.tocoo()
        denom = tf.data + K1 * (1 - B + B * lengths[tf.row] / max(avgdl, 1e-9))
        w = idf[tf.col] * tf.data * (K1 + 1) / denom
        m = sparse.csc_matrix((w.astype(np.float32), (tf.row, tf.col)), shape=tf.shape)
        m.sort_indices()
        return cls([d[0] for d in docs], vocab, (m.data, m.indices, m.indptr), idf, generation)

    def save(self, directory: Path) -> None:
        """One file, replaced atomically: a reader sees the old index or the new, never a mix."""
        directory.mkdir(parents=True, exist_ok=True)
        meta = json.dumps({"generation": self.generation, "ids": self.ids, "vocab": self.vocab})
        tmp = directory / f"keyword.{os.getpid()}.tmp.npz"
        with open(tmp, "wb") as f:
            np.savez(
                f,
                data=self.data,
                indices=self.indices,
                indptr=self.indptr,
                shape=np.asarray([len(self.ids), len(self.indptr) - 1], dtype=np.int64),
                idf=self.idf,
                meta=np.frombuffer(meta.encode(), dtype=np.uint8),
            )
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, directory / "keyword.npz")

    @classmethod
    def load(cls, directory: Path) -> KeywordIndex | None:
        """The saved index, or None when it is missing or damaged (callers rebuild it)."""
        try:
            with np.load(directory / "keyword.npz") as z:
                rows, cols = (int(x) for x in z["shape"])
                data, indices, indptr = z["data"], z["indices"], z["indptr"]
                idf = z["idf"]
                meta = json.loads(z["meta"].tobytes().decode())
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None
        ok = (
            rows == len(meta["ids"])
            and cols == max(len(meta["vocab"]), 1)
            and len(indptr) == cols + 1
            and len(data) == len(indices) == int(indptr[-1])
            and (len(indices) == 0 or 0 <= int(indices.min()) <= int(indices.max()) < rows)
        )
        if not ok:
            return None
        columns = (data, indices, indptr)
        return cls(meta["ids"], meta["vocab"], columns, idf, int(meta["generation"]))

    def term_weights(self, query: str) -> dict[int, float]:
        counts = Counter(tokenize(query))
        return {self.vocab[t]: 1.0 + 0.2 * (c - 1) for t, c in counts.items() if t in self.vocab}

    def search(self, query: str, n: int, only: set[str] | None = None) -> list[tuple[str, float]]:
        """Top-n (paper_id, BM25 score), best first; papers sharing no term are left out, and
        with ``only`` (a filter) every paper not in it."""
        terms = self.term_weights(query)
        if not terms or not self.ids:
            return []
        scores = np.zeros(len(self.ids), dtype=np.float32)
        for col, weight in terms.items():  # a paper appears at most once in a column
            lo, hi = self.indptr[col], self.indptr[col + 1]
            scores[self.indices[lo:hi]] += self.data[lo:hi] * np.float32(weight)
        if only is not None:
            mask = np.fromiter((i in only for i in self.ids), dtype=bool, count=len(self.ids))
            scores = np.where(mask, scores, 0.0)
        nz = np.flatnonzero(scores)
        if nz.size == 0:
            return []
        if nz.size > n:
            part = nz[np.argpartition(-scores[nz], n - 1)[:n]]
        else:
            part = nz
        part = part[np.argsort(-scores[part], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in part]

    def idf_of(self, token: str) -> float:
        j = self.vocab.get(token)
        return float(self.idf[j]) if j is not None else float(self.idf.max(initial=1.0))
