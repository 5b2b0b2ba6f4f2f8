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
from dataclasses import dataclass

from ..text import STOPWORDS, split_sentences


@dataclass(frozen=True)
class Property:
    """A kind of evidence: how a request asks for it, how a paper's sentence states it, and
    what the retrieval asks for besides the question (the words of such sentences)."""

    name: str
    asked: re.Pattern
    stated: re.Pattern
    query: str


_SOTA = r"(?:state[- ]of[- ]the[- ]art|SOTA)"
THEORY = Property(
    "theoretical analysis",
    re.compile(
        r"\b(?:theoretical(?:ly)?|theorems?|mathematical(?:ly)?\s+(?:analys\w*|proofs?|"
        r"guarantees?|justification|grounding|foundations?|derivations?|arguments?)|proofs?|"
        r"prove[sn]?|proving|provabl[ey]|guarantees?)\b",
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
    ),
    "we prove a theorem and give a theoretical analysis with guarantees",
)
SOTA = Property(
    "state-of-the-art results",
    re.compile(rf"\b{_SOTA}\b", re.I),
    re.compile(
        r"\b(?:achiev\w*|attain\w*|sets?|setting|establish\w*|reach\w*|deliver\w*|obtain\w*|"
        r"yield\w*|record\w*)\s+(?:[\w-]+\s+){0,3}?(?:a\s+)?(?:new\s+)?" + _SOTA + r"\b|"
        r"\b(?:outperform\w*|surpass\w*|exceed\w*|beat\w*|improv\w*|rival\w*|match\w*|"
        r"competitive\s+with|on\s+par\s+with|comparable\s+to)\s+(?:[\w-]+\s+){0,8}?"
        + _SOTA
        + r"\b",
        re.I,
    ),
    "our method achieves state-of-the-art performance and outperforms state-of-the-art methods",
)
PROPERTIES = (THEORY, SOTA)

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
    "foundation", "foundations", "ones", "one", "any", "some",
}  # fmt: skip
_WORD = re.compile(r"[A-Za-z][\w-]*")


def asked_property(request: str) -> Property | None:
    """The kind of evidence ``request`` asks for, or None."""
    return next((p for p in PROPERTIES if p.asked.search(request)), None)


def remainder(prop: Property, request: str) -> str:
    """``request`` without the words asking for ``prop`` and the generic words of research
    questions ("prove convergence" -> "convergence"; "" when nothing else is asked)."""
    rest = prop.asked.sub(" ", request)
    words = [w for w in _WORD.findall(rest) if w.lower() not in STOPWORDS | GENERIC]
    return " ".join(words)


def only_property(request: str) -> Property | None:
    """The property ``request`` asks for when it asks for nothing else (what is left once the
    property's words are out is generic: "claim state-of-the-art results"), else None."""
    prop = asked_property(request)
    if prop is None or remainder(prop, request):
        return None
    return prop


def states(prop: Property, text: str) -> bool:
    """Does one sentence of ``text`` state ``prop`` ("we prove an upper bound", "achieves
    state-of-the-art performance"; not "protects against state-of-the-art editors")?"""
    return any(prop.stated.search(s) for s in split_sentences(text) or [text])


__all__ = ["PROPERTIES", "Property", "asked_property", "only_property", "remainder", "states"]
