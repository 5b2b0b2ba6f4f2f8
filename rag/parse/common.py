"""What every reader shares: limits, the Reject and ParseResult records, checks, Paper making."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ..config import REPO_DIR
from ..readers.detect import FORMATS, accepted_formats
from ..records import Paper
from ..text import clean_latex, normalize_for_id, normalize_ws, strip_invisible
from .titles import derive_title, find_method_name

MAX_ABSTRACT_CHARS = 20_000
MIN_ABSTRACT_WORDS = 8
MAX_TITLE_CHARS = 300
# a record (a JSON line, a CSV row, a line of text) longer than this is rejected without being
# held in memory whole; far above any abstract with its metadata
MAX_RECORD_CHARS = 1_000_000
# a JSON value nested deeper than this (e.g. lists in ``authors``) is rejected, alone
MAX_JSON_DEPTH = 32
# a whole-document .json (an array) is parsed in one piece: over this size, use JSON Lines
MAX_JSON_DOCUMENT_BYTES = 64 * 1024 * 1024
# rejections listed per file; the rest are counted (a million bad lines print one summary)
REJECTS_LISTED_PER_FILE = 20
OWN_FORMATS = (".txt", ".md", ".jsonl", ".ndjson", ".json", ".csv", ".tsv")
SUPPORTED = tuple(dict.fromkeys(OWN_FORMATS + tuple(e for f in FORMATS for e in f.extensions)))
ACCEPTED = (
    "'Abstract:' text (.txt, .md), JSON Lines / JSON / CSV records with an 'abstract' or 'text' "
    f"field (.jsonl, .json, .csv, .tsv), {accepted_formats()}"
)
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


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def safe_name(text: str) -> str:
    """A file name fit for one line of output: control characters (newlines, escapes) shown as
    U+FFFD and bidi/format characters removed, so a name can neither break nor fake a line."""
    text = _CONTROL.sub("\ufffd", str(text))
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def display_path(path: Path) -> str:
    """Paths inside the checkout are stored relative to it, so a store survives a move.

    Control characters of a file name are replaced: ``source`` and every message stay one line.
    """
    path = path.resolve()
    try:
        return safe_name(str(path.relative_to(REPO_DIR)))
    except ValueError:
        return safe_name(str(path))


# --- streaming input: a file is read a bounded line at a time, never whole -------------------


def open_text(path: Path, source: str) -> tuple[TextIO | None, Reject | None]:
    """The file as a text stream (UTF-8, or UTF-16 with a BOM), or why it cannot be read.

    Bytes that are not UTF-8 are kept as surrogate escapes; the readers reject the records
    holding them. Only the first 64 KiB are looked at here (empty, binary, encoding)."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - returned wrapped in a text stream
    except OSError as e:
        return None, Reject(source, "file", read_error(e), position=0, to_end=True)
    try:
        head = raw.read(65536)
        blank = not head.strip()
        while blank and (chunk := raw.read(1 << 20)):  # only whitespace so far: any text?
            blank = not chunk.strip()
        raw.seek(0)
    except OSError as e:
        raw.close()
        return None, Reject(source, "file", read_error(e), position=0, to_end=True)
    if blank:
        raw.close()
        return None, Reject(
            source,
            "file",
            "the file is empty (0 bytes of text); nothing to ingest (to remove its papers, "
            "delete the file and run `rag ingest --prune`)",
            position=0,
            to_end=True,
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte-order mark
        return io.TextIOWrapper(raw, encoding="utf-16", errors="replace", newline=None), None
    if b"\x00" in head[:8192]:
        raw.close()
        return None, Reject(
            source,
            "file",
            "looks like a binary file (NUL bytes), not text; accepted (UTF-8): " + ACCEPTED,
            position=0,
            to_end=True,
        )
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline=None), None


def read_error(e: OSError) -> str:
    """An OS error while reading a file, in plain words."""
    import errno

    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied: this user may not read the file; check its permissions"
    if e.errno == errno.EISDIR:
        return "is a directory, not a file"
    return f"cannot be read ({e.strerror or e}); check the file and its permissions"


def bounded_lines(f: TextIO, limit: int = MAX_RECORD_CHARS) -> Iterator[tuple[int, str | None]]:
    """(line number, line without its newline) for each line; None for a line over ``limit``
    characters, which is skipped a MiB at a time and never held whole."""
    n = 0
    while True:
        line = f.readline(limit + 1)
        if not line:
            return
        n += 1
        if len(line) > limit and not line.endswith("\n"):
            while (rest := f.readline(1 << 20)) and not rest.endswith("\n"):
                pass
            yield n, None
            continue
        yield n, line.rstrip("\n").rstrip("\r")


def too_long(limit: int = MAX_RECORD_CHARS) -> str:
    return (
        f"the record is over {limit:,} characters; it was skipped without being read: "
        "check for a missing line break (one record per line) or a field that is not an abstract"
    )


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
    authors: list[str] | str | None = None,
    year: int | None = None,
    header: str | None = None,
    **meta: object,
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
        **meta,
    )
