"""What every reader shares: limits, the Reject and ParseResult records, checks, Paper making."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..config import REPO_DIR
from ..records import Paper
from ..text import clean_latex, normalize_for_id, normalize_ws, strip_invisible
from .titles import derive_title, find_method_name

MAX_ABSTRACT_CHARS = 20_000
MIN_ABSTRACT_WORDS = 8
MAX_TITLE_CHARS = 300
SUPPORTED = (".txt", ".md", ".jsonl", ".ndjson", ".json", ".csv", ".tsv")
ID_KEYS = ("paper_id", "_id", "id", "doc_id")
TEXT_KEYS = ("abstract", "text", "body", "content")
_URL = re.compile(r"https?://[^\s<>\"'{}|\\^`\]]+")
# the seed format's marker: an abstract starts after "Abstract:" (also a full-width colon)
ABSTRACT_MARKER = re.compile(r"(?:(?<=\s)|^)(?:Abstract|ABSTRACT)\s*[:：]\s*")
# unpaired surrogates: bytes that were not UTF-8 (decoded with surrogateescape) or a broken
# "\ud83d" JSON escape. Neither can be stored, so a record holding one is rejected.
_SURROGATE = re.compile("[\ud800-\udfff]")
NOT_UTF8 = (
    "contains bytes that are not valid UTF-8 (or an unpaired surrogate escape); "
    "re-save the file as UTF-8"
)


@dataclass
class Reject:
    """A record (or a whole file) that was not ingested, and why."""

    source: str
    where: str
    reason: str
    # the record's slot in its file (None: not a record, or a duplicate); ``to_end``: every
    # slot from ``position`` on was skipped (0 and to_end: the whole file). Ingest keeps the
    # papers it had indexed in those slots, so bad input never deletes what is in the store.
    position: int | None = None
    to_end: bool = False

    def __post_init__(self) -> None:
        # a message quotes the user's input; it must print even when that input was not UTF-8
        self.source, self.where, self.reason = (
            _SURROGATE.sub("\ufffd", str(x)) for x in (self.source, self.where, self.reason)
        )

    def __str__(self) -> str:
        return f"{self.source}: {self.where}: {self.reason}"


@dataclass
class ParseResult:
    papers: list[Paper] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def display_path(path: Path) -> str:
    """Paths inside the checkout are stored relative to it, so a store survives a move."""
    path = path.resolve()
    try:
        return str(path.relative_to(REPO_DIR))
    except ValueError:
        return str(path)


def resolve_source(source: str) -> Path:
    p = Path(source)
    return p if p.is_absolute() else REPO_DIR / p


def text_id(text: str) -> str:
    """A short hash of the normalized text: stable across runs, reflows and file order."""
    return hashlib.sha1(normalize_for_id(text).encode()).hexdigest()[:12]


def find_url(text: str) -> str | None:
    """The code or project URL an abstract gives, without trailing punctuation."""
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".,;:)")
        if url.count("(") < url.count(")"):
            url = url.rstrip(")")
        return url
    return None


def _clean_abstract(raw: str) -> str:
    raw = strip_invisible(raw)
    if "\\" not in raw and "$" not in raw:  # no markup: clean_latex would return it as is
        return normalize_ws(raw)
    name = find_method_name(normalize_ws(raw))[0] or None  # replaces a \\method placeholder
    return normalize_ws(clean_latex(raw, method_name=name))


def _check_text(text: str) -> str | None:
    """Why a text cannot be an abstract, or None."""
    if _SURROGATE.search(text):
        return NOT_UTF8
    text = strip_invisible(text)
    if not text.strip():
        return "the abstract is empty; write its text after the marker or remove the record"
    words = len(text.split())
    if words < MIN_ABSTRACT_WORDS:
        return (
            f"the abstract has only {words} word(s); an abstract needs at least "
            f"{MIN_ABSTRACT_WORDS}: complete it or remove the record"
        )
    if len(text) > MAX_ABSTRACT_CHARS:
        return (
            f"the abstract is {len(text):,} characters, over the {MAX_ABSTRACT_CHARS:,} limit: "
            "check that several abstracts are not run together (each needs its own marker)"
        )
    return None


def _make_paper(
    *,
    text: str,
    source: str,
    position: int,
    line: int | None,
    rid: str | None = None,
    title: str | None = None,
    url: str | None = None,
    authors: str | None = None,
    year: int | None = None,
    header: str | None = None,
) -> Paper:
    rid = rid or text_id(text)  # from the text as written, so cleaning rules never change ids
    text = _clean_abstract(text)
    if title:
        title = normalize_ws(clean_latex(strip_invisible(title)))[:MAX_TITLE_CHARS]
    title_derived = not title
    return Paper(
        paper_id=rid,
        title=title or derive_title(text),
        text=text,
        source=source,
        position=position,
        url=url or find_url(text),
        line=line,
        authors=authors,
        year=year,
        header=header,
        title_derived=title_derived,
    )
