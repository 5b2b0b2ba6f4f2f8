"""Structured records: JSON Lines / JSON arrays (incl. BEIR's {_id, title, text}) and CSV/TSV.

Both are read as streams (a bounded line at a time): memory follows the record, not the file.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..records import Paper
from ..text import normalize_ws, strip_invisible
from .common import (
    _SURROGATE,
    ID_KEYS,
    MAX_JSON_DEPTH,
    MAX_JSON_DOCUMENT_BYTES,
    MAX_RECORD_CHARS,
    NOT_UTF8,
    TEXT_KEYS,
    Reject,
    _check_text,
    _make_paper,
    bounded_lines,
    open_text,
    too_long,
)

Item = Paper | Reject


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


def _depth_over(value: object, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON value nests deeper than ``limit`` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict | list):
            if d > limit:
                return True
            stack.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return False


def _record(rec: object, source: str, position: int, where: str, line: int | None) -> Item:
    """One JSON object or CSV row as a Paper, or the Reject that says why not."""

    def reject(why: str) -> Reject:
        return Reject(source, where, why, position=position)

    if not isinstance(rec, dict):
        return reject(f"expected a JSON object with 'abstract' or 'text', got {type(rec).__name__}")
    deep = [str(k) for k, v in rec.items() if _depth_over(v)]
    if deep:
        return reject(
            f"the field {deep[0]!r} is nested more than {MAX_JSON_DEPTH} levels deep; give "
            "plain values (e.g. authors as a list of names)"
        )
    text = _field(rec, TEXT_KEYS)
    if isinstance(text, list | dict):
        text = " ".join(map(str, text)) if isinstance(text, list) else None
    if text is None and any(str(k).lower().strip() in TEXT_KEYS for k in rec):
        text = ""  # the field is there but empty: say so below
    if text is None:
        keys = ", ".join(sorted(map(str, rec.keys()))[:8]) or "none"
        return reject(f"no 'abstract' or 'text' field (fields: {keys}); add the abstract text")
    text = str(text)
    why = _check_text(text)
    if why:
        return reject(why)
    rid = _as_str(_field(rec, ID_KEYS))
    if rid is not None:
        rid = rid[:128]
    title = _as_str(_field(rec, ("title",)))
    url = _as_str(_field(rec, ("url", "link", "code_url")))
    authors_v = _field(rec, ("authors", "author"))
    if isinstance(authors_v, list):
        authors = "; ".join(a for a in (_as_str(x) for x in authors_v) if a) or None
    else:
        authors = _as_str(authors_v)
    for name, value in (("id", rid), ("title", title), ("url", url), ("authors", authors)):
        if value and _SURROGATE.search(value):
            return reject(f"the {name} field {NOT_UTF8}")
    year_v = _field(rec, ("year",))
    year = None
    if year_v is not None:
        try:
            year = int(str(year_v).strip()[:4])
        except ValueError:
            year = None
    return _make_paper(
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


def _safe_record(rec: object, source: str, position: int, where: str, line: int | None) -> Item:
    """``_record``, with any failure on one record turned into that record's rejection."""
    try:
        return _record(rec, source, position, where, line)
    except RecursionError:
        return Reject(
            source, where, "the record is nested too deeply to read; give plain values", position
        )


def _loads(line: str) -> tuple[object, str | None]:
    """A JSON value, or why the line is not one."""
    try:
        return json.loads(line), None
    except json.JSONDecodeError as e:
        return None, f"invalid JSON ({e.msg} at column {e.colno}); fix or remove the line"
    except RecursionError:
        return None, "JSON nested too deeply to read; give one flat object per line"


def _first_line(path: Path, source: str) -> tuple[str, bool] | Reject:
    """The first non-blank line (bounded) and whether anything follows it."""
    f, why = open_text(path, source)
    if f is None:
        return why
    with f:
        first = None
        for _, line in bounded_lines(f):
            if line is None:
                return ("", True) if first is None else (first, True)
            if not line.strip():
                continue
            if first is None:
                first = line.strip()
                continue
            return first, True
    return (first or ""), False


def read_jsonl(path: Path, source: str) -> Iterator[Item]:
    """JSON Lines (one object per line), or a JSON array / object as the whole file."""
    head = _first_line(path, source)
    if isinstance(head, Reject):
        yield head
        return
    first, more = head
    suffix = path.suffix.lower()
    first_ok = _loads(first)[1] is None
    # a JSON array or one (pretty-printed) object as the whole file; otherwise JSON Lines.
    # A .jsonl file is read line by line unless its first line is not JSON on its own.
    whole = first[:1] in ("[", "{") and (
        (suffix == ".json" and not (more and first_ok)) or (more and not first_ok)
    )
    if whole:
        done = yield from _read_document(path, source, fallback=suffix != ".json")
        if done:
            return
    f, why = open_text(path, source)
    if f is None:
        yield why
        return
    with f:
        pos = 0
        for i, line in bounded_lines(f):
            if line is not None and not line.strip():
                continue
            pos += 1
            if line is None:
                yield Reject(source, f"line {i}", too_long(), position=pos)
                continue
            rec, why = _loads(line)
            if why:
                yield Reject(source, f"line {i}", why, position=pos)
                continue
            yield _safe_record(rec, source, pos, f"line {i}", i)


def _read_document(path: Path, source: str, fallback: bool) -> Iterator[Item]:
    """A whole-file JSON array or object. Returns False when the caller should read the file
    as JSON Lines instead (``fallback``: a .jsonl whose first record is broken)."""
    size = path.stat().st_size
    if size > MAX_JSON_DOCUMENT_BYTES:
        yield Reject(
            source,
            "file",
            f"a single JSON document of {size / 2**20:,.0f} MiB, over the "
            f"{MAX_JSON_DOCUMENT_BYTES // 2**20} MiB limit for one document: give large "
            "collections as JSON Lines (.jsonl, one object per line), which is read as a stream",
            position=0,
            to_end=True,
        )
        return True
    f, why = open_text(path, source)
    if f is None:
        yield why
        return True
    with f:
        content = f.read()
    try:
        items = json.loads(content)
    except (json.JSONDecodeError, RecursionError) as e:
        if fallback:
            return False
        bad_json = isinstance(e, json.JSONDecodeError)
        yield Reject(
            source,
            f"line {e.lineno}" if bad_json else "file",
            f"invalid JSON ({e.msg}); fix the file"
            if bad_json
            else "JSON nested too deeply to read; give one flat object per record",
            position=0,
            to_end=True,
        )
        return True
    del content
    if isinstance(items, dict):
        items = [items]
    for pos, rec in enumerate(items, start=1):
        yield _safe_record(rec, source, pos, f"record {pos}", None)
    return True


class _Lines:
    """Physical lines for the csv module, a bounded piece at a time, counted; ``skip_line``
    drops the rest of the current line (after a field over the limit)."""

    def __init__(self, f) -> None:
        self.f = f
        self.line = 0
        self.open = False  # inside a line that has not ended yet

    def __iter__(self):
        return self

    def __next__(self) -> str:
        piece = self.f.readline(1 << 16)
        if not piece:
            raise StopIteration
        if not self.open:
            self.line += 1
        self.open = not piece.endswith("\n")
        return piece

    def skip_line(self) -> None:
        while self.open and (piece := self.f.readline(1 << 16)):
            self.open = not piece.endswith("\n")


def read_csv(path: Path, source: str) -> Iterator[Item]:
    """CSV/TSV with a header row naming an 'abstract' or 'text' column."""
    f, why = open_text(path, source)
    if f is None:
        yield why
        return
    with f:
        sample = f.read(4096)
        f.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel_tab if path.suffix == ".tsv" else csv.excel
        # a field over the limit is refused by the csv module itself, a bounded piece at a time
        csv.field_size_limit(MAX_RECORD_CHARS)
        lines = _Lines(f)
        reader = csv.reader(lines, dialect=dialect)
        try:
            header = next(reader, None)
        except csv.Error as e:
            header = None
            yield Reject(source, "header", f"malformed CSV header ({e})", position=0, to_end=True)
            return
        if not header or not any(str(h).lower().strip() in TEXT_KEYS for h in header if h):
            yield Reject(
                source,
                "header",
                f"no 'abstract' or 'text' column (columns: {', '.join(map(str, header or []))}); "
                "the first row must name the columns",
                position=0,
                to_end=True,
            )
            return
        yield from _csv_rows(reader, lines, header, dialect, source)


def _csv_rows(reader, lines: _Lines, header: list[str], dialect, source: str) -> Iterator[Item]:
    pos = 0
    while True:
        start = lines.line + (0 if lines.open else 1)
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            pos += 1
            if "field larger than field limit" in str(e):
                lines.skip_line()
                reader = csv.reader(lines, dialect=dialect)  # a fresh parse from the next line
                yield Reject(source, f"line {start}", too_long(), position=pos)
                continue
            yield Reject(
                source,
                f"line {lines.line}",
                f"malformed CSV ({e}); the rest of the file was skipped",
                position=pos,
                to_end=True,
            )
            return
        if not row:
            continue
        pos += 1
        where = f"line {start}"
        if len(row) > len(header):
            yield Reject(
                source,
                where,
                "more fields than the header names; quote fields that contain the delimiter",
                position=pos,
            )
            continue
        if len(row) < len(header):
            yield Reject(
                source,
                where,
                f"only {len(row)} of the {len(header)} fields the header names; complete the "
                "row (or check for an unclosed quote)",
                position=pos,
            )
            continue
        rec = {k: v for k, v in zip(header, row, strict=True) if k}
        yield _safe_record(rec, source, pos, where, start)
