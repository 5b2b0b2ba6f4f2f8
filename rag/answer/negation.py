"""Negations added or dropped: a claim that negates what its passage affirms, or affirms what
it negates, over the same words ('requires no labels' against 'requires labels').

``negation_flip`` is the check; the rest says when a negation is said in other words ('zero
cost', 'remains unexplored', 'removes X', 'label scarcity'), belongs to a subject the other side
never names, or is no plain affirmation. Split from ``rag.answer.polarity``, which calls it.
"""

from __future__ import annotations

from . import cues
from .antonyms import ADJ_END, negating_prefix
from .roles import about_prior
from .scope import Word


def of_prior(ws: list[Word], st: str) -> bool:
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


def said_otherwise(ws: list[Word], st: str) -> bool:
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


def subject_missing(ws: list[Word], st: str, other: set[str]) -> bool:
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


def negation_flip(
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
        and not subject_missing(pw, st, all_c)
        and not said_otherwise(cw, st)
    }
    if dropped:
        return "dropped", sorted(dropped)[0]
    added = (neg_c - pos_c) & (pos_p - neg_p) & {w.stem for w in cw if w.head}
    added = {
        st
        for st in added - agree
        if not subject_missing(cw, st, all_p)
        and not said_otherwise(pw, st)
        and not _not_but_only(cw, pw, st)
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


def _not_but_only(cw: list[Word], pw: list[Word], st: str) -> bool:
    """The claim negates ``st`` and goes on with 'only' ('does not transmit the full model,
    only the adapters') where the passage has ``st`` right before 'only' ('transmits only the
    adapters'): the same restriction said two ways."""

    def only_in(ws: list[Word]) -> bool:
        return any(x.text.lower() == "only" for x in ws)

    c = [k for k, w in enumerate(cw) if w.stem == st and w.negated]
    p = [k for k, w in enumerate(pw) if w.stem == st and not w.negated]

    def later(k: int) -> list[Word]:  # after a comma or a 'but'
        rest = cw[k + 1 :]
        cut = next((m for m, x in enumerate(rest) if x.part != cw[k].part or x.text == "but"), None)
        return [] if cut is None else rest[cut:]

    return any(only_in(later(k)) for k in c) and any(only_in(pw[k + 1 : k + 3]) for k in p)


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
