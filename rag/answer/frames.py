"""The ways people ask for a list of papers, said as "Which papers ...?".

"Can you list papers about X?", "Give me all papers on X", "Tell me which papers X", "What are
the papers that X?", "Are any of the papers about X?", "Do any papers X?", "I need papers on
X", "Which research addresses X?": each asks which papers are about X or do X, and the list
analysis (``question.analyze``) reads its topic from the "Which papers ..." form. Left in, the
frame's words ("Can you list", "Name the") became part of the topic and cost papers.
Follow-ups about earlier papers ("Do any of them ...?") and questions about one paper ("Find
the paper that ...") are left as they are: every frame here needs a plural paper noun.
"""

from __future__ import annotations

import re

_PAPERS = r"(?:papers|works|studies|articles|abstracts|publications|research|work|literature)"
_DETS = r"(?:(?:all|the|any|some|which|what|of|relevant)\s+)*"
_FRAMES = [
    # "Can you list / show me / give me / name / tell me which / point me to papers ..."
    re.compile(
        r"^(?:(?:can|could|would|will)\s+you\s+)?(?:please\s+)?(?:list|show|give|find|get|name|"
        r"tell|point|fetch|bring\s+up|pull\s+up|recommend|suggest|identify)\s+(?:me\s+|us\s+)?"
        rf"(?:to\s+)?{_DETS}{_PAPERS}\s+(?P<rest>\S.*)$",
        re.I,
    ),
    # "What are the papers that ...?"
    re.compile(rf"^what\s+are\s+{_DETS}{_PAPERS}\s+(?P<rest>\S.*)$", re.I),
    # "Are any of the papers about ...?", "Do any papers ...?" ("Does any paper ...?" stays a
    # yes-or-no question)
    re.compile(
        rf"^(?:are|is|do|does|did|have|has)\s+(?:there\s+)?any\s+(?:of\s+)?{_DETS}"
        rf"{_PAPERS}\s+(?P<rest>\S.*)$",
        re.I,
    ),
    # "I need / want / would like papers on ...", "I'm after papers that ..."
    re.compile(
        r"^i\s*(?:'m|’m|\s+am)?\s*(?:need|want|would\s+like|'d\s+like|’d\s+like|after|"
        r"searching\s+for|hoping\s+for)\s+(?:to\s+(?:see|find|read)\s+)?"
        rf"{_DETS}{_PAPERS}\s+(?P<rest>\S.*)$",
        re.I,
    ),
    # "Which of these abstracts ...?", "Which research addresses ...?"
    re.compile(
        r"^(?:which|what)\s+(?:of\s+(?:these|those|the)\s+(?:papers|abstracts|studies|articles)|"
        r"research|literature|publications)\s+(?P<rest>\S.*)$",
        re.I,
    ),
]
_PLEASE = re.compile(r"(?:,?\s+please)?\s*([?.!]*)\s*$", re.I)
_LEAD_PLEASE = re.compile(r"^\s*please\s*,?\s+", re.I)


def plain_list_request(question: str) -> str:
    """``question`` as "Which papers ...?" when it asks for a list in another frame, else as
    it was ("please" left out either way)."""
    q = _LEAD_PLEASE.sub("", question.strip())
    q = _PLEASE.sub(lambda m: m.group(1), q)
    for frame in _FRAMES:
        m = frame.match(q)
        if m:
            return f"Which papers {m.group('rest')}"
    return q


__all__ = ["plain_list_request"]
