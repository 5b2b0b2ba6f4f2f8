"""Ranking and summary metrics, computed the standard (trec_eval / BEIR) way.

Relevance judgements (``qrels``) map a document id to a grade; a grade above 0 is relevant.
nDCG uses the grade itself as the gain (linear gain, as pytrec_eval and so BEIR do), and the
ideal ranking is every judged-relevant document sorted by grade, cut at ``k``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain: sum of gain_i / log2(i + 1), ranks counted from 1."""
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranked: Sequence[str], qrels: Mapping[str, float], k: int = 10) -> float:
    """nDCG@k with graded gains (BEIR's pytrec_eval uses the relevance grade as the gain)."""
    rel = {d: g for d, g in qrels.items() if g > 0}
    if not rel:
        return 0.0
    gains = [rel.get(d, 0.0) for d in _dedup(ranked)[:k]]
    ideal = sorted(rel.values(), reverse=True)[:k]
    return dcg(gains) / dcg(ideal)


def recall_at_k(ranked: Sequence[str], qrels: Mapping[str, float], k: int) -> float:
    """Share of the relevant documents found in the first ``k``."""
    rel = {d for d, g in qrels.items() if g > 0}
    if not rel:
        return 0.0
    return len(rel & set(ranked[:k])) / len(rel)


def mrr_at_k(ranked: Sequence[str], qrels: Mapping[str, float], k: int = 10) -> float:
    """Reciprocal rank of the first relevant document within the first ``k`` (0 if none)."""
    rel = {d for d, g in qrels.items() if g > 0}
    for i, d in enumerate(ranked[:k], start=1):
        if d in rel:
            return 1.0 / i
    return 0.0


def hit_at_k(ranked: Sequence[str], qrels: Mapping[str, float], k: int) -> float:
    """1 if any relevant document is in the first ``k``, else 0."""
    rel = {d for d, g in qrels.items() if g > 0}
    return 1.0 if rel & set(ranked[:k]) else 0.0


def precision_recall(
    predicted: Sequence[str], gold: Sequence[str]
) -> tuple[float | None, float | None]:
    """Set precision and recall of ``predicted`` against ``gold`` (None where undefined)."""
    p, g = set(predicted), set(gold)
    precision = len(p & g) / len(p) if p else None
    recall = len(p & g) / len(g) if g else None
    return precision, recall


def mean(xs: Sequence[float]) -> float:
    """Arithmetic mean; 0.0 for an empty sequence."""
    return sum(xs) / len(xs) if xs else 0.0


def percentile(xs: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation between ranks (numpy's default)."""
    if not xs:
        return 0.0
    s = sorted(xs)
    pos = (len(s) - 1) * p / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _dedup(ranked: Sequence[str]) -> list[str]:
    """A ranking with repeated ids counted once, at their first rank (a BEIR run cannot repeat one)."""
    seen: set[str] = set()
    out = []
    for d in ranked:
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out
