"""RIS (EndNote, Zotero, Mendeley, PubMed, Scopus, Web of Science exports) through rispy.

The file is split into entries at ``TY  -`` / ``ER  -`` lines and each entry is handed to
rispy's line parser, so memory holds one entry. An entry that reaches the next ``TY  -``
without its ``ER  -`` is reported (its fields could belong to either entry) and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TextIO

from rispy import RisParser

from .base import (
    Item,
    Record,
    RecordError,
    clean_text,
    clean_title,
    doi_from_url,
    find_arxiv_id,
    find_pmid,
    normalize_doi,
    parse_year,
    split_keywords,
)

_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: |$)")
_PARSER = RisParser(skip_unknown_tags=False, enforce_list_tags=False)


def _first(rec: dict, *keys: str) -> str | None:
    for k in keys:
        v = rec.get(k)
        if isinstance(v, list):
            v = next((x for x in v if clean_text(x)), None)
        v = clean_text(v)
        if v:
            return v
    return None


def _list(rec: dict, key: str) -> list[str]:
    v = rec.get(key)
    if v is None:
        return []
    return [str(x) for x in (v if isinstance(v, list) else [v])]


def _author(name: str) -> str | None:
    # RIS writes "Family, Given" (sometimes "Family, Given, Suffix" or "Family,Given")
    parts = [p.strip() for p in name.split(",") if p.strip()]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts)


def ris_to_record(rec: dict, line: int) -> Record:
    """One rispy dict -> Record."""
    names = _list(rec, "authors") + _list(rec, "first_authors")
    if not names:  # A2 is the secondary author (often the editor): only when nothing else
        names = _list(rec, "secondary_authors")
    authors = [a for a in (_author(n) for n in names) if a]
    urls = [clean_text(u) for u in _list(rec, "urls")]
    urls = [u for u in urls if u]
    url = next((u for u in urls if not doi_from_url(u)), urls[0] if urls else None)
    doi = normalize_doi(_first(rec, "doi")) or next(
        (d for d in (doi_from_url(u) for u in urls) if d), None
    )
    unknown = rec.get("unknown_tag") or {}
    notes = " ".join(_list(rec, "notes"))
    return Record(
        title=clean_title(_first(rec, "title", "primary_title", "translated_title")),
        abstract=_first(rec, "abstract", "notes_abstract"),
        authors=list(dict.fromkeys(authors)),
        year=parse_year(_first(rec, "year", "publication_year", "date")),
        venue=_first(
            rec,
            "secondary_title",
            "journal_name",
            "alternate_title3",
            "alternate_title2",
            "alternate_title1",
            "publisher",
        ),
        doi=doi,
        pmid=find_pmid(notes),
        arxiv_id=find_arxiv_id(*urls, notes, " ".join(sum(unknown.values(), []))),
        url=url,
        keywords=split_keywords(_list(rec, "keywords")),
        entry_type=_first(rec, "type_of_reference"),
        line=line,
        raw_id=_first(rec, "id"),
        format="ris",
    )


def _parse(lines: list[str], line: int) -> Iterator[Item]:
    try:
        parsed = _PARSER.parse_lines(iter(lines))
    except Exception as exc:  # rispy raises on a few malformed shapes
        yield RecordError(line, f"RIS entry could not be read: {exc}")
        return
    for rec in parsed:
        record = ris_to_record(rec, line)
        if not record.title and not record.abstract:
            yield RecordError(line, "RIS entry has neither a title (TI/T1) nor an abstract (AB)")
        else:
            yield record


def read_ris(stream: TextIO) -> Iterator[Item]:
    """Yield a Record per RIS entry (TY .. ER), or a RecordError with its line."""
    entry: list[str] = []
    start = 0
    for lineno, raw in enumerate(stream, 1):
        text = raw.rstrip("\r\n").lstrip("\ufeff")
        m = _TAG.match(text)
        tag = m.group(1) if m else None
        if tag == "TY":
            if entry:
                yield RecordError(
                    start,
                    f"RIS entry has no 'ER  -' line before the next 'TY  -' at line {lineno}; "
                    "it was skipped: add 'ER  -' at its end",
                    _entry_id(entry),
                )
            entry, start = [text], lineno
        elif tag == "ER":
            if entry:
                entry.append(text)
                yield from _parse(entry, start)
            entry = []
        elif entry:
            entry.append(text)
        elif text.strip() and tag:
            yield RecordError(lineno, f"RIS tag {tag} outside an entry (no 'TY  -' before it)")
    if entry:
        yield RecordError(
            start,
            "RIS entry has no 'ER  -' line before the end of the file; it was skipped: "
            "add 'ER  -' at its end",
            _entry_id(entry),
        )


def _entry_id(entry: list[str]) -> str | None:
    for text in entry:
        if text.startswith("ID  - "):
            return text[6:].strip() or None
    return None
