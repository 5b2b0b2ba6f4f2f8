"""PubMed XML (``PubmedArticleSet`` from E-utilities efetch or PubMed "Save -> XML").

Streamed with xml.etree's pull parser, fed one line at a time so that every article knows its
line; each article element is cleared once read, so memory holds one article. Structured
abstracts keep their labels: ``"BACKGROUND: ... METHODS: ..."``. XML that is not well formed
is reported with its line, and reading resumes at the next ``<PubmedArticle>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import TextIO

from .base import (
    Item,
    Record,
    RecordError,
    clean_text,
    clean_title,
    dedupe,
    normalize_arxiv_id,
    normalize_doi,
    parse_year,
    person_name,
)

_ARTICLES = ("PubmedArticle", "PubmedBookArticle")
_ARTICLE_START = re.compile(r"<(PubmedArticle|PubmedBookArticle)[\s>]")


def _text(el: ET.Element | None) -> str | None:
    return clean_text("".join(el.itertext())) if el is not None else None


def _abstract(parent: ET.Element | None) -> str | None:
    if parent is None:
        return None
    abstract = parent.find("Abstract")
    if abstract is None:
        abstract = parent.find("OtherAbstract")
    if abstract is None:
        return None
    parts = []
    for node in abstract.findall("AbstractText"):
        body = _text(node)
        if not body:
            continue
        label = clean_text(node.get("Label"))
        parts.append(f"{label}: {body}" if label else body)
    return " ".join(parts) or None


def _authors(parent: ET.Element | None) -> list[str]:
    out: list[str] = []
    if parent is None:
        return out
    for author_list in parent.findall("AuthorList"):
        if author_list.get("Type") == "editors" and out:
            continue
        for a in author_list.findall("Author"):
            if a.get("ValidYN") == "N":
                continue
            collective = _text(a.find("CollectiveName"))
            if collective:
                out.append(collective)
                continue
            given = _text(a.find("ForeName")) or _text(a.find("Initials"))
            name = person_name(_text(a.find("LastName")), given, _text(a.find("Suffix")))
            if name:
                out.append(name)
    return out


def _year(*dates: ET.Element | None) -> int | None:
    for d in dates:
        if d is None:
            continue
        year = parse_year(_text(d.find("Year"))) or parse_year(_text(d.find("MedlineDate")))
        if year:
            return year
    return None


def article_to_record(el: ET.Element, line: int) -> Record:
    """One ``PubmedArticle`` / ``PubmedBookArticle`` element -> Record."""
    ids: dict[str, str] = {}
    for aid in el.iterfind(".//PubmedData/ArticleIdList/ArticleId"):
        kind, value = (aid.get("IdType") or "").lower(), _text(aid)
        if kind and value:
            ids.setdefault(kind, value)
    keywords = [_text(k) or "" for k in el.iterfind(".//KeywordList/Keyword")]
    keywords += [
        _text(k) or "" for k in el.iterfind(".//MeshHeadingList/MeshHeading/DescriptorName")
    ]
    if el.tag == "PubmedBookArticle":
        doc = el.find("BookDocument")
        book = doc.find("Book") if doc is not None else None
        pmid = _text(doc.find("PMID")) if doc is not None else None
        title = _text(doc.find("ArticleTitle")) if doc is not None else None
        title = title or (_text(book.find("BookTitle")) if book is not None else None)
        authors = _authors(doc) or _authors(book)
        year = _year(book.find("PubDate") if book is not None else None)
        venue = _text(book.find("Publisher/PublisherName")) if book is not None else None
        abstract, entry_type = _abstract(doc), "Book"
        for eid in doc.iterfind("ELocationID") if doc is not None else []:
            ids.setdefault((eid.get("EIdType") or "").lower(), _text(eid) or "")
    else:
        cit = el.find("MedlineCitation")
        art = cit.find("Article") if cit is not None else None
        pmid = _text(cit.find("PMID")) if cit is not None else None
        title = _text(art.find("ArticleTitle")) if art is not None else None
        title = title or (_text(art.find("VernacularTitle")) if art is not None else None)
        authors = _authors(art)
        journal = art.find("Journal") if art is not None else None
        year = _year(
            journal.find("JournalIssue/PubDate") if journal is not None else None,
            art.find("ArticleDate") if art is not None else None,
        )
        venue = None
        if journal is not None:
            venue = _text(journal.find("Title")) or _text(journal.find("ISOAbbreviation"))
        if not venue and cit is not None:
            venue = _text(cit.find("MedlineJournalInfo/MedlineTA"))
        abstract = _abstract(art)
        for eid in art.iterfind("ELocationID") if art is not None else []:
            ids.setdefault((eid.get("EIdType") or "").lower(), _text(eid) or "")
        types = [_text(t) for t in el.iterfind(".//PublicationTypeList/PublicationType")]
        entry_type = types[0] if types else None
    pmid = pmid or ids.get("pubmed")
    return Record(
        title=clean_title(title),
        abstract=abstract,
        authors=authors,
        year=year,
        venue=venue,
        doi=normalize_doi(ids.get("doi")),
        pmid=pmid,
        arxiv_id=normalize_arxiv_id(ids.get("arxiv")),
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else None,
        keywords=dedupe(keywords),
        entry_type=entry_type,
        line=line,
        raw_id=pmid,
        format="pubmed-xml",
    )


def read_pubmed_xml(stream: TextIO) -> Iterator[Item]:
    """Yield a Record per PubmedArticle, or a RecordError with its line."""
    parser = ET.XMLPullParser(events=("start", "end"))
    root: ET.Element | None = None
    starts: list[int] = []  # line of each open article element
    skipping = False
    offset = 0  # file line of the parser's line 1, minus one
    seen = False  # any content at all: an empty file is no error, just no records
    for lineno, text in enumerate(stream, 1):
        seen = seen or bool(text.strip())
        if skipping:
            m = _ARTICLE_START.search(text)
            if not m:
                continue
            # resume: a fresh parser inside a synthetic set, from the next article on
            parser = ET.XMLPullParser(events=("start", "end"))
            parser.feed("<PubmedArticleSet>")
            text, offset, root, starts, skipping = text[m.start() :], lineno - 1, None, [], False
        try:
            parser.feed(text)
            events = list(parser.read_events())
        except ET.ParseError as exc:
            reason = re.sub(r":\s*line \d+, column \d+", "", str(exc))
            yield RecordError(
                offset + exc.position[0],
                f"PubMed XML is not well formed here ({reason}); "
                "the article was skipped, reading resumes at the next <PubmedArticle>",
            )
            skipping = True
            continue
        for event, el in events:
            if event == "start":
                if root is None:
                    root = el
                if el.tag in _ARTICLES:
                    starts.append(lineno)
            elif el.tag in _ARTICLES:
                start = starts.pop() if starts else lineno
                record = article_to_record(el, start)
                el.clear()
                if root is not None:
                    root.clear()  # drop the references the root keeps to finished articles
                if not record.title and not record.abstract:
                    yield RecordError(
                        start, "PubMed article has neither a title nor an abstract", record.pmid
                    )
                else:
                    yield record
    if seen and not skipping:
        try:
            parser.close()
        except ET.ParseError as exc:
            yield RecordError(
                offset + exc.position[0],
                "PubMed XML ends before its elements are closed (the file may be truncated)",
            )
