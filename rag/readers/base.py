"""The record every reader yields, the per-entry error, and the normalisers they share.

Author names have ONE form across all readers: ``"Family, Given"`` (``"Family, Given, Suffix"``
when there is a suffix such as Jr.), e.g. ``"Okafor, Ngozi A."``, ``"van der Berg, Anna"``.
A name with no given part (an organisation, a mononym) is kept whole and has no comma,
e.g. ``"World Health Organization"``. Sources that only give a display name (OpenAlex,
Semantic Scholar) are split by the BibTeX name rules (``"Ludwig van Beethoven"`` ->
``"van Beethoven, Ludwig"``). :func:`family_name` and :func:`display_name` turn the stored form
into what a citation or a card shows.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field

from rag.text import strip_invisible


@dataclass
class Record:
    """One bibliographic entry read from an export file."""

    title: str | None
    abstract: str | None
    authors: list[str] = field(default_factory=list)  # "Family, Given" (see module doc)
    year: int | None = None
    venue: str | None = None  # journal, proceedings, book, school, publisher
    doi: str | None = None  # lower-case, no https://doi.org/ prefix
    pmid: str | None = None
    arxiv_id: str | None = None  # e.g. 2301.01234 or hep-th/9901001, no version suffix
    url: str | None = None
    keywords: list[str] = field(default_factory=list)
    entry_type: str | None = None  # as the source names it: article, JOUR, journal-article
    line: int = 0  # 1-based line of the file where the entry starts
    raw_id: str | None = None  # citation key / id in the file
    format: str = ""  # the reader that produced it: bibtex, ris, medline, ...


@dataclass
class RecordError:
    """An entry that could not be read; ``line`` is 1-based, ``message`` says what to fix."""

    line: int
    message: str
    raw_id: str | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


Item = Record | RecordError

# --- text -------------------------------------------------------------------------------------
_WS = re.compile(r"\s+")


def clean_text(text: object) -> str | None:
    """Collapse whitespace (multi-line fields), drop invisible characters; None when empty."""
    if text is None:
        return None
    s = _WS.sub(" ", strip_invisible(str(text)).replace("\xa0", " ")).strip()
    return s or None


def clean_title(text: object) -> str | None:
    """A title without surrounding whitespace and the single final period PubMed adds."""
    s = clean_text(text)
    if s and s.endswith(".") and not s.endswith(".."):
        s = s[:-1].rstrip()
    return s or None


def dedupe(items: list[str]) -> list[str]:
    """Drop empty and repeated strings (case-insensitive), keeping the first spelling."""
    seen: set[str] = set()
    out = []
    for item in items:
        s = clean_text(item)
        if s and s.lower() not in seen:
            seen.add(s.lower())
            out.append(s)
    return out


# --- years ------------------------------------------------------------------------------------
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|2100)(?!\d)")


def parse_year(value: object) -> int | None:
    """The first plausible four-digit year (1500-2100) in a date string or number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1500 <= value <= 2100 else None
    m = _YEAR.search(str(value))
    return int(m.group(1)) if m else None


# --- identifiers ------------------------------------------------------------------------------
_DOI_PREFIX = re.compile(
    r"^(?:https?://(?:dx\.)?doi\.org/|doi\.org/|https?://doi\.[a-z]+/|doi\s*:?\s*)", re.I
)
_DOI_IN_TEXT = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.I)


def normalize_doi(value: object) -> str | None:
    """``https://doi.org/10.1038/ABC`` / ``doi:10.1038/abc`` -> ``10.1038/abc``; None if not a DOI."""
    s = clean_text(value)
    if not s:
        return None
    s = s.replace("\\_", "_").replace("\\%", "%").replace("\\&", "&").replace("\\#", "#")
    s = _DOI_PREFIX.sub("", s).strip()
    if "%2f" in s.lower():
        s = urllib.parse.unquote(s)
    m = _DOI_IN_TEXT.search(s)
    if not m:
        return None
    return m.group(1).rstrip(".,;)]}").lower()


def doi_from_url(url: str | None) -> str | None:
    """The DOI of a doi.org URL, else None."""
    if url and re.search(r"(?:^|//)(?:dx\.)?doi\.org/", url, re.I):
        return normalize_doi(url)
    return None


_ARXIV_NEW = r"\d{4}\.\d{4,5}"
_ARXIV_OLD = r"[a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7}"
_ARXIV_ID = re.compile(rf"^(?:arxiv:\s*)?({_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?$", re.I)
_ARXIV_IN_TEXT = re.compile(
    rf"(?:arxiv[:\s]\s*|arxiv\.org/(?:abs|pdf)/)({_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?", re.I
)


def normalize_arxiv_id(value: object) -> str | None:
    """``arXiv:2301.01234v2`` -> ``2301.01234``; None when it is not an arXiv identifier."""
    s = clean_text(value)
    if not s:
        return None
    m = _ARXIV_ID.match(s)
    return m.group(1) if m else None


def find_arxiv_id(*texts: object) -> str | None:
    """An arXiv id mentioned as ``arXiv:ID`` or an arxiv.org URL in any of the texts."""
    for text in texts:
        if text:
            m = _ARXIV_IN_TEXT.search(str(text))
            if m:
                return m.group(1)
    return None


_PMID_IN_TEXT = re.compile(r"\bPMID:?\s*(\d{1,9})\b")


def normalize_pmid(value: object) -> str | None:
    """``https://pubmed.ncbi.nlm.nih.gov/123/`` or ``123`` -> ``"123"``."""
    s = clean_text(value)
    if not s:
        return None
    m = re.search(r"(\d{1,9})/?$", s)
    return m.group(1) if m else None


def find_pmid(text: object) -> str | None:
    """A ``PMID: 123`` mention (Zotero writes these into Extra / note)."""
    m = _PMID_IN_TEXT.search(str(text)) if text else None
    return m.group(1) if m else None


def split_keywords(value: object) -> list[str]:
    """Keywords from a list, or a string separated by ';' (preferred) or ','."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        parts = [str(v) for v in value]
    else:
        s = str(value)
        parts = s.split(";") if ";" in s else s.split(",")
    return dedupe(parts)


# --- names ------------------------------------------------------------------------------------
def person_name(family: object, given: object = None, suffix: object = None) -> str | None:
    """``"Family, Given[, Suffix]"`` from parts; the family alone when there is no given name."""
    fam, giv, suf = clean_text(family), clean_text(given), clean_text(suffix)
    if not fam:
        return giv
    out = f"{fam}, {giv}" if giv else fam
    return f"{out}, {suf}" if suf else out


def name_from_display(display: object) -> str | None:
    """Split a display name ``"Ngozi A. Okafor"`` into ``"Okafor, Ngozi A."`` (BibTeX rules)."""
    from bibtexparser.middlewares.names import InvalidNameError, parse_single_name_into_parts

    s = clean_text(display)
    if not s:
        return None
    try:
        parts = parse_single_name_into_parts(s.replace("{", "").replace("}", ""), strict=False)
    except InvalidNameError:
        return s
    family = " ".join(parts.von + parts.last)
    return person_name(family, " ".join(parts.first), " ".join(parts.jr)) or s


def family_name(author: str) -> str:
    """The family part of a stored name: ``"Okafor, Ngozi A."`` -> ``"Okafor"``."""
    return author.split(",", 1)[0].strip()


def display_name(author: str) -> str:
    """The reading order of a stored name: ``"Okafor, Ngozi A."`` -> ``"Ngozi A. Okafor"``."""
    parts = [p.strip() for p in author.split(",")]
    if len(parts) == 1:
        return parts[0]
    family, given, *rest = parts
    out = f"{given} {family}".strip()
    return ", ".join([out, *rest]) if rest else out
