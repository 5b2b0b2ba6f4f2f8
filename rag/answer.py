"""Answer: the Answer record, the answerer interface, and the offline extractive answerer.

The extractive answerer quotes the sentences of the retrieved abstracts that best answer the
question, each cited ``[n]`` where ``n`` is the number of its source; when the best evidence is
too weak it abstains instead of quoting noise.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from .config import Settings
from .retrieve import Hit, Retrieval
from .text import split_sentences, tokenize


@dataclass
class Citation:
    n: int
    paper_id: str
    title: str
    snippet: str
    support: float | None = None
    url: str | None = None

    def public(self) -> dict:
        d = {"n": self.n, "paper_id": self.paper_id, "title": self.title, "snippet": self.snippet}
        if self.support is not None:
            d["support"] = round(self.support, 3)
        if self.url:
            d["url"] = self.url
        return d


@dataclass
class AnswerSentence:
    text: str
    citations: list[int]
    support: float | None = None
    supported: bool = True

    def public(self) -> dict:
        return {
            "text": self.text,
            "citations": self.citations,
            "support": None if self.support is None else round(self.support, 3),
            "supported": self.supported,
        }


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    sources: list[Hit]
    backend: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    sentences: list[AnswerSentence] = field(default_factory=list)
    standalone_question: str | None = None
    usage: dict | None = None
    removed_citations: list[int] = field(default_factory=list)
    interrupted: bool = False
    reason: str | None = None

    def to_dict(self) -> dict:
        """The shape of ``rag ask --json`` (and of the UI's /ask endpoint)."""
        d = {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.public() for c in self.citations],
            "sources": [
                {
                    "n": i,
                    "paper_id": h.paper.paper_id,
                    "title": h.paper.title,
                    "score": round(h.score, 4),
                    "url": h.paper.url,
                }
                for i, h in enumerate(self.sources, start=1)
            ],
            "backend": self.backend,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "sentences": [s.public() for s in self.sentences],
        }
        if self.standalone_question and self.standalone_question != self.question:
            d["standalone_question"] = self.standalone_question
        if self.usage is not None:
            d["usage"] = self.usage
        if self.removed_citations:
            d["removed_citations"] = self.removed_citations
        if self.interrupted:
            d["interrupted"] = True
        if self.reason:
            d["reason"] = self.reason
        return d


# --- scoring shared by the answerers -----------------------------------------------------------
_BOILER = re.compile(
    r"(?:code|data|dataset|models?|implementation|resources?)\s+(?:is|are|will be)?\s*"
    r"(?:publicly\s+)?(?:available|released|at)|https?://|github\.com",
    re.IGNORECASE,
)
_CONTRIB = re.compile(
    r"\b(?:we|this paper|this work|our (?:method|approach|framework))\s+(?:propose|introduce|present|develop|design|find|show|demonstrate)",
    re.IGNORECASE,
)


class SentenceCache:
    """Sentence vectors of papers, computed once per paper per process."""

    def __init__(self, embedder, size: int = 4096) -> None:
        self.embedder = embedder
        self.size = size
        self._data: OrderedDict[str, tuple[list[str], np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, hits: list[Hit]) -> dict[str, tuple[list[str], np.ndarray]]:
        need = []
        with self._lock:
            for h in hits:
                if h.paper.paper_id not in self._data:
                    need.append(h)
        if need:
            sents = [split_sentences(h.paper.text) or [h.paper.text] for h in need]
            flat = [s for ss in sents for s in ss]
            vecs = self.embedder.embed(flat, batch_size=64)
            i = 0
            with self._lock:
                for h, ss in zip(need, sents, strict=True):
                    self._data[h.paper.paper_id] = (ss, vecs[i : i + len(ss)])
                    i += len(ss)
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
        with self._lock:
            return {
                h.paper.paper_id: self._data[h.paper.paper_id]
                for h in hits
                if h.paper.paper_id in self._data
            }


def lexical_overlap(question_terms: set[str], sentence: str, idf) -> float:
    """IDF-weighted share of the question's content words that the sentence contains."""
    if not question_terms:
        return 0.0
    st = set(tokenize(sentence))
    total = sum(idf(t) for t in question_terms)
    got = sum(idf(t) for t in question_terms if t in st)
    return got / total if total else 0.0


@dataclass
class Candidate:
    n: int  # source number
    hit: Hit
    idx: int  # sentence position in the abstract
    text: str
    vec: np.ndarray
    score: float
    dense: float
    lexical: float


def score_sentences(
    question: str, qvec: np.ndarray, hits: list[Hit], cache: SentenceCache, idf
) -> list[Candidate]:
    qterms = set(tokenize(question))
    out: list[Candidate] = []
    for n, h in enumerate(hits, start=1):
        got = cache.get([h]).get(h.paper.paper_id)
        if not got:
            continue
        sents, vecs = got
        sims = vecs @ qvec
        for i, (s, v, sim) in enumerate(zip(sents, vecs, sims, strict=True)):
            if len(s.split()) < 5:
                continue
            lex = lexical_overlap(qterms, s, idf)
            score = 0.65 * float(sim) + 0.35 * lex + 0.04 * h.score
            if _BOILER.search(s) and len(s.split()) < 25:
                score -= 0.15
            if _CONTRIB.search(s):
                score += 0.03
            out.append(Candidate(n, h, i, s, v, score, float(sim), lex))
    out.sort(key=lambda c: -c.score)
    return out


class Answerer:
    """The answerer interface: extractive and LLM implementations sit behind it."""

    name = "base"

    def answer(self, question: str, retrieval: Retrieval, **kw) -> Answer:
        raise NotImplementedError


def abstain_reason(
    retrieval: Retrieval, settings: Settings, best_sentence: float | None = None
) -> str | None:
    """Why the evidence is too weak to answer from, or None."""
    if not retrieval.hits:
        return "no paper in the index matches the question"
    if retrieval.query_vector is not None and retrieval.best_dense < settings.abstain_dense:
        return (
            f"the closest passage (in “{retrieval.hits[0].paper.title}”) has similarity "
            f"{retrieval.best_dense:.2f}, below the {settings.abstain_dense:.2f} needed"
        )
    if best_sentence is not None and best_sentence < settings.abstain_sentence:
        return f"no sentence of the retrieved abstracts answers it well enough (best {best_sentence:.2f})"
    return None


def abstention_text(reason: str) -> str:
    return f"The indexed abstracts do not answer this question: {reason}."


class ExtractiveAnswerer(Answerer):
    """Offline answers: quoted sentences from the retrieved abstracts, each cited."""

    name = "extractive"

    def __init__(self, embedder, settings: Settings, idf) -> None:
        self.settings = settings
        self.cache = SentenceCache(embedder)
        self.idf = idf

    def answer(self, question: str, retrieval: Retrieval, **kw) -> Answer:
        t0 = time.perf_counter()
        s = self.settings
        hits = retrieval.hits
        reason = abstain_reason(retrieval, s)
        cands: list[Candidate] = []
        if reason is None:
            cands = score_sentences(question, retrieval.query_vector, hits, self.cache, self.idf)
            reason = abstain_reason(retrieval, s, cands[0].score if cands else 0.0)
        timings = dict(retrieval.timings_ms)
        if reason is not None:
            timings["answer"] = (time.perf_counter() - t0) * 1000
            return Answer(
                question, abstention_text(reason), True, [], [], self.name, timings, reason=reason
            )

        best = cands[0].score
        chosen: list[Candidate] = [cands[0]]
        per_paper = {cands[0].n: 1}
        floor = max(s.abstain_sentence, best * 0.82)
        for c in cands[1:]:
            if len(chosen) >= s.max_answer_sentences or c.score < floor:
                break
            if per_paper.get(c.n, 0) >= 2:
                continue
            if any(float(c.vec @ o.vec) > 0.88 for o in chosen):
                continue
            chosen.append(c)
            per_paper[c.n] = per_paper.get(c.n, 0) + 1
        chosen.sort(key=lambda c: (c.n, c.idx))
        sentences = [AnswerSentence(c.text, [c.n], support=1.0) for c in chosen]
        answer_text = " ".join(f"{c.text} [{c.n}]" for c in chosen)
        citations: list[Citation] = []
        for n in sorted({c.n for c in chosen}):
            quoted = [c.text for c in chosen if c.n == n]
            h = hits[n - 1]
            citations.append(
                Citation(n, h.paper.paper_id, h.paper.title, " … ".join(quoted), 1.0, h.paper.url)
            )
        timings["answer"] = (time.perf_counter() - t0) * 1000
        return Answer(question, answer_text, False, citations, hits, self.name, timings, sentences)
