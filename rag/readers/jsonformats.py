"""Readers of the JSON exports: CSL-JSON, OpenAlex works, arXiv metadata, Semantic Scholar.

Each accepts a JSON array, an API page (``{"results": [...]}`` / ``{"data": [...]}``), a single
object or JSON Lines, streamed record by record (see ``_json``). A record that is not an object,
or has neither a title nor an abstract, is a RecordError with its line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TextIO

from ._json import JsonFormatError, iter_any_json
from .base import (
    Item,
    Record,
    RecordError,
    clean_text,
    clean_title,
    dedupe,
    doi_from_url,
    find_arxiv_id,
    find_pmid,
    name_from_display,
    normalize_arxiv_id,
    normalize_doi,
    normalize_pmid,
    parse_year,
    person_name,
    split_keywords,
)
from .latex import latex_to_text

Converter = Callable[[dict, int], Record]


def _drive(stream: TextIO, convert: Converter, label: str) -> Iterator[Item]:
    for item in iter_any_json(stream):
        if isinstance(item, JsonFormatError):
            yield RecordError(item.line, f"{label}: {item}")
            continue
        line, obj = item
        if not isinstance(obj, dict):
            yield RecordError(line, f"{label} record is not a JSON object")
            continue
        try:
            record = convert(obj, line)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
            yield RecordError(line, f"{label} record has an unexpected shape ({exc})")
            continue
        if not record.title and not record.abstract:
            yield RecordError(line, f"{label} record has neither a title nor an abstract")
        else:
            yield record


def _str(v: object) -> str | None:
    if isinstance(v, list):  # CSL allows some strings as lists
        v = next((x for x in v if isinstance(x, str) and x.strip()), None)
    return clean_text(v) if isinstance(v, str | int) else None


# --- CSL-JSON ---------------------------------------------------------------------------------
def _csl_name(a: dict) -> str | None:
    if not isinstance(a, dict):
        return clean_text(a) if isinstance(a, str) else None
    if a.get("literal"):
        return clean_text(a["literal"])
    family = " ".join(p for p in (_str(a.get("non-dropping-particle")), _str(a.get("family"))) if p)
    given = " ".join(p for p in (_str(a.get("given")), _str(a.get("dropping-particle"))) if p)
    return person_name(family, given, _str(a.get("suffix")))


def _csl_year(issued: object) -> int | None:
    if isinstance(issued, dict):
        parts = issued.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            year = parse_year(parts[0][0] if isinstance(parts[0][0], int) else str(parts[0][0]))
            if year:
                return year
        return parse_year(issued.get("raw")) or parse_year(issued.get("literal"))
    return parse_year(issued)


def csl_to_record(d: dict, line: int) -> Record:
    """One CSL-JSON item -> Record."""
    names = d.get("author") or d.get("editor") or []
    url = _str(d.get("URL"))
    note = " ".join(x for x in (_str(d.get("note")), _str(d.get("extra"))) if x)
    return Record(
        title=clean_title(_str(d.get("title"))),
        abstract=_str(d.get("abstract")),
        authors=[n for n in (_csl_name(a) for a in names) if n],
        year=_csl_year(d.get("issued")) or _csl_year(d.get("original-date")),
        venue=_str(d.get("container-title"))
        or _str(d.get("collection-title"))
        or _str(d.get("event-title"))
        or _str(d.get("publisher")),
        doi=normalize_doi(_str(d.get("DOI"))) or doi_from_url(url),
        pmid=normalize_pmid(_str(d.get("PMID"))) or find_pmid(note),
        arxiv_id=find_arxiv_id(note, url, _str(d.get("number"))),
        url=url,
        keywords=split_keywords(_str(d.get("keyword"))),
        entry_type=_str(d.get("type")),
        line=line,
        raw_id=_str(d.get("id")) or _str(d.get("citation-key")),
        format="csl-json",
    )


def read_csl_json(stream: TextIO) -> Iterator[Item]:
    """Yield a Record per CSL-JSON item (Zotero 'CSL JSON' export), or a RecordError."""
    return _drive(stream, csl_to_record, "CSL-JSON")


# --- OpenAlex ---------------------------------------------------------------------------------
def rebuild_inverted_index(index: object) -> str | None:
    """OpenAlex ``abstract_inverted_index`` {word: [positions]} -> the text in word order."""
    if not isinstance(index, dict) or not index:
        return None
    slots: dict[int, str] = {}
    for word, positions in index.items():
        for p in positions or []:
            if isinstance(p, int):
                slots[p] = word
    return clean_text(" ".join(slots[i] for i in sorted(slots)))


def _short_openalex_id(v: object) -> str | None:
    s = _str(v)
    return s.rstrip("/").rsplit("/", 1)[-1] if s else None


def openalex_to_record(d: dict, line: int) -> Record:
    """One OpenAlex work -> Record."""
    authors = []
    for a in d.get("authorships") or []:
        name = (a.get("author") or {}).get("display_name") or a.get("raw_author_name")
        name = name_from_display(name)
        if name:
            authors.append(name)
    loc = d.get("primary_location") or {}
    source = loc.get("source") or {}
    venue = _str(source.get("display_name")) or _str(
        (d.get("host_venue") or {}).get("display_name")
    )
    ids = d.get("ids") or {}
    keywords = [k.get("display_name") for k in d.get("keywords") or [] if isinstance(k, dict)]
    if not keywords:
        keywords = [c.get("display_name") for c in d.get("concepts") or [] if isinstance(c, dict)]
    urls = [loc.get("landing_page_url")] + [
        (x or {}).get("landing_page_url") for x in d.get("locations") or []
    ]
    return Record(
        title=clean_title(_str(d.get("title")) or _str(d.get("display_name"))),
        abstract=rebuild_inverted_index(d.get("abstract_inverted_index"))
        or _str(d.get("abstract")),
        authors=authors,
        year=parse_year(d.get("publication_year")) or parse_year(d.get("publication_date")),
        venue=venue,
        doi=normalize_doi(_str(d.get("doi")) or _str(ids.get("doi"))),
        pmid=normalize_pmid(_str(ids.get("pmid"))),
        arxiv_id=find_arxiv_id(*[u for u in urls if isinstance(u, str)]),
        url=_str(loc.get("landing_page_url")) or _str(d.get("id")),
        keywords=dedupe([k for k in keywords if isinstance(k, str)]),
        entry_type=_str(d.get("type")),
        line=line,
        raw_id=_short_openalex_id(d.get("id")),
        format="openalex",
    )


def read_openalex(stream: TextIO) -> Iterator[Item]:
    """Yield a Record per OpenAlex work (array, API page or JSON Lines), or a RecordError."""
    return _drive(stream, openalex_to_record, "OpenAlex")


# --- arXiv metadata snapshot ------------------------------------------------------------------
def arxiv_to_record(d: dict, line: int) -> Record:
    """One line of the arXiv metadata snapshot (Kaggle ``arxiv-metadata-oai-snapshot``) -> Record.

    Titles, abstracts and names there carry LaTeX (``Gon\\c{c}alves``, ``CO$_2$``): decoded.
    """
    parsed = d.get("authors_parsed")
    authors: list[str] = []
    if isinstance(parsed, list) and parsed:
        for p in parsed:
            if isinstance(p, list) and p:
                parts = [latex_to_text(x) if isinstance(x, str) else None for x in p[:3]]
                name = person_name(*(parts + [None, None])[:3])
                if name:
                    authors.append(name)
    elif isinstance(d.get("authors"), str):
        raw = re.sub(r"\([^()]*\)", "", d["authors"])  # affiliations in parentheses
        for part in re.split(r",\s*|\s+and\s+", raw):
            name = name_from_display(latex_to_text(part))
            if name:
                authors.append(name)
    versions = d.get("versions") or []
    first = versions[0].get("created") if versions and isinstance(versions[0], dict) else None
    aid = _str(d.get("id"))
    cats = (_str(d.get("categories")) or "").split()
    return Record(
        title=clean_title(latex_to_text(_str(d.get("title")))),
        abstract=latex_to_text(_str(d.get("abstract"))),
        authors=authors,
        year=parse_year(first) or parse_year(d.get("update_date")),
        venue=_str(d.get("journal-ref")),
        doi=normalize_doi(_str(d.get("doi"))),
        pmid=None,
        arxiv_id=normalize_arxiv_id(aid) or aid,
        url=f"https://arxiv.org/abs/{aid}" if aid else None,
        keywords=dedupe(cats),
        entry_type="preprint",
        line=line,
        raw_id=aid,
        format="arxiv",
    )


def read_arxiv(stream: TextIO) -> Iterator[Item]:
    """Yield a Record per arXiv metadata record (JSON Lines or array), or a RecordError."""
    return _drive(stream, arxiv_to_record, "arXiv metadata")


# --- Semantic Scholar -------------------------------------------------------------------------
def s2_to_record(d: dict, line: int) -> Record:
    """One Semantic Scholar Graph API paper -> Record."""
    for wrapper in ("citingPaper", "citedPaper", "paper"):
        if isinstance(d.get(wrapper), dict) and "paperId" not in d:
            d = d[wrapper]
    ext = d.get("externalIds") or {}
    journal = d.get("journal") or {}
    fields = [f for f in d.get("fieldsOfStudy") or [] if isinstance(f, str)]
    fields += [f.get("category") for f in d.get("s2FieldsOfStudy") or [] if isinstance(f, dict)]
    types = d.get("publicationTypes") or []
    return Record(
        title=clean_title(_str(d.get("title"))),
        abstract=_str(d.get("abstract")),
        authors=[
            n for n in (name_from_display(a.get("name")) for a in d.get("authors") or []) if n
        ],
        year=parse_year(d.get("year")) or parse_year(d.get("publicationDate")),
        venue=_str(d.get("venue")) or _str(journal.get("name")),
        doi=normalize_doi(_str(ext.get("DOI"))),
        pmid=normalize_pmid(_str(ext.get("PubMed"))),
        arxiv_id=normalize_arxiv_id(_str(ext.get("ArXiv"))),
        url=_str(d.get("url")),
        keywords=dedupe([f for f in fields if isinstance(f, str)]),
        entry_type=_str(types[0]) if isinstance(types, list) and types else None,
        line=line,
        raw_id=_str(d.get("paperId")),
        format="s2",
    )


def read_s2(stream: TextIO) -> Iterator[Item]:
    """Yield a Record per Semantic Scholar paper (object, array, page or JSONL), or an error."""
    return _drive(stream, s2_to_record, "Semantic Scholar")
