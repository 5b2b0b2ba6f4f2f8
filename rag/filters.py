"""Filters on the papers retrieval may return: year range, author, venue, source file.

One predicate, applied inside retrieval on both sides (the Chroma query is restricted to the
matching papers, the BM25 ranking to the same set), so a filter never empties an answer while
matching papers exist.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .errors import ConfigError
from .records import Paper

_RANGE = re.compile(r"^\s*(\d{4})?\s*(?:(-|–|\.\.|to)\s*(\d{4})?)?\s*$")


def _fold(text: str) -> str:
    """Lower case without accents: ``Fernández`` matches ``fernandez``."""
    s = unicodedata.normalize("NFKD", text)
    return "".join(c for c in s if not unicodedata.combining(c)).casefold()


def parse_years(text: str | None) -> tuple[int | None, int | None]:
    """``"2019-2023"`` -> (2019, 2023); ``"2020"`` -> (2020, 2020); ``"2019-"`` / ``"-2023"``
    open-ended. Raises ConfigError for anything else."""
    if text is None or not str(text).strip():
        return None, None
    m = _RANGE.match(str(text))
    if not m or not (m.group(1) or m.group(3)):
        raise ConfigError(
            f"--year {text!r}: give a year (2021) or a range (2019-2023, 2019-, -2023)"
        )
    lo = int(m.group(1)) if m.group(1) else None
    hi = int(m.group(3)) if m.group(3) else (lo if not m.group(2) else None)
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    return lo, hi


@dataclass(frozen=True)
class Filters:
    """What a paper must match; empty fields match everything."""

    year_from: int | None = None
    year_to: int | None = None
    author: str | None = None  # a name or part of one, accent- and case-insensitive
    venue: str | None = None  # part of the journal / proceedings name
    source: str | None = None  # part of the file the paper came from

    @classmethod
    def make(
        cls,
        year: str | None = None,
        author: str | None = None,
        venue: str | None = None,
        source: str | None = None,
    ) -> Filters:
        """From the CLI / UI / API strings (``year`` as ``"2019-2023"``)."""
        lo, hi = parse_years(year)

        def clean(v: str | None) -> str | None:
            return v.strip() if v and v.strip() else None

        return cls(lo, hi, clean(author), clean(venue), clean(source))

    def __bool__(self) -> bool:
        return any(
            v is not None
            for v in (self.year_from, self.year_to, self.author, self.venue, self.source)
        )

    def matches(self, p: Paper) -> bool:
        if self.year_from is not None or self.year_to is not None:
            if p.year is None:
                return False
            if self.year_from is not None and p.year < self.year_from:
                return False
            if self.year_to is not None and p.year > self.year_to:
                return False
        if self.author and not any(_name_matches(self.author, a) for a in p.authors):
            return False
        if self.venue and _fold(self.venue) not in _fold(p.venue or ""):
            return False
        return not (self.source and _fold(self.source) not in _fold(p.source or ""))

    def key(self) -> tuple:
        return (self.year_from, self.year_to, self.author, self.venue, self.source)

    def describe(self) -> str:
        """``"year 2019-2023, author Okafor"`` for messages."""
        parts = []
        if self.year_from is not None or self.year_to is not None:
            lo, hi = self.year_from, self.year_to
            span = str(lo) if lo == hi else f"{lo or ''}-{hi or ''}"
            parts.append(f"year {span}")
        for label, v in (("author", self.author), ("venue", self.venue), ("source", self.source)):
            if v:
                parts.append(f"{label} {v}")
        return ", ".join(parts)

    def public(self) -> dict:
        return {
            k: v
            for k, v in zip(
                ("year_from", "year_to", "author", "venue", "source"), self.key(), strict=True
            )
            if v is not None
        }


def _name_matches(query: str, author: str) -> bool:
    """``Okafor`` / ``okafor n`` / ``Ngozi Okafor`` all match ``"Okafor, Ngozi A."``."""
    q = _fold(query).replace(",", " ").replace(".", " ").split()
    a = _fold(author).replace(",", " ").replace(".", " ")
    words = a.split()
    return all(any(w.startswith(t) for w in words) for t in q)
