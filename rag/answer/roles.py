"""Who a direction word is about: the two sides of a comparison, and the prior work a sentence
contrasts with.

``crossed`` tells a comparison restated with its sides swapped ("B is outperformed by A",
"B lags behind A") from one that is reversed; ``about_prior`` tells a passage sentence that
describes earlier methods ("existing methods require X") from one about the paper's own.
"""

from __future__ import annotations

from . import cues
from .scope import Word

# words that relate two sides ("A outperforms B", "A is better than B"): restated with the
# sides swapped, the opposite word says the same thing
RELATIONAL = {
    cues.stem(w)
    for w in "outperform outperforms outperformed outperforming surpass surpasses surpassed "
    "surpassing beat beats beating exceed exceeds exceeded exceeding better superior "
    "underperform underperforms underperformed underperforming worse inferior lag lags "
    "lagging trail trails trailing behind improve improves improved improving".split()
}
SIDE = 6  # content words either side of the relating word taken as its two sides
# words that mark a noun phrase as earlier work, not the paper's own
PRIOR = {
    cues.stem(w)
    for w in "existing prior previous previously conventional traditional earlier".split()
}
# a marker after one of these names what is compared with, not who acts ("unlike prior work")
_NOT_SUBJECT = {"unlike", "than", "over", "beyond", "compared", "versus", "vs", "against"}


def _sides(ws: list[Word], i: int) -> tuple[set[str], set[str]]:
    """The content words (names too) of the clause before and after word ``i``."""
    clause = ws[i].clause
    before = [w for w in ws[:i] if w.clause == clause and w.content][-SIDE:]
    after = [w for w in ws[i + 1 :] if w.clause == clause and w.content][:SIDE]
    key = {cues.root(ws[i].stem)}
    return (
        {cues.root(w.stem) for w in before} - key,
        {cues.root(w.stem) for w in after} - key,
    )


def crossed(cw: list[Word], i: int, pw: list[Word], j: int) -> bool:
    """The claim's word ``i`` and the passage's word ``j`` relate the same two sides swapped:
    the claim's subject is the passage's object and its object the passage's subject (both
    words relate two sides: 'outperforms', 'lags', 'improves'; not 'weakly')."""
    if cw[i].stem not in RELATIONAL or pw[j].stem not in RELATIONAL:
        return False
    if _passive(cw, i) or _passive(pw, j):
        return False  # a passive not read as its active ('is improved on by'): sides unknown
    cb, ca = _sides(cw, i)
    pb, pa = _sides(pw, j)
    if not (cb & pa and ca & pb):
        return False
    return len(cb & pa) + len(ca & pb) > len(cb & pb) + len(ca & pa)


def _passive(ws: list[Word], i: int) -> bool:
    """Word ``i`` is a participle with its agent after it: '(is) improved ... by'."""
    if not ws[i].text.lower().endswith("ed"):
        return False
    return any(w.text.lower() == "by" for w in ws[i + 1 : i + 4] if w.clause == ws[i].clause)


# a quantifier opening a stretch names common practice, not the paper's own: 'many models'
FIELD = {"many", "most"}


def _opens_field(ws: list[Word], k: int) -> bool:
    """Word ``k`` is 'many' or 'most' opening its clause or stretch ('however, many models')."""
    w = ws[k]
    if w.text.lower() not in FIELD:
        return False
    return k == 0 or ws[k - 1].clause != w.clause or ws[k - 1].part != w.part


def mentions_prior(ws: list[Word]) -> bool:
    """The sentence names earlier work anywhere ('existing methods', 'prior defenses')."""
    return any(w.stem in PRIOR or _opens_field(ws, k) for k, w in enumerate(ws))


def about_prior(ws: list[Word], j: int) -> bool:
    """Word ``j`` is said of earlier work: a marker of prior work stands before it in its
    clause as the subject (no comma between, not after 'unlike' or 'than'), or the stretch
    opens with 'many' or 'most' ('many models overlook X')."""
    clause, part = ws[j].clause, ws[j].part
    for k in range(j - 1, -1, -1):
        w = ws[k]
        if w.clause != clause or w.part != part:
            return False
        if _opens_field(ws, k):
            return True
        if w.stem in PRIOR:
            prev = [x.text.lower() for x in ws[max(0, k - 2) : k] if x.clause == clause]
            return not (set(prev) & (_NOT_SUBJECT | set(cues.PREPOSITIONS)))
    return False
