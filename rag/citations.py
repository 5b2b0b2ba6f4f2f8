"""Citations written in a draft's own words: DOIs and (Author, Year), resolved to papers.

``find_citations(sentence)`` reads the citations of one sentence that are not bracketed ids:

* DOIs: ``doi:10.1234/abc``, ``https://doi.org/10.1234/abc``, ``dx.doi.org/...`` or a bare
  ``10.1234/abc`` inside brackets or parentheses;
* author-year, in parentheses or narrative: ``(Smith, 2024)``, ``(Smith et al., 2024)``,
  ``(Smith and Lee, 2024)``, ``(Smith & Lee 2024a)``, several joined by ``;``, and
  ``Smith et al. (2024)``.

``Resolver(papers).resolve(citation)`` matches a citation to the collection's papers: a DOI by
equality (case-insensitive), an author-year by the first author's family name and the year
(and the second author's family name when written), with accents and case folded. It returns
every match, so a caller can tell resolved (one), ambiguous (several) and unresolved (none).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from .records import Paper

_DOI_BODY = r"10\.\d{4,9}/[^\s\[\]()<>\"'“”,;]+"
DOI_RE = re.compile(
    r"(?:\bdoi:\s*|\bhttps?://(?:dx\.)?doi\.org/|\b(?:dx\.)?doi\.org/)(?P<doi>" + _DOI_BODY + ")",
    re.IGNORECASE,
)
_BARE_DOI = re.compile(r"(?<=\()(?P<doi>" + _DOI_BODY + r")(?=\))")
# a family name: capitalised words, with particles (van der Berg, de Souza, O'Neil, Nguyen-Le)
_PARTICLE = r"(?:(?:van|von|der|den|de|del|della|di|da|du|la|le|st\.?)\s+)"
_WORDNAME = r"[^\W\d_](?:[^\W\d_]|['’\-](?=[^\W\d_]))*"
_NAME = _PARTICLE + r"*" + _WORDNAME + r"(?:\s+" + _WORDNAME + r")?"
_YEAR = r"(?P<year>(?:1[89]|20)\d\d)(?P<suffix>[a-z])?"
_ONE = re.compile(
    r"^\s*(?:(?:see|e\.g\.|cf\.|also|i\.e\.)[,\s]+)*(?P<cite>(?P<a1>"
    + _NAME
    + r")(?P<rest>\s+et\s+al\.?|\s+(?:and|&)\s+(?P<a2>"
    + _NAME
    + r"))?,?\s+"
    + _YEAR
    + r")\s*$"
)
_PAREN = re.compile(r"[(\[](?P<body>[^()\[\]]*?\b(?:1[89]|20)\d\d[a-z]?)\s*[)\]]")
_NARRATIVE = re.compile(
    r"(?P<a1>(?<![\w'’])"
    + _PARTICLE
    + r"*[A-Z][\w'’\-]+)(?P<rest>\s+et\s+al\.?|\s+(?:and|&)\s+(?P<a2>"
    + _PARTICLE
    + r"*[A-Z][\w'’\-]+))?\s+\("
    + _YEAR
    + r"\)"
)


@dataclass(frozen=True)
class Citation:
    """One citation as written: a DOI, or author(s) and a year."""

    text: str  # as written, e.g. "(Smith et al., 2024)" or "doi:10.1234/abc"
    span: tuple[int, int]  # where it is in the sentence
    doi: str | None = None
    author: str | None = None  # the first author's family name
    second: str | None = None  # the second author's, when written ("Smith and Lee")
    year: int | None = None
    et_al: bool = False


def _clean_doi(doi: str) -> str:
    return doi.rstrip(".,;:").lower()


def find_citations(sentence: str) -> list[Citation]:
    """The DOI and author-year citations of a sentence, in order of appearance."""
    out: list[Citation] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return not any(a < y and x < b for x, y in taken)

    taken += [(m.start(), m.end()) for m in re.finditer(r"\[[^\[\]]{1,200}\]", sentence)]
    brackets = len(taken)

    for rx in (DOI_RE, _BARE_DOI):
        for m in rx.finditer(sentence):
            if free(m.start(), m.end()):
                doi = _clean_doi(m.group("doi"))
                end = m.start() + len(m.group(0).rstrip(".,;:"))
                out.append(Citation(sentence[m.start() : end], (m.start(), end), doi=doi))
                taken.append((m.start(), end))
    for m in _PAREN.finditer(sentence):
        if not free(m.start(), m.end()):
            continue
        parts = []
        for part in re.split(r"\s*;\s*", m.group("body")):
            one = _ONE.match(part)
            if one is None:
                parts = []
                break
            parts.append(one)
        if not parts:
            continue
        taken.append((m.start(), m.end()))
        for one in parts:
            out.append(_author_year(one, "(" + one.group("cite") + ")", (m.start(), m.end())))
    for m in _NARRATIVE.finditer(sentence):
        if free(m.start(), m.end()):
            taken.append((m.start(), m.end()))
            out.append(_author_year(m, m.group(0), (m.start(), m.end())))
    del taken[:brackets]
    out.sort(key=lambda c: c.span)
    return out


def _author_year(m: re.Match, text: str, span: tuple[int, int]) -> Citation:
    rest = m.group("rest") or ""
    return Citation(
        text=text,
        span=span,
        author=m.group("a1").strip(),
        second=(m.group("a2") or "").strip() or None,
        year=int(m.group("year")),
        et_al="et" in rest and "al" in rest,
    )


def parse_label(label: str) -> Citation | None:
    """A bracketed citation's text as a DOI or an author-year ('[Smith et al., 2024]')."""
    label = label.strip()
    m = DOI_RE.fullmatch(label) or re.fullmatch("(?P<doi>" + _DOI_BODY + ")", label, re.I)
    if m:
        return Citation(f"[{label}]", (0, 0), doi=_clean_doi(m.group("doi")))
    one = _ONE.match(label)
    if one:
        return _author_year(one, f"[{one.group('cite')}]", (0, 0))
    return None


def strip_citations(sentence: str, cites: Sequence[Citation]) -> str:
    """The sentence without the citations' text (what the claim itself says)."""
    out, last = [], 0
    for c in sorted(cites, key=lambda c: c.span):
        a, b = c.span
        if a < last:
            continue
        out.append(sentence[last:a])
        last = b
    out.append(sentence[last:])
    text = re.sub(r"\(\s*[;,]?\s*\)", " ", "".join(out))
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def fold(name: str) -> str:
    """A name compared without case, accents or punctuation ("Müller" = "muller")."""
    nfkd = unicodedata.normalize("NFKD", name)
    return re.sub(r"[^a-z]", "", "".join(c for c in nfkd if not unicodedata.combining(c)).lower())


def family(author: str) -> str:
    """The family name of an author written "Family, Given" (or "Given Family")."""
    author = author.strip()
    if "," in author:
        return author.split(",", 1)[0]
    parts = author.split()
    return parts[-1] if parts else author


class Resolver:
    """Looks citations up among the collection's papers (DOI, first author + year)."""

    def __init__(self, papers: Sequence[Paper]) -> None:
        self.by_doi: dict[str, list[Paper]] = {}
        self.by_author_year: dict[tuple[str, int], list[Paper]] = {}
        for p in papers:
            if p.doi:
                self.by_doi.setdefault(_clean_doi(p.doi), []).append(p)
            if p.authors and p.year:
                key = (fold(family(p.authors[0])), int(p.year))
                self.by_author_year.setdefault(key, []).append(p)

    def resolve(self, c: Citation) -> list[Paper]:
        """Every paper the citation can mean: one (resolved), several (ambiguous) or none."""
        if c.doi is not None:
            return list(self.by_doi.get(c.doi, []))
        if c.author is None or c.year is None:
            return []
        found = self.by_author_year.get((fold(c.author), c.year), [])
        if c.second:
            want = fold(c.second)
            found = [p for p in found if len(p.authors) > 1 and fold(family(p.authors[1])) == want]
        elif c.et_al:
            found = [p for p in found if len(p.authors) > 1] or found
        else:  # "(Smith, 2024)": a single author first of all
            found = [p for p in found if len(p.authors) == 1] or found
        return list(found)
