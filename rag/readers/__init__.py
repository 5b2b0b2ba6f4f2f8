"""Readers of the reference formats researchers export (BibTeX, RIS, CSL-JSON, Zotero CSV,
PubMed MEDLINE and XML, OpenAlex, arXiv metadata, Semantic Scholar), each a stream of
:class:`Record` and :class:`RecordError` items.

    for item in read_file("library.bib"):
        if isinstance(item, RecordError): report(item.line, item.message)
        elif item.abstract is None: skipped.append(item.title)
        else: index(item)
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from rag.errors import IngestError

from .base import Item, Record, RecordError, display_name, family_name
from .detect import (
    FORMAT_NAMES,
    FORMATS,
    HEAD_BYTES,
    Format,
    accepted_formats,
    detect_format,
    detect_text_format,
)

__all__ = [
    "FORMATS",
    "FORMAT_NAMES",
    "Format",
    "Item",
    "Record",
    "RecordError",
    "accepted_formats",
    "detect_format",
    "detect_text_format",
    "display_name",
    "family_name",
    "get_reader",
    "read_file",
    "read_stream",
    "read_text",
]


def get_reader(fmt: str) -> Callable[[TextIO], Iterator[Item]]:
    """The reader function of a format name (one of FORMAT_NAMES)."""
    if fmt == "bibtex":
        from .bibtex import read_bibtex as reader
    elif fmt == "ris":
        from .ris import read_ris as reader
    elif fmt == "medline":
        from .medline import read_medline as reader
    elif fmt == "pubmed-xml":
        from .pubmed_xml import read_pubmed_xml as reader
    elif fmt == "zotero-csv":
        from .zotero_csv import read_zotero_csv as reader
    elif fmt == "csl-json":
        from .jsonformats import read_csl_json as reader
    elif fmt == "openalex":
        from .jsonformats import read_openalex as reader
    elif fmt == "arxiv":
        from .jsonformats import read_arxiv as reader
    elif fmt == "s2":
        from .jsonformats import read_s2 as reader
    else:
        raise IngestError(f"unknown format {fmt!r}; accepted: {', '.join(FORMAT_NAMES)}")
    return reader


def read_stream(stream: TextIO, fmt: str) -> Iterator[Item]:
    """Records and errors of an open text stream in a known format."""
    return get_reader(fmt)(stream)


def read_file(path: str | Path, fmt: str | None = None) -> Iterator[Item]:
    """Records and errors of a file, its format detected unless given.

    Raises IngestError (before yielding anything) when the file cannot be opened or is none of
    the accepted formats; the message names the file and lists what is accepted.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise IngestError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    fmt = fmt or detect_format(path, head)
    if fmt is None:
        raise IngestError(
            f"{path}: not a reference export this reads; accepted: {accepted_formats()}"
        )
    reader = get_reader(fmt)
    encoding = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    return _read_path(path, reader, encoding, fmt)


def _read_path(
    path: Path, reader: Callable[[TextIO], Iterator[Item]], encoding: str, fmt: str
) -> Iterator[Item]:
    # csv needs newline="" to keep line breaks inside quoted fields; the rest read text lines
    newline = "" if fmt == "zotero-csv" else None
    with path.open(encoding=encoding, errors="replace", newline=newline) as stream:
        yield from reader(stream)


def read_text(text: str, fmt: str | None = None) -> Iterator[Item]:
    """Records and errors of pasted text (BibTeX, RIS or MEDLINE unless fmt is given)."""
    fmt = fmt or detect_text_format(text)
    if fmt is None:
        raise IngestError(
            "the text is not BibTeX, RIS or MEDLINE; paste one of those, or plain abstract text"
        )
    newline = "" if fmt == "zotero-csv" else None
    return get_reader(fmt)(io.StringIO(text, newline=newline))
