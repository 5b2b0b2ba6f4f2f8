"""Prefixed antonyms: a word and the same word with a negating prefix (stable / unstable,
efficient / inefficient) on the two sides of a claim check, and the words that put a clause
down ('poor', 'absent', a negator) which excuse one.

Split from ``rag.answer.polarity`` (the direction check), which calls ``prefix_antonym``.
"""

from __future__ import annotations

import re

from . import cues
from .cues import stem
from .scope import Word
from .verdicts import PassageSentence

# words of rarity, which put their clause down as a negator does ('little explored')
_FEW = {"little", "rarely", "seldom", "barely", "hardly", "scarcely", "few"}


def negates_clause(w: Word) -> bool:
    """A negator, or a word that puts its clause down: poor, low, absent, lacking, little."""
    if (not w.content and w.stem in cues.NEG_STEMS) or w.text.lower() in _FEW:
        return True
    poles = cues.POLES.get(w.stem, ())
    return (
        (("quality", -1) in poles or ("presence", -1) in poles)
        and cues.listed(w.text.lower())
        and not w.negated
    )


_NEG_PREFIX = re.compile(r"^(un|non|in|im|ir|il|dis)-?(.{5,})$")
# in-, im-, ir-, il- and dis- negate adjectives and their nouns (inefficient, imbalanced,
# dissimilar), but mostly form other verbs (implant, improve, involve, discover, display)
ADJ_END = re.compile(
    r"(?:able|ible|ent|ant|ive|al|ate|ete|ect|ic|ous|ar|id|ite|ful|ed|ity|ence|ance|ency|ness)$"
)


def negating_prefix(word: str) -> str | None:
    """The base of a word with a negating prefix (unstable -> stable, underexplored ->
    explored), else None."""
    low = word.lower()
    if low.startswith("under"):
        # under- before a participle says too little of it: 'underexplored', 'understudied'
        return low[5:] if low.endswith("ed") and len(low) >= 11 else None
    m = _NEG_PREFIX.match(word)
    if not m:
        return None
    base = m.group(2)
    if m.group(1) not in ("un", "non") and (len(base) < 6 or not ADJ_END.search(base)):
        return None
    return base


def affirmed_elsewhere(word: str, top: list[PassageSentence], s: PassageSentence) -> bool:
    """Another aligned sentence than ``s`` states the claim's ``word`` itself, not negated."""
    st = stem(word.lower())
    return any(any(w.stem == st and not w.negated for w in o.words) for o in top if o is not s)


_HARD = {"hard", "difficult", "impossible", "tough", "challenging"}


def _hard_to(ws: list[Word], w: Word) -> bool:
    """``w`` follows 'hard to' ('hard to explain', 'difficult to scale')."""
    k = next((k for k, x in enumerate(ws) if x is w), 0)
    return k >= 2 and ws[k - 1].text.lower() == "to" and ws[k - 2].text.lower() in _HARD


def put_down(ws: list[Word]) -> set[str]:
    """Stems of the words in clauses that a negator or a down word puts down ('is poor')."""
    down = {w.clause for w in ws if negates_clause(w)}
    return {w.stem for w in ws if w.clause in down}


def prefix_antonym(
    cw: list[Word], s: PassageSentence, excused: set[str] = frozenset()
) -> tuple[str, str] | None:
    """(claim word, passage word) when one is the other with a negating prefix; a claim's
    'unsound' is excused when an aligned sentence puts 'soundness' down ('is poor')."""
    c_stems = {w.stem for w in cw}
    for a, b, a_stems, b_stems, flip in (
        (cw, s.words, c_stems, s.stems, False),
        (s.words, cw, s.stems, c_stems, True),
    ):
        b_by_stem = {w.stem: w for w in b if w.content and not w.name}
        for w in a:
            if not w.content or w.name:
                continue
            bare = negating_prefix(w.text.lower())
            if bare is None or w.stem in b_stems:
                continue
            base = stem(bare)
            if not flip and base in excused:
                continue
            if base in b_by_stem and base not in a_stems and not b_by_stem[base].negated:
                other = b_by_stem[base]
                if _hard_to(b, other):
                    continue  # 'hard to explain' says what 'inexplainable' says
                if any(x.clause == other.clause and negates_clause(x) for x in b):
                    continue  # 'no approach had been explored' says what 'unexplored' says;
                    # 'the soundness is poor' what 'unsound' says
                pair = (w.text, other.text)
                return pair if not flip else (pair[1], pair[0])
    return None
