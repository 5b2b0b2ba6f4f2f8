"""Parse: files of abstracts -> ``Paper`` records, and a report of every record that was rejected.

Formats: the seed text format (abstracts after ``Abstract:``, several per line, header lines such
as an affiliation), JSON Lines / JSON arrays (including BEIR's ``{_id, title, text}``) and CSV.
A record that cannot be used is rejected with where it was and what to do; the rest of the file
goes on.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .config import REPO_DIR
from .text import clean_latex, normalize_for_id, normalize_ws, strip_invisible
from .titles import derive_title, find_method_name

MAX_ABSTRACT_CHARS = 20_000
MIN_ABSTRACT_WORDS = 8
MAX_TITLE_CHARS = 300
SUPPORTED = (".txt", ".md", ".jsonl", ".ndjson", ".json", ".csv", ".tsv")
ID_KEYS = ("paper_id", "_id", "id", "doc_id")
TEXT_KEYS = ("abstract", "text", "body", "content")
_URL = re.compile(r"https?://[^\s<>\"'{}|\\^`\]]+")
_MARKER = re.compile(r"(?:(?<=\s)|^)(?:Abstract|ABSTRACT)\s*[:：]\s*")
# unpaired surrogates: bytes that were not UTF-8 (decoded with surrogateescape) or a broken
# "\ud83d" JSON escape. Neither can be stored, so a record holding one is rejected.
_SURROGATE = re.compile("[\ud800-\udfff]")
NOT_UTF8 = (
    "contains bytes that are not valid UTF-8 (or an unpaired surrogate escape); "
    "re-save the file as UTF-8"
)


@dataclass
class Paper:
    """One abstract, ready to index."""

    paper_id: str
    title: str
    text: str
    source: str
    position: int
    url: str | None = None
    line: int | None = None
    authors: str | None = None
    year: int | None = None
    header: str | None = None
    title_derived: bool = True

    def content_hash(self) -> str:
        """Changes when anything that is indexed or shown changes."""
        payload = json.dumps(
            [self.title, self.text, self.url, self.authors, self.year, self.header],
            ensure_ascii=False,
        )
        return hashlib.sha1(payload.encode()).hexdigest()[:16]

    def public(self) -> dict:
        """The shape of ``rag papers --json``."""
        return {
            "paper_id": self.paper_id,
            "title": self.title,
            "text": self.text,
            "source": self.source,
            "url": self.url,
        }

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Paper:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})


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


# --- readers -------------------------------------------------------------------------------------


def _read_text(path: Path, source: str, res: ParseResult) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as e:
        res.rejects.append(
            Reject(
                source,
                "file",
                f"cannot be read ({e.strerror}); check permissions",
                position=0,
                to_end=True,
            )
        )
        return None
    if not data.strip():
        res.rejects.append(
            Reject(
                source,
                "file",
                "the file is empty (0 bytes of text); nothing to ingest (to remove its papers, "
                "delete the file and run `rag ingest --prune`)",
                position=0,
                to_end=True,
            )
        )
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte-order mark
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        res.rejects.append(
            Reject(
                source,
                "file",
                "looks like a binary file (NUL bytes), not text; give abstracts as .txt, "
                ".jsonl or .csv (UTF-8)",
                position=0,
                to_end=True,
            )
        )
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="surrogateescape")


def parse_text(path: Path, source: str, res: ParseResult) -> None:
    """The seed format: 'Abstract:' markers; lines before the first marker are a header."""
    content = _read_text(path, source, res)
    if content is None:
        return
    lines = content.splitlines()
    if not _MARKER.search(content):
        res.rejects.append(
            Reject(
                source,
                "file",
                "no 'Abstract:' marker found; put 'Abstract:' before each abstract "
                "(or give the records as .jsonl/.csv)",
                position=0,
                to_end=True,
            )
        )
        return
    header_lines: list[str] = []
    current: list[str] = []
    current_line = 0
    records: list[tuple[int, str, str | None]] = []  # (line, text, header)
    seen_marker = False
    blank_since = False

    def flush() -> None:
        if current:
            records.append((current_line, " ".join(current), "; ".join(header_lines) or None))
            current.clear()

    def header(text: str, i: int) -> list[str]:
        if _SURROGATE.search(text):
            res.rejects.append(
                Reject(source, f"line {i}", f"header line {NOT_UTF8}; the header was left out")
            )
            return []
        return [normalize_ws(text)]

    for i, line in enumerate(lines, start=1):
        stripped = strip_invisible(line).strip()
        if not stripped:
            blank_since = True
            continue
        parts = _MARKER.split(stripped)
        if len(parts) == 1:
            # no marker on this line
            if not seen_marker:
                header_lines.extend(header(stripped, i))
            elif current and not blank_since:
                current.append(stripped)  # a wrapped line of the same abstract
            elif _looks_like_header(stripped):
                flush()
                header_lines = header(stripped, i)
            elif current:
                current.append(stripped)
            else:
                res.rejects.append(
                    Reject(
                        source,
                        f"line {i}",
                        "text outside any abstract; put 'Abstract:' before it if it is one",
                    )
                )
            blank_since = False
            continue
        before, *abstracts = parts
        if before.strip():
            if current:
                current.append(before.strip())
            elif not seen_marker:
                header_lines.extend(header(before, i))
        for a in abstracts:
            flush()
            seen_marker = True
            current_line = i
            current.append(a.strip())
        blank_since = False
    flush()
    for pos, (line_no, raw, header) in enumerate(records, start=1):
        why = _check_text(raw)
        if why:
            res.rejects.append(Reject(source, f"line {line_no}, abstract {pos}", why, position=pos))
            continue
        res.papers.append(
            _make_paper(text=raw, source=source, position=pos, line=line_no, header=header)
        )


def _looks_like_header(line: str) -> bool:
    words = line.split()
    return len(words) <= 12 and not line.rstrip().endswith((".", "!", "?"))


def _field(rec: dict, keys: Iterable[str]) -> object | None:
    lower = {str(k).lower().strip(): v for k, v in rec.items()}
    for k in keys:
        if k in lower and lower[k] not in (None, ""):
            return lower[k]
    return None


def _as_str(v: object) -> str | None:
    """A metadata value as one clean string (lists joined, ``{"name": ...}`` items named)."""
    if v is None:
        return None
    if isinstance(v, dict):
        return _as_str(v.get("name")) if "name" in v else None
    if isinstance(v, list | tuple):
        parts = [_as_str(x) for x in v]
        return ", ".join(p for p in parts if p) or None
    s = normalize_ws(strip_invisible(str(v)))
    return s or None


def _web_url(v: str | None) -> str | None:
    """Only http(s) links are kept: a ``javascript:`` or ``file:`` URL is never shown."""
    if v and re.match(r"https?://[^\s]+$", v, re.IGNORECASE):
        return v
    return None


def _record(
    rec: object, source: str, position: int, where: str, line: int | None, res: ParseResult
):
    if not isinstance(rec, dict):
        res.rejects.append(
            Reject(
                source,
                where,
                f"expected a JSON object with 'abstract' or 'text', got {type(rec).__name__}",
                position=position,
            )
        )
        return
    text = _field(rec, TEXT_KEYS)
    if isinstance(text, list | dict):
        text = " ".join(map(str, text)) if isinstance(text, list) else None
    if text is None and any(str(k).lower().strip() in TEXT_KEYS for k in rec):
        text = ""  # the field is there but empty: say so below
    if text is None:
        keys = ", ".join(sorted(map(str, rec.keys()))[:8]) or "none"
        res.rejects.append(
            Reject(
                source,
                where,
                f"no 'abstract' or 'text' field (fields: {keys}); add the abstract text",
                position=position,
            )
        )
        return
    text = str(text)
    why = _check_text(text)
    if why:
        res.rejects.append(Reject(source, where, why, position=position))
        return
    rid = _as_str(_field(rec, ID_KEYS))
    if rid is not None:
        rid = rid[:128]
    title = _as_str(_field(rec, ("title",)))
    url = _as_str(_field(rec, ("url", "link", "code_url")))
    authors = _as_str(_field(rec, ("authors", "author")))
    for name, value in (("id", rid), ("title", title), ("url", url), ("authors", authors)):
        if value and _SURROGATE.search(value):
            res.rejects.append(
                Reject(source, where, f"the {name} field {NOT_UTF8}", position=position)
            )
            return
    year_v = _field(rec, ("year",))
    year = None
    if year_v is not None:
        try:
            year = int(str(year_v).strip()[:4])
        except ValueError:
            year = None
    res.papers.append(
        _make_paper(
            text=text,
            source=source,
            position=position,
            line=line,
            rid=rid,
            title=title,
            url=_web_url(url),
            authors=authors,
            year=year,
        )
    )


def _json_line(line: str) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def parse_jsonl(path: Path, source: str, res: ParseResult) -> None:
    content = _read_text(path, source, res)
    if content is None:
        return
    stripped = content.strip()
    first = stripped.splitlines()[0] if stripped else ""
    # a JSON array or one (pretty-printed) object as the whole file; otherwise JSON Lines.
    # A .jsonl file is read line by line unless its first line is not JSON on its own.
    whole = stripped[:1] in ("[", "{") and (
        path.suffix.lower() == ".json" or ("\n" in stripped and not _json_line(first))
    )
    if whole and path.suffix.lower() == ".json" and "\n" in stripped and _json_line(first):
        whole = False  # JSON Lines saved as .json
    items: object = None
    if whole:
        try:
            items = json.loads(content)
        except (json.JSONDecodeError, RecursionError) as e:
            if path.suffix.lower() != ".json":
                whole = False  # a .jsonl whose first record is broken: read it line by line
            else:
                why = (
                    f"invalid JSON ({e.msg}); fix the file"
                    if isinstance(e, json.JSONDecodeError)
                    else "JSON nested too deeply to read; give one flat object per record"
                )
                where = f"line {e.lineno}" if isinstance(e, json.JSONDecodeError) else "file"
                res.rejects.append(Reject(source, where, why, position=0, to_end=True))
                return
    if whole:
        if isinstance(items, dict):
            items = [items]
        for pos, rec in enumerate(items, start=1):
            _record(rec, source, pos, f"record {pos}", None, res)
        return
    pos = 0
    for i, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        pos += 1
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            res.rejects.append(
                Reject(
                    source,
                    f"line {i}",
                    f"invalid JSON ({e.msg} at column {e.colno}); fix or remove the line",
                    position=pos,
                )
            )
            continue
        except RecursionError:
            res.rejects.append(
                Reject(
                    source,
                    f"line {i}",
                    "JSON nested too deeply to read; give one flat object per line",
                    position=pos,
                )
            )
            continue
        _record(rec, source, pos, f"line {i}", i, res)


def parse_csv(path: Path, source: str, res: ParseResult) -> None:
    content = _read_text(path, source, res)
    if content is None:
        return
    try:
        dialect = csv.Sniffer().sniff(content[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel_tab if path.suffix == ".tsv" else csv.excel
    csv.field_size_limit(sys.maxsize)  # an enormous field is rejected as a record, not a file
    reader = csv.DictReader(io.StringIO(content), dialect=dialect)
    if not reader.fieldnames or not any(
        str(f).lower().strip() in TEXT_KEYS for f in reader.fieldnames if f
    ):
        res.rejects.append(
            Reject(
                source,
                "header",
                f"no 'abstract' or 'text' column (columns: {', '.join(map(str, reader.fieldnames or []))}); "
                "the first row must name the columns",
                position=0,
                to_end=True,
            )
        )
        return
    pos = 0
    try:
        for row in reader:
            pos += 1
            line = reader.line_num
            if None in row:
                res.rejects.append(
                    Reject(
                        source,
                        f"line {line}",
                        "more fields than the header names; quote fields that contain the delimiter",
                        position=pos,
                    )
                )
                continue
            if any(v is None for v in row.values()):
                have = sum(v is not None for v in row.values())
                res.rejects.append(
                    Reject(
                        source,
                        f"line {line}",
                        f"only {have} of the {len(row)} fields the header names; complete the "
                        "row (or check for an unclosed quote)",
                        position=pos,
                    )
                )
                continue
            _record({k: v for k, v in row.items() if k}, source, pos, f"line {line}", line, res)
    except csv.Error as e:
        res.rejects.append(
            Reject(
                source,
                f"line {reader.line_num}",
                f"malformed CSV ({e}); the rest of the file was skipped",
                position=pos + 1,
                to_end=True,
            )
        )


def parse_file(path: Path, res: ParseResult | None = None) -> ParseResult:
    res = res or ParseResult()
    source = display_path(path)
    res.files.append(source)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        parse_jsonl(path, source, res)
    elif suffix in (".csv", ".tsv"):
        parse_csv(path, source, res)
    else:
        parse_text(path, source, res)
    return res


def iter_files(paths: Iterable[Path]) -> tuple[list[Path], list[Reject]]:
    """Expand directories (sorted, hidden files skipped); report paths that cannot be read."""
    files: list[Path] = []
    missing: list[Reject] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts):
                    if f.suffix.lower() in SUPPORTED:
                        files.append(f)
                    else:
                        missing.append(
                            Reject(
                                display_path(f),
                                "file",
                                f"not a supported format ({f.suffix or 'no extension'}); skipped: "
                                f"give abstracts as {', '.join(SUPPORTED)} text (UTF-8)",
                            )
                        )
        elif p.is_file():
            files.append(p)
        else:
            missing.append(Reject(str(p), "path", "does not exist; check the path"))
    named: list[Path] = []
    for f in files:
        if _SURROGATE.search(str(f)):
            missing.append(
                Reject(str(f), "file", "the file name is not valid UTF-8; rename the file")
            )
        else:
            named.append(f)
    return named, missing


def parse_paths(paths: Iterable[Path]) -> ParseResult:
    """Parse every file under the given paths. Duplicate papers (same id) keep the first."""
    files, missing = iter_files(paths)
    res = ParseResult(rejects=list(missing))
    for f in files:
        parse_file(f, res)
    seen: dict[str, Paper] = {}
    unique: list[Paper] = []
    for p in res.papers:
        if p.paper_id in seen:
            first = seen[p.paper_id]
            where = f"line {p.line}" if p.line else f"record {p.position}"
            res.rejects.append(
                Reject(
                    p.source,
                    where,
                    f"duplicate of paper {p.paper_id} ({first.source}, abstract {first.position}); kept the first",
                )
            )
            continue
        seen[p.paper_id] = p
        unique.append(p)
    res.papers = unique
    return res
