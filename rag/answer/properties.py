"""List requests for a kind of evidence rather than a topic: "Which papers back their claims
with theoretical analysis?", "Which papers claim state-of-the-art results?".

Such a request is about what a paper says of its own work, in one sentence, whatever the paper
is about: the calibrated on-topic test (which compares a paper with the request's topic) is the
wrong test for it. A paper has the property when one of its sentences states it
(``states``); a request asking for nothing else lists every retrieved paper that does
(``only_property``), and a request joining a topic and a property ("Which federated learning
papers back their approach with theoretical analysis?") keeps the on-topic papers that state it
(``concepts.ConceptTest``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..text import STOPWORDS, split_sentences
from .contribution import CODE_ASKED, CODE_QUERY, code_sentence
from .cues import stem


@dataclass(frozen=True)
class Property:
    """A kind of evidence: how a request asks for it, whether a sentence of a paper states
    it, and what the retrieval asks for besides the question (the words of such sentences)."""

    name: str
    asked: re.Pattern
    stated: Callable[[str], bool]
    query: str
    # the sentence is the whole evidence (code out, a count): a paper without one lacks it,
    # whatever its words; else (theory, ...) prose says it in more ways than the cues know,
    # and a paper may still hold the request by its words or meaning
    decisive: bool = False


_SOTA = r"(?:state[- ]of[- ]the[- ]art|SOTA)"
THEORY = Property(
    "theoretical analysis",
    re.compile(
        r"\b(?:theoretical(?:ly)?|theorems?|mathematical(?:ly)?\s+(?:analys\w*|proofs?|"
        r"guarantees?|justification|grounding|foundations?|derivations?|arguments?)|proofs?|"
        r"proves?|proving|provabl[ey]|guarantees?)\b",
        re.I,
    ),
    re.compile(
        r"\b(?:theoretic\w*|theorems?|provabl[ey]|prove|proves|proving|proofs?|"
        r"proved(?!\s+(?:to\s+be\s+)?(?:highly\s+|very\s+)?(?:effective|successful|useful|"
        r"valuable|popular|powerful|beneficial|crucial|essential))|guarantee[sd]?|"
        r"with[- ]high[- ]probability|mathematical\w*|closed[- ]form|"
        r"(?:upper|lower|regret|error|generali[sz]ation)\s+bounds?|"
        r"convergence\s+(?:analysis|rates?|guarantees?))\b",
        re.I,
    ).search,
    "we prove a theorem and give a theoretical analysis with guarantees",
)
SOTA = Property(
    "state-of-the-art results",
    # a claim of results ("claim state-of-the-art results", "beat the state of the art"), not
    # an adjective of what a paper uses ("improve state-of-the-art LLMs for medicine")
    re.compile(
        r"\b(?:claim\w*|report\w*|achiev\w*|reach\w*|sets?|obtain\w*|beat\w*|outperform\w*|"
        r"surpass\w*|exceed\w*|match\w*|establish\w*|attain\w*)\s+(?:[\w-]+\s+){0,3}?"
        rf"(?:(?:a|the)\s+)?(?:new\s+)?{_SOTA}|\b{_SOTA}\s+(?:results?|performance|accuracy|"
        r"scores?)\b",
        re.I,
    ),
    re.compile(
        r"\b(?:achiev\w*|attain\w*|sets?|setting|establish\w*|reach\w*|deliver\w*|obtain\w*|"
        r"yield\w*|record\w*)\s+(?:[\w-]+\s+){0,3}?(?:a\s+)?(?:new\s+)?" + _SOTA + r"\b|"
        r"\b(?:outperform\w*|surpass\w*|exceed\w*|beat\w*|improv\w*|rival\w*|match\w*|"
        r"competitive\s+with|on\s+par\s+with|comparable\s+to)\s+(?:[\w-]+\s+){0,8}?"
        + _SOTA
        + r"\b",
        re.I,
    ).search,
    "our method achieves state-of-the-art performance and outperforms state-of-the-art methods",
)
UNSEEN = Property(
    "tests on unseen conditions",
    # what a paper is tested on ("test on unseen tasks", "held out from training",
    # "generalize to new domains"), not a kind of task named as the topic ("zero-shot
    # classification")
    re.compile(
        r"\b(?:test\w*|evaluat\w*|validat\w*|generali[sz]\w*|transfer\w*|work\w*|hold\w*|"
        r"perform\w*|robust\w*)\s+(?:[\w-]+\s+){0,6}?(?:on|to|in|under|across|for)\s+"
        r"(?:[\w-]+\s+){0,3}?(?:unseen|held[- ]out|out[- ]of[- ](?:domain|distribution)|OOD|new|"
        r"novel)\b(?:\s+[\w-]+)?|\bheld[- ]out\s+from\s+training\b|\b(?:unseen|held[- ]out|"
        r"out[- ]of[- ](?:domain|distribution)|OOD)\s+(?:tasks?|domains?|data|inputs?|sites?|"
        r"views?|conditions?|settings?)\b|\b(?:new|novel)\s+(?:sites?|views?|domains?|hospitals?|"
        r"cohorts?)\b",
        re.I,
    ),
    re.compile(
        r"\b(?:unseen|held[- ]out|out[- ]of[- ](?:domain|distribution)|OOD|zero[- ]shot|"
        r"novel\s+(?:views?|domains?|sites?|tasks)|new[- ]sites?|external(?:ly)?\s+validat\w*|"
        r"cross[- ]domain|generali[sz]\w*\s+(?:well\s+)?to\s+(?:new|unseen|novel|other))\b",
        re.I,
    ).search,
    "generalizes to unseen held-out tasks and out-of-domain data",
)
# "training-free", "without any gradients", "no fine-tuning" (not "without training data")
_NO_TRAINING = (
    r"(?:training|fine-tuning|retraining|re-training|gradient\s+updates?|gradients?|"
    r"backpropagation|parameter\s+updates?|weight\s+updates?)(?!\s+(?:data|sets?|samples))"
)
TRAINING_FREE = Property(
    "no training",
    re.compile(
        r"\b(?:training[- ]free|tuning[- ]free|gradient[- ]free|backprop\w*[- ]free|forward[- ]only|"
        rf"(?:no|without)\s+(?:any\s+)?{_NO_TRAINING})\b",
        re.I,
    ),
    re.compile(
        r"\b(?:training[- ]free|tuning[- ]free|gradient[- ]free|backprop\w*[- ]free|forward[- ]only|"
        rf"without\s+(?:any\s+|additional\s+|further\s+|extra\s+)?{_NO_TRAINING}|"
        rf"(?:requires?|needs?|with)\s+no\s+(?:additional\s+|further\s+|extra\s+)?{_NO_TRAINING})\b",
        re.I,
    ).search,
    "a training-free method that works without any gradient updates or fine-tuning",
)
CODE = Property("code", CODE_ASKED, code_sentence, CODE_QUERY, decisive=True)
PROPERTIES = (CODE, THEORY, SOTA, UNSEEN, TRAINING_FREE)

# "ten or more datasets", "at least 3 benchmarks", "more than five languages"
_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "dozen": 12,
}  # fmt: skip
_NUM = r"(?:\d+|" + "|".join(_NUMBERS) + ")"
_COUNT_ASKED = re.compile(
    rf"\b(?:(?P<ormore>{_NUM})\s+or\s+more|at\s+least\s+(?P<least>{_NUM})|"
    rf"more\s+than\s+(?P<than>{_NUM})|over\s+(?P<over>{_NUM})|(?P<plus>\d+)\s*\+)\s+"
    r"(?P<nouns>[\w-]+(?:\s+(?:(?:or|and|/)\s+)?[\w-]+){0,3}?)"
    r"(?=\s+(?:for|of|on|in|to|that|which|with|across|from|at|by)\b|\s*[?.!,;]|\s*$)",
    re.I,
)
COUNT_BACK = 8  # a count of a noun is said within this many words before it
MIN_COUNT = 3  # "two or more X", "more than one X" ask for several X, not for a count
# what the experiments of a paper count ("on 12 datasets", "with 1,173 patients"): asked with
# a number, these are a count; any other noun stays a topic
_COUNTED = {
    stem(w)
    for w in (
        "datasets", "benchmarks", "tasks", "languages", "models", "LLMs", "domains", "metrics",
        "baselines", "corpora", "environments", "scenarios", "architectures", "backbones",
        "clients", "participants", "patients", "subjects", "samples", "cases", "hospitals",
        "sites", "games", "robots", "users", "documents", "images", "videos", "questions",
        "sizes", "scales", "variants",
    )
}  # fmt: skip


def _number(word: str) -> int | None:
    w = word.lower().replace(",", "")
    if w.isdigit():
        return int(w)
    return _NUMBERS.get(w)


def count_property(request: str) -> Property | None:
    """ "run experiments on ten or more datasets or benchmarks": a paper has it when a sentence
    counts at least ten of the nouns asked ("on 12 benchmarks"; "six homophilic and five
    heterophilic graph datasets" are eleven)."""
    m = _COUNT_ASKED.search(request)
    if not m:
        return None
    raw = next(m.group(g) for g in ("ormore", "least", "than", "over", "plus") if m.group(g))
    least = (_number(raw) or 0) + (1 if m.group("than") or m.group("over") else 0)
    alts = re.split(r"\s+(?:or|and|/)\s+", m.group("nouns"))
    heads = {stem(a.split()[-1]) for a in alts if a.split()}
    if least < MIN_COUNT or not heads or not heads <= _COUNTED:
        # "two or more modalities", "more than one model": several, not a count
        return None
    asked = re.compile(re.escape(m.group(0)), re.I)
    return Property(
        f"{least} or more {m.group('nouns')}",
        asked,
        lambda sent: _counted(sent, heads) >= least,
        f"experiments on {least} {m.group('nouns')}",
        decisive=True,
    )


def _counted(sentence: str, heads: set[str]) -> int:
    """The largest count of a noun of ``heads`` the sentence states: the numbers within
    ``COUNT_BACK`` words before the noun, summed over a list ("six A and five B datasets");
    a percentage or a decimal is no count."""
    words = re.findall(r"[\w.%,-]+", sentence)
    best = 0
    for i, w in enumerate(words):
        if stem(w.strip(".,")) not in heads:
            continue
        total = 0
        for back in reversed(words[max(0, i - COUNT_BACK) : i]):
            b = back.strip(",")
            n = _number(b)
            if n is not None:
                total += n
            elif b.lower() in STOPWORDS and b.lower() not in {"and", "or"}:
                break  # "on", "of": the phrase counting the noun starts after it
        best = max(best, total)
    return best


# the words a property request says besides the property and the topic, in research questions
# ("back their claims with theoretical analysis rather than experiments alone"): when only
# these remain, the request asks for the property and nothing else
GENERIC = {
    "claim", "claims", "claimed", "back", "backs", "backed", "support", "supports",
    "supported", "show", "shows", "report", "reports", "provide", "provides", "give", "gives",
    "offer", "offers", "present", "presents", "achieve", "achieves", "obtain", "obtains",
    "reach", "reaches", "set", "sets", "establish", "establishes", "demonstrate",
    "demonstrates", "derive", "derives", "include", "includes", "contain", "contains",
    "result", "results", "performance", "finding", "findings", "outcome", "outcomes",
    "approach", "approaches", "method", "methods", "technique", "techniques", "work", "works",
    "paper", "papers", "study", "studies", "experiments", "experiment", "experimental",
    "empirical", "empirically", "evidence", "alone", "only", "rather", "just", "purely",
    "solely", "instead", "new", "own", "analysis", "analyses", "justify", "justified",
    "formal", "formally", "rigorous", "rigorously", "solid", "strong", "grounding",
    "foundation", "foundations", "ones", "one", "any", "some", "test", "tests", "tested",
    "testing", "evaluate", "evaluates", "evaluated", "evaluation", "run", "runs", "conditions",
    "condition", "settings", "setting", "scenarios", "inputs", "training", "such", "tasks",
    "task", "cover", "covers", "span", "spans", "use", "uses", "using", "compare", "compared",
    "against", "baseline", "baselines", "outperform", "outperforms", "beat", "beats",
    "surpass", "surpasses", "need", "needs", "require", "requires", "all", "handle",
    "handles", "cope", "copes",
}  # fmt: skip
_SAY_NOTHING = STOPWORDS | GENERIC
_WORD = re.compile(r"[A-Za-z][\w-]*")


def asked_property(request: str) -> Property | None:
    """The kind of evidence ``request`` asks for, or None."""
    return count_property(request) or next((p for p in PROPERTIES if p.asked.search(request)), None)


def remainder(prop: Property, request: str) -> str:
    """``request`` without the words asking for ``prop`` and the generic words of research
    questions ("prove convergence" -> "convergence"; "" when nothing else is asked)."""
    rest = prop.asked.sub(" ", request)
    words = [w for w in _WORD.findall(rest) if w.lower() not in _SAY_NOTHING]
    return " ".join(words)


def asked_evidence(request: str) -> tuple[Property | None, bool]:
    """The property ``request`` asks for (or None), and whether it asks for nothing else (what
    is left once the property's words are out is generic: "claim state-of-the-art results")."""
    prop = asked_property(request)
    return prop, prop is not None and not remainder(prop, request)


def only_property(request: str) -> Property | None:
    """The property ``request`` asks for when it asks for nothing else, else None."""
    prop, alone = asked_evidence(request)
    return prop if alone else None


def states(prop: Property, text: str) -> bool:
    """Does one sentence of ``text`` state ``prop`` ("we prove an upper bound", "achieves
    state-of-the-art performance"; not "protects against state-of-the-art editors")?"""
    return any(prop.stated(s) for s in split_sentences(text) or [text])


__all__ = [
    "CODE",
    "PROPERTIES",
    "Property",
    "asked_evidence",
    "asked_property",
    "count_property",
    "only_property",
    "remainder",
    "states",
]
