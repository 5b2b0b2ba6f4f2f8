"""Zotero's CSV export (File -> Export Library -> CSV): one row per item, read with ``csv``."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import TextIO

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

REQUIRED = ("Title", "Abstract Note")
# a field may be long (an abstract, notes with HTML): allow more than csv's 128 KiB default
csv.field_size_limit(16 * 1024 * 1024)


def _authors(value: str | None) -> list[str]:
    out = []
    for part in (value or "").split(";"):
        name = ", ".join(p.strip() for p in part.split(",") if p.strip())
        if name:
            out.append(name)
    return out


def row_to_record(row: dict[str, str], line: int) -> Record:
    """One Zotero CSV row -> Record."""

    def get(col: str) -> str | None:
        return clean_text(row.get(col))

    url = get("Url")
    extra = row.get("Extra") or ""
    tags = split_keywords(row.get("Manual Tags")) + split_keywords(row.get("Automatic Tags"))
    return Record(
        title=clean_title(get("Title")),
        abstract=get("Abstract Note"),
        authors=_authors(row.get("Author")) or _authors(row.get("Editor")),
        year=parse_year(get("Publication Year")) or parse_year(get("Date")),
        venue=get("Publication Title") or get("Publisher") or get("Series"),
        doi=normalize_doi(get("DOI")) or doi_from_url(url),
        pmid=find_pmid(extra),
        arxiv_id=find_arxiv_id(extra, url, get("Archive ID")),
        url=url,
        keywords=list(dict.fromkeys(tags)),
        entry_type=get("Item Type"),
        line=line,
        raw_id=get("Key"),
        format="zotero-csv",
    )


def read_zotero_csv(stream: TextIO) -> Iterator[Item]:
    """Yield a Record per row of a Zotero CSV export, or a RecordError with its line."""
    reader = csv.reader(stream)
    try:
        header = next(reader)
        while not any(h.strip() for h in header):  # blank lines before the header
            header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield RecordError(1, f"CSV header could not be read: {exc}")
        return
    header = [h.lstrip("\ufeff").strip() for h in header]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        yield RecordError(
            1,
            f"CSV has no {', '.join(repr(c) for c in missing)} column: not a Zotero CSV export "
            "(in Zotero: File -> Export Library..., format CSV)",
        )
        return
    prev_end = reader.line_num
    while True:
        start = prev_end + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RecordError(start, f"CSV row could not be read: {exc}")
            return
        prev_end = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            yield RecordError(
                start,
                f"CSV row has {len(values)} fields where the header has {len(header)}; "
                "a quote is probably missing",
            )
            continue
        record = row_to_record(dict(zip(header, values, strict=True)), start)
        if not record.title and not record.abstract:
            yield RecordError(
                start, "CSV row has neither a Title nor an Abstract Note", record.raw_id
            )
        else:
            yield record
