"""The topic and its parts, and the calibrated on-topic test of a retrieved paper."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..records import Hit
from ..text import normalize_ws, tokenize

# --- calibration (bench/calibrate_summarize.py over tests/data/topics.json) ------------------
# P(on topic) = sigmoid(W_DENSE * dense + W_RELATIVE * relative + W_LEXICAL * lexical
#                      + W_CONTRIBUTION * contribution + BIAS)
W_DENSE = 2.95
W_RELATIVE = 2.63
W_LEXICAL = 2.97
W_CONTRIBUTION = 1.89
BIAS = -3.89


# A topic is covered when some kept paper holds every content word of the topic (or of one of
# its parts), or when some passage is at least this close to it.
COVER_DENSE = 0.42
MMR_LAMBDA = 0.7

_REQUEST = re.compile(
    r"^\s*(?:please\s+)?(?:(?:summari[sz]e|overview of|give (?:me )?an overview of|"
    r"what does (?:this|the) collection (?:do|say|have|hold) (?:on|about)|"
    r"what is (?:known|there) (?:on|about))\s+)?"
    r"(?:(?:the\s+)?(?:work|research|papers|literature|studies)\s+(?:on|about|in)\s+)?",
    re.IGNORECASE,
)
_NUMERIC_COMPOUND = re.compile(r"\b\d+(?:\.\d+)?-(?:fold|times|level|point|way)\b", re.I)
_SPLIT = re.compile(r"\s*(?:,|;|&|/|\band\b|\bor\b)\s*", re.IGNORECASE)


def clean_topic(topic: str) -> str:
    """The topic without a request's wording ("summarize the work on X" -> "X")."""
    t = normalize_ws(topic).strip(" ?.!")
    stripped = _REQUEST.sub("", t).strip(" ?.!")
    return stripped or t


def topic_parts(topic: str) -> list[str]:
    """The topic and, for "A and B" / "A, B", each part: a paper on any part is on the topic."""
    parts = [p for p in _SPLIT.split(topic) if p and tokenize(p)]
    return [topic] + parts if len(parts) > 1 else [topic]


class Lexicon:
    """Topic words matched against paper words, with light fuzzy matching of stems.

    A stem matches a paper's stem when one is a prefix of the other and both have at least five
    letters ("medicin" ~ "medic", "healthcar" ~ "health", "agent" ~ "agentic"), which the
    Snowball stemmer alone does not join.
    """

    def __init__(self, vocab, idf: Callable[[str], float]) -> None:
        self.vocab = [v for v in vocab if len(v) >= 5]
        self.idf = idf
        self._cache: dict[str, frozenset[str]] = {}

    def expand(self, stem: str) -> frozenset[str]:
        got = self._cache.get(stem)
        if got is None:
            out = {stem}
            if len(stem) >= 5:
                out.update(v for v in self.vocab if v.startswith(stem) or stem.startswith(v))
            got = self._cache[stem] = frozenset(out)
        return got

    def coverage(self, terms: set[str], tokens: set[str]) -> float:
        """IDF-weighted share of ``terms`` found (fuzzily) in ``tokens``."""
        if not terms:
            return 0.0
        total = sum(self.idf(t) for t in terms)
        got = sum(self.idf(t) for t in terms if self.expand(t) & tokens)
        return got / total if total else 0.0

    def best_coverage(self, parts: list[str], tokens: set[str]) -> float:
        """Coverage of the best-covered part (the whole topic when it has one part)."""
        pieces = parts[1:] if len(parts) > 1 else parts
        return max(self.coverage(set(tokenize(p)), tokens) for p in pieces)


def on_topic_probability(
    dense: float, relative: float, lexical: float, contribution: float
) -> float:
    """The calibrated probability that a paper is on the topic."""
    z = (
        W_DENSE * dense
        + W_RELATIVE * relative
        + W_LEXICAL * lexical
        + W_CONTRIBUTION * contribution
        + BIAS
    )
    return 1.0 / (1.0 + math.exp(-z))


@dataclass
class Candidate:
    """A retrieved paper with its on-topic evidence."""

    hit: Hit
    vector: np.ndarray  # the paper's vector: mean of its chunk vectors, L2-normalised
    dense: float  # best cosine between a chunk and the topic (or one of its parts)
    lexical: float  # share of the topic's words in the title and abstract
    contribution: float  # share in the title and the contribution sentences
    relative: float = 0.0  # dense / the best dense among the retrieved papers
    prob: float = 0.0

    @property
    def paper_id(self) -> str:
        return self.hit.paper.paper_id

    def features(self) -> dict:
        return {
            "dense": round(self.dense, 4),
            "relative": round(self.relative, 4),
            "lexical": round(self.lexical, 4),
            "contribution": round(self.contribution, 4),
            "on_topic": round(self.prob, 4),
        }


def mmr(relevance: np.ndarray, vectors: np.ndarray, k: int, lam: float = MMR_LAMBDA) -> list[int]:
    """Maximal marginal relevance: k indices, each relevant and unlike those already chosen."""
    n = len(relevance)
    if k >= n:
        return list(np.argsort(-relevance, kind="stable"))
    sims = vectors @ vectors.T
    chosen: list[int] = [int(np.argmax(relevance))]
    rest = set(range(n)) - set(chosen)
    while len(chosen) < k and rest:
        idx = list(rest)
        redundancy = sims[np.ix_(idx, chosen)].max(axis=1)
        scores = lam * relevance[idx] - (1 - lam) * redundancy
        pick = idx[int(np.argmax(scores))]
        chosen.append(pick)
        rest.remove(pick)
    return chosen


# --- the summarizer ---------------------------------------------------------------------------
@dataclass
class Gathered:
    """What broad retrieval and the on-topic cut found for a topic."""

    topic: str
    parts: list[str]
    sources: list[Hit]
    candidates: list[Candidate]  # every retrieved paper, scored, most probable first
    kept: list[Candidate]
    omitted: list[Candidate]
    reason: str | None
    timings_ms: dict[str, float]
