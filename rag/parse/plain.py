"""The seed text format: abstracts after an ``Abstract:`` marker, with header lines (affiliations)."""

from __future__ import annotations

from pathlib import Path

from ..text import normalize_ws, strip_invisible
from .common import (
    _SURROGATE,
    ABSTRACT_MARKER,
    NOT_UTF8,
    ParseResult,
    Reject,
    _check_text,
    _make_paper,
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
    if not ABSTRACT_MARKER.search(content):
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
        parts = ABSTRACT_MARKER.split(stripped)
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
