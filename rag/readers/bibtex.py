"""BibTeX / BibLaTeX (Zotero, Mendeley, JabRef, Google Scholar exports) through bibtexparser 2.

The file is split into entries at lines that start an entry (``@type{`` / ``@type(``), and each
entry is parsed on its own: memory holds one entry, and an entry with unbalanced braces is
reported with its line while the next entry starts clean. ``@string`` macros carry over to the
entries after them. LaTeX in text fields (accents, braces, ``\\textit``, math) becomes Unicode
through pylatexenc; DOIs and URLs are only unescaped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import TextIO

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.middlewares.names import (
    InvalidNameError,
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from bibtexparser.model import Entry, ParsingFailedBlock, String

from .base import (
    Item,
    Record,
    RecordError,
    clean_text,
    clean_title,
    doi_from_url,
    find_arxiv_id,
    find_pmid,
    normalize_arxiv_id,
    normalize_doi,
    normalize_pmid,
    parse_year,
    person_name,
    split_keywords,
)
from .latex import latex_to_text

# bibtexparser logs every failed block; we report them ourselves, with the line, as RecordError.
logging.getLogger("bibtexparser").setLevel(logging.ERROR)

ENTRY_START = re.compile(r"^\s*@\s*([A-Za-z]+)\s*[{(]\s*([^,\s]*)")
_NOT_ENTRIES = {"comment", "preamble"}


def _unescape(value: str | None) -> str | None:
    if value is None:
        return None
    s = re.sub(r"\\([_%&#$~])", r"\1", str(value)).replace("{", "").replace("}", "")
    return clean_text(s)


def _authors(value: str | None) -> list[str]:
    if not value:
        return []
    out = []
    for raw in split_multiple_persons_names(str(value)):
        if raw.strip().lower() == "others":  # "and others" = et al.
            continue
        try:
            parts = parse_single_name_into_parts(raw, strict=False)
        except InvalidNameError:
            name = latex_to_text(raw)
        else:
            name = person_name(
                latex_to_text(" ".join(parts.von + parts.last)),
                latex_to_text(" ".join(parts.first)),
                latex_to_text(" ".join(parts.jr)),
            )
        if name:
            out.append(name)
    return out


def entry_to_record(entry: Entry, line: int) -> Record:
    """One parsed bibtexparser entry -> Record."""
    f = {fld.key.lower(): fld.value for fld in entry.fields}

    def text(*keys: str) -> str | None:
        for k in keys:
            v = latex_to_text(f.get(k))
            if v:
                return v
        return None

    url = _unescape(f.get("url"))
    doi = normalize_doi(_unescape(f.get("doi"))) or doi_from_url(url)
    eprint = _unescape(f.get("eprint"))
    prefix = (f.get("archiveprefix") or f.get("eprinttype") or "").lower()
    arxiv = (
        normalize_arxiv_id(f.get("arxivid"))
        or (normalize_arxiv_id(eprint) if prefix == "arxiv" or not prefix else None)
        or find_arxiv_id(f.get("journal"), url, f.get("note"), f.get("howpublished"))
    )
    authors = _authors(f.get("author")) or _authors(f.get("editor"))
    return Record(
        title=clean_title(text("title")),
        abstract=text("abstract"),
        authors=authors,
        year=parse_year(f.get("year")) or parse_year(f.get("date")),
        venue=text(
            "journal",
            "journaltitle",
            "booktitle",
            "eventtitle",
            "school",
            "institution",
            "publisher",
        ),
        doi=doi,
        pmid=normalize_pmid(f.get("pmid"))
        or (normalize_pmid(eprint) if prefix == "pubmed" else None)
        or find_pmid(f.get("note")),
        arxiv_id=arxiv,
        url=url,
        keywords=split_keywords(latex_to_text(f.get("keywords"))),
        entry_type=entry.entry_type.lower(),
        line=line,
        raw_id=entry.key or None,
        format="bibtex",
    )


def _parse_entry(chunk: str, line: int, strings: dict[str, String]) -> Iterator[Item]:
    head = ENTRY_START.match(chunk)
    kind = head.group(1).lower() if head else ""
    key = (head.group(2) if head else "") or None
    if kind in _NOT_ENTRIES:
        return
    lib = Library(blocks=list(strings.values()))
    try:
        lib = bibtexparser.parse_string(chunk, library=lib)
    except Exception as exc:  # the splitter raises on some malformed input
        yield RecordError(line, f"BibTeX entry {key or ''} could not be read: {exc}", key)
        return
    for block in lib.blocks:
        if isinstance(block, String):
            strings[block.key.lower()] = block
    new_entries = [b for b in lib.blocks if isinstance(b, Entry)]
    failed = [b for b in lib.failed_blocks if isinstance(b, ParsingFailedBlock)]
    for block in failed:
        where = line + (block.start_line or 0)
        err = block.error
        reason = getattr(err, "abort_reason", None) or getattr(err, "message", None) or str(err)
        reason = clean_text(reason) or type(err).__name__
        if "end of file" in reason.lower():
            reason = "a brace or quote is still open where the next entry or the file begins"
        yield RecordError(
            where,
            f"BibTeX entry '{key or '?'}' could not be read ({reason}); "
            "check that its braces and quotes are balanced",
            key,
        )
    if not failed and not new_entries and kind != "string":
        yield RecordError(line, f"'@{kind}' at this line is not a complete BibTeX entry", key)
    for entry in new_entries:
        yield entry_to_record(entry, line + (entry.start_line or 0))


def read_bibtex(stream: TextIO) -> Iterator[Item]:
    """Yield a Record per BibTeX entry, or a RecordError with its line."""
    strings: dict[str, String] = {}
    chunk: list[str] = []
    start = 1
    for lineno, text in enumerate(stream, 1):
        if ENTRY_START.match(text):
            if chunk:
                yield from _flush(chunk, start, strings)
            chunk, start = [text], lineno
        elif chunk:
            chunk.append(text)
    if chunk:
        yield from _flush(chunk, start, strings)


def _flush(chunk: list[str], start: int, strings: dict[str, String]) -> Iterator[Item]:
    yield from _parse_entry("".join(chunk), start, strings)
