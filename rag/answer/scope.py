"""Negation scope: a sentence's words, stemmed, each marked when a negation scopes over it.

A negator (not, no, without, never, fails to, avoids, instead of, '-free' ...) scopes over the
next few content words of its clause; a list after it ("no A, B, or C") stays in its scope.
The cue lists are in ``rag.answer.cues``; the direction check is ``rag.answer.polarity``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import STOPWORDS
from . import cues
from .cues import NEGATORS, SCOPE_LEN, stem

# a number with a decimal point or thousands separator ('12.3', '2,048') is one word, not the
# end of a clause or a stretch
_WORD = re.compile(
    r"[0-9]+(?:[.,][0-9]+)+(?:[A-Za-z'’\-][A-Za-z0-9'’\-]*)?|[A-Za-z0-9][A-Za-z0-9'’\-]*|[.,;:!?()]"
)
_CONTRACTIONS = re.compile(r"(?i)\b(\w+)n['’]t\b")


@dataclass
class Word:
    stem: str
    text: str
    clause: int
    negated: bool  # inside a negation's scope
    content: bool  # not a stop word
    name: bool = False  # capitalised inside the sentence: part of a name
    head: bool = False  # the first content word a negation scopes over
    by: str = ""  # the negator (its stem) whose scope the word is in
    dangling: bool = False  # a negator over no content word ("without it"): a pronoun's negation
    titled: bool = False  # in a run of capitalised words: a name ("Interactive ReAsoning ...")
    part: int = 0  # the stretch of the sentence between commas and clause ends it is in


def words(text: str) -> list[Word]:
    """The sentence's words in order, stemmed, each marked when a negation scopes over it.

    A negator (not, no, without, never, fails to, avoids, instead of, '-free' ...) scopes over
    the next few content words of its clause; '-free' ("training-free") negates its own head.
    A comma ends the scope unless it separates the items of a list the scope is in
    ("requires no labels, masks, or retraining").
    """
    t = text
    for pat, repl in cues.PHRASES:
        t = pat.sub(repl, t)
    t = _CONTRACTIONS.sub(lambda m: m.group(1) + " not", t)
    t = re.sub(r"(?i)\bcan not\b", "cannot", t)
    t = cues.NOT_NEGATING.sub(lambda m: m.group(2), t)
    t = re.sub(r"(?i)\bfree\s+(of|from)\b", "without", t)
    out: list[Word] = []
    clause = 0
    scope = 0
    seen = False  # a content word seen in the current scope
    first = True
    by = ""
    part = 0
    items: set[int] = set()  # the stretches that are later items of a negated list
    tokens = [m.group(0) for m in _WORD.finditer(t)]
    for k, raw in enumerate(tokens):
        if raw in ".;:!?()":
            clause += 1
            part += 1
            scope = 0
            first = True
            continue
        if raw == ",":
            part += 1
            if not (
                seen and by and by != "free" and out and out[-1].negated and _listed(tokens, k)
            ):
                scope = 0
            else:
                scope, seen = SCOPE_LEN, False
                items.add(part)
            continue
        name = raw[:1].isupper() and not first
        first = False
        low = raw.lower().strip("'’")
        if low.endswith("-free") and len(low) > 5:
            for bit in low[:-5].split("-"):
                out.append(
                    Word(stem(bit), bit, clause, True, bit not in STOPWORDS, name, True, "free")
                )
                out[-1].part = part
            continue
        if (
            scope
            and low in ("on", "upon", "for")
            and out
            and out[-1].negated
            and out[-1].text.lower() in DEPENDING
        ):
            # 'does not rely on X', 'no need for X': X is what is done without
            scope, seen = SCOPE_LEN, False
            continue
        if low in DETERMINERS and scope and out and out[-1].negated and out[-1].head:
            if out[-1].text.lower() in PROVIDING:
                continue  # 'without providing a detailed explanation': none is given
        if low in cues.SCOPE_STOP or (seen and low in _NEW_PHRASE):
            scope = 0  # 'does not explain the drop': a new noun phrase is the head's object;
            # 'without restriction may add noise': a modal starts the clause's verb
        if low in NEGATORS and low.endswith("ed") and _next(tokens, k) == "by":
            # 'a failure mode overlooked by earlier work': the agent is not what is left out
            out.append(Word(stem(low), low, clause, False, False, part=part))
            scope, seen, by = 0, False, ""
            continue
        if low in NEGATORS:
            at = _cancels(out, clause, part) if low == "without" else None
            if at is not None:
                # 'cannot be trained without labels': two negations, the labels are needed
                for w in out[at:]:
                    w.negated, w.head, w.by = False, False, ""
                out.append(Word(stem(low), low, clause, False, False, part=part))
                scope, seen, by = 0, False, ""
                continue
            out.append(Word(stem(low), low, clause, False, False, part=part))
            scope, seen, by = SCOPE_LEN, False, stem(low)
            continue
        bare = low.replace("-", "")
        adverb = bare.endswith("ly") and len(bare) > 4 and "-" not in low
        content = bare not in cues.SCOPE_SKIP and len(bare) > 1 and not adverb
        neg = scope > 0 and content
        # an adverb inside a negation's scope is negated with it ('rather than degrading
        # gradually'), without using the scope up
        after_negated = bool(out) and out[-1].negated and out[-1].clause == clause
        neg = neg or (adverb and bare not in LY_ADJECTIVES and (scope > 0 or after_negated))
        out.append(
            Word(stem(bare), raw, clause, neg, content, name, neg and not seen, by if neg else "")
        )
        out[-1].part = part
        if content and scope > 0:
            scope -= 1
            seen = True
            if out[-1].head and _giving_up(bare):
                scope = 0  # 'without sacrificing speed': the speed is kept, not negated
            elif out[-1].head and bare in LIGHT_NOUNS and _next(tokens, k) in ("of", "for", "to"):
                # 'overlooks the importance of X', 'lacks the ability to X': X is what is negated
                scope, seen = SCOPE_LEN, False
    _mark_item_heads(out, items)
    _mark_dangling(out)
    _mark_titled(out, t)
    return out


def _mark_item_heads(ws: list[Word], items: set[int]) -> None:
    """In a later item of a negated list the noun is what is negated: its last word is the
    head ('no labels, model modifications': 'modifications', not 'model')."""
    run: list[Word] = []
    for w in [*ws, None]:
        if w is not None and w.part in items and w.negated and w.content:
            run.append(w)
            continue
        if run:
            for x in run:
                x.head = False
            run[-1].head = True
        run = []


# nouns that hand a negation on to what follows them ('the importance of', 'the need for')
LIGHT_NOUNS = set(
    "importance role need ability capacity capability possibility value use usage benefit "
    "benefits potential means".split()
)


def _next(tokens: list[str], k: int) -> str:
    return tokens[k + 1].lower() if k + 1 < len(tokens) else ""


def _giving_up(word: str) -> bool:
    """A gerund of losing or harming ('sacrificing', 'compromising', 'hurting'): negated, it
    keeps what it acts on."""
    poles = cues.POLES.get(stem(word), ())
    return word.endswith("ing") and (("retention", -1) in poles or ("quality", -1) in poles)


# verbs and nouns of depending: a negation over them carries over to what they depend on
DEPENDING = set(
    "rely relies relying relied depend depends depending depended reliance dependence need".split()
)
# verbs of giving and having: what they take is not there when they are negated (unlike 'does
# not explain the drop', where the drop is)
PROVIDING = set(
    "provide provides providing provided give gives giving offer offers offering yield yields "
    "yielding produce produces producing generate generates generating contain contains "
    "containing include includes including have has having".split()
)
# words ending in -ly that are adjectives, not adverbs ('costly labels')
LY_ADJECTIVES = set("costly early likely unlikely timely friendly only daily elderly".split())
MODALS = {"may", "might", "can", "could", "will", "would", "should", "must"}
DETERMINERS = {"the", "a", "an", "this", "these", "those", "its", "their", "our", "his", "her"}
# words that, once the negated head has its object, open a new phrase or the clause's verb
# (built once here, not per word of every sentence read)
_NEW_PHRASE = cues.PREPOSITIONS | DETERMINERS | MODALS
_PLAIN_NOT = {"not", "cannot", "never", "no"}


def _cancels(out: list[Word], clause: int, part: int) -> int | None:
    """The index of a plain negator ('not', 'cannot', 'never') whose scope a 'without' now in
    the same stretch of its clause falls in (None when none): the two cancel."""
    for k in range(len(out) - 1, -1, -1):
        w = out[k]
        if w.clause != clause or w.part != part:
            return None
        if not w.content and w.text.lower() in _PLAIN_NOT:
            return k
        if not w.negated and w.content:
            return None
    return None


LIST_ITEM = 4  # words at most in one item of a list ("no labels, clean masks, or retraining")


def _listed(tokens: list[str], k: int) -> bool:
    """The comma at ``k`` is followed by list items (a few words each, apart by commas) that
    an 'or' or 'nor' closes within the clause: 'no A, B, or C', 'neither A, B nor C'."""
    n = 0
    for raw in tokens[k + 1 :]:
        low = raw.lower()
        if low in ("or", "nor"):
            return True  # 'or' closes the list (after an item, or right after the comma)
        if raw == ",":
            if n == 0:
                return False
            n = 0
            continue
        if raw in ".;:!?()" or low in cues.SCOPE_STOP or low in NEGATORS:
            return False
        n += 1
        if n > LIST_ITEM:
            return False
    return False


def _mark_titled(ws: list[Word], text: str) -> None:
    """Mark the words of runs of two or more capitalised words (names, titles, expansions)."""
    run: list[Word] = []
    for w in [*ws, None]:
        if w is not None and w.text[:1].isupper() and (not run or run[-1].clause == w.clause):
            run.append(w)
            continue
        if len(run) >= 2:
            for x in run:
                x.titled = True
        run = [w] if w is not None and w.text[:1].isupper() else []


def _mark_dangling(ws: list[Word]) -> None:
    """Mark each negator whose scope holds no content word (up to the next negator)."""
    for i, w in enumerate(ws):
        if w.content or w.stem not in cues.NEG_STEMS:
            continue
        rest = []
        for x in ws[i + 1 :]:
            if x.clause != w.clause or (not x.content and x.stem in cues.NEG_STEMS):
                break
            rest.append(x)
        w.dangling = not any(x.negated for x in rest)
