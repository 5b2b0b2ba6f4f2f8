"""Words a paper uses for a concept word in other words ("clinical" for "medical").

The concept test of list questions (``concepts.ConceptTest``) first looks for a concept's own
words in a paper (stems, derived forms, acronyms). A paper may say the concept in other words:
"clinical" or "healthcare" for "medical", "protection" for "security". Whole sentences embed
too coarsely to tell such a paper from an off-topic one (their cosine to the concept overlaps),
but single words embed tightly: the same local embedding model puts "medical" at 0.73 from
"clinical" and at 0.25 from "model". A concept word is therefore also found when a word of the
paper is at least ``WORD_NEAR`` close to it, each word embedded once per process (single words
are short: about 1 ms each on 2 cores).
"""

from __future__ import annotations

import re
import threading
import weakref

import numpy as np

from ..text import STOPWORDS
from .vectors import VectorCache

# the cosine of two single words above which one stands for the other: 'medical'~'clinical'
# 0.73, 'medical'~'healthcare' 0.76, 'medicine'~'healthcare' 0.72, while other words of a field
# stay below ('federated'~'decentralized' 0.46, 'images'~'videos' 0.64, 'LoRA'~'LLaMA' 0.53).
# On the dev halves (bundled dev and the transfer-check set) every answer is the same from 0.68
# to 0.80 but one (a medical paper held for 'medical' instead of listed as the nearest); at
# 0.64 list precision falls; the low end of that range is taken, a paraphrase being the
# commoner miss of unseen questions
WORD_NEAR = 0.70

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")


def paper_words(raw: str) -> tuple[str, ...]:
    """The distinct words of a text that may name a concept: three letters or more, no stop
    word, lower-cased (a hyphenated word also as its parts)."""
    out: dict[str, None] = {}
    for w in _WORD.findall(raw):
        for part in [w, *w.split("-")] if "-" in w else [w]:
            low = part.lower()
            if len(low) >= 3 and low not in STOPWORDS:
                out[low] = None
    return tuple(out)


class WordVectors:
    """Vectors of single words by one embedder, computed once per process (least recently
    used dropped past ``size``)."""

    def __init__(self, embedder, size: int = 50_000) -> None:
        self.embedder = embedder
        self.size = size
        self._vectors = VectorCache(embedder, size)

    def matrix(self, words) -> np.ndarray:
        """The L2-normalised vectors of ``words``, one row each, in order."""
        words = list(words)
        rows = self._vectors.rows(words, words)
        return (
            np.vstack(rows).astype(np.float32, copy=False) if rows else np.zeros((0, 0), np.float32)
        )

    def nearest(self, word: str, words: tuple[str, ...], mat: np.ndarray | None = None) -> float:
        """The cosine of the word of ``words`` closest to ``word`` (0 when there are none), its
        opposites by a negating prefix left out ("unsafe" for "safer", "learns" for
        "unlearning": single words that share most of their letters embed close).
        ``mat``: the vectors of ``words`` when the caller has them."""
        if not words:
            return 0.0
        w = word.lower()
        mat = self.matrix(words) if mat is None else mat
        sims = mat @ self.matrix([w])[0]
        for i in np.argsort(-sims):
            if not opposite(w, words[i]):
                return float(sims[i])
        return 0.0


_NEGATING = ("non-", "non", "un", "dis", "anti", "in", "im", "ir", "il")


def opposite(a: str, b: str) -> bool:
    """Is one word the other with a negating prefix ("safe" / "unsafe", "unlearning" /
    "learns", "non-iid" / "iid")? Compared on their first four letters after the prefix."""
    for x, y in ((a, b), (b, a)):
        for pre in _NEGATING:
            rest = x[len(pre) :]
            if x.startswith(pre) and len(rest) >= 4 and not y.startswith(pre):
                if y[:4] == rest[:4]:
                    return True
    return False


_SHARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def word_vectors(embedder) -> WordVectors:
    """The one ``WordVectors`` of ``embedder`` in this process."""
    with _SHARED_LOCK:
        got = _SHARED.get(embedder)
        if got is None:
            got = _SHARED[embedder] = WordVectors(embedder)
        return got


def warm_words(embedder, texts) -> int:
    """Embed the words of ``texts`` now (as a process that has answered list questions before
    has them); returns how many distinct words."""
    words = list(dict.fromkeys(w for t in texts for w in paper_words(t)))
    if words:
        word_vectors(embedder).matrix(words)
    return len(words)


__all__ = ["WORD_NEAR", "WordVectors", "opposite", "paper_words", "warm_words", "word_vectors"]
