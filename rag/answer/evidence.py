"""Evidence: the sentences of the retrieved abstracts, embedded once, scored against a question."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..records import Hit
from ..text import BOILERPLATE, split_sentences, tokenize

# --- scoring shared by the answerers -----------------------------------------------------------
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
            if BOILERPLATE.search(s) and len(s.split()) < 25:
                score -= 0.15
            if _CONTRIB.search(s):
                score += 0.03
            out.append(Candidate(n, h, i, s, v, score, float(sim), lex))
    out.sort(key=lambda c: -c.score)
    return out
