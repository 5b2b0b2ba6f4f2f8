"""Direction: the check that a claim's direction and negations agree with its passage.

``direction`` compares a claim's direction words, negations, alternatives, prefixed antonyms
and "from A to B" with the passage sentences aligned to it. The words and their negation scope
come from ``rag.answer.scope``, the cue lists from ``rag.answer.cues``, who a direction word is
about from ``rag.answer.roles``, prefixed antonyms from ``rag.answer.antonyms``.
"""

from __future__ import annotations

import re

from ..text import STOPWORDS
from . import cues
from .antonyms import ADJ_END, affirmed_elsewhere, negating_prefix, prefix_antonym, put_down
from .cues import stem
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
        less = i > 0 and ws[i - 1].text.lower() == "less" and ws[i - 1].clause == w.clause
        for axis, pole in poles:
            # 'less robust' is the other pole of 'robust' (not of 'more': an amount)
            out.append((axis, pole * sign * (-1 if less and axis != "amount" else 1), ctx, i))
            if axis == "amount" and metric_sign(ws, i):  # 'higher accuracy' is also better
                out.append(("quality", pole * sign * metric_sign(ws, i), ctx, i))
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
        obj = _object(cw, i)
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
            and in_condition(cw, i) == in_condition(s.words, j)
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
        if w.negated and not _subject_missing(s.words, w.stem, all_c)
    }
    # what the claim negates and an aligned sentence negates in other words ('zero cost')
    negated_by_any |= {
        w.stem
        for w in cw
        if w.head
        and w.stem not in negated_by_any
        and any(_said_otherwise(s.words, w.stem) for s in top)
    }
    excused = set().union(*(put_down(s.words) for s in top))
    said = set().union(*(s.stems for s in every)) if every else set()
    for s in top:
        # 2. a negation added or dropped over the same words (and the same object)
        # a word a closer aligned sentence affirms is not 'dropped' by this one's negation
        closer = top[: top.index(s)]
        elsewhere = {w.stem for o in closer for w in o.words if not w.negated}
        flip = _negation_flip(cw, s.words, negated_by_any, elsewhere)
        if flip is not None and not prior and _of_prior(s.words, flip[1]):
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
        c_alts = {w.stem: i for i, w in enumerate(cw) if w.stem in cues.ALT_OF and not w.negated}
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
        fc, fp = _from_to(claim), _from_to(s.text)
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
        tc, tp = _than(cw), _than(s.words)
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


def _of_prior(ws: list[Word], st: str) -> bool:
    """Every ``st`` of the sentence is said of earlier work ('existing methods need X')."""
    at = [j for j, w in enumerate(ws) if w.stem == st]
    return bool(at) and all(about_prior(ws, j) for j in at)


# negators that are verbs of leaving out: what they scope over is negated only for their subject
VERB_NEGATORS = {
    cues.stem(w)
    for w in "avoid avoids avoiding avoided eliminate eliminates eliminating eliminated bypass "
    "bypasses bypassing forgo forgoes omit omits omitted omitting exclude excludes excluded "
    "excluding discard discards discarded discarding ignore ignores ignored ignoring neglect "
    "neglects neglected neglecting disregard disregards disregarded disregarding overlook "
    "overlooks overlooked overlooking".split()
}


# verbs that take away what follows them, negators or not ('removes X' says what 'eliminates X'
# says), and words that negate their clause by themselves ('zero cost', 'remains unexplored')
REMOVALS = VERB_NEGATORS | {
    cues.stem(w)
    for w in "remove removes removed removing strip strips stripped erase erases erased drop "
    "drops dropped prune prunes pruned delete deletes deleted purge purges filter filters "
    # 'trading X for Y' gives X up
    "trade trades traded trading".split()
}
_ZERO = {"zero", "nil", "null"}
# nouns after a noun that say it is lacking ('label scarcity' is 'a lack of labels')
LACKING = {
    cues.stem(w)
    for w in "scarcity shortage shortages lack limitation limitations deficiency deficiencies "
    "absence paucity dearth insufficiency".split()
}


def _said_otherwise(ws: list[Word], st: str) -> bool:
    """Every affirmed ``st`` of ``ws`` is negated in other words: after a verb of removal
    ('removes the ambiguity'), or in a clause with 'zero' or a word with a negating prefix
    ('zero additional cost', 'a systematic approach remains unexplored')."""
    found = False
    for k, w in enumerate(ws):
        if w.stem != st or w.negated or not w.content:
            continue
        found = True
        before = [x for x in ws[max(0, k - 3) : k] if x.clause == w.clause]
        if any(x.stem in REMOVALS for x in before):
            continue
        after = [x for x in ws[k + 1 : k + 3] if x.clause == w.clause and x.part == w.part]
        if any(x.stem in LACKING for x in after):
            continue  # 'domain knowledge limitations', 'data scarcity': the lack of it
        clause = [x for x in ws if x.clause == w.clause and x is not w]
        if any(x.text.lower() in _ZERO or _absent(x) for x in clause):
            continue
        if any(_negative_adjective(x) for x in clause):
            continue
        return False
    return found


def _absent(w: Word) -> bool:
    """A word saying its clause's thing is not there: absent, missing, unavailable."""
    return ("presence", -1) in cues.POLES.get(w.stem, ()) and cues.listed(w.text.lower())


def _negative_adjective(w: Word) -> bool:
    """An un-/non- adjective or participle ('unexplored', 'unclear', 'nontrivial' no: a word
    ending like an adjective); 'unlearning' is a term, not a negation."""
    low = w.text.lower()
    if not w.content or w.name or not low.startswith(("un", "non")):
        return False
    bare = negating_prefix(low)
    return bare is not None and (bare == "known" or bool(ADJ_END.search(bare)))


def _subject_missing(ws: list[Word], st: str, other: set[str]) -> bool:
    """The word ``st`` of ``ws`` is negated by a verb of leaving out whose subject (the content
    words of its clause before it) the other side never names: 'LoRASculpt eliminates harmful X' says
    nothing against 'LoRA introduces harmful X'."""
    for k, w in enumerate(ws):
        if w.stem != st or not w.negated:
            continue
        if w.by == "free":  # 'a data-free distillation approach': what is free, or its name
            subj = []
            for x in ws[k + 1 :]:  # the noun phrase it describes: up to a non-content word
                if x.head and x.by == "free":
                    continue
                if x.clause != w.clause or not x.content or len(subj) >= 3:
                    break
                subj.append(x.stem)
            subj += [x.stem for x in ws if x.clause == w.clause and x.name]
            return bool(subj) and not (set(subj) & other)
        if w.by not in VERB_NEGATORS:
            continue
        j = next((j for j in range(k - 1, -1, -1) if ws[j].stem == w.by), None)
        if j is None:
            continue
        subj = [x.stem for x in ws[:j] if x.clause == w.clause and x.content]
        return bool(subj) and not (set(subj) & other)
    return False


def _negation_flip(
    cw: list[Word],
    pw: list[Word],
    agree: set[str] = frozenset(),
    affirmed: set[str] = frozenset(),
) -> tuple[str, str] | None:
    """('dropped' or 'added', stem) when the first word a negation scopes over on one side is
    affirmed on the other side and negated nowhere there. Words of names affirm nothing; a
    word ``agree`` (negated by another aligned sentence too) is never 'added'."""
    pos_c = {w.stem for w in cw if w.content and not w.negated and not w.titled}
    neg_c = {w.stem for w in cw if w.content and w.negated}
    pos_p = {w.stem for w in pw if w.content and not w.negated and not w.titled}
    neg_p = {w.stem for w in pw if w.content and w.negated}
    all_c, all_p = {w.stem for w in cw}, {w.stem for w in pw}
    dropped = (neg_p - pos_p - affirmed) & (pos_c - neg_c) & {w.stem for w in pw if w.head}
    # the claim keeps a negation in the clause but over no content word ("... answer correctly
    # without it", "size alone is not what drives it"): it negates a pronoun or its subject
    loose = {w.clause for w in cw if w.dangling}
    # a word in a stretch with a 'not' is no plain affirmation: 'size alone does not explain
    # the drop' says what 'rather than size alone' says, and does not affirm the drop
    dropped -= _near_not(cw)
    # nor is the lesser side of a comparison: 'matters more than size alone' says what
    # 'rather than size alone' says
    dropped -= _after_than(cw)
    dropped = {
        st
        for st in dropped
        if not any(w.clause in loose for w in cw if w.stem == st)
        and not _phrase_negated(cw, st)
        and not _subject_missing(pw, st, all_c)
        and not _said_otherwise(cw, st)
    }
    if dropped:
        return "dropped", sorted(dropped)[0]
    added = (neg_c - pos_c) & (pos_p - neg_p) & {w.stem for w in cw if w.head}
    added = {
        st
        for st in added - agree
        if not _subject_missing(cw, st, all_p) and not _said_otherwise(pw, st)
    }
    if added:
        return "added", sorted(added)[0]
    return None


def _phrase_negated(ws: list[Word], st: str) -> bool:
    """Every ``st`` of ``ws`` follows a negated noun its phrase qualifies, within three words
    of its clause ('no loss in performance' negates what 'without performance degradation'
    does; 'the lack of labels')."""
    at = [k for k, w in enumerate(ws) if w.stem == st]
    return bool(at) and all(
        any(x.negated and x.head and x.clause == ws[k].clause for x in ws[max(0, k - 3) : k])
        for k in at
    )


def _after_than(ws: list[Word], n: int = 4) -> set[str]:
    """Stems of the first content words after each 'than', in its stretch of the clause."""
    out: set[str] = set()
    for k, w in enumerate(ws):
        if w.text.lower() != "than":
            continue
        side = [x for x in ws[k + 1 :] if x.clause == w.clause and x.part == w.part]
        out |= {x.stem for x in [y for y in side if y.content][:n]}
    return out


_PLAIN_NOT = {"not", "cannot", "never"}


def _near_not(ws: list[Word]) -> set[str]:
    """Stems of the content words in a stretch of a clause (up to a comma) with a 'not'."""
    spots = {(w.clause, w.part) for w in ws if not w.content and w.text.lower() in _PLAIN_NOT}
    return {x.stem for x in ws if x.content and (x.clause, x.part) in spots}


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
