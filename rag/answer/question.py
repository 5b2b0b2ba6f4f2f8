"""Question analysis: the kind of answer a question wants, its parts, and what a list asks for.

Both answerers use it: the extractive one to pick sentences that answer each part (and to
shape list answers), the LLM one to decide how many sources a list question gets and to ask
the model to cover every part. Pure text rules over English question forms; nothing here is
fitted to a particular corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..text import content_words, normalize_ws
from .frames import plain_list_request
from .sides import against_generic, comparison_sides, each_sides, generic_side, pattern_sides
from .terms import GENERIC

KINDS = (
    "reason",
    "quantity",
    "name",
    "finding",
    "yesno",
    "method",
    "compound",
    "list",
    "comparison",
)

_AUX = r"(?:is|are|was|were|does|do|did|can|could|will|would|has|have|had|should|may|might)"
_WH = r"(?:what|which|who|whom|whose|where|when|why|how|in\s+which|on\s+which|for\s+which)"
# the start of a clause that is a question on its own ("and how many ...", ", and does ...")
_PART_START = re.compile(
    rf"^(?:(?:on|in|at|for|from|with|across|by|of|to|into|under|over)\s+)?(?:{_WH}|{_AUX})\b", re.I
)
_JOIN = re.compile(
    r",?\s+\band\b\s+|,\s+(?=(?:and\s+)?(?:what|which|how|why|does|do|is|are|can)\b)", re.I
)

_BARE_WH = re.compile(r",?\s+(?:and|but)\s+(why|how)(?:\s+so)?\s*\??\s*$", re.I)

_LIST = re.compile(
    r"\b(?:which|what)\s+(?:papers?|works?|studies|articles|approaches|methods)\b"
    r"|\b(?:which|what)\s+(?:ones?|of\s+(?:them|those|these|the\s+papers))\b"
    r"|\bwhat\s+(?:work|research|literature)\s+(?:is|exists|has been)\b"
    r"|\b(?:is|are)\s+there\s+(?:any\s+)?(?:work|papers|research|studies)\b"
    r"|\blist\s+(?:the\s+|all\s+)?papers\b"
    r"|\bpapers\s+(?:that|which|on|about|using|applying|covering|addressing|proposing|"
    r"studying|where|whose)\b|^\s*any\s+papers\b"
    r"|\b(?:which|what)\s+abstracts\b",
    re.I,
)
# "Which medical papers ...?", "Which federated learning studies ...?": a list whose papers are
# of a kind named before the noun (that kind is then one concept the papers must hold)
_QUALIFIED = re.compile(
    r"^\s*(?:and\s+|also\s+|so\s+)?(?:which|what)\s+(?P<qual>(?!(?:of|one|ones|"
    rf"{_AUX})\b)"
    r"(?:[\w-]+\s+){1,3}?)(?:papers|studies|articles|abstracts)\s+"
    r"(?:(?:is|are|was|were|do|does|did|has|have)\s+)?",
    re.I,
)
_RESTRICT = re.compile(
    r"\b(?:of\s+(?:them|those|these)|which\s+one|among\s+(?:them|those|these))\b", re.I
)
_COMPARE = re.compile(
    r"\b(?:compare[ds]?|comparison|versus|vs\.?|what\s+is\s+the\s+difference|"
    r"which\s+(?:one\s+)?(?:reports|achieves|gives|has|shows)\s+(?:the\s+)?"
    r"(?:larger|higher|lower|smaller|better|bigger|more))\b"
    r"|\bhow\s+do\b.*\bdiffer\b|^\s*both\b"
    r"|^\s*which(?:\s+one)?\s+\w+\b[^:?]*:\s*\S.*\bor\b"
    # "Which gains more over its baselines, A or B?" (a comparative, then the two after a comma;
    # "Which papers study X, Y or Z?" is a list)
    r"|^\s*which(?:\s+one)?\s+(?!(?:papers?|works?|studies|articles?|ones)\b)\w+\b[^,:?]*"
    r"\b(?:larger|higher|lower|smaller|better|bigger|more|less|fewer|faster|slower|worse|"
    r"cheaper|stronger|weaker)\b[^,:?]*,\s*\S.*\bor\b"
    r"|\bcompares?\s+(?:with|to|against)\b|\bhave\s+in\s+common\b"
    r"|\bdiffer(?:s|ent|ently)?\s+from\b|\bunlike\b|\bin\s+contrast\s+(?:to|with)\b"
    r"|\bas\s+opposed\s+to\b|\bcompared\s+(?:to|with)\b"
    r"|\bwhat\s+(?:distinguishes|separates|sets\s+apart)\b"
    r"|^\s*contrast\b|\bwhich\s+of\s+the\s+(?:two|both)\b"
    r"|^\s*between\b[^,]+\band\b[^,]+,\s*(?:which|what|how|who)\b",
    re.I,
)
# comparisons only when two sides are found: "In what ways do A and B differ?", "Where do A and
# B disagree?", "What do A and B share?", "How similar are A and B?"
_COMPARE_SIDES = re.compile(
    r"\b(?:do|does|did|are|is|were)\s+\S.*\s+and\s+\S.*\s+(?:differ|disagree|diverge|"
    r"contrast|share|overlap|agree|different|similar|alike)\b"
    r"|\bhow\s+(?:similar|different|alike)\b",
    re.I,
)
# a yes/no question that is a choice between two works ("Is A or B evaluated on more ...?",
# "Do A and B use the same ...?")
_CHOICE = re.compile(
    r"^\s*(?:is|are|was|were|does|do|did|has|have|can)\s+(?:the|an?)\s+[^?]*?\s+(?:or|and)\s+"
    r"(?:the|an?)\s+[^?]*?\b(?:more|less|fewer|larger|higher|lower|smaller|better|worse|faster|"
    r"slower|the\s+same|similar|both|alike|in\s+common)\b",
    re.I,
)
# "Which paper reports more ...: A or B?": a choice between two, not a list
_PICK = re.compile(r"^\s*which(?:\s+\w+){0,3}\b[^:?]*:\s*\S.*\bor\b", re.I)
_REASON = re.compile(
    r"^\s*(?:(?:according\s+to|in|for)\b[^,]*,\s*)?(?:why|for\s+what\s+reason|"
    r"what\s+(?:is|was|are)\s+the\s+(?:reasons?|motivation|causes?)|"
    r"what\s+(?:motivates|causes|drives|makes)|what\s+limits|what\s+holds\s+back)\b",
    re.I,
)
_QUANTITY = re.compile(
    r"\bhow\s+(?:many|much|large|big|small|long|fast|often|accurate(?:ly)?|well|far)\b"
    r"|\bby\s+how\s+much\b|\bwhat\s+(?:share|percentage|fraction|proportion|number|accuracy|"
    r"score|speed-?ups?|size|ratio|rate|gains?|improvements?|reductions?)\b|\bhow\s+many\b",
    re.I,
)
_NAME = re.compile(
    r"\b(?:called|named|dubbed|termed|the\s+name\s+of|what\s+name)\b"
    r"|^\s*(?:on|in|with|against|from)?\s*(?:which|what)\s+(?:\w+[\s-]){0,3}?"
    r"(?:datasets?|benchmarks?|statistics?|metrics?|models?|methods?|tasks?|baselines?|"
    r"architectures?|algorithms?|frameworks?|tools?|libraries|measures?|families|strateg\w+|"
    r"factors|techniques?)\b",
    re.I,
)
_FINDING = re.compile(
    r"\bwhat\s+(?:did|do|does)\b.*\b(?:show|find|reveal|observe|report|suggest|demonstrate)\b"
    r"|\bwhat\s+(?:matters|happens|else)\b|\bin\s+which\s+(?:settings|cases|conditions)\b"
    r"|\bhow\s+does\b.*\b(?:change|grow|scale|behave|vary|compare|affect)\b"
    r"|\bwhat\s+(?:results?|findings?|effect|impact|gains?)\b",
    re.I,
)
_METHOD = re.compile(
    r"^\s*how\s+(?:can|could|do|does|did|is|are|was|were|should|to|would)\b"
    r"|\b(?:is|are)\s+there\s+(?:a|an|any)\s+(?:\w+[\s-]){0,3}?"
    r"(?:method|way|approach|technique|framework|system|model|means)\b"
    r"|\bwhat\s+(?:method|approach|technique|mechanism)\b.*\b(?:used|uses|does)\b",
    re.I,
)
# "Does X ...?", also after a leading setting ("In federated learning, does X ...?")
_YESNO = re.compile(
    rf"^\s*(?:(?:in|for|on|under|with|among|according\s+to|across|when)\b[^,?]{{0,80}},\s*)?"
    rf"{_AUX}\b",
    re.I,
)
_ANY_OF = re.compile(
    rf"^\s*(?:and\s+)?{_AUX}\s+(?:any|some|one|none)\s+of\s+(?:them|those|these)\b", re.I
)
_CONTEXT = re.compile(r"\s*\(([^()]*)\)\s*$")
_LIST_LEAD = re.compile(
    r"^\s*(?:and\s+|also\s+|so\s+)?(?:which|what)\s+(?:of\s+(?:them|those|these|the\s+papers)\s+|"
    r"one\s+|ones\s+|"
    r"(?:papers?|works?|studies|articles|abstracts|research|work|literature|approaches|methods)\s+)"
    r"(?:is\s+there\s+|exists?\s+|(?:is|are|was|were|do|does|did|has|have)\s+)?"
    r"|^\s*(?:is|are)\s+there\s+(?:any\s+)?(?:work|papers|research|studies)\s+"
    r"|^\s*(?:list|show|find)\s+(?:me\s+)?(?:the\s+|all\s+)?papers\s+"
    # "Any papers that ...?", "Papers on ...?", "I'm looking for papers that ..."
    r"|^\s*(?:(?:i'?m|i\s+am)\s+looking\s+for\s+|(?:are\s+there\s+)?any\s+)?"
    r"(?:papers|studies|work)\s+(?:(?:that|which)\s+(?:(?:is|are|do|does)\s+)?)?"
    rf"|^\s*(?:and\s+)?{_AUX}\s+(?:any|some|one|none)\s+of\s+(?:them|those|these)\s+"
    r"(?:(?:papers|abstracts|studies|works)\s+)?",
    re.I,
)
_TOPIC_LEAD = re.compile(
    r"^\s*(?:that\s+|which\s+)?(?:(?:are|is)\s+)?(?:(?:propose|study|studies|address|tackle|"
    r"addresses|tackles|investigates|explores|"
    r"use|uses|involve|involves|investigate|explore|deal\s+with|work\s+on|focus\s+on|"
    r"are\s+about|is\s+about|about|on|in|into|of)\s+(?:or\s+\w+\s+)?)+",
    re.I,
)


@dataclass
class Part:
    """One question the user asks (a compound question has several)."""

    text: str
    kind: str
    target: str = ""  # "how many X": X; "what is the X called": X


@dataclass
class QuestionAnalysis:
    """What a question asks for: its kind, its parts, and for a list what the papers must do."""

    text: str  # the question as asked (without a follow-up's context)
    kind: str
    parts: list[Part]
    context: str = ""  # a follow-up's earlier question ("... (previous question)")
    topic: str = ""  # for a list: what the papers must be about or do
    restrict: bool = False  # "which of them ...": the papers of ``context`` only
    context_topic: str = ""  # the topic of the earlier question
    sides: list[str] = field(default_factory=list)  # a comparison: the two things compared
    # "How do X ...?": what the on-topic test checks to tell whether several papers answer it
    broad_topic: str = ""
    broad: bool = False  # several papers are about it about equally (set by the retrieval)

    @property
    def is_list(self) -> bool:
        return self.kind == "list"

    @property
    def compound(self) -> bool:
        return len(self.parts) > 1

    def instructions(self) -> str:
        """What the answer must cover, in words for a model's prompt."""
        if self.is_list:
            return (
                "The question asks which papers do something: name every source that does it, "
                "one line per paper with its citation; if none of them does, say so plainly."
            )
        if self.broad:
            return (
                "Several sources are about this: answer from each of them that does, citing "
                "each, rather than from one source only."
            )
        if self.compound:
            lines = [f"{i}. {p.text}" for i, p in enumerate(self.parts, start=1)]
            return "The question has several parts; answer each of them:\n" + "\n".join(lines)
        return _KIND_HINT.get(self.kind, "")


_KIND_HINT = {
    "reason": "It asks why: state the reason the source gives.",
    "quantity": "It asks for a number: state it with its unit.",
    "name": "It asks for a name: state the name.",
    "finding": "It asks for a result: state what was found.",
    "yesno": "It is a yes/no question: start with yes or no, then the evidence.",
    "method": "It asks how: state how it is done.",
    "comparison": "It compares: state what each paper reports, side by side.",
}


# "How do/can X ...?": a question that several papers may answer, each its own way
_BROAD_LEAD = re.compile(r"^\s*how\s+(?:can|could|do|does|did|is|are|should|would)\s+", re.I)
# ... but not one that points at one paper: "the paper that ...", "the federated graph method",
# "this framework", or a method by its name ("How does PerTA ...?", "How is LoRA merged ...?")
_ONE_WORK = re.compile(
    r"\b(?:the|this|that|its|their)\s+(?:[\w-]+\s+){0,5}?(?:paper|work|study|article|approach|"
    r"method|framework|system|model|technique|algorithm|benchmark|dataset|tool|pipeline|"
    r"architecture|defen[cs]e|attack|strategy|scheme|procedure|arena|authors?)(?![\w-])"
    r"(?!\s+(?:is|are)\s+there)",
    re.I,
)
_NAMED = re.compile(r"(?<![\w-])(?=[\w-]*[a-z][A-Z])[A-Za-z][\w-]*|(?<![\w-])[A-Za-z]+-?\d[\w-]*")
_LEADING_SETTING = re.compile(r"^\s*(?:according\s+to|in|for|within|across)\b[^,?]*,\s*", re.I)
_HOW_METHOD = re.compile(r"^\s*how\s+(?:can|could|do|does|did|is|are|should|to|would)\b", re.I)


def part_kind(text: str) -> str:
    """The kind of answer one (non-compound) question wants."""
    t = normalize_ws(text)
    if _REASON.search(t):
        return "reason"
    if _YESNO.match(t):
        if _NAME.search(t) and re.search(r"\b(?:called|named)\b", t, re.I):
            return "name"
        return "method" if _METHOD.search(t) else "yesno"
    # "In the medical framework, how do ...?": how it is done, after a leading setting
    how = _LEADING_SETTING.sub("", t, count=1)
    if _HOW_METHOD.match(how) and not _FINDING.search(t):
        return "method"
    if _QUANTITY.search(t):
        return "quantity"
    if _NAME.search(t):
        return "name"
    if _FINDING.search(t):
        return "finding"
    if _METHOD.search(t):
        return "method"
    if _YESNO.match(t):
        return "yesno"
    if re.match(r"^\s*how\b", how, re.I):
        return "method"
    return "finding"


_WHY_PROBLEM = re.compile(
    r"\b(?:hard|harder|difficult|challenging|impractical|infeasible|costly|expensive|"
    r"prohibitive|slow|inefficient|insufficient|inadequate|limited|fail\w*|struggle\w*|"
    r"lag\w*|underperform\w*|poor\w*|degrad\w*|damag\w*|harm\w*|hurt\w*|unreliable|"
    r"unstable|overfit\w*|biased|drift\w*|bottleneck\w*|problem\w*|issues?|risk\w*|"
    r"wrong|bad|worse|break\w*|not|n't|never|no\s+longer|cannot|unable|lack\w*|"
    r"held\s+back|hold\w*\s+back|limit\w*|prevent\w*|hinder\w*|insufficient\w*)\b",
    re.I,
)


_NOT_NOUN = {"is", "are", "was", "were", "can", "could", "does", "do", "did", "will", "would"}


def _target(text: str, kind: str) -> str:
    """The noun a quantity or name question asks about ("how many datasets" -> "datasets");
    for a reason, ``"problem"`` when it asks why something is wrong ("why is X hard?")."""
    if kind == "reason":
        return "problem" if _WHY_PROBLEM.search(text) else ""
    if kind == "quantity":
        m = re.search(r"\bhow\s+many\s+((?:[\w-]+\s+){0,2}?[\w-]+?s)\b", text, re.I)
        if m:
            return m.group(1)
        # "how large a population", "how long a context": the noun measured
        m = re.search(
            r"\bhow\s+(?:large|big|small|long|wide|deep|fast)\s+(?:an?\s+)?([a-z][\w-]+)\b",
            text,
            re.I,
        )
        if m and m.group(1).lower() not in _NOT_NOUN:
            return m.group(1)
        m = re.search(
            r"\bwhat\s+(share|percentage|fraction|accuracy|score|speed-?up|size)\b", text, re.I
        )
        return m.group(1) if m else ""
    if kind == "name":
        m = re.search(
            r"\b(datasets?|benchmarks?|statistics?|metrics?|models?|methods?|tasks?|"
            r"frameworks?|systems?|tools?|algorithms?|measures?|architectures?)\b",
            text,
            re.I,
        )
        return m.group(1) if m else ""
    return ""


def points_at_one_work(text: str) -> bool:
    """Does the question point at one paper or method ("the paper that ...", "the graph
    method", "this framework", a method's name such as "PerTA" or "GPT-4o") rather than at
    an area several papers work on?"""
    t = normalize_ws(text)
    return bool(_ONE_WORK.search(t) or _NAMED.search(t))


def split_parts(text: str) -> list[str]:
    """The questions a compound question joins ("What is X called, and how many Y?")."""
    t = normalize_ws(text).strip()
    pieces: list[str] = []
    rest = t
    start = 0
    for m in _JOIN.finditer(t):
        after = t[m.end() :]
        if not _PART_START.match(after):
            continue
        left = t[start : m.start()].strip(" ,;")
        if len(content_words(left)) < 1 or len(content_words(after)) < 1:
            continue
        pieces.append(left)
        start = m.end()
    rest = t[start:].strip(" ,;")
    if not pieces:
        bare = _BARE_WH.search(t)  # "Is there a limit on X, and why?": two questions
        if bare and _YESNO.match(t) and not _LIST.search(t):  # "Why is there a limit ...?"
            left = t[: bare.start()].strip(" ,;").rstrip("?").strip()
            wh = bare.group(1).lower()
            return [left + "?", f"{wh.capitalize()} {left[:1].lower() + left[1:]}?"]
    if pieces and not _PART_START.match(pieces[0]):
        return [t]
    if pieces and rest:
        pieces.append(rest)
    if len(pieces) < 2:
        return [t]
    out = []
    for p in pieces:
        p = p.rstrip("?").strip()
        out.append(p[:1].upper() + p[1:] + "?")
    return out


def yes_no_statement(text: str) -> str:
    """A yes/no question read as a statement, its auxiliary and leading setting dropped ("In X,
    does A improve B?" -> "A improve B")."""
    return _YESNO.sub("", normalize_ws(text), count=1).strip().rstrip("?").strip()


def list_request(text: str) -> str:
    """What a list question asks the papers to do, its verb kept ("Which papers propose a new
    dataset?" -> "propose a new dataset")."""
    t = normalize_ws(text).strip().rstrip("?.! ")
    return _LIST_LEAD.sub("", t, count=1).strip() or t


# "Which papers on X use Y?": papers of a kind (X, after the noun) that do something (Y)
_SCOPED = re.compile(
    r"^(?:on|about|in|regarding|concerning)\s+(?P<kind>\S.*?)\s+(?:that\s+|which\s+)?"
    r"(?:also\s+)?(?:(?:are|do|does|have|has)\s+)?(?P<rest>(?:use|apply|adapt|study|propose|"
    r"combine|address|tackle|evaluate|introduce|present|develop|build|train|improve|reduce|"
    r"extend|leverage|employ|exploit|rely|report|compare|explore|investigate|analy[sz]e|"
    r"detect|protect|remove|integrate|incorporate|release|achieve|handle|deal|focus|involve|"
    r"mention|discuss|consider|show|find|measure|provide|offer|support|enable|target)\b.*)$",
    re.I,
)


# "Are there papers that study X? Which?": the second question asks for the list again
_WHICH_TAIL = re.compile(
    r"[?.!]\s*(?:which|which\s+ones?|which\s+papers?|name\s+them|list\s+them)\s*[?.!]*\s*$", re.I
)


def list_topic(text: str) -> str:
    """What the papers of a list question must be about or do ("Which papers use X?" -> "use X";
    "Which medical papers use X?" -> "X in medical": the kind of paper named before the noun
    is a concept of the request, unless it names none: "Which recent papers ..."; so is the kind
    named after it: "Which papers on federated learning use LoRA?" -> "LoRA in federated
    learning"). A list asked in another frame is read as "Which papers ...?" first (also the
    earlier question of a follow-up: "Can you list papers on X?")."""
    t = _WHICH_TAIL.sub("", normalize_ws(plain_list_request(text))).strip().rstrip("?.! ")
    m = _QUALIFIED.match(t)
    if m:
        rest = _TOPIC_LEAD.sub("", t[m.end() :], count=1).strip()
        if rest and _names_a_kind(m.group("qual")):
            kind = [w for w in m.group("qual").split() if not (content_words(w) & _AS_PAPERS)]
            return f"{rest} in {' '.join(kind)}"
        if rest:
            return rest
    stripped = _LIST_LEAD.sub("", t, count=1)
    if stripped != t and (s := _SCOPED.match(stripped)) and _names_a_kind(s.group("kind")):
        rest = _TOPIC_LEAD.sub("", s.group("rest"), count=1).strip()
        if rest:
            return f"{rest} in {s.group('kind').strip()}"
    stripped = _TOPIC_LEAD.sub("", stripped, count=1).strip()
    return stripped or t


# words that say what kind of publication a paper is, not what it is about
_AS_PAPERS = content_words(
    "research scientific academic published publications arxiv conference journal "
    "peer-reviewed open-access preprint"
)


def _names_a_kind(qualifier: str) -> bool:
    """ "medical", "federated learning": a word that says what papers are about; not "recent",
    "other", "two", "these" (GENERIC and stop words), nor "research", "published"."""
    return any(w not in GENERIC and w not in _AS_PAPERS for w in content_words(qualifier))


def analyze(question: str) -> QuestionAnalysis:
    """The kind, parts and (for a list) topic of a question or a rewritten follow-up."""
    q = normalize_ws(question).strip()
    context = ""
    m = _CONTEXT.search(q)
    if m and m.start() > 0:
        context = m.group(1).strip()
        q = q[: m.start()].strip()
    if not (context and _RESTRICT.search(q)):  # "Can you list papers on X?": "Which papers on X?"
        q = plain_list_request(q)
    restrict = bool(context and _RESTRICT.search(q))
    texts = split_parts(q)
    qualified = _QUALIFIED.match(q) is not None  # "Which medical / recent papers ...?"
    is_list = bool(_LIST.search(texts[0]) or qualified) and len(texts) == 1 and not _PICK.match(q)
    if restrict and len(texts) == 1 and _ANY_OF.match(q):
        is_list = True  # "do any of them ...?": which of the earlier papers do it
    if is_list or (len(texts) == 1 and restrict and re.match(r"^\s*(?:and\s+)?which\b", q, re.I)):
        topic = list_topic(q)
        ctx_topic = list_topic(context.split(";")[0]) if context else ""
        kind = "list"
        return QuestionAnalysis(
            q,
            kind,
            [Part(q, kind)],
            context=context,
            topic=topic,
            restrict=restrict,
            context_topic=ctx_topic,
        )
    each = each_sides(q)  # the sides, read once
    sides = each or pattern_sides(q)
    if (
        each
        or (_COMPARE.search(q) and not _YESNO.match(q))
        or (_COMPARE_SIDES.search(q) and not _YESNO.match(q) and len(sides) == 2)
        or (_CHOICE.match(q) and len(sides) == 2)
    ):
        # "compared with its baselines / existing methods": one paper's result, not two papers
        generic = any(generic_side(x) for x in sides) or (not sides and against_generic(q))
        if not generic:
            return QuestionAnalysis(
                q, "comparison", [Part(q, "comparison")], context=context, sides=sides
            )
    parts = []
    for p in texts:
        k = part_kind(p)
        parts.append(Part(p, k, _target(p, k)))
    kind = "compound" if len(parts) > 1 else parts[0].kind
    broad = ""
    if kind == "method" and (m := _BROAD_LEAD.match(q)) and not points_at_one_work(q):
        broad = q[m.end() :].strip().rstrip("?.! ")
    return QuestionAnalysis(q, kind, parts, context=context, broad_topic=broad)


__all__ = [
    "KINDS",
    "Part",
    "QuestionAnalysis",
    "analyze",
    "comparison_sides",
    "list_request",
    "list_topic",
    "part_kind",
    "points_at_one_work",
    "split_parts",
    "yes_no_statement",
]
