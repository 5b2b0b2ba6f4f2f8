"""What a summary quotes of a paper: the sentence stating its contribution, and its numbers."""

from __future__ import annotations

import re

from ..text import BOILERPLATE, split_sentences

# --- evidence per paper ------------------------------------------------------------------------
_CONTRIB_STRONG = re.compile(
    r"\b(?:propose|introduce|present|develop|design|build|construct|create|formulate|"
    r"establish|curate|release|devise)[sd]?\b",
    re.IGNORECASE,
)
_CONTRIB_WEAK = re.compile(
    r"\b(?:investigate|study|explore|analy[sz]e|examine|identify|uncover|reveal|tackle|address|"
    r"bring|define|provide|collect|generate|contribute|offer|show|demonstrate|find)[sd]?\b",
    re.IGNORECASE,
)
_AUTHOR_VOICE = re.compile(
    r"\b(?:we|our|this (?:paper|work|study|article)|in this (?:paper|work))\b", re.IGNORECASE
)
_MEASURE = re.compile(
    r"\d+(?:\.\d+)?\s*(?:%|×|x\b|times\b|points?\b|pp\b|fold\b)|"
    r"\b(?:by|of|to|from)\s+\d+(?:\.\d+)?\b(?!\))",
    re.IGNORECASE,
)
_RESULT_CUE = re.compile(
    r"\b(?:outperform|improv|surpass|reduc|achiev|accelerat|speed|gain|boost|higher|lower|"
    r"faster|accura|exceed|beat|consisten)\w*",
    re.IGNORECASE,
)


def contribution_score(sentence: str) -> float:
    """How plainly a sentence states what its paper contributes."""
    score = 0.0
    voice = bool(_AUTHOR_VOICE.search(sentence))
    if _CONTRIB_STRONG.search(sentence):
        score += 3.0 if voice else 1.0
    elif _CONTRIB_WEAK.search(sentence):
        score += 1.5 if voice else 0.3
    elif voice:
        score += 0.5
    if BOILERPLATE.search(sentence):
        score -= 4.0
    n = len(sentence.split())
    if n < 7:
        score -= 2.0
    elif n > 60:
        score -= 1.0
    return score


def contribution_sentences(text: str) -> list[str]:
    """The sentences of an abstract that state a contribution in the authors' voice."""
    return [s for s in split_sentences(text) if contribution_score(s) >= 2.5]


def contribution_sentence(paper_text: str, method: str | None = None) -> str:
    """The one sentence of an abstract that best states its contribution."""
    sents = split_sentences(paper_text) or [paper_text]
    best, best_score = sents[0], -1e9
    for i, s in enumerate(sents):
        score = contribution_score(s) - 0.05 * i
        if method and method.lower() in s.lower():
            score += 0.7
        if score > best_score:
            best, best_score = s, score
    return best


def result_sentence(paper_text: str, exclude: str = "") -> str | None:
    """A sentence reporting the paper's numbers (accuracy, speed-ups, ...), if it has one."""
    best, best_score = None, 0
    for s in split_sentences(paper_text):
        n = len(s.split())
        if s == exclude or BOILERPLATE.search(s) or n > 55 or n < 6:
            continue
        if not _RESULT_CUE.search(s):
            continue
        score = len(_MEASURE.findall(s))
        if score > best_score:
            best, best_score = s, score
    return best


def paper_quotes(paper) -> list[str]:
    """What the extractive synthesis quotes of a paper: its contribution sentence, and the
    sentence with its reported numbers when it has one."""
    method = paper.title.split(":", 1)[0] if ":" in paper.title else None
    first = contribution_sentence(paper.text, method)
    numbers = result_sentence(paper.text, exclude=first)
    return [first, numbers] if numbers else [first]
