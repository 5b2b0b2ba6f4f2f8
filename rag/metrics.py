"""Retrieval metrics computed the standard (trec_eval / BEIR) way."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def dcg(gains: Sequence[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranked: Sequence[str], qrels: Mapping[str, float], k: int = 10) -> float:
    """nDCG@k with graded gains (BEIR's pytrec_eval uses the relevance grade as the gain)."""
    rel = {d: g for d, g in qrels.items() if g > 0}
    if not rel:
        return 0.0
    gains = [rel.get(d, 0.0) for d in ranked[:k]]
    ideal = sorted(rel.values(), reverse=True)[:k]
    return dcg(gains) / dcg(ideal)


def recall_at_k(ranked: Sequence[str], qrels: Mapping[str, float], k: int) -> float:
    rel = {d for d, g in qrels.items() if g > 0}
    if not rel:
        return 0.0
    return len(rel & set(ranked[:k])) / len(rel)


def mrr_at_k(ranked: Sequence[str], qrels: Mapping[str, float], k: int = 10) -> float:
    rel = {d for d, g in qrels.items() if g > 0}
    for i, d in enumerate(ranked[:k], start=1):
        if d in rel:
            return 1.0 / i
    return 0.0


def hit_at_k(ranked: Sequence[str], qrels: Mapping[str, float], k: int) -> float:
    rel = {d for d, g in qrels.items() if g > 0}
    return 1.0 if rel & set(ranked[:k]) else 0.0


def mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0
