"""Stream the records of a JSON export one object at a time, knowing each one's line.

Shapes: a top-level array of records; an API page (an object whose ``results`` / ``data`` /
``items`` member is the array of records, its other members skipped); a single record object;
JSON Lines. The standard library's ``json`` decodes each record (``raw_decode`` on a buffer
refilled from the stream), so memory holds one record and a read-ahead chunk. In an array, a
record that is not valid JSON is reported with its line and reading resumes at the next
record that starts at the same indentation (pretty-printed exports); JSON Lines skip the bad
line only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TextIO

_CHUNK = 1 << 16
_WS = " \t\r\n"
RECORD_LISTS = ("results", "data", "items", "records")


class JsonFormatError(ValueError):
    """The stream is not JSON of a shape we read; ``line`` says where it went wrong."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


class _Buffer:
    def __init__(self, stream: TextIO):
        self.stream = stream
        self.buf = ""
        self.pos = 0
        self.line = 1  # line of self.pos
        self.eof = False

    def fill(self) -> bool:
        if self.eof:
            return False
        data = self.stream.read(_CHUNK)
        if not data:
            self.eof = True
            return False
        if self.pos > _CHUNK:
            self.buf, self.pos = self.buf[self.pos :], 0
        self.buf += data
        return True

    def advance(self, to: int) -> None:
        self.line += self.buf.count("\n", self.pos, to)
        self.pos = to

    def peek(self) -> str:
        """The next non-blank character ('' at the end), positioned on it."""
        while True:
            i = self.pos
            n = len(self.buf)
            while i < n and self.buf[i] in _WS:
                i += 1
            self.advance(i)
            if i < n:
                return self.buf[i]
            if not self.fill():
                return ""

    def expect(self, chars: str) -> str:
        c = self.peek()
        if not c or c not in chars:
            shown = repr(c) if c else "the end of the file"
            raise JsonFormatError(self.line, f"expected one of {chars!r}, found {shown}")
        self.advance(self.pos + 1)
        return c

    def value(self, decoder: json.JSONDecoder) -> object:
        self.peek()
        while True:
            try:
                obj, end = decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                # truncated by the end of the buffer (not invalid): read on
                cut = exc.msg.startswith("Unterminated string") or not self.buf[exc.pos :].strip()
                if cut and self.fill():
                    continue
                line = self.line + self.buf.count("\n", self.pos, exc.pos)
                raise JsonFormatError(line, f"invalid JSON: {exc.msg}") from None
            if end == len(self.buf) and not self.eof and not isinstance(obj, dict | list | str):
                if self.fill():  # a number may continue in the next chunk
                    continue
            self.advance(end)
            return obj

    def resync(self, indent: str) -> bool:
        """Move past the current position to the next line opening an object at ``indent``."""
        needle = "\n" + indent + "{"
        i = self.pos
        while True:
            j = self.buf.find(needle, i)
            if j >= 0:
                self.advance(j + 1)
                return True
            keep = max(self.pos, len(self.buf) - len(needle))
            self.advance(keep)  # nothing before `keep` can hold the needle
            i = keep
            if not self.fill():
                return False
            i = self.pos


def iter_json_records(stream: TextIO) -> Iterator[tuple[int, object] | JsonFormatError]:
    """Yield ``(line, obj)`` per record of a JSON array / API page / object, or errors."""
    buf = _Buffer(stream)
    decoder = json.JSONDecoder()
    first = buf.peek()
    if first == "[":
        yield from _array(buf, decoder)
    elif first == "{":
        yield from _object(buf, decoder)
    elif first:
        yield JsonFormatError(buf.line, "not JSON: the file should start with '[' or '{'")


def _array(
    buf: _Buffer, decoder: json.JSONDecoder
) -> Iterator[tuple[int, object] | JsonFormatError]:
    buf.expect("[")
    if buf.peek() == "]":
        buf.advance(buf.pos + 1)
        return
    while True:
        c = buf.peek()
        line, at = buf.line, buf.pos
        line_start = buf.buf.rfind("\n", 0, at) + 1
        indent = buf.buf[line_start:at] if line_start else "?"  # "?": unknown, no resync
        try:
            obj = buf.value(decoder)
            yield line, obj
            sep = buf.expect(",]")
        except JsonFormatError as err:
            resumed = c == "{" and not indent.strip() and buf.resync(indent)
            where = f"in the record that starts at line {line}; " if err.line != line else ""
            then = "reading resumes at the next record" if resumed else "the rest was not read"
            yield JsonFormatError(err.line, f"{err} ({where}the record was skipped, {then})")
            if not resumed:
                return
            continue
        if sep == "]":
            return


def _object(
    buf: _Buffer, decoder: json.JSONDecoder
) -> Iterator[tuple[int, object] | JsonFormatError]:
    start_line = buf.line
    buf.expect("{")
    members: dict[str, object] = {}
    streamed = False
    try:
        if buf.peek() == "}":
            buf.advance(buf.pos + 1)
        else:
            while True:
                key = buf.value(decoder)
                if not isinstance(key, str):
                    raise JsonFormatError(buf.line, "invalid JSON: object keys must be strings")
                buf.expect(":")
                if key in RECORD_LISTS and buf.peek() == "[" and not streamed:
                    streamed = True
                    yield from _array(buf, decoder)
                else:
                    members[key] = buf.value(decoder)
                if buf.expect(",}") == "}":
                    break
    except JsonFormatError as err:
        yield err
        return
    if not streamed:
        yield start_line, members
    elif buf.peek() == "{":  # a JSON Lines file of API pages is not something we read
        yield JsonFormatError(buf.line, "more JSON after the first object: use JSON Lines")


def iter_jsonl_records(stream: TextIO) -> Iterator[tuple[int, object] | JsonFormatError]:
    """Yield ``(line, obj)`` per non-blank line of a JSON Lines file, or an error per bad line."""
    for lineno, text in enumerate(stream, 1):
        s = text.strip().lstrip("\ufeff")
        if not s:
            continue
        try:
            yield lineno, json.loads(s)
        except json.JSONDecodeError as exc:
            yield JsonFormatError(lineno, f"invalid JSON on this line: {exc.msg}")


def looks_like_jsonl(head: str) -> bool:
    """True when the first non-blank line is one whole JSON value and another line follows."""
    lines = [ln for ln in head.lstrip("\ufeff").splitlines() if ln.strip()]
    if not lines or not lines[0].lstrip().startswith("{"):
        return False
    try:
        json.loads(lines[0])
    except json.JSONDecodeError:
        return False
    return len(lines) == 1 or lines[1].lstrip().startswith("{")


def iter_any_json(stream: TextIO) -> Iterator[tuple[int, object] | JsonFormatError]:
    """JSON Lines or JSON (array, API page, single object), told apart by the first lines."""
    import io

    if not stream.seekable():
        stream = io.StringIO(stream.read())
    pos = stream.tell()
    head = stream.read(_CHUNK)
    stream.seek(pos)
    if looks_like_jsonl(head):
        return iter_jsonl_records(stream)
    return iter_json_records(stream)
