"""List questions ("Which papers ...?"): retrieve deep, keep the papers the calibrated on-topic
test of the summaries accepts, and for "which of them ..." follow-ups, the papers of the earlier
question that also do what is asked."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..records import Retrieval
from ..text import tokenize
from .question import QuestionAnalysis

LIST_POOL = 30  # papers retrieved for a list question before the on-topic cut
LIST_MAX = 15  # at most this many papers listed (the most probable first)


@dataclass
class ListScope:
    """The papers a list question's answer lists, as source numbers into the retrieval."""

    topic: str
    kept: list[int] = field(default_factory=list)  # 1-based, in retrieval order
    probs: dict[str, float] = field(default_factory=dict)
    restrict: bool = False
    scope_topic: str = ""  # "which of them": the earlier question's topic
    scope_count: int = 0  # papers on the earlier question's topic
    # the abstention gate looks at these: the question's own top k
    gates: list[Retrieval] = field(default_factory=list)
    covered: bool = False  # an on-topic paper holds every word of the topic (``answerable``)

    @property
    def answerable(self) -> bool:
        """Answer without the abstention gate: "which of them" has its earlier papers, or an
        on-topic paper holds every content word of the topic. The gate looks at the question's
        wording, and "Which papers involve X?" embeds far from every passage even when a paper
        is about X."""
        return (self.restrict and self.scope_count > 0) or self.covered


_EXAMPLES = re.compile(
    r"^(?P<head>.*?\w),?\s+(?:such\s+as|e\.\s*g\.,?|for\s+example|for\s+instance|including|"
    r"like)\s+(?P<items>.+)$",
    re.IGNORECASE,
)
_ITEM_SPLIT = re.compile(r"\s*(?:,|;|\bor\b|\band\b)\s*", re.IGNORECASE)


def example_parts(topic: str) -> list[str]:
    """The topic, and for "X, such as A, B or C" also X, A, B and C: a paper on one of the
    named examples is on the topic (other "or"s stay one request: "sparsity in updates or
    features" is not a paper on features)."""
    m = _EXAMPLES.match(topic.strip())
    if not m:
        return [topic]
    items = [i for i in _ITEM_SPLIT.split(m.group("items")) if tokenize(i)]
    if not items:
        return [topic]
    return [topic, m.group("head").strip(" ,")] + items


def _on_topic(summarizer, topic: str, hits, threshold: float) -> dict[str, float]:
    """The papers among ``hits`` that the calibrated test puts on ``topic`` (the whole of it:
    a list question's "X or Y" is one request, not a paper on either part)."""
    return _scored(summarizer, topic, hits, threshold)[0]


def _scored(summarizer, topic: str, hits, threshold: float) -> tuple[dict[str, float], bool]:
    """The on-topic papers (as ``_on_topic``) and whether one of them holds every content word
    of the topic (or of one of its named examples)."""
    if not hits:
        return {}, False
    cands = summarizer.score(topic, example_parts(topic), hits)
    kept = [c for c in cands if c.prob >= threshold]
    # the lexical half of the summaries' coverage test: its other half (a passage close to
    # the topic) also accepts near misses such as "graph neural networks for molecules"
    covered = any(c.lexical >= 0.999 for c in kept)
    return {c.paper_id: c.prob for c in kept}, covered


def list_retrieval(
    retrieve, summarizer, analysis: QuestionAnalysis, question: str, k: int, threshold: float
) -> tuple[Retrieval, ListScope]:
    """A deep retrieval for a list question and the papers that pass the on-topic test.

    ``retrieve(query, k)`` is the assistant's retrieval; ``summarizer`` scores on-topic
    probabilities (``rag.summarize.Summarizer.score``). The sources are the passing papers
    (at most ``LIST_MAX``), else the top ``k`` as retrieved.
    """
    pool = max(LIST_POOL, k)
    topic = analysis.topic or analysis.text
    if analysis.restrict and analysis.context_topic:
        # the papers of the earlier question, then those among them that do what is asked
        base = retrieve(analysis.context_topic, pool)
        scope = _on_topic(summarizer, analysis.context_topic, base.hits, threshold)
        in_scope = [h for h in base.hits if h.paper.paper_id in scope]
        probs = _on_topic(summarizer, topic, in_scope, threshold) if in_scope else {}
        hits = [h for h in in_scope if h.paper.paper_id in probs]
        retrieval = retrieve(f"{topic} ({analysis.context_topic})", pool)
        if hits:
            retrieval.hits = hits[:LIST_MAX]
        else:
            retrieval.hits = in_scope[:k] or retrieval.hits[:k]
        ls = ListScope(
            topic,
            list(range(1, len(hits[:LIST_MAX]) + 1)),
            probs,
            True,
            analysis.context_topic,
            len(in_scope),
        )
        return _ranked(retrieval), ls
    asked = retrieve(question, pool)
    by_topic = retrieve(topic, pool)
    gates = [_top(asked, k)]
    retrieval = _union(by_topic, asked)
    probs, covered = _scored(summarizer, topic, retrieval.hits, threshold)
    hits = [h for h in retrieval.hits if h.paper.paper_id in probs][:LIST_MAX]
    if hits:
        rest = [h for h in retrieval.hits if h.paper.paper_id not in probs]
        retrieval.hits = hits + rest[: max(0, k - len(hits))]
    else:
        retrieval.hits = retrieval.hits[:k]
    kept = list(range(1, len(hits) + 1))
    return _ranked(retrieval), ListScope(topic, kept, probs, gates=gates, covered=covered)


def _top(r: Retrieval, k: int) -> Retrieval:
    """The first ``k`` of a retrieval (the same fusion, cut at k), for the abstention gate."""
    return Retrieval(
        r.query, r.hits[:k], r.best_dense, r.query_vector, dict(r.timings_ms), list(r.ranking)
    )


def _union(a: Retrieval, b: Retrieval) -> Retrieval:
    """Two rankings of one question (its topic, its wording) merged: each paper at its best."""
    best = {}
    for h in a.hits + b.hits:
        pid = h.paper.paper_id
        if pid not in best or h.score > best[pid].score:
            best[pid] = h
    hits = sorted(best.values(), key=lambda h: -h.score)
    use = a if a.best_dense >= b.best_dense else b
    timings = {k: a.timings_ms.get(k, 0.0) + b.timings_ms.get(k, 0.0) for k in a.timings_ms}
    return Retrieval(
        use.query, hits, max(a.best_dense, b.best_dense), use.query_vector, timings, _ids(hits)
    )


def _ids(hits) -> list[str]:
    return [h.paper.paper_id for h in hits]


def _ranked(retrieval: Retrieval) -> Retrieval:
    """The ranking the list answer is built from: its sources first, then the rest retrieved."""
    first = _ids(retrieval.hits)
    retrieval.ranking = first + [p for p in retrieval.ranking if p not in set(first)]
    return retrieval
