"""Reference-manager and database exports (rag.readers) -> ``Paper`` records.

The format is found from the extension and the content (``detect_format``). Every entry keeps
its bibliographic fields; ``paper_id`` is ``doi:…``, ``pmid:…`` or ``arxiv:…`` when the entry
has one, else the source's own global id (OpenAlex ``W…``, a Semantic Scholar ``paperId``),
else a hash of the abstract (citation keys and RIS ids are only unique inside one file).
Entries without an abstract are counted and reported once per file (a :class:`Skipped`, not an
error); a broken entry is a ``Reject`` with its line, and the rest of the file is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import IngestError
from ..readers import HEAD_BYTES, Record, RecordError, detect_format, family_name
from ..readers import read_file as read_records
from ..records import Paper
from ..text import normalize_for_id
from .common import Reject, _check_text, _make_paper
from .records import _web_url

# suffixes that only reference exports use (a .json / .csv / .txt may be either kind)
EXPORT_SUFFIXES = (".bib", ".bibtex", ".ris", ".nbib", ".medline", ".xml")
# sources whose record id is global (not a key that only means something inside one file)
GLOBAL_IDS = ("openalex", "s2")
SKIPPED_TITLES_SHOWN = 3


@dataclass
class Skipped(Reject):
    """Entries of a file that have no abstract: reported with a count, not an error."""

    count: int = 0


def library_format(path: Path) -> str | None:
    """The export format of a file (by extension and content), or None for our own formats."""
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError:
        return None
    return detect_format(path, head)


def paper_id_of(rec: Record) -> str | None:
    """``doi:…`` / ``pmid:…`` / ``arxiv:…`` / a global source id, or None (hash the text)."""
    if rec.doi:
        return f"doi:{rec.doi}"
    if rec.pmid:
        return f"pmid:{rec.pmid}"
    if rec.arxiv_id:
        return f"arxiv:{rec.arxiv_id}"
    if rec.format in GLOBAL_IDS and rec.raw_id:
        return rec.raw_id[:128]
    return None


def dedupe_keys(p: Paper) -> list[str]:
    """What makes two papers the same one across files: the DOI, or the normalised title with
    the first author's family name (only when both are known)."""
    keys = []
    if p.doi:
        keys.append(f"doi:{p.doi.lower()}")
    if p.authors and p.title and not p.title_derived:
        keys.append(f"ta:{normalize_for_id(p.title)}|{normalize_for_id(family_name(p.authors[0]))}")
    return keys


def read_export(path: Path, source: str) -> Iterator[Paper | Reject]:
    """A file with an export's suffix: read by its format, or refused naming what is accepted."""
    fmt = library_format(path)
    if fmt is None:
        from .common import ACCEPTED

        yield Reject(
            source,
            "file",
            f"not a reference export this reads ({path.suffix}); accepted: {ACCEPTED}",
            position=0,
            to_end=True,
        )
        return
    yield from read_library(path, source, fmt)


def read_library(path: Path, source: str, fmt: str) -> Iterator[Paper | Reject]:
    """Every paper and rejection of one export file, as a stream (one entry held at a time)."""
    try:
        items = read_records(path, fmt)
    except IngestError as e:
        yield Reject(source, "file", str(e), position=0, to_end=True)
        return
    pos = 0
    skipped = 0
    titles: list[str] = []
    for item in items:
        pos += 1
        if isinstance(item, RecordError):
            where = f"line {item.line}" + (f" ({item.raw_id})" if item.raw_id else "")
            yield Reject(source, where, f"{item.message}; the rest of the file was read", pos)
            continue
        if not item.abstract:
            skipped += 1
            if len(titles) < SKIPPED_TITLES_SHOWN:
                titles.append(item.title or item.raw_id or f"line {item.line}")
            continue
        why = _check_text(item.abstract)
        if why:
            yield Reject(source, f"line {item.line}", why, position=pos)
            continue
        yield _make_paper(
            text=item.abstract,
            source=source,
            position=pos,
            line=item.line or None,
            rid=paper_id_of(item),
            title=item.title,
            url=_web_url(item.url),
            authors=item.authors,
            year=item.year,
            venue=item.venue,
            doi=item.doi,
            pmid=item.pmid,
            arxiv_id=item.arxiv_id,
            keywords=item.keywords,
        )
    if skipped:
        shown = "; ".join(f"“{t}”" for t in titles) + ("; …" if skipped > len(titles) else "")
        yield Skipped(
            source,
            "file",
            f"{skipped} entr{'y' if skipped == 1 else 'ies'} without an abstract skipped "
            f"({shown}); export them with their abstracts to index them",
            count=skipped,
        )
