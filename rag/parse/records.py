"""Structured records: JSON Lines / JSON arrays (incl. BEIR's {_id, title, text}) and CSV/TSV."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from ..text import normalize_ws, strip_invisible
from .common import (
    _SURROGATE,
    ID_KEYS,
    NOT_UTF8,
    TEXT_KEYS,
    ParseResult,
    Reject,
    _check_text,
    _make_paper,
)
from .plain import _read_text


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
