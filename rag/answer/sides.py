"""Comparisons: the two things a comparison question compares, and sides that are no paper.

"...: A or B?", "between A and B", "How do A and B differ?", "What does A do differently
from B?", "Unlike B, how does A ...?" and more; a side such as "its baselines" or "prior work"
is what one paper compares itself with, not a second paper. Pure text rules over English.
"""

from __future__ import annotations

import re

from ..text import content_words, normalize_ws

# "How were A and B each evaluated?", "What did A and B each find?", "In A and B, how is ...
# measured?", "How do A and B evaluate their models each?" (side B up to its work noun): sides
# only when both name a work (a paper, method, system, ...), so that "How do the clients and
# the server each update?" stays a question about one paper
_WORK = (
    r"(?:paper|study|studies|work|method|approach|system|model|framework|benchmark|dataset|"
    r"corpus|technique|algorithm|pipeline|architecture|tool|toolkit|agent|attack|defen[cs]e|"
    r"survey|analysis|detector|filter|arena|suite|protocol|scheme|strategy|encoder|student|"
    r"network|policy|metric|task|llm|mllm|vlm|lvlm|estimator|classifier|recommender|generator|"
    r"solver|engine|simulator|regularizer|planner|retriever|paradigm|mechanism|variant|"
    r"objective|score|measure|principle|equation|formulation|collection|resource|platform|"
    r"assistant|interface)s?"
)
_EACH_SIDES = (
    # "Explain how A and B each ...", "Describe what A and B each ..."
    re.compile(
        r"^\s*(?:explain|describe|tell\s+me|show|say|summari[sz]e|outline)\s+(?:how|what|why|"
        r"where|which\s+\w+)\s+(?P<ab>.+?)\s+each\b",
        re.I,
    ),
    # "A and B each advertise something ...; what is it in each case?"
    re.compile(r"^\s*(?P<ab>.+?)\s+each\s+\w+[^;:?]*[;:,]\s*(?:what|how|which|why|where)\b", re.I),
    # "What does each conclude: A, and B?", "Which data does each use: A and B?"
    re.compile(
        r"^\s*(?:what|how|which|why|where)\b[^:?]*?\b(?:does|do|did|is|was)\s+each\b[^:?]*:\s*"
        r"(?P<ab>.+?)\s*\??$",
        re.I,
    ),
    re.compile(
        r"^\s*(?:how|what|which|why|where|in\s+what\s+ways?)\s+(?:\w+\s+){0,2}?"
        r"(?:do|does|did|are|is|were|was|have|has)\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)\s+each\b",
        re.I,
    ),
    re.compile(
        r"^\s*in\s+(?P<a>.+?)\s+and\s+(?P<b>[^,]+?)\s*,\s*(?:how|what|which|why|where)\b",
        re.I,
    ),
)
_IS_WORK = re.compile(rf"\b{_WORK}\b", re.I)
# ... or by the work's own name ("ProMedTS", "SeLLa-Rec", "ECON")
_WORK_NAME = re.compile(r"^(?:the\s+)?[A-Z][\w-]*[A-Z0-9][\w-]*$")


def _names_work(side: str) -> bool:
    """Does the side name a work: a work noun ("the table model") or the work's name?"""
    return bool(_IS_WORK.search(side) or _WORK_NAME.match(side.strip()))


# side B of "How do A and B evaluate their models each?" (a trailing "each") and of "Both A
# and B <verb> ...: how ...?" ends at the verb after its work noun (``_up_to_verb``)
_TAIL_EACH = re.compile(r"\beach\s*\??\s*$", re.I)
_BOTH = re.compile(r"^\s*both\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)\s*[:;,]\s", re.I)
# a work noun that the side's description goes on after ("the model for medicine", "the
# method that ...", "the paper's ...")
_GOES_ON = re.compile(
    r"^(?:of|for|that|which|who|with|without|on|in|from|to|by|based|using|trained|built|"
    r"where|whose|and|or)\b|^['’]s\b",
    re.I,
)


def _up_to_verb(side: str) -> str:
    """Side B of "Both A and B <verb> ...:" or of a trailing "each": up to the first work noun
    the verb follows."""
    for m in _IS_WORK.finditer(side):
        rest = side[m.end() :].strip()
        if rest and not _IS_WORK.match(rest) and not _GOES_ON.match(rest):
            return side[: m.end()]
    return side


# "A versus B: how does each ...?": the question after the colon is no part of side B
_ASK_AFTER = re.compile(r"\s*[:;]\s+(?:how|what|which|why|where|who|when|in\s+what)\b.*$", re.I)


# a determiner or a name that starts side B ("... the X and the Y", "... X and PerTA")
_SIDE_START = re.compile(r"^(?:(?:the|a|an|its|their|our)\b|[A-Z])")


def _split_and(ab: str) -> tuple[str, str] | None:
    """ "A and B" where A may hold an "and" itself ("the estimator for language and vision
    models and the backdoor filter"): the split whose two sides each name a work, side B
    starting with a determiner or a name; the last such split."""
    best = None
    for m in re.finditer(r",?\s+and\s+", ab):
        a, b = ab[: m.start()].strip(" ,;"), ab[m.end() :].strip(" ,;?.")
        if _names_work(a) and _names_work(b) and _SIDE_START.match(b):
            best = (a, b)
    return best


def each_sides(text: str) -> list[str]:
    """The two works of "How were A and B each ...?" and the like, or []."""
    t = normalize_ws(text).strip()
    for rx in _EACH_SIDES:
        m = rx.search(t)
        if m and "ab" in m.groupdict():
            split = _split_and(m.group("ab"))
            if split and split[0].lower() != split[1].lower():
                return [_SIDE_HEAD.sub("", split[0], count=1).strip(" ,;"), split[1]]
            continue
        if m:
            a, b = m.group("a").strip(" ,;"), m.group("b").strip(" ,;?.")
            if _TAIL_EACH.search(t):
                b = _up_to_verb(b)
            if _names_work(a) and _names_work(b) and a.lower() != b.lower():
                return [a, b]
    return []


_SIDES = (
    # "Which reports more ...: A or B?"
    re.compile(r":\s*(?P<a>.+?)\s+or\s+(?P<b>.+?)\s*\??$", re.I),
    # "... between A and B?", "Between A and B, which ...?"
    re.compile(r"\bbetween\s+(?P<a>.+?)\s+and\s+(?P<b>[^,?]+)", re.I),
    # "How does A compare with B (in ...)?"
    re.compile(
        r"^\s*how\s+(?:does|do|did)\s+(?P<a>.+?)\s+compare\s+(?:with|to|against)\s+"
        r"(?P<b>.+?)(?:\s+(?:in|on|for|when)\s+.*)?\s*\??$",
        re.I,
    ),
    # "Which of A and B ...?", "Which of the two, A or B, ...?"
    re.compile(
        r"^\s*which\s+of\s+(?:the\s+two,?\s+)?(?P<a>.+?)\s+(?:and|or)\s+(?P<b>[^,?]+)", re.I
    ),
    # "What do A and B have in common?", "Do A and B both ...?"
    re.compile(
        r"^\s*(?:what\s+)?(?:do|does|did|are|were|have)\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)\s+"
        r"(?:both|differ|share|have\s+in\s+common|agree)\b",
        re.I,
    ),
    # "Which ..., A or B?"
    re.compile(r"^\s*which\b[^,]*,\s*(?P<a>[^,]+?)\s+or\s+(?P<b>[^,?]+?)\s*\??$", re.I),
    # "How do A and B differ ...?", "In what ways do A and B differ?", "Where do A and B
    # disagree?", "How are the aims of A and B different?"
    re.compile(
        r"^\s*(?:how|in\s+what\s+ways?|where|why|what|in\s+what\s+respects?)\s+"
        r"(?:do|does|did|are|is|were)\s+(?:the\s+\w+\s+of\s+)?(?P<a>.+?)\s+and\s+(?P<b>.+?)\s+"
        r"(?:differ|disagree|diverge|contrast|compare|vary|different|similar|alike)\b",
        re.I,
    ),
    # "How similar are A and B?"
    re.compile(
        r"^\s*how\s+(?:similar|different|alike)\s+(?:are|were|is)\s+(?P<a>.+?)\s+and\s+"
        r"(?P<b>[^?]+?)\s*\??$",
        re.I,
    ),
    # "Is A or B evaluated on more ...?", "Do A and B use the same ...?"
    re.compile(
        r"^\s*(?:is|are|was|were|does|do|did|has|have|can)\s+(?P<a>(?:the|an?)\s+(?:[\w'-]+\s+){0,3}?"
        r"[\w-]+)\s+(?:or|and)\s+(?P<b>(?:the|an?)\s+(?:[\w'-]+\s+){0,3}?[\w-]+)"
        r"(?=\s+(?:\w+ed|\w+s|is|are|was|were|has|have|use|give|report|need|rely|make|both|"
        r"differ|share|achieve|perform|work|handle)\b)",
        re.I,
    ),
    # "Both A and B do X: how do they differ?" (side B up to the verb after its work noun)
    _BOTH,
    # "What does A do differently from B (when ...)?", "How is A different from B?"
    re.compile(
        r"^\s*(?:what|how|in\s+what\s+ways?|where)\s+(?:does|do|did|is|are|was|were)\s+"
        r"(?P<a>.+?)\s+(?:(?:do|does|did|work|works|act|acts|behave|behaves|operate|operates|"
        r"handle|handles|approach|approaches)\s+(?:it\s+|this\s+|them\s+)?)?"
        r"(?:differ(?:ently)?|different)\s+from\s+"
        r"(?P<b>.+?)(?:\s+(?:in|on|when|while|regarding|with\s+respect\s+to|for)\s+.*)?\s*\??$",
        re.I,
    ),
    # "What distinguishes A from B?"
    re.compile(
        r"\bwhat\s+(?:distinguishes|separates|sets\s+apart)\s+(?P<a>.+?)\s+(?:from|and)\s+"
        r"(?P<b>.+?)(?:\s+(?:in|on|when|regarding|with\s+respect\s+to)\s+.*)?\s*\??$",
        re.I,
    ),
    # "Unlike B, how does A ...?", "Compared with B, what does A ...?"
    re.compile(
        r"^\s*(?:unlike|in\s+contrast\s+(?:to|with)|as\s+opposed\s+to|compared\s+(?:to|with))\s+"
        r"(?P<b>[^,]+),\s*(?:how|what|which|why|where)\s+(?:\w+\s+)?(?:does|do|did|is|are)\s+"
        r"(?P<a>(?:the\s+|an?\s+)?[\w-]+(?:\s+[\w-]+){0,5}?)\s+(?=\w+(?:s|ed)?\b)",
        re.I,
    ),
    # "How does A, unlike B, ...?"
    re.compile(
        r"^\s*(?:how|what|which|why|where)\s+(?:does|do|did|is|are)\s+(?P<a>[^,]+?),?\s+"
        r"(?:unlike|in\s+contrast\s+(?:to|with)|as\s+opposed\s+to|compared\s+(?:to|with))\s+"
        r"(?P<b>[^,?]+)",
        re.I,
    ),
    # "Compare A with B", "A versus B"
    re.compile(
        r"\b(?:compare[sd]?|contrast(?:s|ed)?)\s+(?P<a>.+?)\s+(?:and|with|to)\s+(?P<b>.+?)"
        r"(?:\s+(?:on|in\s+terms\s+of|regarding|with\s+respect\s+to|in\s+how|as\s+to)\s+.*)?"
        r"\s*[?.]?$",
        re.I,
    ),
    re.compile(r"^\s*(?P<a>.+?)\s+(?:versus|vs\.?)\s+(?P<b>.+?)\s*\??$", re.I),
)


# the last resort: two definite descriptions joined ("the X method and the Y model ...")
_TWO_THE = re.compile(
    r"(?P<a>\bthe\s+[^,?:;]+?)\s+(?:and|or|with|to|from|versus|vs\.?)\s+(?P<b>the\s+[^,?:;]+?)"
    r"(?=\s+(?:differ|compare|both|in\s+terms|regarding|when|in\s+what|on\s+what|with\s+respect"
    r"|do|does|have|share|use|different|differently|disagree)\b|\s*[,?:;]|\s*$)",
    re.I,
)
_SIDE_HEAD = re.compile(
    r"^(?:(?:what|how|which|why|where|in\s+what\s+ways?)\s+)?(?:(?:does|do|did|is|are|was|were)\s+)?",
    re.I,
)


# a side that is no paper of its own: what one paper compares its method with
_GENERIC = (
    r"(?:(?:the|its|their|our|a|an|other|several|many|most)\s+)*(?:[\w-]+\s+){0,3}?"
    r"(?:baselines?|counterparts?|alternatives|competitors|existing\s+[\w-]+|prior\s+[\w-]+|"
    r"previous\s+[\w-]+|conventional\s+[\w-]+|traditional\s+[\w-]+|standard\s+[\w-]+|"
    r"state[\s-]of[\s-]the[\s-]art(?:\s+[\w-]+)?|sota(?:\s+[\w-]+)?|other\s+(?:methods|"
    r"approaches|models|systems|techniques|works?))"
)
_GENERIC_SIDE = re.compile(rf"^{_GENERIC}\s*$", re.I)
# ... also when the side patterns find no sides ("How does X differ from prior work?")
_GENERIC_REF = re.compile(
    rf"\b(?:from|with|to|than|unlike|over|against|versus|vs\.?)\s+{_GENERIC}"
    r"(?:\s+(?:in|on|for|when|regarding)\b.*)?\s*[?.!]?\s*$",
    re.I,
)


def comparison_sides(text: str) -> list[str]:
    """The two things a comparison compares ("...: A or B?" -> [A, B]), or [] when unclear."""
    return each_sides(text) or pattern_sides(text)


def pattern_sides(text: str) -> list[str]:
    """The two sides by the comparison patterns other than the "each" forms, or []."""
    t = normalize_ws(text).strip()
    for rx in (*_SIDES, _TWO_THE):
        m = rx.search(t)
        if m:
            a = _SIDE_HEAD.sub("", m.group("a").strip(" ,;"), count=1).strip(" ,;")
            b = _ASK_AFTER.sub("", m.group("b")).strip(" ,;?.")
            if rx is _BOTH:
                b = _up_to_verb(b)
            if content_words(a) and content_words(b) and a.lower() != b.lower():
                return [a, b]
    return []


def generic_side(side: str) -> bool:
    """Is the side what one paper compares itself with ("its baselines", "prior work")?"""
    return bool(_GENERIC_SIDE.search(side))


def against_generic(question: str) -> bool:
    """Does the question compare something with such a side ("... differ from prior work?")?"""
    return bool(_GENERIC_REF.search(question))


__all__ = ["against_generic", "comparison_sides", "each_sides", "generic_side", "pattern_sides"]
