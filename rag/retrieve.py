"""Retrieve: dense (Chroma) and BM25 rankings fused by reciprocal rank, grouped by paper."""

from __future__ import annotations

import time

from .config import Settings
from .filters import Filters
from .records import Hit, Retrieval
from .store import Store

MODES = ("hybrid", "dense", "keyword")
RANKING_DEPTH = 10  # how deep a Retrieval keeps the fused ranking (eval scores nDCG@10)


class Retriever:
    def __init__(self, store: Store, embedder, settings: Settings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings

    def retrieve(
        self, query: str, k: int, mode: str = "hybrid", filters: Filters | None = None
    ) -> Retrieval:
        """The top ``k`` papers for ``query``; ``filters`` restrict both rankings to the
        papers that match them (inside the search, so k matching papers come back)."""
        s = self.settings
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        only = self.store.matching_ids(filters) if filters else None
        if only is not None:
            timings["filter"] = (time.perf_counter() - t0) * 1000
        n_cand = max(s.candidates, k)
        dense: dict[str, tuple[int, float, list[str]]] = {}
        qvec = None
        best_dense = 0.0
        if mode in ("hybrid", "dense"):
            self.store.start_opening()  # a first query: Chroma starts while the query embeds
            qvec = self.embedder.embed_query(query)
            timings["embed"] = (time.perf_counter() - t0) * 1000
            t1 = time.perf_counter()
            rank = 0
            for pid, sim, doc, _chunk in self.store.query_dense(qvec.tolist(), n_cand * 2, only):
                if pid not in dense:
                    rank += 1
                    dense[pid] = (rank, sim, [doc])
                elif len(dense[pid][2]) < 2:
                    dense[pid][2].append(doc)
                best_dense = max(best_dense, sim)
            timings["dense"] = (time.perf_counter() - t1) * 1000
        keyword: dict[str, tuple[int, float]] = {}
        if mode in ("hybrid", "keyword"):
            t1 = time.perf_counter()
            for r, (pid, sc) in enumerate(
                self.store.keyword().search(query, n_cand, only), start=1
            ):
                keyword[pid] = (r, sc)
            timings["keyword"] = (time.perf_counter() - t1) * 1000

        t1 = time.perf_counter()
        kk = s.rrf_k
        wd = s.dense_weight if mode != "keyword" else 0.0
        wk = s.keyword_weight if mode != "dense" else 0.0
        best_possible = (wd + wk) / (kk + 1) or 1.0
        fused: dict[str, float] = {}
        for pid, (r, _, _) in dense.items():
            fused[pid] = fused.get(pid, 0.0) + wd / (kk + r)
        for pid, (r, _) in keyword.items():
            fused[pid] = fused.get(pid, 0.0) + wk / (kk + r)
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))
        top = ranked[:k]
        papers = self.store.papers_by_id([pid for pid, _ in top])
        hits: list[Hit] = []
        for pid, sc in top:
            paper = papers.get(pid)
            if paper is None:  # catalogue and Chroma disagree (a write in progress): skip
                continue
            d = dense.get(pid)
            kw = keyword.get(pid)
            hits.append(
                Hit(
                    paper=paper,
                    score=sc / best_possible,
                    dense=d[1] if d else None,
                    keyword=kw[1] if kw else None,
                    dense_rank=d[0] if d else None,
                    keyword_rank=kw[0] if kw else None,
                    passages=d[2] if d else [],
                )
            )
        timings["fuse"] = (time.perf_counter() - t1) * 1000
        timings["retrieve"] = (time.perf_counter() - t0) * 1000
        ranking = [pid for pid, _ in ranked[: max(k, RANKING_DEPTH)]]
        return Retrieval(query, hits, best_dense, qvec, timings, ranking)
