"""Papers out: the byline of cards and citations, a reference in a standard style (APA-like),
and the cited papers of an answer or a summary as BibTeX, RIS or CSL-JSON.

An exported BibTeX file re-imports (``rag ingest refs.bib``) to the same papers: it carries the
abstract, the authors, the year, the venue and the identifiers.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .errors import ConfigError
from .readers import display_name, family_name

if TYPE_CHECKING:  # records imports this module for its reference lists
    from .records import Paper

FORMATS = ("bibtex", "ris", "csl-json")
EXTENSIONS = {"bibtex": ".bib", "ris": ".ris", "csl-json": ".json"}


def authors_short(authors: list[str]) -> str:
    """``Okafor`` / ``Okafor, Chen`` / ``Okafor, Chen et al.`` (family names)."""
    fams = [family_name(a) for a in authors if a]
    if not fams:
        return ""
    if len(fams) <= 2:
        return ", ".join(fams)
    return f"{fams[0]}, {fams[1]} et al."


def byline(p: Paper) -> str:
    """``Okafor, Chen et al. 2023 · Nature Medicine · doi:10.1038/…`` (what is known of it)."""
    return byline_of(p.authors, p.year, p.venue, p.doi)


def byline_of(
    authors: list[str] | None, year: int | None, venue: str | None, doi: str | None
) -> str:
    """The byline from its parts (a citation's or a paper's JSON)."""
    head = " ".join(x for x in (authors_short(authors or []), str(year) if year else "") if x)
    parts = [head, venue or "", f"doi:{doi}" if doi else ""]
    return " · ".join(x for x in parts if x)


def _initials(given: str) -> str:
    out = []
    for part in re.split(r"\s+", given.strip()):
        if not part:
            continue
        out.append("-".join(f"{h[0]}." for h in part.split("-") if h))
    return " ".join(out)


def _apa_name(author: str) -> str:
    parts = [p.strip() for p in author.split(",")]
    if len(parts) == 1:
        return parts[0]
    family, given, *rest = parts
    name = f"{family}, {_initials(given)}" if given else family
    return f"{name}, {rest[0]}" if rest else name


def reference(p: Paper) -> str:
    """One reference, APA style: ``Okafor, N. A., & Chen, W. (2023). Title. *Venue*. https://doi.org/…``."""
    names = [_apa_name(a) for a in p.authors]
    if len(names) > 20:
        names = [*names[:19], "…", names[-1]]
    if len(names) == 1:
        who = names[0]
    elif names:
        who = ", ".join(names[:-1]) + ", & " + names[-1]
    else:
        who = ""
    out = f"{who} " if who else ""
    out += f"({p.year}). " if p.year else "(n.d.). "
    title = p.title.rstrip(".")
    out += f"{title}."
    if p.venue:
        out += f" *{p.venue}*."
    if p.doi:
        out += f" https://doi.org/{p.doi}"
    elif p.url:
        out += f" {p.url}"
    return out


# --- BibTeX ------------------------------------------------------------------------------------
_BIB_SPECIAL = re.compile(r"([&%#$_])")


def _bib_text(s: str) -> str:
    """A value safe inside BibTeX braces: LaTeX specials escaped, stray braces dropped."""
    s = s.replace("\\", "").replace("{", "").replace("}", "")
    return _BIB_SPECIAL.sub(r"\\\1", s)


def _bib_name(author: str) -> str:
    # a name without a comma is an organisation: braced so BibTeX keeps it whole
    author = author.replace("{", "").replace("}", "")
    parts = [x.strip() for x in author.split(",")]
    if len(parts) == 1:
        return "{" + author + "}"
    if len(parts) > 2:  # BibTeX's order is "von Last, Jr, First"
        return f"{parts[0]}, {parts[2]}, {parts[1]}"
    return author


def _bib_key(p: Paper, used: set[str]) -> str:
    fam = family_name(p.authors[0]) if p.authors else "anon"
    word = next((w for w in re.findall(r"[A-Za-z]{4,}", p.title)), "paper")
    ascii_fam = unicodedata.normalize("NFKD", fam).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9]", "", ascii_fam.lower()) or "anon"
    base = f"{base}{p.year or ''}{word.lower()}"
    key, n = base, 1
    while key in used:
        n += 1
        key = f"{base}{n}"
    used.add(key)
    return key


def to_bibtex(papers: Iterable[Paper]) -> str:
    """The papers as BibTeX entries (``@article`` when a venue is known, else ``@misc``)."""
    from bibtexparser import Library, write_string
    from bibtexparser.model import Entry, Field

    lib = Library()
    used: set[str] = set()
    for p in papers:
        fields = [Field("title", _bib_text(p.title))]
        if p.authors:
            fields.append(Field("author", " and ".join(_bib_name(a) for a in p.authors)))
        if p.year:
            fields.append(Field("year", str(p.year)))
        if p.venue:
            fields.append(Field("journal", _bib_text(p.venue)))
        if p.doi:
            fields.append(Field("doi", p.doi))
        if p.pmid:
            fields.append(Field("pmid", p.pmid))
        if p.arxiv_id:
            fields += [Field("eprint", p.arxiv_id), Field("archiveprefix", "arXiv")]
        if p.url:
            fields.append(Field("url", p.url))
        if p.keywords:
            fields.append(Field("keywords", _bib_text("; ".join(p.keywords))))
        fields.append(Field("abstract", _bib_text(p.text)))
        kind = "article" if p.venue else "misc"
        lib.add(Entry(kind, _bib_key(p, used), fields))
    return write_string(lib)


# --- RIS ---------------------------------------------------------------------------------------
def to_ris(papers: Iterable[Paper]) -> str:
    """The papers as RIS records (``JOUR`` when a venue is known, else ``GEN``)."""
    import rispy

    entries = []
    for p in papers:
        e: dict = {"type_of_reference": "JOUR" if p.venue else "GEN", "title": p.title}
        if p.authors:
            e["authors"] = list(p.authors)
        if p.year:
            e["year"] = str(p.year)
        if p.venue:
            e["secondary_title"] = p.venue
        if p.doi:
            e["doi"] = p.doi
        urls = [
            u for u in (p.url, f"https://arxiv.org/abs/{p.arxiv_id}" if p.arxiv_id else None) if u
        ]
        if urls:
            e["urls"] = urls
        if p.pmid:
            e["notes"] = [f"PMID: {p.pmid}"]
        if p.keywords:
            e["keywords"] = list(p.keywords)
        e["abstract"] = p.text
        entries.append(e)
    return rispy.dumps(entries)


# --- CSL-JSON ----------------------------------------------------------------------------------
def _csl_name(author: str) -> dict:
    parts = [p.strip() for p in author.split(",")]
    if len(parts) == 1:
        return {"literal": parts[0]}
    d = {"family": parts[0], "given": parts[1]}
    if len(parts) > 2:
        d["suffix"] = parts[2]
    return d


def to_csl_json(papers: Iterable[Paper]) -> str:
    """The papers as a CSL-JSON array (what Zotero's "CSL JSON" export and citeproc read)."""
    items = []
    for p in papers:
        d: dict = {
            "id": p.paper_id,
            "type": "article-journal" if p.venue else "article",
            "title": p.title,
        }
        if p.authors:
            d["author"] = [_csl_name(a) for a in p.authors]
        if p.year:
            d["issued"] = {"date-parts": [[p.year]]}
        if p.venue:
            d["container-title"] = p.venue
        if p.doi:
            d["DOI"] = p.doi
        if p.pmid:
            d["PMID"] = p.pmid
        if p.url:
            d["URL"] = p.url
        elif p.arxiv_id:
            d["URL"] = f"https://arxiv.org/abs/{p.arxiv_id}"
        if p.arxiv_id:
            d["note"] = f"arXiv:{p.arxiv_id}"
        if p.keywords:
            d["keyword"] = ", ".join(p.keywords)
        d["abstract"] = p.text
        items.append(d)
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def export_refs(papers: Iterable[Paper], fmt: str) -> str:
    """The papers in one of ``FORMATS``."""
    papers = list(papers)
    if fmt == "bibtex":
        return to_bibtex(papers)
    if fmt == "ris":
        return to_ris(papers)
    if fmt == "csl-json":
        return to_csl_json(papers)
    raise ConfigError(f"unknown reference format {fmt!r}: use {', '.join(FORMATS)}")


__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "authors_short",
    "byline",
    "byline_of",
    "display_name",
    "export_refs",
    "reference",
    "to_bibtex",
    "to_csl_json",
    "to_ris",
]
