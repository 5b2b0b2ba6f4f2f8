"""The relation a yes/no question asks about, and whether a sentence states it, denies it or
says nothing about it.

"Does X need retraining?" asks about a requirement (need -> retraining, affirmed); "Can X
unlearn without retraining?" about an absence (retraining, negated); "Does X improve Y?" about
a direction (quality, up). A sentence agrees when it states each of these the same way
("requires retraining"; "training-free", "with no retraining"; "boosts Y"), denies when it
states one of them the other way, and says nothing otherwise: a sentence that merely mentions
the words ("surpasses training-based methods") settles no requirement. The negation scope and
the direction poles are the claim checker's (``rag.answer.scope``, ``rag.answer.cues``).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import cues
from .polarity import _context, _directions
from .roles import about_prior
from .scope import Word, words

AGREES, DENIES, SILENT = 1, -1, 0

# verbs (and prepositions) that tie a subject to what it needs, uses or works with
REQUIRE = {
    cues.stem(w)
    for w in "need needs needed needing require requires required requiring rely relies "
    "relied relying depend depends depended depending demand demands demanded use uses used "
    "using with via through leverage leverages leveraging involve involves involving based "
    "call calls necessitate necessitates".split()
}
NEAR = 3  # words between a requirement verb and what it requires
COVER = 0.75  # a question that asks no relation: the share of its words a sentence must restate


@dataclass
class Relation:
    """One thing a yes/no question asks: a direction or a requirement, and its sign."""

    what: str  # "direction" or "object"
    sign: int  # +1 affirmed, -1 negated (or the down pole)
    stem: str = ""  # object: the stem of what is required or negated
    axis: str = ""  # direction: the axis (quality, amount, enable, ...)
    context: frozenset[str] = frozenset()  # direction: the words it is said of


def _dirs(ws: list[Word]) -> list[tuple[str, int, set[str], int]]:
    """The checker's direction words, and the nouns of listed adjectives ("superiority")."""
    out = _directions(ws)
    at = {i for *_x, i in out}
    for i, w in enumerate(ws):
        low = w.text.lower()
        if i in at or w.name or not low.endswith("ity") or not cues.listed(low[:-3]):
            continue
        ctx = _context(ws, i)
        for axis, pole in cues.POLES.get(cues.stem(low[:-3]), ()):
            out.append((axis, pole * (-1 if w.negated else 1), ctx, i))
    return out


def _root(w: Word) -> str:
    return cues.root(w.stem)


def _required(ws: list[Word], k: int) -> bool:
    """Word ``k`` heads what a requirement verb before it ties to: the verb, then up to
    ``NEAR`` content words of one noun phrase ("needs large labelled data": data)."""
    seen = 0
    for j in range(k - 1, -1, -1):
        w = ws[j]
        if w.clause != ws[k].clause:
            return False
        if w.stem in REQUIRE:
            return True
        if not w.content and w.text.lower() not in _ARTICLES:
            return False  # a preposition or a verb between: another phrase
        if w.content:
            seen += 1
            if seen >= NEAR:
                return False
    return False


def _head(ws: list[Word], k: int) -> bool:
    """Word ``k`` ends its noun phrase (the next word is no content word of the same kind)."""
    nxt = ws[k + 1] if k + 1 < len(ws) else None
    if nxt is None or nxt.clause != ws[k].clause or not nxt.content or nxt.name:
        return True
    return nxt.negated != ws[k].negated


def _modifies(ws: list[Word], k: int) -> bool:
    """Word ``k`` (of a '-free' compound) stands before the noun it describes."""
    nxt = next((w for w in ws[k + 1 :] if w.by != "free" or not w.negated), None)
    return nxt is not None and nxt.clause == ws[k].clause and nxt.content


def covers(claim: str, sentence: str, share: float = COVER) -> bool:
    """Does the sentence hold ``share`` of the claim's content words (by their roots)?"""
    want = {_root(w) for w in words(claim) if w.content}
    have = {_root(w) for w in words(sentence) if w.content}
    return bool(want) and len(want & have) / len(want) >= share


_ARTICLES = {"a", "an", "the", "any", "additional", "extra", "no"}


def relations(claim: str) -> list[Relation]:
    """What the question (read as a statement) asserts: its directions, what it says is needed
    or used, and what it says is absent."""
    ws = words(claim)
    out: list[Relation] = []
    for axis, sign, ctx, _i in _dirs(ws):
        out.append(Relation("direction", sign, axis=axis, context=frozenset(ctx)))
    seen: set[str] = set()
    for k, w in enumerate(ws):
        if not w.content or w.name or w.stem in REQUIRE:
            continue
        if not _head(ws, k):
            continue
        if w.by == "free" and _modifies(ws, k):
            continue  # "the training-free method": which method is meant, not what is asked
        if w.negated:
            sign = -1
        elif _required(ws, k):
            sign = 1
        else:
            continue
        if _root(w) in seen:
            continue
        seen.add(_root(w))
        out.append(Relation("object", sign, stem=_root(w)))
    return out


def _object_sign(ws: list[Word], st: str) -> int:
    """How the sentence states the thing with root ``st``: +1 needed / used, -1 absent, 0 only
    mentioned (or said of earlier work)."""
    signs = set()
    for k, w in enumerate(ws):
        # "training-free" also says no retraining; a required "training" is no required
        # "retraining"
        again = st.startswith("re") and _root(w) == st[2:] and w.negated
        if (_root(w) != st and not again) or about_prior(ws, k):
            continue
        if w.negated:
            signs.add(-1)
        elif _required(ws, k):
            signs.add(1)
    return signs.pop() if len(signs) == 1 else 0


def _direction_sign(ws: list[Word], dirs, rel: Relation) -> int:
    """How the sentence (its words ``ws``, their directions ``dirs``) states ``rel``'s
    direction: its pole, or 0 when it states none or both."""
    signs = {
        pole
        for axis, pole, ctx, j in dirs
        if axis == rel.axis and ctx & rel.context and not about_prior(ws, j)
    }
    return signs.pop() if len(signs) == 1 else 0


def stance(rels: list[Relation], sentence: str) -> int:
    """DENIES when the sentence states one of the relations the other way; AGREES when it
    states every requirement and absence asked the same way and, when none is asked, at least
    one of the directions (a comparative inside a noun phrase, "from larger models", is often
    no part of what is asked); else SILENT."""
    if not rels:
        return SILENT
    ws = words(sentence)
    dirs = None  # the sentence's directions, found once for all the relations that ask one
    objects, directions = [], []
    for r in rels:
        if r.what == "object":
            objects.append(_object_sign(ws, r.stem) * r.sign)
        else:
            dirs = _dirs(ws) if dirs is None else dirs
            directions.append(_direction_sign(ws, dirs, r) * r.sign)
    if any(g < 0 for g in objects + directions):
        return DENIES
    if objects:
        return AGREES if all(g > 0 for g in objects) else SILENT
    return AGREES if any(g > 0 for g in directions) else SILENT


__all__ = ["AGREES", "DENIES", "SILENT", "Relation", "covers", "relations", "stance"]
