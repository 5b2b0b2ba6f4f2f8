"""The records that flow between the stages: Paper, Hit, Retrieval, Citation, Answer, Summary.

Plain dataclasses with no behaviour beyond their JSON shapes (``public`` / ``to_dict``), so every
stage can import them without importing another stage.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


@dataclass
class Paper:
    """One abstract, ready to index."""

    paper_id: str
    title: str
    text: str
    source: str
    position: int
    url: str | None = None
    line: int | None = None
    authors: list[str] = field(default_factory=list)  # "Family, Given" (rag.readers' form)
    year: int | None = None
    header: str | None = None
    title_derived: bool = True
    venue: str | None = None
    doi: str | None = None  # lower-case, no https://doi.org/
    pmid: str | None = None
    arxiv_id: str | None = None
    keywords: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.authors = as_name_list(self.authors)
        self.keywords = [str(k) for k in self.keywords or [] if str(k).strip()]

    def content_hash(self) -> str:
        """Changes when anything that is indexed changes; a derived (display) title is not."""
        # papers without the bibliographic fields hash as they did before those fields existed
        authors = None if not self.authors else "; ".join(self.authors)
        title = "" if self.title_derived else self.title
        fields = [title, self.text, self.url, authors, self.year, self.header]
        extra = [self.venue, self.doi, self.pmid, self.arxiv_id, self.keywords]
        if any(extra):
            fields += extra
        payload = json.dumps(fields, ensure_ascii=False)
        return hashlib.sha1(payload.encode()).hexdigest()[:16]

    def public(self) -> dict:
        """The shape of ``rag papers --json``."""
        d = {
            "paper_id": self.paper_id,
            "title": self.title,
            "text": self.text,
            "source": self.source,
            "url": self.url,
            "authors": list(self.authors),
            "year": self.year,
            "venue": self.venue,
            "doi": self.doi,
        }
        if self.pmid:
            d["pmid"] = self.pmid
        if self.arxiv_id:
            d["arxiv_id"] = self.arxiv_id
        if self.keywords:
            d["keywords"] = list(self.keywords)
        return d

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Paper:
        """A paper from ``to_dict`` (also of older stores: ``authors`` as one string)."""
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known and v is not None})


def as_name_list(authors: object) -> list[str]:
    """Authors as a list of names: a list is kept; a string (older stores, plain records) is
    split on ';' (or ' and ') and otherwise kept whole as one name."""
    if not authors:
        return []
    if isinstance(authors, str):
        parts = authors.split(";") if ";" in authors else authors.split(" and ")
        return [p.strip() for p in parts if p.strip()]
    if isinstance(authors, list | tuple):
        return [str(a).strip() for a in authors if a and str(a).strip()]
    return [str(authors).strip()]


@dataclass
class Hit:
    """One paper in a ranking, with its best passages."""

    paper: Paper
    score: float
    dense: float | None = None  # best chunk cosine similarity
    keyword: float | None = None  # BM25 score
    dense_rank: int | None = None
    keyword_rank: int | None = None
    passages: list[str] = field(default_factory=list)

    @property
    def snippet(self) -> str:
        text = self.passages[0] if self.passages else self.paper.text
        return text if len(text) <= 320 else text[:317].rsplit(" ", 1)[0] + "…"

    def public(self) -> dict:
        """The shape of ``rag search --json``."""
        return {
            "paper_id": self.paper.paper_id,
            "title": self.paper.title,
            "score": round(self.score, 4),
            "snippet": self.snippet,
        }


@dataclass
class Retrieval:
    query: str
    hits: list[Hit]
    best_dense: float
    query_vector: np.ndarray | None
    timings_ms: dict[str, float]
    ranking: list[str] = field(default_factory=list)  # fused paper ids, deeper than ``hits``


@dataclass
class Citation:
    n: int
    paper_id: str
    title: str
    snippet: str
    support: float | None = None
    url: str | None = None
    paper: Paper | None = None  # the cited paper: its authors, year, venue and DOI

    def public(self) -> dict:
        d = {"n": self.n, "paper_id": self.paper_id, "title": self.title, "snippet": self.snippet}
        if self.support is not None:
            d["support"] = round(self.support, 3)
        if self.url:
            d["url"] = self.url
        p = self.paper
        d["authors"] = list(p.authors) if p else []
        d["year"] = p.year if p else None
        d["doi"] = p.doi if p else None
        if p and p.venue:
            d["venue"] = p.venue
        return d


@dataclass
class AnswerSentence:
    """One sentence of an answer or summary with its check: ``verdict`` is ``supported``,
    ``unsupported`` or ``contradicted`` (``supported`` is the same as a bool), ``reason`` says
    why in words, ``evidence`` is the cited passage's sentence the verdict rests on."""

    text: str
    citations: list[int]
    support: float | None = None
    supported: bool = True
    verdict: str | None = None
    reason: str | None = None
    evidence: str | None = None

    def __post_init__(self) -> None:
        if self.verdict is None:
            self.verdict = "supported" if self.supported else "unsupported"
        self.supported = self.verdict == "supported"

    def public(self) -> dict:
        return {
            "text": self.text,
            "citations": self.citations,
            "support": None if self.support is None else round(self.support, 3),
            "supported": self.supported,
            "verdict": self.verdict,
            "reason": self.reason,
            "evidence": self.evidence,
        }


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    sources: list[Hit]
    backend: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    sentences: list[AnswerSentence] = field(default_factory=list)
    standalone_question: str | None = None
    usage: dict | None = None
    removed_citations: list[int] = field(default_factory=list)
    interrupted: bool = False
    reason: str | None = None
    ranking: list[str] = field(default_factory=list)  # the ranking the answer was built from
    truncated: bool = False  # the model's reply was over the size cap; the rest was discarded

    def to_dict(self) -> dict:
        """The shape of ``rag ask --json`` (and of the UI's /ask endpoint)."""
        d = {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.public() for c in self.citations],
            "sources": [
                {
                    "n": i,
                    "paper_id": h.paper.paper_id,
                    "title": h.paper.title,
                    "score": round(h.score, 4),
                    "url": h.paper.url,
                }
                for i, h in enumerate(self.sources, start=1)
            ],
            "backend": self.backend,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "sentences": [s.public() for s in self.sentences],
        }
        if self.standalone_question and self.standalone_question != self.question:
            d["standalone_question"] = self.standalone_question
        if self.usage is not None:
            d["usage"] = self.usage
        if self.removed_citations:
            d["removed_citations"] = self.removed_citations
        if self.interrupted:
            d["interrupted"] = True
        if self.truncated:
            d["truncated"] = True
        if self.reason:
            d["reason"] = self.reason
        return d


# --- the summary record -----------------------------------------------------------------------
@dataclass
class Theme:
    label: str
    paper_ids: list[str]
    sentences: list[AnswerSentence] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    text: str = ""

    def public(self) -> dict:
        return {
            "label": self.label,
            "text": self.text,
            "paper_ids": self.paper_ids,
            "sentences": [s.public() for s in self.sentences],
        }


@dataclass
class Summary:
    topic: str
    summary: str
    abstained: bool
    themes: list[Theme]
    citations: list[Citation]
    sources: list[Hit]  # every paper retrieved for this summary (citations point inside it)
    backend: str = "extractive"
    papers: list[Any] = field(
        default_factory=list
    )  # the on-topic papers kept (summarize.Candidate)
    omitted: list[Any] = field(default_factory=list)  # on topic, left out by max_papers
    timings_ms: dict[str, float] = field(default_factory=dict)
    reason: str | None = None
    usage: dict | None = None
    removed_citations: list[int] = field(default_factory=list)

    @property
    def cited_ids(self) -> list[str]:
        return [c.paper_id for c in self.citations]

    def to_dict(self) -> dict:
        """The shape of ``rag summarize --json``."""
        d = {
            "topic": self.topic,
            "summary": self.summary,
            "abstained": self.abstained,
            "themes": [t.public() for t in self.themes],
            "citations": [c.public() for c in self.citations],
            "backend": self.backend,
            "papers": [
                {"paper_id": c.paper_id, "title": c.hit.paper.title, **c.features()}
                for c in self.papers
            ],
            "retrieved": len(self.sources),
            "omitted": [c.paper_id for c in self.omitted],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }
        if self.reason:
            d["reason"] = self.reason
        if self.usage is not None:
            d["usage"] = self.usage
        if self.removed_citations:
            d["removed_citations"] = self.removed_citations
        return d

    def to_markdown(self) -> str:
        """A report: overview, one section per theme, and a reference list."""
        lines = [f"# Research summary: {self.topic}", ""]
        if self.abstained:
            lines += [self.summary, ""]
            return "\n".join(lines)
        lines += ["## Overview", "", self.summary, ""]
        by_n = {c.paper_id: c for c in self.citations}
        for i, t in enumerate(self.themes, start=1):
            n = len(t.paper_ids)
            lines += [f"## {i}. {t.label} ({n} paper{'s' if n != 1 else ''})", ""]
            if self.backend == "extractive" and t.sentences:
                for pid in t.paper_ids:
                    c = by_n.get(pid)
                    if c is None:
                        continue
                    said = " ".join(s.text for s in t.sentences if c.n in s.citations)
                    lines.append(f"- **{_short_title(c.title)}** [{c.n}]: {said}")
            else:
                lines.append(t.text)
            lines.append("")
        lines += ["## References", ""]
        lines += reference_list(self.citations)
        if self.omitted:
            lines += [
                "",
                f"{len(self.omitted)} more on-topic paper(s) were left out by the paper limit: "
                + ", ".join(f"`{c.paper_id}`" for c in self.omitted),
            ]
        lines.append("")
        return "\n".join(lines)

    def to_text(self) -> str:
        """Plain text for the terminal."""
        if self.abstained:
            return self.summary
        out = [self.summary, ""]
        for i, t in enumerate(self.themes, start=1):
            out += [f"{i}. {t.label} ({len(t.paper_ids)} papers)", f"   {t.text}", ""]
        for c in self.citations:
            out.append(f"[{c.n}] {c.title} ({c.paper_id})" + (f" {c.url}" if c.url else ""))
        return "\n".join(out)


def _short_title(title: str) -> str:
    head = title.split(":", 1)[0].strip()
    return head if 0 < len(head) <= 40 else (title if len(title) <= 80 else title[:77] + "…")


def reference_list(citations: list[Citation]) -> list[str]:
    """``[n] Okafor, N. A., & Chen, W. (2023). Title. *Venue*. https://doi.org/…`` per citation
    (APA style; the paper id closes each line so a reader can `rag show` it)."""
    from .export import reference

    out = []
    for c in citations:
        if c.paper is not None:
            out.append(f"[{c.n}] {reference(c.paper)} Paper id `{c.paper_id}`.")
        else:
            url = f" <{c.url}>" if c.url else " (no URL)"
            out.append(f"[{c.n}] {c.title}. Paper id `{c.paper_id}`.{url}")
    return out
