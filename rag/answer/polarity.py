"""Direction: the check that a claim's direction and negations agree with its passage.

``direction`` compares a claim's direction words, negations, alternatives, prefixed antonyms
and "from A to B" with the passage sentences aligned to it. The words and their negation scope
come from ``rag.answer.scope``, the cue lists from ``rag.answer.cues``, who a direction word is
about from ``rag.answer.roles``, prefixed antonyms from ``rag.answer.antonyms``, negations added
or dropped from ``rag.answer.negation``.
"""

from __future__ import annotations

import re

from ..text import STOPWORDS
from . import cues
from .antonyms import affirmed_elsewhere, prefix_antonym, put_down
from .cues import stem
from .negation import negation_flip, of_prior, said_otherwise, subject_missing
from .roles import (
    NO_OBJECT,
    about_prior,
    acted_on,
    compares_other,
    crossed,
    in_condition,
    mentions_prior,
    metric_sign,
    restated,
)
from .roles import object_of as _object
from .scope import Word
from .verdicts import CONTRADICTED, SUPPORTED, Check, PassageSentence

# --- the direction check ---------------------------------------------------------------------
CONTEXT = 8  # words either side of a direction word that say what it is about


def _context(ws: list[Word], i: int, width: int = CONTEXT) -> set[str]:
    """The lower-case content words near word ``i`` in its clause, up to a word after it that
    opens a clause of its own ('difficult because experts are scarce' is not about experts)."""
    clause = ws[i].clause
    end = min(len(ws), i + width + 1)
    end = next((k for k in range(i + 1, end) if ws[k].text.lower() in NO_OBJECT), end)
    return {
        cues.root(w.stem)
        for w in ws[max(0, i - width) : end]
        if w.content and w.clause == clause and w is not ws[i] and w.text.islower()
    }


def _directions(ws: list[Word]) -> list[tuple[str, int, set[str], int]]:
    """(axis, pole, context, index) of each direction word; a negation flips the pole."""
    out = []
    for i, w in enumerate(ws):
        poles = cues.POLES.get(w.stem)
        if poles is None or w.name:
            continue
        if not cues.listed(w.text.lower()):
            continue  # another word of the stem: 'harmful' is no 'harm', 'complexity' no 'complex'
        if acted_on(ws, i) or _bounds_number(ws, i) or _degree(ws, i):
            continue  # 'harm robustness': the verb before it says which way, not the noun
        ctx = _context(ws, i)
        sign = -1 if w.negated else 1
        nxt = ws[i + 1] if i + 1 < len(ws) and ws[i + 1].clause == w.clause else None
        if nxt is not None and nxt.text.lower() in ("no", "zero"):
            sign = -sign  # 'adds no overhead' says 'does not add overhead'
        less = i > 0 and ws[i - 1].text.lower() == "less" and ws[i - 1].clause == w.clause
        for axis, pole in poles:
            # 'less robust' is the other pole of 'robust' (not of 'more': an amount)
            out.append((axis, pole * sign * (-1 if less and axis != "amount" else 1), ctx, i))
            m = metric_sign(ws, i) if axis == "amount" else 0
            if m:  # 'higher accuracy' is also better
                out.append(("quality", pole * sign * m, ctx, i))
    return out


def _degree(ws: list[Word], i: int) -> bool:
    """'matters more for X than Y', 'relies less on': 'more' or 'less' after a verb, before a
    preposition or 'than', says to what degree (a comparison), not that an amount changes."""
    if ws[i].text.lower() not in ("more", "less") or i == 0 or i + 1 >= len(ws):
        return False
    prev, nxt = ws[i - 1], ws[i + 1]
    return (
        prev.content
        and not prev.text[:1].isdigit()
        and nxt.clause == ws[i].clause
        and (nxt.text.lower() == "than" or nxt.text.lower() in cues.PREPOSITIONS)
    )


def _bounds_number(ws: list[Word], i: int) -> bool:
    """'5 percent or less', 'three or more', 'less than 10': an amount word bounding a number."""
    low = ws[i].text.lower()
    if low not in ("less", "more", "fewer", "greater", "lower", "higher"):
        return False
    if i >= 2 and ws[i - 1].text.lower() == "or":
        return any(
            w.text[:1].isdigit() or w.stem in cues.NUMBER_STEMS for w in ws[max(0, i - 4) : i - 1]
        )
    nxt = ws[i + 1 : i + 3]
    return len(nxt) == 2 and nxt[0].text.lower() == "than" and nxt[1].text[:1].isdigit()


def direction(
    claim: str, cw: list[Word], top: list[PassageSentence], every: list[PassageSentence] = ()
) -> Check:
    """Contradicted when the passage sentences aligned with the claim (``top``) point the
    other way; ``every`` sentence of the passage is searched for a swapped alternative."""
    if not top:
        return Check("direction", SUPPORTED, "nothing to compare")
    alt = _alternative_anywhere(cw, list(every))
    if alt:
        return alt
    # 1. a direction word whose best counterpart in the aligned passage sentences (all of them
    # together: a sentence that agrees outweighs a weaker match that does not) points the other way
    # a comparison restated with its sides swapped ('B is outperformed by A') agrees, and a
    # sentence about earlier work ('existing methods require X') is what the paper contrasts with
    prior = mentions_prior(cw)
    cdirs = _directions(cw)
    pdirs = [(s, _directions(s.words)) for s in top]
    for axis, sign, ctx, i in cdirs:
        obj, cond = _object(cw, i), in_condition(cw, i)
        cands = [
            (
                len(ctx & pc) + 2 * len(obj & _object(s.words, j)),
                -ps if crossed(cw, i, s.words, j) else ps,
                s,
                j,
            )
            for s, dirs in pdirs
            for a, ps, pc, j in dirs
            if a == axis
            and ctx & pc
            and (prior or not about_prior(s.words, j))
            and not compares_other(cw, i, s.words, j)
            and cond == in_condition(s.words, j)
        ]
        if not cands:
            continue
        if restated(cw, i, axis, sign, pdirs):
            continue  # the passage says the same word of the same thing ('smaller models')
        best = max(c[0] for c in cands)
        poles = {ps for n, ps, _, _ in cands if n == best}
        if poles == {-sign}:
            s, j = next((s, j) for n, ps, s, j in cands if n == best)
            if best < 2 and s is not top[0]:
                continue  # one shared word, off the closest sentence: not about the same thing
            return Check(
                "direction",
                CONTRADICTED,
                f"the claim says '{_phrase(cw, i)}' but {s.label} says '{_phrase(s.words, j)}'",
                s.text,
            )
    all_c = {w.stem for w in cw}
    negated_by_any = {
        w.stem
        for s in top
        for w in s.words
        if w.negated and not subject_missing(s.words, w.stem, all_c)
    }
    # what the claim negates and an aligned sentence negates in other words ('zero cost')
    negated_by_any |= {
        w.stem
        for w in cw
        if w.head
        and w.stem not in negated_by_any
        and any(said_otherwise(s.words, w.stem) for s in top)
    }
    excused = set().union(*(put_down(s.words) for s in top))
    said = set().union(*(s.stems for s in every)) if every else set()
    # the claim's side of checks 3, 5 and 6, read once for all aligned sentences
    c_alts = {w.stem: i for i, w in enumerate(cw) if w.stem in cues.ALT_OF and not w.negated}
    fc, tc = _from_to(claim), _than(cw)
    for s in top:
        # 2. a negation added or dropped over the same words (and the same object)
        # a word a closer aligned sentence affirms is not 'dropped' by this one's negation
        closer = top[: top.index(s)]
        elsewhere = {w.stem for o in closer for w in o.words if not w.negated}
        flip = negation_flip(cw, s.words, negated_by_any, elsewhere)
        if flip is not None and not prior and of_prior(s.words, flip[1]):
            flip = None
        if flip is not None:
            which, word = flip
            if which == "dropped":
                reason = f"{s.label} negates what the claim affirms ('{_phrase_of(s.words, word)}')"
            else:
                reason = (
                    f"the claim negates what {s.label} affirms ('{_phrase_of(cw, word)}' vs "
                    f"'{_phrase_of(s.words, word)}')"
                )
            return Check("direction", CONTRADICTED, reason, s.text)
        # 3. one of mutually exclusive alternatives swapped for another
        # (when the passage uses the claim's alternative elsewhere, only a rival that qualifies
        # the same thing: 'global propagation' is no 'local learning')
        p_alts = {
            w.stem: j for j, w in enumerate(s.words) if w.stem in cues.ALT_OF and not w.negated
        }
        for st, i in c_alts.items():
            if st in s.stems:
                continue
            w = cw[i]
            rivals = [
                s.words[j]
                for ps, j in p_alts.items()
                if cues.ALT_OF[ps] == cues.ALT_OF[st]
                and (st not in said or _object(cw, i, 2) & _object(s.words, j, 2))
            ]
            if rivals and rivals[0].stem not in {x.stem for x in cw}:
                return Check(
                    "direction",
                    CONTRADICTED,
                    f"the claim says '{w.text}' but {s.label} says '{rivals[0].text}'",
                    s.text,
                )
        # 4. a word and its prefixed antonym (stable / unstable, efficient / inefficient)
        flip = prefix_antonym(cw, s, excused)
        if flip and affirmed_elsewhere(flip[0], top, s):
            flip = None  # 'backdoor learning' stated beside 'unlearning': both are there
        if flip:
            return Check(
                "direction",
                CONTRADICTED,
                f"the claim says '{flip[0]}' but {s.label} says '{flip[1]}'",
                s.text,
            )
        # 5. "from A to B" reversed
        fp = _from_to(s.text)
        for a, b, ta, tb in fc:
            for pa, pb, tpa, tpb in fp:
                if a & pb and b & pa and len(a & pb) + len(b & pa) > len(a & pa) + len(b & pb):
                    return Check(
                        "direction",
                        CONTRADICTED,
                        f"the claim goes from {ta} to {tb}; {s.label} from {tpa} to {tpb}",
                        s.text,
                    )
        # 6. "A ... more than B" where the passage has B before A
        tp = _than(s.words)
        for a_set, b, wa in tc:
            for pa_set, pb, wp in tp:
                if b != pb and b in pa_set and pb in a_set:
                    return Check(
                        "direction",
                        CONTRADICTED,
                        f"the claim says '{_phrase(cw, wa, 4)}' but {s.label} says "
                        f"'{_phrase(s.words, wp, 4)}'",
                        s.text,
                    )
    return Check("direction", SUPPORTED, "no contradicting direction or negation")


def _than(ws: list[Word]) -> list[tuple[set[str], str, int]]:
    """(content words before the comparative, the first content word after 'than', index)."""
    out = []
    for i, w in enumerate(ws):
        if w.text.lower() != "than" or i < 2:
            continue
        after = next(
            (x.stem for x in ws[i + 1 : i + 4] if x.content and x.clause == w.clause), None
        )
        before = {x.stem for x in ws[max(0, i - 5) : i - 1] if x.content and x.clause == w.clause}
        if after and before:
            out.append((before, after, max(0, i - 3)))
    return out


def _alternative_anywhere(cw: list[Word], every: list[PassageSentence]) -> Check | None:
    """The claim names one of mutually exclusive alternatives (supervised, linear, online...)
    the passage never uses, and the passage names another of them."""
    if not every:
        return None
    said = set().union(*(s.stems for s in every))
    claim_stems = {w.stem for w in cw}
    for w in cw:
        group = cues.ALT_OF.get(w.stem)
        if group is None or w.negated or w.stem in said:
            continue
        for s in every:
            rival = next(
                (
                    x
                    for x in s.words
                    if cues.ALT_OF.get(x.stem) == group
                    and x.stem not in claim_stems
                    and not x.negated
                ),
                None,
            )
            if rival is not None:
                return Check(
                    "direction",
                    CONTRADICTED,
                    f"the claim says '{w.text}' but {s.label} says '{rival.text}'",
                    s.text,
                )
    return None


_FT_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*|[.;:!?,]")
_FT_SKIP = STOPWORDS | {"up"}


def _from_to(text: str) -> list[tuple[set[str], set[str], str, str]]:
    """(stems of A, stems of B, A, B) of each 'from A to B' (A up to seven words, B up to
    four, parentheses read through: 'from large language models (LLMs) to smaller ones')."""
    toks = _FT_TOKEN.findall(text)
    out = []
    for k, t in enumerate(toks):
        if t.lower() != "from":
            continue
        m = next((m for m in range(k + 1, min(len(toks), k + 9)) if toks[m].lower() == "to"), None)
        if m is None or any(x in ".;:!?" for x in toks[k + 1 : m]):
            continue
        a = [x for x in toks[k + 1 : m] if x.lower() not in _FT_SKIP and x != ","]
        b: list[str] = []
        for x in toks[m + 1 : m + 6]:
            if x in ".;:!?," or (b and x.lower() in STOPWORDS) or len(b) >= 4:
                break
            if x.lower() not in _FT_SKIP:
                b.append(x)
        if a and b:
            out.append(({stem(x) for x in a}, {stem(x) for x in b}, " ".join(a), " ".join(b)))
    return out


def _phrase(ws: list[Word], i: int, width: int = 3) -> str:
    a = i - 1 if i > 0 and ws[i - 1].stem in cues.NEG_STEMS | {"not"} else i
    return " ".join(w.text for w in ws[a : i + width + 1] if w.clause == ws[i].clause)


def _phrase_of(ws: list[Word], st: str) -> str:
    for i, w in enumerate(ws):
        if w.stem == st:
            a = max(0, i - 3)
            return " ".join(x.text for x in ws[a : i + 1] if x.clause == w.clause)
    return st
