"""Support: how well a sentence is backed by the passages it cites, computed locally.

The score mixes two signals, both in [0, 1]:

* dense: the best cosine similarity between the sentence and any sentence (or pair of adjacent
  sentences: the normalised sum of their vectors) of the cited passages, with the same
  embedding model as retrieval;
* lexical: the share of the sentence's content words (stemmed, stop words dropped) that occur in
  the cited passages.

``support = 0.6 * dense + 0.4 * lexical``. A paraphrase of the passage scores high; a claim the
passage does not make, or a citation to the wrong paper, scores low. Calibrated on the bundled
abstracts (15 hand-written paraphrases of 8 abstracts, each also scored against the 7 others, and
invented claims): faithful paraphrases scored 0.62-0.95, the same claims against another
abstract at most 0.46, invented claims at most 0.27. Hence the default threshold 0.5
(``Settings.support_threshold``); tests/test_llm_support.py keeps a subset of that check.

Use ``support_score(sentence, passages, embedder)`` for one sentence, or a ``SupportScorer``
(which caches passage vectors) for many.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from ..text import ANY_MARKER, split_sentences, tokenize

DENSE_WEIGHT = 0.6
LEXICAL_WEIGHT = 0.4
DEFAULT_THRESHOLD = 0.5

_MARKUP = re.compile(r"(^|\s)[*_#>`-]+|[*_`]+(\s|$)")


def clean_claim(sentence: str) -> str:
    """The sentence without citation markers and light markdown, as it is scored."""
    text = ANY_MARKER.sub(" ", sentence)
    text = _MARKUP.sub(r"\1\2", text)
    return re.sub(r"\s+", " ", text).strip()


def lexical_support(sentence: str, passage_tokens: set[str]) -> float:
    """Share of the sentence's content words found in the passage (0 when it has none)."""
    words = set(tokenize(sentence))
    if not words:
        return 0.0
    return len(words & passage_tokens) / len(words)


class SupportScorer:
    """Scores sentences against passages; passage vectors are computed once and cached."""

    def __init__(self, embedder, cache_size: int = 2048, claim_cache_size: int = 4096) -> None:
        self.embedder = embedder
        self.cache_size = cache_size
        self.claim_cache_size = claim_cache_size
        self._cache: OrderedDict[str, tuple[np.ndarray, set[str]]] = OrderedDict()
        self._claims: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _units(
        self, passages: Sequence[str], sentence_vectors: Sequence | None = None
    ) -> list[tuple[np.ndarray, set[str]]]:
        keys = [hashlib.sha1(p.encode("utf-8")).hexdigest() for p in passages]
        with self._lock:
            missing = [
                (i, k, p)
                for i, (k, p) in enumerate(zip(keys, passages, strict=True))
                if k not in self._cache
            ]
        if missing:
            made = {}
            todo: list[tuple[str, str, list[str]]] = []
            for i, k, p in missing:
                given = sentence_vectors[i] if sentence_vectors is not None else None
                if given is not None:
                    made[k] = (_with_pairs(np.asarray(given[1])), set(tokenize(p)))
                else:
                    todo.append((k, p, split_sentences(p) or [p]))
            if todo:
                vecs = self.embedder.embed([s for _, _, ss in todo for s in ss])
                a = 0
                for k, p, ss in todo:
                    made[k] = (_with_pairs(vecs[a : a + len(ss)]), set(tokenize(p)))
                    a += len(ss)
            with self._lock:
                self._cache.update(made)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        with self._lock:
            return [self._cache[k] for k in keys]

    def embed_claims(
        self, sentences: Sequence[str], known: dict[str, np.ndarray] | None = None
    ) -> np.ndarray:
        """Vectors of the sentences as they are scored (citation markers removed).

        A sentence embedded before (an LRU of recent ones: a streamed answer's sentences are
        embedded as they arrive) or written exactly as a sentence of ``known`` (text -> vector,
        e.g. a cited passage's sentences) is not embedded again; the rest go in one batch.
        """
        texts = [clean_claim(s) or "." for s in sentences]
        out: list[np.ndarray | None] = [None] * len(texts)
        if known:  # "... overhead [1]." is cleaned to "... overhead ." : compare without that space
            known = {_tight(k): v for k, v in known.items()}
        with self._lock:
            for i, t in enumerate(texts):
                v = self._claims.get(t)
                if v is not None:
                    self._claims.move_to_end(t)
                    out[i] = v
                elif known and _tight(t) in known:
                    out[i] = known[_tight(t)]
        todo = list(dict.fromkeys(t for t, v in zip(texts, out, strict=True) if v is None))
        if todo:
            vecs = self.embedder.embed(todo)
            made = dict(zip(todo, vecs, strict=True))
            with self._lock:
                for t, v in made.items():
                    self._claims[t] = v
                while len(self._claims) > self.claim_cache_size:
                    self._claims.popitem(last=False)
            out = [made[t] if v is None else v for t, v in zip(texts, out, strict=True)]
        if not out:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack(out)

    def forget_claims(self) -> None:
        """Drop the remembered sentence vectors (benchmarks measure a cold check with it)."""
        with self._lock:
            self._claims.clear()

    def warm_claims(self, sentences: Sequence[str]) -> None:
        """Embed sentences ahead of their check (e.g. while the rest of an answer streams)."""
        self.embed_claims(sentences)

    def score_matrix(
        self,
        sentences: Sequence[str],
        passages: Sequence[str],
        *,
        sentence_vectors: np.ndarray | None = None,
        passage_sentences: Sequence | None = None,
    ) -> np.ndarray:
        """support[i, j] of sentence i against passage j alone.

        Optional shortcuts: ``sentence_vectors`` from ``embed_claims``; ``passage_sentences[j]``
        = (sentences, their vectors) of passage j when already embedded (e.g. by the answerer).
        """
        out = np.zeros((len(sentences), len(passages)), dtype=np.float32)
        if not sentences or not passages:
            return out
        claims = [clean_claim(s) for s in sentences]
        svecs = sentence_vectors if sentence_vectors is not None else self.embed_claims(sentences)
        ctoks = [set(tokenize(c)) if c else set() for c in claims]
        for j, (pvecs, ptoks) in enumerate(self._units(passages, passage_sentences)):
            dense = np.clip((svecs @ pvecs.T).max(axis=1), 0.0, 1.0)
            for i, toks in enumerate(ctoks):
                if not claims[i]:
                    continue
                lex = len(toks & ptoks) / len(toks) if toks else 0.0
                out[i, j] = DENSE_WEIGHT * float(dense[i]) + LEXICAL_WEIGHT * lex
        return out

    def score(self, sentence: str, passages: Sequence[str]) -> float:
        """Support of one sentence by the best of the given passages (0.0 with none)."""
        if not passages:
            return 0.0
        return float(self.score_matrix([sentence], passages).max())


def _tight(text: str) -> str:
    return re.sub(r"\s+([.,;:!?])", r"\1", text)


def _with_pairs(vecs: np.ndarray) -> np.ndarray:
    """Sentence vectors plus one per adjacent pair (their normalised sum)."""
    if len(vecs) < 2:
        return vecs
    pairs = vecs[:-1] + vecs[1:]
    pairs = pairs / np.maximum(np.linalg.norm(pairs, axis=1, keepdims=True), 1e-9)
    return np.concatenate([vecs, pairs.astype(vecs.dtype)], axis=0)


_SCORERS: dict[int, SupportScorer] = {}
_SCORERS_LOCK = threading.Lock()


def scorer_for(embedder) -> SupportScorer:
    """One cached scorer per embedder object."""
    with _SCORERS_LOCK:
        sc = _SCORERS.get(id(embedder))
        if sc is None or sc.embedder is not embedder:
            sc = _SCORERS[id(embedder)] = SupportScorer(embedder)
        return sc


def support_score(sentence: str, passages: Sequence[str], embedder) -> float:
    """How well ``passages`` back ``sentence``, in [0, 1] (best passage; see module docstring)."""
    return scorer_for(embedder).score(sentence, passages)
