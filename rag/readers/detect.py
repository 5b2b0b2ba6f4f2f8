"""Which export format a file or a pasted text is, from its extension and its first bytes."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Format:
    """One accepted format: its name (the reader key), a label for people, its extensions."""

    name: str
    label: str
    extensions: tuple[str, ...]


FORMATS: list[Format] = [
    Format("bibtex", "BibTeX", (".bib", ".bibtex")),
    Format("ris", "RIS", (".ris",)),
    Format("csl-json", "CSL-JSON", (".json",)),
    Format("zotero-csv", "Zotero CSV", (".csv",)),
    Format("medline", "PubMed MEDLINE", (".nbib", ".medline", ".txt")),
    Format("pubmed-xml", "PubMed XML", (".xml",)),
    Format("openalex", "OpenAlex works", (".json", ".jsonl")),
    Format("arxiv", "arXiv metadata", (".json", ".jsonl")),
    Format("s2", "Semantic Scholar papers", (".json", ".jsonl")),
]
FORMAT_NAMES = [f.name for f in FORMATS]
HEAD_BYTES = 65536  # how much of a file detect_format wants to see


def accepted_formats() -> str:
    """``"BibTeX (.bib, .bibtex), RIS (.ris), ..."`` for messages that list what is accepted."""
    return ", ".join(f"{f.label} ({', '.join(f.extensions)})" for f in FORMATS)


_BIB_ENTRY = re.compile(r"^\s*@\s*([A-Za-z]+)\s*[{(]", re.M)
_BIB_FULL_ENTRY = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]\s*[^,\s{}()=]*\s*,", re.M)
_BIB_FIELD = re.compile(r"^\s*[A-Za-z][\w:.+-]*\s*=", re.M)
_RIS_TY = re.compile(r"^\ufeff?TY  - ", re.M)
_MEDLINE_PMID = re.compile(r"^\ufeff?PMID- ?\d", re.M)
_MEDLINE_TAG = re.compile(r"^([A-Z][A-Z0-9]{1,3}) {0,2}- ", re.M)
_MEDLINE_TAGS = {"PMID", "TI", "AB", "FAU", "AU", "DP", "JT", "TA", "LID", "AID", "MH", "OT", "PT"}


def _bibtex(text: str) -> bool:
    kinds = [k.lower() for k in _BIB_ENTRY.findall(text)]
    entries = [k for k in kinds if k not in ("comment", "preamble", "string")]
    return bool(entries) and bool(_BIB_FULL_ENTRY.search(text)) and bool(_BIB_FIELD.search(text))


def _medline(text: str) -> bool:
    if _MEDLINE_PMID.search(text):
        return True
    lines = [ln for ln in text.splitlines() if ln.strip()][:12]
    tags = [m.group(1) for m in (_MEDLINE_TAG.match(ln) for ln in lines) if m]
    return (
        bool(lines) and bool(_MEDLINE_TAG.match(lines[0])) and len(set(tags) & _MEDLINE_TAGS) >= 2
    )


def _json_kind(text: str) -> str | None:
    """Which JSON export: keys that only one of them uses, anywhere in the first bytes."""
    if re.search(r'"abstract_inverted_index"|"authorships"|"https://openalex\.org/W', text):
        return "openalex"
    if re.search(r'"paperId"|"externalIds"|"authorId"', text):
        return "s2"
    if re.search(r'"authors_parsed"|"journal-ref"|"update_date"', text):
        return "arxiv"
    if re.search(r'"container-title"|"date-parts"|"issued"|"citation-key"', text):
        return "csl-json"
    if re.search(r'"author"\s*:\s*\[\s*\{\s*"(?:family|given|literal)"', text):
        return "csl-json"
    return None


def _zotero_csv(text: str) -> bool:
    first = text.split("\n", 1)[0]
    try:
        header = next(csv.reader(io.StringIO(first)))
    except (csv.Error, StopIteration):
        return False
    header = [h.strip() for h in header]
    return "Title" in header and "Abstract Note" in header


def _decode(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    return head.decode("utf-8", errors="replace").lstrip("\ufeff")


def sniff(text: str) -> str | None:
    """The format of a text by its content alone, or None."""
    s = text.lstrip()
    if not s:
        return None
    if s.startswith("<"):
        if re.search(r"<(PubmedArticleSet|PubmedArticle|PubmedBookArticle)[\s>]", s):
            return "pubmed-xml"
        return None
    if s[0] in "[{":
        return _json_kind(s)
    if _RIS_TY.search(s):
        return "ris"
    if _medline(s):
        return "medline"
    if _bibtex(s):
        return "bibtex"
    if _zotero_csv(s):
        return "zotero-csv"
    return None


def detect_format(path: str | Path, head: bytes) -> str | None:
    """The reader name for a file from its extension and first bytes, or None if none fits.

    Content decides when it is recognisable (a .txt that is MEDLINE, which JSON export a .json
    is); otherwise the extension decides when it belongs to one format only (.bib, .ris, .nbib).
    A .txt, .csv, .json or .xml whose content is none of ours is None: it may be plain text.
    """
    ext = Path(path).suffix.lower()
    by_content = sniff(_decode(head))
    if by_content:
        return by_content
    owners = [f.name for f in FORMATS if ext in f.extensions]
    if len(owners) == 1 and ext not in (".txt", ".csv", ".xml"):
        return owners[0]
    return None


def detect_text_format(text: str) -> str | None:
    """The format of pasted text: "bibtex", "ris" or "medline", else None (plain text)."""
    kind = sniff(text)
    return kind if kind in ("bibtex", "ris", "medline") else None
