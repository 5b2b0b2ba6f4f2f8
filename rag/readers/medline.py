"""PubMed MEDLINE / .nbib (PubMed "Save -> PubMed format", EndNote .nbib) via Bio.Medline.

Records are split at a ``PMID-`` line (after a blank line or the file start) and each one is
handed to Biopython's MEDLINE reader, so memory holds one record. A line that is neither
``TAG - value`` nor a six-space continuation marks the record as broken: it is reported
with that line, and the next record is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TextIO

from Bio import Medline

from .base import (
    Item,
    Record,
    RecordError,
    clean_text,
    clean_title,
    dedupe,
    find_arxiv_id,
    normalize_doi,
    parse_year,
)

_TAG_LINE = re.compile(r"^[A-Z][A-Z0-9]{1,3} {0,2}- ")
_ID_KIND = re.compile(r"^(.*?)\s*\[(\w+)\]\s*$")


def _ids(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        m = _ID_KIND.match(v.strip())
        if m:
            out.setdefault(m.group(2).lower(), m.group(1).strip())
    return out


def _as_list(v: object) -> list[str]:
    if v is None:
        return []
    return [str(x) for x in v] if isinstance(v, list) else [str(v)]


def _author(fau: str) -> str | None:
    # FAU is "Family, Given" already ("Okafor, Ngozi Adaeze"); keep a suffix after a comma
    parts = [p.strip() for p in fau.split(",") if p.strip()]
    return ", ".join(parts) if parts else None


def medline_to_record(rec: dict, line: int) -> Record:
    """One Bio.Medline record (dict of tag -> value) -> Record."""
    full = _as_list(rec.get("FAU"))
    short = _as_list(rec.get("AU"))
    names = full if full else short  # AU is "Okafor NA": the short form only as a fallback
    authors = [a for a in (_author(n) for n in names) if a] + _as_list(rec.get("CN"))
    ids = _ids(_as_list(rec.get("AID")) + _as_list(rec.get("LID")))
    mesh = [m.split("/")[0].lstrip("*").strip() for m in _as_list(rec.get("MH"))]
    pmid = clean_text(rec.get("PMID"))
    pts = _as_list(rec.get("PT"))
    return Record(
        title=clean_title(rec.get("TI") or rec.get("BTI")),
        abstract=clean_text(rec.get("AB")),
        authors=authors,
        year=parse_year(rec.get("DP")) or parse_year(rec.get("DEP")),
        venue=clean_text(rec.get("JT")) or clean_text(rec.get("TA")) or clean_text(rec.get("PB")),
        doi=normalize_doi(ids.get("doi")),
        pmid=pmid,
        arxiv_id=find_arxiv_id(ids.get("arxiv") and f"arXiv:{ids['arxiv']}"),
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else None,
        keywords=dedupe(_as_list(rec.get("OT")) + mesh),
        entry_type=clean_text(pts[0]) if pts else None,
        line=line,
        raw_id=pmid,
        format="medline",
    )


def _parse(lines: list[tuple[int, str]]) -> Iterator[Item]:
    start = lines[0][0]
    pmid = next((t[6:].strip() for _, t in lines if t.startswith("PMID-")), None)
    for lineno, text in lines:
        if not (_TAG_LINE.match(text) or text.startswith("      ")):
            yield RecordError(
                lineno,
                f"MEDLINE record{' PMID ' + pmid if pmid else ''} has a line that is neither "
                "'TAG - value' nor an indented continuation; the record was skipped",
                pmid,
            )
            return
    body = [t + "\n" for _, t in lines]
    try:
        rec = next(iter(Medline.parse(body)))
    except Exception as exc:
        yield RecordError(start, f"MEDLINE record could not be read: {exc}", pmid)
        return
    record = medline_to_record(rec, start)
    if not record.title and not record.abstract:
        yield RecordError(
            start, "MEDLINE record has neither a title (TI) nor an abstract (AB)", pmid
        )
    else:
        yield record


def read_medline(stream: TextIO) -> Iterator[Item]:
    """Yield a Record per MEDLINE record, or a RecordError with its line."""
    chunk: list[tuple[int, str]] = []
    blank_before = True
    for lineno, raw in enumerate(stream, 1):
        text = raw.rstrip("\r\n").lstrip("\ufeff")
        if not text.strip():
            blank_before = True
            continue
        if chunk and blank_before and text.startswith("PMID-"):
            yield from _parse(chunk)
            chunk = []
        chunk.append((lineno, text))
        blank_before = False
    if chunk:
        yield from _parse(chunk)
