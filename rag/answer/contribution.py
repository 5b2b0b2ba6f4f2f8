"""What a list question asks the papers to contribute ("Which papers release a new dataset?")
and whether a paper says it contributes it ("we build a new dataset of ...", "our code is
available at https://github.com/...")."""

from __future__ import annotations

import re

from ..text import split_sentences, tokenize

# "Which papers release / introduce / construct a new X?": what the papers must contribute
_VERB = (
    r"(?:introduc|propos|present|releas|construct|buil[dt]|creat|develop|collect|curat|"
    r"contribut|design|provid|establish|generat|publish|open-sourc|offer|assembl|compil|shar)"
    r"(?:e|es|ed|ing|s|d|ding|ds)?"
)
# a verb of telling before it says the same: "describe building a new X", "report collecting"
_TELL = r"(?:(?:describ|report|detail|document|explain)(?:e|es|ed|ing|s)?\s+)?"
_ASK_CONTRIB = re.compile(
    rf"^\s*{_TELL}{_VERB}(?:\s*(?:,|\band\b|\bor\b)\s*{_VERB})*\s+(?!(?:and|or)\b)"
    r"(?:(?:an?|the|any|some|their|its)\s+)?(?:(?:own|new|novel|original|fresh)\s+)*(?P<obj>\S.*)$",
    re.I,
)
_VERB_WORD = re.compile(rf"^{_VERB}$", re.I)
_OBJ_TAIL = re.compile(r"\s+(?:for|of|on|to|that|which|with|in|about|from|by)\s+.*$", re.I)
CONTRIB_WINDOW = 10  # the thing contributed follows its verb within this many words
PASSIVE_WINDOW = 4  # ... or its verb follows it closely ("the code is released")
_AVAILABLE = re.compile(r"^(?:available|accessible|public|publicly|open-source[ds]?)$", re.I)


# "make X (publicly) available": X is released
_MAKE_AVAILABLE = re.compile(
    r"^\s*(?:make|makes|made|making)\s+(?:(?:an?|the|their|its|our|all)\s+)?(?P<obj>.+?)\s+"
    r"(?:(?:publicly|freely|openly)\s+)?(?:available|public|accessible|open[- ]?sourced?)\s*$",
    re.I,
)
# "have publicly available X", "with open-source X", "whose X is available", "X available":
# X is released (asked so, only code is: "public health" is a topic)
_HAVE_AVAILABLE = re.compile(
    r"^\s*(?:(?:(?:have|has|having|with|provide|provides)\s+)?(?:(?:an?|the|their|its)\s+)?"
    r"(?:(?:publicly|freely|openly)\s+)?(?:available|public|released|open[- ]?sourced?)\s+"
    r"(?P<obj>.+?)|(?:whose\s+)?(?P<whose>.+?)\s+(?:(?:is|are)\s+)?(?:(?:publicly|freely|openly)\s+)?"
    r"(?:available|public|released|open[- ]?sourced?))\s*$",
    re.I,
)
# what research prose calls the code it releases: asked as any of them, it is "code"
_CODE_WORDS = {
    "code", "codes", "implementation", "implementations", "software", "codebase",
    "source code", "source", "toolkit", "library",
}  # fmt: skip


# a sentence saying the paper's code is out: "our code is available", "the source code will be
# released", "we release our implementation" (not "code generation is a task"); or a link to a
# code host ("The benchmark can be accessed at https://github.com/...")
_CODE_NOUN = r"(?:source\s+)?(?:codes?|implementations?|software|codebases?|repositor(?:y|ies))"
_CODE_OUT = re.compile(
    rf"\b{_CODE_NOUN}(?:\s+(?:and|&)\s+[\w-]+)?"
    r"(?:\s+(?:is|are|will|be|has|have|been|was|were|can|shall|made|now|also|all|publicly|"
    r"freely|openly))*\s+(?:available|availiable|accessible|released|open[- ]?sourced|public|"
    r"shared|hosted|provided)\b",
    re.I,
)
_CODE_RELEASED = re.compile(
    r"\b(?:releas\w*|open[- ]?sourc\w*|publish\w*|shar(?:e|es|ed|ing))\s+"
    rf"(?:(?:our|the|their|its|all|an?|full|complete|public)\s+)*{_CODE_NOUN}\b",
    re.I,
)
_LINK = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.I)
_CODE_HOST = re.compile(r"\b(?:github|gitlab|bitbucket|codeberg|sourceforge)\b", re.I)


def code_sentence(sent: str) -> bool:
    """Does this sentence say the paper's code is out: the code (implementation, software,
    repository) is available or released, or a link to a code host, or a link in a sentence
    naming the code?"""
    if _CODE_OUT.search(sent) or _CODE_RELEASED.search(sent):
        return True
    return bool(
        _LINK.search(sent)
        and (_CODE_HOST.search(sent) or re.search(rf"\b{_CODE_NOUN}\b", sent, re.I))
    )


def states_code(text: str) -> bool:
    """Does the abstract say its code is out (``code_sentence``)? Whether a paper releases
    code is a property of the paper, not its topic: the sentence is the whole evidence."""
    return any(code_sentence(s) for s in split_sentences(text) or [text])


# what "Which papers release their code?" retrieves besides its wording: the words of the
# sentences that say so (BM25 finds the links, the dense side the phrasing)
CODE_QUERY = "our code is publicly available at https://github.com"
# a request for code joined to a topic ("Which federated learning papers release their
# code?"): the words asking for it
CODE_ASKED = re.compile(
    r"\b(?:(?:releas\w*|shar(?:e|es|ed|ing)|publish\w*|open[- ]?sourc\w*|provid\w*|make|makes|"
    r"made|making)\s+(?:(?:their|its|the|our|all|an?)\s+)?(?:(?:source|public|open[- ]source)\s+)?"
    rf"{_CODE_NOUN}(?:\s+(?:and|&)\s+[\w-]+)?(?:\s+(?:(?:publicly|freely|openly)\s+)?"
    r"(?:available|public|accessible|open[- ]?sourced?))?|(?:publicly\s+available|public|"
    rf"open[- ]source[ds]?|released)\s+{_CODE_NOUN}|{_CODE_NOUN}\s+(?:(?:is|are)\s+)?"
    r"(?:(?:publicly|freely|openly)\s+)?(?:available|released|public))\b",
    re.I,
)


def contribution_object(topic: str) -> str:
    """ "release a new dataset" -> "dataset", "make their implementation publicly available"
    -> "code": what a list question asks the papers to contribute, or "" when the topic asks
    for something else ("use X", "study X")."""
    bare = topic.strip(" ?.!")
    m = _ASK_CONTRIB.match(topic.strip()) or _MAKE_AVAILABLE.match(bare)
    h = None if m else _HAVE_AVAILABLE.match(bare)
    if not m and not h:
        return ""
    obj = (m.group("obj") if m else h.group("obj") or h.group("whose")).strip(" ,.?")
    obj = re.sub(r"^(?:an?|the|their|its|our)\s+", "", obj, flags=re.I)
    if len(tokenize(obj)) > 4:  # "a benchmark for how well X ...": the thing, not its purpose
        obj = _OBJ_TAIL.sub("", obj).strip(" ,.?")
    if any(part.lower() in _CODE_WORDS for part in re.split(r"\s*(?:,|&|\band\b)\s*", obj)):
        return "code"  # "code and data": the papers releasing their code
    if h:  # "public health" is a topic: only code is asked for by an adjective
        return ""
    return obj if 1 <= len(tokenize(obj)) <= 4 else ""


_OBJ_ALTERNATIVES = re.compile(r"\s*(?:,|;|/|\bor\b)\s*", re.I)


def states_contribution(title: str, text: str, obj: str) -> bool:
    """Does the paper say it contributes ``obj``: a sentence with a verb of contributing
    ("we build", "introduces", "release") followed closely by the object's head noun, with
    every word of the object in it (or the title holds them all)? An object of alternatives
    ("a dataset or benchmark", "an attention mechanism or attention layer") is contributed
    when one of them is. Code is contributed when the paper says it is out (``states_code``)."""
    if obj == "code":
        return states_code(text)
    alts = [a for a in _OBJ_ALTERNATIVES.split(obj) if tokenize(a)]
    if len(alts) > 1:
        return any(states_contribution(title, text, a) for a in alts)
    terms = set(tokenize(obj))
    head_terms = tokenize(_OBJ_TAIL.sub("", obj)) or tokenize(obj)
    head = head_terms[-1] if head_terms else ""
    if not terms or not head:
        return False
    if terms <= set(tokenize(title)):
        return True
    if not terms <= set(tokenize(title + " " + text)):
        return False
    for sent in split_sentences(text) or [text]:
        words = re.findall(r"[\w-]+", sent)
        verbs = [i for i, w in enumerate(words) if _VERB_WORD.match(w)]
        heads = [i for i, w in enumerate(words) if head in tokenize(w)]
        if any(0 < h - v <= CONTRIB_WINDOW for v in verbs for h in heads):
            return True  # "we build a new X", "introduces X, a benchmark"
        if any(0 < v - h <= PASSIVE_WINDOW for v in verbs for h in heads):
            return True  # "X is released", "our X are publicly available"
        avail = [i for i, w in enumerate(words) if _AVAILABLE.match(w)]
        if any(0 < a - h <= PASSIVE_WINDOW for a in avail for h in heads):
            return True
    return False


__all__ = [
    "CODE_ASKED",
    "CODE_QUERY",
    "code_sentence",
    "contribution_object",
    "states_code",
    "states_contribution",
]
