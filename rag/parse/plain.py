"""The seed text format: abstracts after an ``Abstract:`` marker, with header lines (affiliations)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..records import Paper
from ..text import normalize_ws, strip_invisible
from .common import (
    _SURROGATE,
    ABSTRACT_MARKER,
    ACCEPTED,
    MAX_ABSTRACT_CHARS,
    MAX_RECORD_CHARS,
    NOT_UTF8,
    Reject,
    _check_text,
    _make_paper,
    bounded_lines,
    open_text,
    too_long,
)

MAX_HEADER_LINES = 50


def read_text(path: Path, source: str) -> Iterator[Paper | Reject]:
    """The seed format: 'Abstract:' markers; lines before the first marker are a header.

    Read a bounded line at a time: an abstract is yielded as soon as the next one starts."""
    f, why = open_text(path, source)
    if f is None:
        yield why
        return
    with f:
        yield from _records(f, source)


def _records(f, source: str) -> Iterator[Paper | Reject]:
    header_lines: list[str] = []
    early: list[Reject] = []  # header problems, said once the file is known to hold abstracts
    current: list[str] = []
    size = 0  # characters in ``current``
    over = False  # the current abstract grew past MAX_RECORD_CHARS: no longer kept
    current_line = 0
    seen_marker = False
    blank_since = False
    pos = 0

    def flush() -> Iterator[Paper | Reject]:
        nonlocal pos, size, over
        if current or over:
            pos += 1
            raw = " ".join(current)
            why = (
                f"the abstract is over {MAX_RECORD_CHARS:,} characters, over the "
                f"{MAX_ABSTRACT_CHARS:,} limit: check that several abstracts are not run "
                "together (each needs its own marker)"
                if over
                else _check_text(raw)
            )
            where = f"line {current_line}, abstract {pos}"
            if why:
                yield Reject(source, where, why, position=pos)
            else:
                yield _make_paper(
                    text=raw,
                    source=source,
                    position=pos,
                    line=current_line,
                    header="; ".join(header_lines) or None,
                )
            current.clear()
            size, over = 0, False

    def add(text: str) -> None:
        nonlocal size, over
        size += len(text) + 1
        if size > MAX_RECORD_CHARS:
            over = True
            current.clear()
        elif not over:
            current.append(text)

    def header(text: str, i: int) -> list[str]:
        if _SURROGATE.search(text):
            note(Reject(source, f"line {i}", f"header line {NOT_UTF8}; the header was left out"))
            return []
        return [normalize_ws(text)]

    def note(r: Reject) -> None:
        if len(early) < MAX_HEADER_LINES:
            early.append(r)

    def extend_header(lines: list[str]) -> None:
        header_lines.extend(lines[: MAX_HEADER_LINES - len(header_lines)])

    for i, line in bounded_lines(f):
        if seen_marker and early:
            yield from early
            early.clear()
        if line is None:  # a line over MAX_RECORD_CHARS, skipped unread
            if current or over:
                over = True
                current.clear()
            elif seen_marker:
                yield Reject(source, f"line {i}", too_long())
            else:
                note(Reject(source, f"line {i}", "header line too long; it was left out"))
            blank_since = False
            continue
        stripped = strip_invisible(line).strip()
        if not stripped:
            blank_since = True
            continue
        parts = ABSTRACT_MARKER.split(stripped)
        if len(parts) == 1:
            # no marker on this line
            if not seen_marker:
                extend_header(header(stripped, i))
            elif (current or over) and not blank_since:
                add(stripped)  # a wrapped line of the same abstract
            elif _looks_like_header(stripped):
                yield from flush()
                header_lines = header(stripped, i)
            elif current or over:
                add(stripped)
            else:
                yield Reject(
                    source,
                    f"line {i}",
                    "text outside any abstract; put 'Abstract:' before it if it is one",
                )
            blank_since = False
            continue
        before, *abstracts = parts
        if before.strip():
            if current or over:
                add(before.strip())
            elif not seen_marker:
                extend_header(header(before, i))
        for a in abstracts:
            yield from flush()
            seen_marker = True
            current_line = i
            add(a.strip())
        blank_since = False
    yield from flush()
    if seen_marker:
        yield from early
    else:
        yield Reject(
            source,
            "file",
            "no 'Abstract:' marker found and not a reference export either; put "
            "'Abstract:' before each abstract, or give one of: " + ACCEPTED,
            position=0,
            to_end=True,
        )


def _looks_like_header(line: str) -> bool:
    words = line.split()
    return len(words) <= 12 and not line.rstrip().endswith((".", "!", "?"))
