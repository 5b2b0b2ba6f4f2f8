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

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*|[.,;:!?()]")
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


def words(text: str) -> list[Word]:
    """The sentence's words in order, stemmed, each marked when a negation scopes over it.

    A negator (not, no, without, never, fails to, avoids, instead of, '-free' ...) scopes over
    the next few content words of its clause; '-free' ("training-free") negates its own head.
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
    for m in _WORD.finditer(t):
        raw = m.group(0)
        if raw in ".;:!?()":
            clause += 1
            scope = 0
            first = True
            continue
        if raw == ",":
            scope = 0
            continue
        name = raw[:1].isupper() and not first
        first = False
        low = raw.lower().strip("'’")
        if low.endswith("-free") and len(low) > 5:
            head = low[:-5]
            for part in head.split("-"):
                out.append(
                    Word(stem(part), part, clause, True, part not in STOPWORDS, name, True, "free")
                )
            continue
        if low in cues.SCOPE_STOP or (seen and low in cues.PREPOSITIONS):
            scope = 0
        if low in NEGATORS:
            out.append(Word(stem(low), low, clause, False, False))
            scope, seen, by = SCOPE_LEN, False, stem(low)
            continue
        part = low.replace("-", "")
        adverb = part.endswith("ly") and len(part) > 4 and "-" not in low
        content = part not in cues.SCOPE_SKIP and len(part) > 1 and not adverb
        neg = scope > 0 and content
        out.append(
            Word(stem(part), raw, clause, neg, content, name, neg and not seen, by if neg else "")
        )
        if content and scope > 0:
            scope -= 1
            seen = True
    _mark_dangling(out)
    _mark_titled(out, t)
    return out


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
