"""List questions ("Which papers ...?"): retrieve deep, keep the papers the calibrated on-topic
test of the summaries accepts, and for "which of them ..." follow-ups, the papers of the earlier
question that also do what is asked."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..records import Retrieval
from ..text import tokenize
from .concepts import ConceptTest, concept_words, concepts, paper_texts
from .contribution import contribution_object, states_contribution
from .properties import CODE, Property, asked_evidence, remainder, states
from .question import QuestionAnalysis, list_request

LIST_POOL = 30  # papers retrieved for a list question before the on-topic cut
LIST_MAX = 15  # at most this many papers listed (the most probable first)
# "How do X ...?": broad when the runner-up paper is within BROAD_MARGIN of the most probable
# one on the on-topic test (no paper stands out); it then draws on every on-topic paper within
# BROAD_SPREAD of the best, at most BROAD_MAX (and at most the k sources asked for), from a
# retrieval BROAD_POOL deep
BROAD_MARGIN = 0.1
BROAD_SPREAD = 0.25
BROAD_POOL = 15
BROAD_MAX = 6
# a one-concept list keeps an on-topic paper below this probability only when it holds the
# concept's head word (or a sentence close to it); set on the dev half of the question set
HEAD_SURE = 0.7
# a paper this little below the on-topic cut is listed when it holds every concept of a
# request joining several in its words; set on the dev halves (0.2 let in wrong papers)
LOW_BAND = 0.1
# a request joining concepts no on-topic paper holds all of lists the papers whose weakest
# concept is at least NEAR of the way (a closest sentence at cosine NEAR * concepts.DENSE)
# and within NEAR_MARGIN of the best such paper, saying they are the nearest; set on dev
NEAR = 0.7
NEAR_MARGIN = 0.05


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
    spread: bool = False  # a broad "how do X" question: one answer sentence per kept paper
    obj: str = ""  # "which papers release a new X": X, what the kept papers contribute
    # a request joining concepts that no on-topic paper holds all of: which it lacks, in words,
    # and whether ``kept`` are then the papers nearest to holding them all
    lacking: str = ""
    near: bool = False
    prop: Property | None = None  # the kind of evidence asked for (``properties``)

    def says(self, sentence: str) -> bool:
        """Does ``sentence`` state what the listed papers were kept for (the contribution or
        the property asked for)? It then leads the paper's line."""
        return bool(self.obj or self.prop) and evidence_stated(sentence, self.obj, self.prop)

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


def evidence_stated(text: str, obj: str, prop: Property | None) -> bool:
    """Does ``text`` state the property ``prop``, or else the contribution ``obj``?"""
    return states(prop, text) if prop is not None else states_contribution("", text, obj)


def _evidence(topic: str, obj: str) -> tuple[Property | None, bool]:
    """The kind of evidence a list's request asks for, and whether it asks for nothing else:
    code when the contribution asked for is the papers' code ("make their implementation
    publicly available"), else what ``properties`` reads in the topic ("claim state-of-the-art
    results" alone; "theoretical analysis in federated learning" with a topic)."""
    if obj == "code":
        return CODE, True
    return (None, False) if obj else asked_evidence(topic)


def _on_topic(
    summarizer, topic: str, hits, threshold: float, every: bool = False, evidence: bool = True
) -> dict[str, float]:
    """The papers among ``hits`` that the calibrated test puts on ``topic`` (the whole of it:
    a list question's "X or Y" is one request, not a paper on either part); with ``every``,
    only those holding each concept the topic joins (``_every_concept``); ``evidence``: as
    ``_scored``."""
    return _scored(summarizer, topic, hits, threshold, every=every, evidence=evidence)[0]


def _scored(
    summarizer,
    topic: str,
    hits,
    threshold: float,
    obj: str = "",
    every: bool = True,
    evidence: bool = True,
) -> tuple[dict[str, float], bool, str, bool]:
    """The on-topic papers (as ``_on_topic``) and whether one of them holds every content word
    of the topic (or of one of its named examples). With ``obj`` (what the papers must
    contribute): on topic for that object, and only the papers that state it as theirs. With
    ``every`` (with ``obj`` too: "a benchmark for how well X understand Y"), only the papers
    that hold each concept of a topic joining several (when none does, which concept the
    on-topic papers lack, in words, and the papers nearest to holding them all, flagged:
    ``_every_concept``). With ``evidence`` (a list's request, not a "how" question's topic),
    a kind of evidence asked for is tested by the sentence stating it (``properties``)."""
    if not hits:
        return {}, False, "", False
    # "federated learning papers backed by theoretical analysis": on the topic of federated
    # learning too (the property is also held by a sentence stating it: ``ConceptTest``)
    asked, alone = _evidence(topic, obj) if evidence else (None, False)
    subject = remainder(asked, topic) if asked and not alone else ""
    cands = summarizer.score(topic, [topic, obj] if obj else example_parts(topic), hits)
    if subject:  # on the topic part, or on the whole request as before
        by_subject = {
            c.paper_id: c for c in summarizer.score(subject, example_parts(subject), hits)
        }
        cands = [max(c, by_subject.get(c.paper_id, c), key=lambda x: x.prob) for c in cands]
        cands.sort(key=lambda c: (-c.prob, c.paper_id))
    if alone:  # a property, not a topic: every paper saying it has it
        kept = [c for c in cands if states(asked, c.hit.paper.text)]
        return {c.paper_id: c.prob for c in kept}, bool(kept), "", False
    kept = [c for c in cands if c.prob >= threshold]
    if asked and asked.decisive:  # "federated papers releasing code": those that say so
        kept = [c for c in kept if states(asked, c.hit.paper.text)]
    if obj:
        kept = [c for c in kept if states_contribution(c.hit.paper.title, c.hit.paper.text, obj)]
    if every and not obj and len(concepts(topic)) > 1:
        kept += _worded_below(summarizer, topic, cands, threshold)
    lacking, near, worded = "", False, False
    if every and kept:  # also for a contribution: "a benchmark for how well X ..."
        if len(concepts(topic)) > 1:
            kept, lacking, near, worded = _every_concept(summarizer, topic, kept, cands)
        else:
            kept = _with_head(summarizer, topic, kept, cands)
    # the lexical half of the summaries' coverage test: its other half (a passage close to
    # the topic) also accepts near misses such as "graph neural networks for molecules"; for
    # a request joining concepts, a paper holding each of them by its words covers it too
    covered = worded or any(c.lexical >= 0.999 for c in kept)
    return {c.paper_id: c.prob for c in kept}, covered, lacking, near


def _worded_below(summarizer, topic: str, cands: list, threshold: float) -> list:
    """The papers just below the on-topic cut (within ``LOW_BAND``) that hold every concept
    of a request joining several in their words ("Which medical papers compare their system
    against GPT-4o?": a psychiatric paper that names GPT-4o and clinical work): the words
    make up for an embedding that puts the paper a little far from the request's wording."""
    low = [c for c in cands if threshold - LOW_BAND <= c.prob < threshold]
    if not low:
        return []
    test = ConceptTest(summarizer.lexicon, summarizer.idf, summarizer.embedder)
    test.scores(topic, paper_texts([c.hit for c in low], summarizer.cache, summarizer.embedder))
    return [c for c in low if test.worded.get(c.paper_id)]


def _every_concept(summarizer, topic: str, kept: list, pool: list) -> tuple[list, str, bool, bool]:
    """The on-topic papers that hold every concept of a request that joins several ("adapt
    LoRA to federated learning": LoRA and federated learning), by ``concepts.ConceptTest``.

    When none does: what they lack, in words ("none of the 4 retrieved papers on federated
    learning mentions LoRA"), and the papers nearest to holding all (their weakest concept at
    least ``NEAR`` of the way and within ``NEAR_MARGIN`` of the best such paper: a paper may
    say it in other words), flagged as near; no paper that near, none. A concept that no paper
    of the whole retrieved ``pool`` words is the asker's wording, not the collection's: the
    papers holding the other concepts are listed, flagged as near, saying which concept no
    paper mentions. Last: whether a paper kept holds every concept by its words
    (``ConceptTest.worded``).
    """
    if not kept:
        return kept, "", False, False
    test = ConceptTest(summarizer.lexicon, summarizer.idf, summarizer.embedder)
    hits = {c.paper_id: c.hit for c in pool} | {c.paper_id: c.hit for c in kept}
    every = paper_texts(list(hits.values()), summarizer.cache, summarizer.embedder)
    texts = {c.paper_id: every[c.paper_id] for c in kept}
    rows = test.scores(topic, texts, test.known_words(topic, every))
    held = [c for c in kept if all(x >= 1.0 for x in rows.get(c.paper_id, [1.0]))]
    if held and test.unworded:  # the papers holding the rest, said to be the nearest
        missing = " or ".join(_alts(alts) for alts in test.unworded)
        return held, f"no retrieved paper mentions {missing}", True, False
    if held or not rows:
        return held, "", False, any(test.worded.get(c.paper_id, False) for c in held)
    cons = concepts(topic)
    lacking = f"no retrieved paper is on {' and '.join(_alts(c) for c in cons)} together"
    have = [[pid for pid, row in rows.items() if row[i] >= 1.0] for i in range(len(cons))]
    best = max(range(len(cons)), key=lambda i: len(have[i]))
    if have[best]:
        others = [i for i in range(len(cons)) if i != best]
        miss = min(others, key=lambda i: sum(rows[pid][i] >= 1.0 for pid in have[best]))
        if not any(rows[pid][miss] >= 1.0 for pid in have[best]):
            n = len(have[best])
            lacking = (
                f"none of the {n} retrieved paper{'s' if n != 1 else ''} on "
                f"{_alts(cons[best])} mentions {_alts(cons[miss])}"
            )
    weakest = {pid: min(row) for pid, row in rows.items()}
    top = max(weakest.values())
    if top < NEAR:
        return [], lacking, False, False
    near = [c for c in kept if weakest.get(c.paper_id, 0.0) >= top - NEAR_MARGIN]
    return near, lacking, True, False


def _with_head(summarizer, topic: str, kept: list, pool: list) -> list:
    """The on-topic papers of a one-concept request that the on-topic test is sure of
    (``HEAD_SURE``) or that hold the concept's head word ("unlearning" of "machine
    unlearning"; ``ConceptTest.head_holds``): a paper sharing only a broad word of the request
    ("machine") is not on it. When no paper of the whole retrieved ``pool`` holds the head
    word of any alternative (or a word the embedding model puts close to it), none is kept:
    "Which papers generate music?" is not answered by papers on generating graphs."""
    test = ConceptTest(summarizer.lexicon, summarizer.idf, summarizer.embedder)
    cons = concepts(topic)
    heads = [concept_words(a)[-1:] for a in cons[0]] if len(cons) == 1 else []
    if heads and all(heads):
        hits = {c.paper_id: c.hit for c in pool} | {c.paper_id: c.hit for c in kept}
        every = paper_texts(list(hits.values()), summarizer.cache, summarizer.embedder)
        known = test.known_words(topic, every)
        if not any(h[0] in known for h in heads):
            return []
    unsure = [c for c in kept if c.prob < HEAD_SURE]
    if not unsure:
        return kept
    texts = paper_texts([c.hit for c in unsure], summarizer.cache, summarizer.embedder)
    holds = test.head_holds(topic, texts)
    return [c for c in kept if c.prob >= HEAD_SURE or holds.get(c.paper_id, True)]


def _alts(alts: list[str]) -> str:
    return alts[0] if len(alts) == 1 else ", ".join(alts[:-1]) + " or " + alts[-1]


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
        # the earlier question's papers are its own list's (each of its concepts held); the
        # follow-up's request is scored by the on-topic test alone, within them
        scope = _on_topic(summarizer, analysis.context_topic, base.hits, threshold, every=True)
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
    obj = contribution_object(list_request(analysis.text))
    asked, alone = _evidence(topic, obj)
    if alone:  # "claim state-of-the-art results", "release code": the sentences that say so
        retrieval = _union(retrieval, retrieve(asked.query, pool))
    elif obj:  # "release a new dataset": the papers about datasets, then those that make one
        retrieval = _union(retrieval, retrieve(obj, pool))
    probs, covered, lacking, near = _scored(summarizer, topic, retrieval.hits, threshold, obj)
    # papers releasing code or stating a property are listed as deep as retrieved: each says
    # so in a sentence
    cap = pool if alone else LIST_MAX
    hits = [h for h in retrieval.hits if h.paper.paper_id in probs][:cap]
    if hits:
        rest = [h for h in retrieval.hits if h.paper.paper_id not in probs]
        retrieval.hits = hits + rest[: max(0, k - len(hits))]
    else:
        retrieval.hits = retrieval.hits[:k]
    kept = list(range(1, len(hits) + 1))
    scope = ListScope(
        topic,
        kept,
        probs,
        gates=gates,
        covered=covered,
        obj=obj,
        lacking=lacking,
        near=near,
        prop=asked,
    )
    return _ranked(retrieval), scope


def broad_retrieval(
    retrieval: Retrieval, retrieve, summarizer, analysis: QuestionAnalysis, k: int, threshold: float
) -> tuple[Retrieval, ListScope | None]:
    """For a "How do X ...?" question: when several retrieved papers are about X about equally
    (the calibrated on-topic test of the summaries, no paper ahead by ``BROAD_MARGIN``), a
    deeper retrieval of X and the papers the answer draws on, one each; else ``retrieval`` as
    it was and None."""
    topic = analysis.broad_topic
    if not topic or len(retrieval.hits) < 2:
        return retrieval, None
    # "how can a model unlearn without retraining": a topic, not a request for evidence
    probs = _on_topic(summarizer, topic, retrieval.hits, threshold, evidence=False)
    best = sorted(probs.values(), reverse=True)
    if len(best) < 2 or best[1] < best[0] - BROAD_MARGIN:
        return retrieval, None
    deep = _union(retrieval, retrieve(topic, max(BROAD_POOL, k)))
    probs = _on_topic(summarizer, topic, deep.hits, threshold, evidence=False)
    top = max(probs.values())
    keep = [h for h in deep.hits if probs.get(h.paper.paper_id, 0.0) >= top - BROAD_SPREAD]
    keep.sort(key=lambda h: -probs[h.paper.paper_id])
    keep = keep[: min(BROAD_MAX, k)]  # the sources asked for (k) stay the cap
    ids = {h.paper.paper_id for h in keep}
    rest = [h for h in deep.hits if h.paper.paper_id not in ids]
    deep.hits = keep + rest[: max(0, k - len(keep))]
    deep.query, deep.query_vector = retrieval.query, retrieval.query_vector
    analysis.broad = True
    scope = ListScope(topic, list(range(1, len(keep) + 1)), probs, gates=[retrieval], spread=True)
    return _ranked(deep), scope


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
    seen = set(first)
    retrieval.ranking = first + [p for p in retrieval.ranking if p not in seen]
    return retrieval
