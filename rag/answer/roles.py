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
# ... and after a preposition it is governed by it, no subject either (built once, not per word)
_COMPARED_OR_GOVERNED = _NOT_SUBJECT | set(cues.PREPOSITIONS)


def _sides(ws: list[Word], i: int) -> tuple[set[str], set[str]]:
    """The content words (names too) of the clause before and after word ``i``; a number says
    how much, not who ('12% higher than B')."""
    clause = ws[i].clause
    side = [w.clause == clause and w.content and not w.text[:1].isdigit() for w in ws]
    before = [w for k, w in enumerate(ws[:i]) if side[k]][-SIDE:]
    after = [w for k, w in enumerate(ws[i + 1 :], i + 1) if side[k]][:SIDE]
    key = {cues.root(ws[i].stem)}
    return (
        {cues.root(w.stem) for w in before} - key,
        {cues.root(w.stem) for w in after} - key,
    )


def crossed(cw: list[Word], i: int, pw: list[Word], j: int) -> bool:
    """The claim's word ``i`` and the passage's word ``j`` relate the same two sides swapped:
    the claim's subject is the passage's object and its object the passage's subject (both
    words relate two sides: 'outperforms', 'lags', 'improves'; not 'weakly')."""
    if not _relates(cw, i) or not _relates(pw, j):
        return False
    if _passive(cw, i) or _passive(pw, j):
        return False  # a passive not read as its active ('is improved on by'): sides unknown
    cb, ca = _sides(cw, i)
    pb, pa = _sides(pw, j)
    # 'our method outperforms B' has the paper's own method on its side: a name of the claim
    # (or 'the proposed method' on the claim's side too)
    ca_own = ca & pb or (_own(pw, j, before=True) and _names_own(cw, i, before=False))
    cb_own = cb & pa or (_own(pw, j, before=False) and _names_own(cw, i, before=True))
    if not ((cb & pa and ca_own) or (ca & pb and cb_own)):
        return False
    own_side = 0 if (cb & pa and ca & pb) else 1  # one side matched by 'our' and a name
    return len(cb & pa) + len(ca & pb) + own_side > len(cb & pb) + len(ca & pa)


def compares_other(cw: list[Word], i: int, pw: list[Word], j: int) -> bool:
    """Both words relate two sides, and a name on one side of the claim's word is compared by
    another relating word of the passage sentence, outside the stretch of word ``j`` (between
    commas), which names no 'our' for it either: word ``j`` compares other things ('A
    outperforms conventional methods, with our B 12% higher than C' is no counterpart of 'C
    trails B')."""
    if not _relates(cw, i) or not _relates(pw, j):
        return False
    cb, ca = _sides(cw, i)
    clause = cw[i].clause
    names = {cues.root(w.stem) for w in cw if _name_like(w) and w.clause == clause} & (cb | ca)
    stretch = [w for w in pw if w.clause == pw[j].clause and w.part == pw[j].part]
    if not names or any(w.text.lower() in _OWN for w in stretch):
        return False
    out = names - {cues.root(w.stem) for w in stretch}
    return any(
        out & set().union(*_sides(pw, k))
        for k, w in enumerate(pw)
        if w not in stretch and _relates(pw, k)
    )


def _name_like(w: Word) -> bool:
    """A name, also at the start of a sentence: capitals or digits after its first letter."""
    return w.name or (w.content and w.text[1:] != w.text[1:].lower())


_MEASURE_HEADS = {cues.stem(w) for w in "rate rates ratio".split()}


def metric_sign(ws: list[Word], i: int) -> int:
    """1 when word ``i`` acts on a measure where higher is better ('higher accuracy than'), -1
    when lower is better ('reduces inference cost', 'a lower error rate'), else 0: the head of
    the noun phrase after it decides ('narrows the performance gap' acts on a gap)."""
    run: list[Word] = []
    for w in ws[i + 1 : i + 6]:
        if w.clause != ws[i].clause or (not w.content and run) or len(run) >= 3:
            break
        if w.content:
            run.append(w)
    if len(run) >= 2 and run[-1].stem in _MEASURE_HEADS:
        run.pop()
    head = run[-1].stem if run else ""
    return 1 if head in cues.METRICS_UP else -1 if head in cues.METRICS_DOWN else 0


def _relates(ws: list[Word], i: int) -> bool:
    """Word ``i`` relates two sides: a comparison verb ('outperforms', 'lags'), or a direction
    word with 'than' right after it in its clause ('a looser bound than B')."""
    if ws[i].stem in RELATIONAL:
        return True
    near = [w for w in ws[i + 1 : i + 5] if w.clause == ws[i].clause]
    return any(w.text.lower() == "than" for w in near)


# words by which a paper names its own method on one side of a comparison
_OWN = {"our", "we", "ours", "proposed"}


def _side(ws: list[Word], i: int, before: bool) -> list[Word]:
    """The words of word ``i``'s clause on one side of it (up to ``SIDE`` words away)."""
    span = ws[max(0, i - SIDE) : i] if before else ws[i + 1 : i + 1 + SIDE]
    return [w for w in span if w.clause == ws[i].clause]


def _own(ws: list[Word], i: int, before: bool) -> bool:
    """The side of word ``i`` (before or after it, in its clause) names the paper's own work."""
    return any(w.text.lower() in _OWN for w in _side(ws, i, before))


def _names_own(ws: list[Word], i: int, before: bool) -> bool:
    """The side of word ``i`` holds a name (a capitalised word inside the sentence) or names
    the paper's own work ('the proposed')."""
    return any(w.name or w.text.lower() in _OWN for w in _side(ws, i, before))


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
    """The sentence speaks of earlier work ('existing methods', 'prior defenses'), not only as
    what it compares with ('unlike existing approaches, X ...', 'better than prior work')."""

    def compared(k: int) -> bool:
        prev = {x.text.lower() for x in ws[max(0, k - 2) : k] if x.clause == ws[k].clause}
        return bool(prev & _NOT_SUBJECT)

    return any(
        (w.stem in PRIOR and not compared(k)) or _opens_field(ws, k) for k, w in enumerate(ws)
    )


_RELATIVE = {"that", "which", "who"}


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
            if not (set(prev) & _COMPARED_OR_GOVERNED):
                return True
            # 'in contrast to existing approaches that derive X': said of them all the same
            return any(x.text.lower() in _RELATIVE for x in ws[k + 1 : j])
    return False


# words that open a clause of cause, time or contrast: what follows is not an object
NO_OBJECT = (cues.SCOPE_STOP - {"and"}) | {"due", "if", "unless", "once"}


# ... nor is what a comparison is compared with ('matters more for X than size alone')
_NOT_AN_OBJECT = NO_OBJECT | {"than"}


def object_of(ws: list[Word], i: int, n: int = 3) -> set[str]:
    """The first content words after word ``i`` in its clause, up to a word opening a clause of
    its own: what it acts on ('difficult because experts are scarce' acts on no experts)."""
    out: set[str] = set()
    for w in ws[i + 1 :]:
        if w.clause != ws[i].clause or len(out) >= n or w.text.lower() in _NOT_AN_OBJECT:
            break
        if w.content and w.text.islower():
            out.add(cues.root(w.stem))
    return out


_IMPROVE = {cues.stem(w) for w in "improve improves improved improving".split()}


def compares(ws: list[Word], i: int) -> bool:
    """Word ``i`` compares two sides: a relating word, except 'improves X' said of one thing
    ('improves downstream performance'; 'improves on B' and 'improves over B' compare)."""
    if ws[i].stem not in RELATIONAL:
        return False
    if ws[i].stem not in _IMPROVE:
        return True
    nxt = ws[i + 1].text.lower() if i + 1 < len(ws) and ws[i + 1].clause == ws[i].clause else ""
    return nxt in ("on", "upon", "over", "than")


def restated(cw: list[Word], i: int, axis: str, sign: int, pdirs) -> bool:
    """An aligned passage sentence has a word of the claim's direction word ``i``'s axis and
    pole over one of the same next two words ('smaller models', 'eliminates harmful X' for
    'removes harmful X'): the claim restates it, whatever else is near."""
    if compares(cw, i):
        return False  # a comparison: which side is which matters ('B improves upon A')
    obj = object_of(cw, i, 2) | passive_subject(cw, i)
    return bool(obj) and any(
        a == axis and ps == sign and obj & object_of(s.words, j, 2)
        for s, dirs in pdirs
        for a, ps, _c, j in dirs
    )


_BE = {"is", "are", "was", "were", "be", "been", "being"}


def passive_subject(ws: list[Word], i: int, n: int = 2) -> set[str]:
    """For a participle after a form of 'be' ('updates are introduced'), the content words
    before it: what it acts on in the active ('we introduce updates')."""
    if i < 2 or not ws[i].text.lower().endswith("ed") or ws[i - 1].text.lower() not in _BE:
        return set()
    before = [w for w in ws[: i - 1] if w.clause == ws[i].clause and w.content][-n:]
    return {cues.root(w.stem) for w in before if w.text.islower()}


def acted_on(ws: list[Word], i: int) -> bool:
    """Word ``i`` is a noun of a quality ('robustness', 'stability') right after a direction
    verb of its clause ('hurt robustness', 'improves the stability'): that verb's object."""
    if not ws[i].text.lower().endswith(("ness", "ity", "ment")):
        return False
    for w in reversed(ws[max(0, i - 3) : i]):
        if w.clause != ws[i].clause:
            return False
        if w.content:
            return w.stem in cues.POLES and cues.listed(w.text.lower()) and not w.name
    return False


# words opening a clause of condition or time: what a direction word there says is the
# setting, not the finding ('performance degrades as depth grows')
_CONDITION = {"as", "when", "whenever", "once", "if", "until"}


def in_condition(ws: list[Word], i: int, reach: int = 6) -> bool:
    """Word ``i`` is in a clause of condition or time opened within ``reach`` words before it in
    its stretch ('as system depth grows'; not 'such as', 'as well as')."""
    for k in range(i - 1, max(-1, i - 1 - reach), -1):
        w = ws[k]
        if w.clause != ws[i].clause or w.part != ws[i].part:
            return False
        low = w.text.lower()
        if low in _CONDITION:
            prev = ws[k - 1].text.lower() if k else ""
            return not (low == "as" and prev in ("such", "well", "as", "so"))
    return False
