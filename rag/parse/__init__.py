"""Parse: files of abstracts -> ``Paper`` records, and a report of every record that was rejected.

Formats: the seed text format (abstracts after ``Abstract:``, several per line, header lines such
as an affiliation), JSON Lines / JSON arrays (including BEIR's ``{_id, title, text}``) and CSV.
A record that cannot be used is rejected with where it was and what to do; the rest of the file
goes on.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..records import Paper
from .common import _SURROGATE, SUPPORTED, ParseResult, Reject, display_path
from .plain import parse_text
from .records import parse_csv, parse_jsonl


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
