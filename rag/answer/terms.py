"""Technical terms written in lower case: 'prefix tuning', 'correlated equilibrium'.

A name check sees acronyms and capitalised words; a swapped method is often written in plain
lower case. A *term* here is a head noun of technical writing (tuning, equilibrium, network,
optimization, distance, ...) with the content words right before it that qualify it. A claim's
term is unsupported when one of its qualifying words is nowhere in the cited passage or its title
(by stem) and the passage does not spell the term as an acronym either. Generic qualifiers
(new, proposed, efficient, large ...) say nothing about which method it is and are skipped.
The word lists are general vocabulary of methods and results, not words of any collection.
"""

from __future__ import annotations

import re

from ..text import STOPWORDS
from .cues import POLES, listed, stem
from .cues import PREPOSITIONS as _PREPS

_HEAD_WORDS = (
    "tuning finetuning learning network optimization optimisation minimization maximization "
    "equilibrium equilibria regression classifier distillation attention transformer encoder "
    "decoder autoencoder estimator estimation algorithm descent sampling sampler search kernel "
    "distance divergence loss regularization regularisation normalization normalisation "
    "embedding distribution process field filter forest machine adaptation augmentation pruning "
    "quantization decoding prompting policy complexity entropy metric norm bound programming "
    "inference factorization decomposition clustering propagation alignment matching tokenizer "
    "retriever reranker mechanics theory dynamics statistics geometry logic calculus "
    "autoencoding pretraining pre-training layer"
).split()
# heads that name the operation itself (what is done to the data or model): swapping one swaps
# the method ('equilibrium distillation' for 'equilibrium propagation'), so such a head must be
# stated too; the other heads name a carrier or a measure ('process', 'layer', 'algorithm',
# 'network', 'policy', 'metric') that a paraphrase often adds, so only their qualifiers count
OPERATION_HEADS = set(
    "tuning finetuning learning optimization optimisation minimization maximization equilibrium "
    "equilibria regression distillation attention estimation sampling divergence regularization "
    "regularisation normalization normalisation adaptation augmentation pruning quantization "
    "decoding prompting factorization decomposition clustering propagation alignment matching "
    "autoencoding pretraining pre-training".split()
)
# nouns that hold a term without changing which it is: 'reinforcement learning framework'
CONTAINERS = set(
    "framework frameworks paradigm paradigms scheme schemes pipeline pipelines objective "
    "objectives strategy strategies technique techniques module modules".split()
)
# surface forms (a verb 'distilled' or 'learns' is no head)
HEADS = set(_HEAD_WORDS) | {w + "s" for w in _HEAD_WORDS if not w.endswith(("s", "ing"))}
# verbs of scientific prose, which stand before a term without qualifying it
VERBS = set(
    "use uses make makes keep keeps give gives take takes run runs build builds learn learns "
    "train trains teach teaches focus focuses beat beats show shows find finds help helps let "
    "allow allows enable enables achieve reach improve reduce increase extend apply adopt "
    "employ propose introduce present combine combines seek seeks perform performs via "
    "targets target requires require need needs".split()
)
GENERIC = {
    stem(w)
    for w in (
        "new novel proposed simple efficient effective standard existing prior previous single "
        "multiple different various additional large small strong weak good key main core overall "
        "general specific common typical traditional conventional classic classical modern recent "
        "current popular robust lightweight unified joint final initial original full entire "
        "whole same similar other several many high low fast slow accurate powerful principled "
        "generic universal separate individual specialized dedicated extra further underlying "
        "resulting corresponding respective given particular certain naive basic advanced "
        "improved enhanced better best state-of-the-art sota scalable practical flexible "
        "adaptive dynamic static learned learnable trainable explicit implicit careful "
        "theoretical empirical formal rigorous global local overall first second two three "
        "both each every model-agnostic lightweight task-specific customized tailored "
        "appropriate suitable optimal suboptimal efficient-ly based driven aware level "
        # degree and amount: 'too little attention' names no kind of attention
        "little much more less fewer most least enough sufficient insufficient excessive "
        "limited greater higher lower reduced increased considerable substantial significant "
        "minimal maximal partial complete too "
        # everyday: 'ordinary tasks' for 'regular tasks' names no other kind
        "ordinary regular usual normal everyday routine"
    ).split()
}
# prepositions, which end a noun phrase (the listed ones and those missing from the stopwords)
PREPOSITIONS = _PREPS | set(
    "like unlike including excluding versus vs per despite beyond upon within without "
    "alongside amid around behind beside besides beneath near past since".split()
)
# words after which an '-ing' word qualifies a noun rather than acts on it
DETERMINERS = set(
    "a an the this that these those its their our his her my your each every any some no".split()
)
AUXILIARIES = set("has have had having is are was were be been being".split())
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9'’\-]*|[^\sA-Za-z]")
MAX_QUALIFIERS = 2


def terms(text: str) -> list[tuple[list[str], str]]:
    """(qualifying words, head) of each lower-case technical term of a sentence."""
    toks = _TOKEN.findall(text)
    out = []
    for i, tok in enumerate(toks):
        if tok not in HEADS:
            continue
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if nxt[:1].isalpha() and nxt.lower() not in STOPWORDS and nxt.lower() not in CONTAINERS:
            continue  # not the last word of its noun phrase: 'attention' in 'attention network'
        quals: list[str] = []
        j = i - 1
        while j >= 0 and len(quals) < MAX_QUALIFIERS:
            w = toks[j]
            wl = w.lower().strip("'’")
            if not w[:1].isalpha() or not w[:1].islower() or wl in STOPWORDS or wl in VERBS:
                break
            if wl in PREPOSITIONS:
                break  # 'strategies like tree-based search': 'like' qualifies nothing
            if wl.endswith(("ly", "'s")) or (wl.endswith("s") and not wl.endswith(("ss", "us"))):
                break  # an adverb, a possessive, a plural noun or a verb: not a qualifier
            if _acts_on(toks, j):
                break  # 'without sacrificing fast inference': a verb with the term as object
            if wl.endswith("ed") and j > 0 and toks[j - 1].lower() in AUXILIARIES:
                break  # 'has received little attention': a verb, not a qualifier
            quals.insert(0, wl)
            j -= 1
        quals = [q for q in quals if _specific(q) and not _direction_word(q)]
        if quals:
            out.append((quals, tok))
    return out


def _acts_on(toks: list[str], j: int) -> bool:
    """The '-ing' word at ``j`` is a verb taking what follows as its object, not a qualifier:
    it opens the sentence or a clause, or follows a function word other than a determiner
    ('by reducing memory cost', 'while keeping fast inference'); after a determiner or a content
    word it qualifies ('a ranking loss', 'contrastive ranking loss')."""
    w = toks[j].lower()
    if not w.endswith("ing") or len(w) < 6:
        return False
    if j == 0:
        return True
    prev = toks[j - 1].lower()
    if not prev[:1].isalpha():
        return True
    return prev in STOPWORDS and prev not in DETERMINERS


# a count said by an English number word opening a compound ('one-way', 'two-stage') ...
COUNT_WORDS = {
    "one": 1, "single": 1, "two": 2, "dual": 2, "double": 2, "three": 3, "triple": 3,
    "many": 9, "multiple": 9,
}  # fmt: skip
# ... or by a Latin or Greek prefix ('unidirectional', 'bilevel', 'multistage')
_COUNT_PREFIX = (("uni", 1), ("mono", 1), ("bi", 2), ("tri", 3), ("multi", 9), ("poly", 9))


def _count_prefix(word: str) -> int | None:
    """The count a Latin or Greek prefix of ``word`` says ('unidirectional' -> 1), else None."""
    for pre, n in _COUNT_PREFIX:
        if word.startswith(pre) and len(word) - len(pre) >= 4:
            return n
    return None


def _direction_word(word: str) -> bool:
    """A listed direction word ('looser', 'tighter'): the direction check reads it."""
    return stem(word) in POLES and listed(word)


def _specific(word: str) -> bool:
    parts = [p for p in word.split("-") if p]
    if not parts or any(ch.isdigit() for ch in word):
        return False
    return len(word) >= 4 and not all(stem(p) in GENERIC or p in STOPWORDS for p in parts)


class TermIndex:
    """The stems and acronyms a passage (with its title) states, for a claim's terms."""

    def __init__(self, text: str) -> None:
        words = re.findall(r"[A-Za-z][A-Za-z0-9]*", text)
        self.stems = {stem(w) for w in words}
        for w in re.findall(r"[A-Za-z][A-Za-z0-9\-]*", text):
            for p in w.split("-"):
                if p:
                    self.stems.add(stem(p))
        self.acronyms = {w.lower() for w in words if sum(c.isupper() for c in w) >= 2}
        # (count, head stem) of compounds that open with a number word: 'one-way learning'
        toks = re.findall(r"[a-z][a-z0-9\-]*", text.lower())
        self.counted = {
            (COUNT_WORDS[t.split("-")[0]], stem(h))
            for k, t in enumerate(toks)
            if "-" in t and t.split("-")[0] in COUNT_WORDS
            for h in toks[k + 1 : k + 3]
        }

    def missing(self, quals: list[str], head: str) -> list[str]:
        """The qualifying words of a term the passage does not state, else a head of an
        operation it does not state (``OPERATION_HEADS``: 'equilibrium distillation' where the
        passage has only 'equilibrium propagation'); a counting prefix is stated by a compound
        of the same count before the same head ('unidirectional learning' by 'one-way
        learning')."""
        lacking = [
            q
            for q in quals
            if not all(stem(p) in self.stems for p in q.split("-") if len(p) > 2)
            and (_count_prefix(q), stem(head)) not in self.counted
        ]
        if not lacking and head.lower() in OPERATION_HEADS and stem(head) not in self.stems:
            lacking = [head]
        if not lacking:
            return []
        initials = "".join(p[0] for q in quals for p in q.split("-") if p) + head[0]
        if initials in self.acronyms or initials + "s" in self.acronyms:
            return []
        return lacking
