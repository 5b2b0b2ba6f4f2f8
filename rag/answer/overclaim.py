"""The overclaim check: absolute words (every, always, impossible, guarantees, first ...) a claim
uses where its cited passage does not say as much, and "outperforms" where the passage says
"comparable".

An absolute word is stated when the passage uses the word itself (any sentence), or when the
passage sentence aligned with the claim says the same thing in other words: a word of the same
strength ("impossible to merge" / "prevents mergeability", "completely" / "fully", "guarantees"
/ "provably") next to what the claim's word is about. A universal quantifier ("every post",
"all layers") is also stated by a passage that quantifies the same noun per item ("post-level",
"per layer", "each layer", "layer-wise"). A hedge of the passage over that noun ("some
benchmarks", "most settings", "multiple tasks") never states a universal.
"""

from __future__ import annotations

import re

from .cues import ABSOLUTE_STEMS, POLES, root, stem
from .scope import Word
from .terms import VERBS
from .verdicts import SUPPORTED, UNSUPPORTED, Check, PassageSentence


def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in text.split())


# absolute words and what else states them; a group's words state each other
EQUIVALENTS: list[tuple[frozenset[str], frozenset[str]]] = [
    (
        _stems("impossible cannot"),
        _stems(
            "impossible cannot prevent prevents prevented preclude precludes prohibit prohibits "
            "infeasible unable inability incapable"
        ),
    ),
    (
        _stems("every all whole universally"),
        _stems("every all each any entire whole full complete universal universally"),
    ),
    (
        _stems("always invariably"),
        _stems("always invariably consistently uniformly"),
    ),
    (
        _stems("entirely completely fully totally whole"),
        _stems(
            "entirely completely fully totally whole wholly solely purely exclusively full "
            "complete entire"
        ),
    ),
    (
        _stems("eliminate eliminates eliminated"),
        _stems("eliminate eliminates remove removes obviate obviates dispense dispenses without"),
    ),
    (
        _stems("guarantee guarantees guaranteed guaranteeing"),
        _stems("guarantee guarantees guaranteed ensure ensures provably provable certified"),
    ),
    (
        _stems("proves proven prove"),
        _stems("prove proves proven proof proofs provably provable theorem theoretically"),
    ),
    (_stems("regardless"), _stems("regardless irrespective independent independently agnostic")),
]
UNIVERSAL = _stems("every all each whole")
# words that restrict a noun to part of its kind: they never state "every"/"all"
HEDGES = _stems(
    "some many most several multiple various certain diverse selected often typically usually "
    "mostly partially partly few particular specific established varying"
)
_PER_ITEM = "level|wise|by"


def _about(cw: list[Word], i: int, n: int = 2) -> list[str]:
    """The roots of the first content words after word ``i`` in its clause: what it is about."""
    out: list[str] = []
    for w in cw[i + 1 :]:
        if w.clause != cw[i].clause or len(out) >= n:
            break
        if w.content and w.stem not in ABSOLUTE_STEMS:
            out.append(root(w.stem))
    return out


def _roots(s: PassageSentence) -> set[str]:
    out = {root(st) for st in s.stems}
    for w in s.words:  # the parts of a hyphenated word: 'post-level' has 'post'
        if "-" in w.text:
            out |= {root(stem(p)) for p in w.text.lower().split("-") if p}
    return out


def _near(a: str, roots: set[str]) -> bool:
    """``a`` is one of ``roots`` or shares its first letters with one (merg / merge)."""
    if a in roots:
        return True
    return len(a) >= 4 and any(len(r) >= 4 and (r.startswith(a) or a.startswith(r)) for r in roots)


def _per_item(noun: str, s: PassageSentence) -> bool:
    """The sentence quantifies ``noun`` per item: 'post-level', 'per layer', 'layer-wise'."""
    text = s.text.lower()
    for m in re.finditer(r"[a-z]+(?=-(?:" + _PER_ITEM + r")\b)|(?<=\bper )[a-z]+", text):
        if root(stem(m.group(0))) == noun:
            return True
    return False


def _hedged(noun: str, s: PassageSentence) -> bool:
    ws = s.words
    for k, w in enumerate(ws):
        if root(w.stem) == noun and k and any(x.stem in HEDGES for x in ws[max(0, k - 3) : k]):
            return True
    return False


def _floating(prev: Word) -> bool:
    """'all' after this word floats over what was just named ('they all', 'data all make'),
    rather than quantifying what follows ('removes all', 'on all')."""
    if prev.stem in _PRONOUNS:
        return True
    low = prev.text.lower()
    if not prev.content or low.endswith(("es", "ed", "ing")) or low in VERBS:
        return False
    return prev.stem not in POLES


def _stated(cw: list[Word], i: int, said: set[str], top: list[PassageSentence]) -> bool:
    """The passage states the absolute word ``cw[i]`` (the word itself, or its equivalent
    beside what the word is about in an aligned sentence)."""
    w = cw[i]
    about = _about(cw, i)
    if w.stem in UNIVERSAL:
        prev = cw[i - 1] if i and cw[i - 1].clause == w.clause else None
        if w.stem == "all" and prev is not None and _floating(prev):
            return True  # 'A, B and C all make it hard', 'they all': each of those just named
        nxt = next((x for x in cw[i + 1 : i + 3] if x.clause == w.clause), None)
        if nxt is not None and (nxt.text[:1].isdigit() or nxt.stem in _NUMBER_STEMS):
            return True  # 'all three datasets': the count is checked as a quantity
        noun = about[0] if about else None
        if noun and any(_hedged(noun, s) for s in top):
            return False
        if noun and any(_per_item(noun, s) for s in top):
            return True
    if w.stem in said:
        return True
    for group, same in EQUIVALENTS:
        if w.stem not in group:
            continue
        for s in top:
            if not (s.stems & same):
                continue
            if not about or any(_near(a, _roots(s)) for a in about):
                return True
    return False


def _ordinal(cw: list[Word], i: int) -> bool:
    """'first' counts a place in a list or a sequence, not priority: 'the first of the three',
    'the first two', 'first trains ... then', 'First, ...' (priority is 'the first X')."""
    nxt = cw[i + 1] if i + 1 < len(cw) and cw[i + 1].clause == cw[i].clause else None
    if nxt is not None and (nxt.text.lower() == "of" or nxt.stem in _NUMBER_STEMS):
        return True
    prev = cw[i - 1].text.lower() if i and cw[i - 1].clause == cw[i].clause else ""
    return prev not in _DETERMINERS


_DETERMINERS = {"the", "its", "their", "our", "his", "her", "a"}
_PRONOUNS = _stems("they these those them we us you")
_NUMBER_STEMS = _stems("two three four five six seven eight nine ten both")
_SUPERIOR = _stems(
    "outperform outperforms surpass surpasses beat beats exceed exceeds better superior best"
)
# parity is no more a loss than a win: 'falls short of experts' is not 'comparable to experts'
# (parity said outright: 'competitive' and 'similar' have other senses)
_INFERIOR = _stems("underperform underperforms worse inferior worst trails lags")
_EVEN = _stems("comparable comparably par matches match equivalent rivals")
_PARITY = _stems(
    "comparable comparably par similar similarly competitive matches match rivals equivalent"
)


def overclaim(cw: list[Word], sents: list[PassageSentence], labels: str, top=()) -> Check:
    """Unsupported when the claim is stronger than its passage says (see the module docstring)."""
    top = list(top)
    said = set().union(*(s.stems for s in sents)) if sents else set()
    sup = [w for w in cw if w.stem in _SUPERIOR and not w.negated]
    parity = _PARITY
    if not sup:
        sup, parity = [w for w in cw if w.stem in _INFERIOR and not w.negated], _EVEN
    for s in top[:1]:
        par = [w for w in s.words if w.stem in parity and not w.negated]
        if sup and par and not (s.stems & (_SUPERIOR | _INFERIOR)):
            return Check(
                "overclaim",
                UNSUPPORTED,
                f"the claim says '{sup[0].text}' but {s.label} says '{par[0].text}'",
                s.text,
            )
    for i, w in enumerate(cw):
        if w.stem == "first" and _ordinal(cw, i):
            continue
        if w.stem in ABSOLUTE_STEMS and not _stated(cw, i, said, top):
            return Check("overclaim", UNSUPPORTED, f"'{w.text}' claims more than {labels} states")
    return Check("overclaim", SUPPORTED, "no absolute the passage lacks")
