"""Parse: files of abstracts -> ``Paper`` records, and a report of every record that was rejected.

Formats: the seed text format (abstracts after ``Abstract:``, several per line, header lines such
as an affiliation), JSON Lines / JSON arrays (including BEIR's ``{_id, title, text}``) and CSV,
and the exports of reference managers and databases (BibTeX, RIS, CSL-JSON, Zotero CSV, PubMed
MEDLINE and XML, OpenAlex, arXiv, Semantic Scholar: ``library``), found by extension and content.
A record that cannot be used is rejected with where it was and what to do; the rest of the file
goes on.

A reader is a function ``(path, source) -> Iterator[Paper | Reject]`` that reads its file as a
stream; ``register_reader`` plugs in another format by its file suffixes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..records import Paper
from .common import _SURROGATE, ACCEPTED, ParseResult, Reject, display_path, safe_name
from .library import EXPORT_SUFFIXES, dedupe_keys, library_format, read_export, read_library
from .plain import read_text
from .records import read_csv, read_jsonl

Reader = Callable[[Path, str], Iterator[Paper | Reject]]

# file suffix -> reader (a suffix not listed is read as the seed text format)
READERS: dict[str, Reader] = {
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".json": read_jsonl,
    ".csv": read_csv,
    ".tsv": read_csv,
    ".txt": read_text,
    ".md": read_text,
    **dict.fromkeys(EXPORT_SUFFIXES, read_export),
}


def register_reader(suffixes: Iterable[str], reader: Reader) -> None:
    """Read files ending in ``suffixes`` (e.g. ``[".bib"]``) with ``reader``."""
    for s in suffixes:
        READERS[s.lower()] = reader


def supported() -> tuple[str, ...]:
    return tuple(READERS)


def read_file(path: Path, source: str | None = None) -> Iterator[Paper | Reject]:
    """Every paper and rejection of one file, in file order, as a stream."""
    source = source or display_path(path)
    fmt = library_format(path)  # a reference export by its content (a .txt that is MEDLINE …)
    if fmt is not None:
        yield from read_library(path, source, fmt)
        return
    reader = READERS.get(path.suffix.lower(), read_text)
    yield from reader(path, source)


def parse_file(path: Path, res: ParseResult | None = None) -> ParseResult:
    """One file read whole into a ParseResult (for small inputs and tests)."""
    res = res or ParseResult()
    source = display_path(path)
    res.files.append(source)
    for item in read_file(path, source):
        (res.papers if isinstance(item, Paper) else res.rejects).append(item)
    return res


def _outside(target: Path, root: Path) -> bool:
    try:
        target.relative_to(root)
    except ValueError:
        return True
    return False


def _walk(root: Path, follow_links: bool) -> tuple[list[Path], list[Reject]]:
    """Files under ``root``, hidden ones skipped; links leading outside it are not followed
    unless ``follow_links``."""
    real_root = root.resolve()
    files: list[Path] = []
    rejects: list[Reject] = []
    seen_dirs: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=follow_links):
        real = os.path.realpath(dirpath)
        if real in seen_dirs:  # a link loop
            dirnames[:] = []
            continue
        seen_dirs.add(real)
        keep = []
        for d in sorted(dirnames):
            if d.startswith("."):
                continue
            full = Path(dirpath) / d
            if full.is_symlink() and not follow_links:
                if _outside(full.resolve(), real_root):
                    rejects.append(_link_reject(full))
                continue  # os.walk does not enter it; one inside the folder is read anyway
            keep.append(d)
        dirnames[:] = keep
        for name in filenames:
            if name.startswith("."):
                continue
            f = Path(dirpath) / name
            if f.is_symlink() and not follow_links and _outside(f.resolve(), real_root):
                rejects.append(_link_reject(f))
                continue
            if f.is_file():
                files.append(f)
    return sorted(files), rejects


def _link_reject(link: Path) -> Reject:
    return Reject(
        safe_name(str(link)),
        "file",
        "a symbolic link to a place outside the folder being ingested; not followed (pass "
        "--follow-links to read it)",
    )


def iter_files(
    paths: Iterable[Path], follow_links: bool = False
) -> tuple[list[Path], list[Reject]]:
    """Expand directories (sorted, hidden files skipped); report paths that cannot be read."""
    files: list[Path] = []
    missing: list[Reject] = []
    exts = supported()
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found, links = _walk(p, follow_links)
            missing.extend(links)
            for f in found:
                if f.suffix.lower() in exts:
                    files.append(f)
                else:
                    missing.append(
                        Reject(
                            display_path(f),
                            "file",
                            f"not a supported format ({safe_name(f.suffix) or 'no extension'}); "
                            f"skipped: accepted: {ACCEPTED}",
                        )
                    )
        elif p.is_file():
            files.append(p)
        elif p.is_symlink():
            missing.append(Reject(safe_name(str(p)), "path", "a broken symbolic link; check it"))
        else:
            missing.append(Reject(safe_name(str(p)), "path", "does not exist; check the path"))
    named: list[Path] = []
    for f in files:
        if _SURROGATE.search(str(f)):
            missing.append(
                Reject(str(f), "file", "the file name is not valid UTF-8; rename the file")
            )
        else:
            named.append(f)
    return named, missing


def parse_paths(paths: Iterable[Path], follow_links: bool = False) -> ParseResult:
    """Parse every file under the given paths. Duplicate papers (same id) keep the first."""
    files, missing = iter_files(paths, follow_links)
    res = ParseResult(rejects=list(missing))
    for f in files:
        parse_file(f, res)
    seen: dict[str, Paper] = {}
    unique: list[Paper] = []
    for p in res.papers:
        first = seen.get(p.paper_id) or next((seen[k] for k in dedupe_keys(p) if k in seen), None)
        if first is not None:
            res.rejects.append(duplicate_reject(p, first.source, first.position, first.paper_id))
            continue
        seen[p.paper_id] = p
        for k in dedupe_keys(p):
            seen.setdefault(k, p)
        unique.append(p)
    res.papers = unique
    return res


def duplicate_reject(
    p: Paper, first_source: str, first_position: int, first_id: str | None = None
) -> Reject:
    """The later copy of a paper (same id, same DOI, or same title and first author)."""
    where = f"line {p.line}" if p.line else f"record {p.position}"
    return Reject(
        p.source,
        where,
        f"duplicate of paper {first_id or p.paper_id} ({first_source}, abstract "
        f"{first_position}); kept the first",
    )
