"""Reading the input: pass one diffs every file against the catalogue (ids and hashes only),
pass two reads again, as a stream, the papers that must be embedded."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from ..parse import duplicate_reject, read_file
from ..parse.common import REJECTS_LISTED_PER_FILE, Reject, display_path, resolve_source
from ..parse.library import Skipped, dedupe_keys
from ..records import Paper
from ..store import Store
from .report import IngestReport
from .write import BATCH_PAPERS


def _reading_bar(enabled: bool):
    """A record counter on stderr while the input is read (a big export takes a while)."""
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(desc="reading", unit=" records", file=sys.stderr, leave=False, miniters=500)


def _digest(title: str) -> str:
    return hashlib.sha1(title.encode()).hexdigest()[:12]


class _Scan:
    """Pass one over the input: what each file holds, diffed against the catalogue.

    Only ids, hashes and slots are kept (never the papers' text): memory follows the number of
    papers, and the input is read again, as a stream, for the papers that must be embedded."""

    def __init__(self, existing: dict, report: IngestReport) -> None:
        self.existing = existing
        self.report = report
        self.by_slot = {(src, pos): pid for pid, (_, src, pos) in existing.items()}
        self.first: dict[str, tuple[str, int]] = {}  # paper id -> (source, position) kept
        self.todo: dict[str, str] = {}  # paper id -> content hash to embed
        self.moved: set[str] = set()
        self.retitle: dict[str, tuple[str, str]] = {}  # unchanged, derived title: (digest, src)
        self.maybe_updated: list[tuple[str, str]] = []  # (new id, id that held its slot)
        self.replaced_slots: set[tuple[str, int]] = set()
        self.work_files: set[str] = set()  # sources pass two must read again
        self.kept = _KeptSlots(self.by_slot)
        self.listed: dict[str, int] = {}
        self.keys: dict[str, str] = {}  # DOI / title + first author -> paper id kept

    def reject(self, r: Reject) -> None:
        if isinstance(r, Skipped):  # entries without an abstract: a note, never capped
            self.report.rejected.append(r)
            return
        self.kept.add(r)
        n = self.listed.get(r.source, 0)
        self.listed[r.source] = n + 1
        if n < REJECTS_LISTED_PER_FILE:
            self.report.rejected.append(r)
        else:
            self.report.unlisted[r.source] = self.report.unlisted.get(r.source, 0) + 1

    def paper(self, p: Paper, elsewhere: _StillElsewhere) -> None:
        report = self.report
        if p.paper_id in self.first:
            src, pos = self.first[p.paper_id]
            self.reject(duplicate_reject(p, src, pos))
            return
        same = next((self.keys[k] for k in dedupe_keys(p) if k in self.keys), None)
        if same is not None:  # the same DOI, or title and first author, under another id
            src, pos = self.first[same]
            self.reject(duplicate_reject(p, src, pos, same))
            return
        for k in dedupe_keys(p):
            self.keys.setdefault(k, p.paper_id)
        old = self.existing.get(p.paper_id)
        if old is not None and old[1] != p.source and elsewhere(p.paper_id, old[1]):
            # already indexed from another file that still holds it: the first one stays
            self.reject(
                Reject(
                    p.source,
                    f"line {p.line}" if p.line else f"record {p.position}",
                    f"duplicate of paper {p.paper_id}, already indexed from {old[1]} "
                    f"(abstract {old[2]}); kept that one",
                )
            )
            return
        self.first[p.paper_id] = (p.source, p.position)
        h = p.content_hash()
        if old is None:
            prev = self.by_slot.get((p.source, p.position))
            if prev:
                self.maybe_updated.append((p.paper_id, prev))
                self.replaced_slots.add((p.source, p.position))
            else:
                report.added.append(p.paper_id)
            self.todo[p.paper_id] = h
            self.work_files.add(p.source)
        elif old[0] != h:
            report.updated.append(p.paper_id)
            self.replaced_slots.add((p.source, p.position))
            self.todo[p.paper_id] = h
            self.work_files.add(p.source)
        else:
            if (old[1], old[2]) != (p.source, p.position):
                self.moved.add(p.paper_id)
                self.work_files.add(p.source)
            elif p.title_derived:
                self.retitle[p.paper_id] = (_digest(p.title), p.source)
            report.unchanged += 1

    def retitled(self, store: Store) -> None:
        """Unchanged papers whose derived title is new (new title rules): their catalogue row
        is refreshed like a moved paper's, with no re-embedding, since the title is display
        only."""
        ids = list(self.retitle)
        for start in range(0, len(ids), 500):
            for pid, old in store.papers_by_id(ids[start : start + 500]).items():
                digest, source = self.retitle[pid]
                if _digest(old.title) != digest:
                    self.moved.add(pid)
                    self.work_files.add(source)
        self.retitle = {}

    def label(self) -> None:
        """A new id in the slot of an id no longer read: the abstract was edited in place."""
        for pid, prev in self.maybe_updated:
            (self.report.added if prev in self.first else self.report.updated).append(pid)
        self.maybe_updated = []


class _Found:
    def __init__(self) -> None:
        self.ids: set[str] = set()


def _second_pass(files: list[Path], scan: _Scan, store: Store, found: _Found):
    """Pass two: the papers to embed, read again as a stream, in batches; moves recorded."""
    batch: list[Paper] = []
    for f in files:
        source = display_path(f)
        if source not in scan.work_files:
            continue
        for p in read_file(f, source):
            if not isinstance(p, Paper) or scan.first.get(p.paper_id) != (p.source, p.position):
                continue
            if p.paper_id in scan.moved:
                store.move_paper(p)
            elif p.paper_id in scan.todo and p.paper_id not in found.ids:
                found.ids.add(p.paper_id)
                batch.append(p)
                if len(batch) >= BATCH_PAPERS:
                    yield batch
                    batch = []
    if batch:
        yield batch


class _KeptSlots:
    """Slots (file, position) whose record was rejected this run: what was indexed there stays.

    Bad input never deletes what the store holds; each reject says how many papers it kept.
    Only slots that hold an indexed paper are remembered."""

    def __init__(self, by_slot: dict[tuple[str, int], str]) -> None:
        self.by_slot = by_slot
        self.exact: dict[tuple[str, int], Reject] = {}
        self.from_: dict[str, Reject] = {}
        self.kept: dict[int, int] = {}

    def add(self, r: Reject) -> None:
        if r.position is None:
            return
        if r.to_end:
            prev = self.from_.get(r.source)
            if prev is None or r.position < (prev.position or 0):
                self.from_[r.source] = r
        elif (r.source, r.position) in self.by_slot:
            self.exact[(r.source, r.position)] = r

    def __call__(self, source: str, position: int) -> bool:
        r = self.exact.get((source, position))
        if r is None:
            start = self.from_.get(source)
            if start is not None and position >= (start.position or 0):
                r = start
        if r is not None:
            self.kept[id(r)] = self.kept.get(id(r), 0) + 1
        return r is not None

    def annotate(self, rejects: list[Reject]) -> None:
        for r in rejects:
            n = self.kept.get(id(r))
            if n == 1 and not r.to_end:
                r.reason += "; the version indexed earlier was kept"
            elif n:
                r.reason += f"; kept the {n} paper(s) indexed from it earlier"


class _StillElsewhere:
    """Whether a paper's indexed file, not read this run, still holds it (read on demand)."""

    def __init__(self, files_read: set[str]) -> None:
        self.files_read = files_read
        self.ids: dict[str, set[str]] = {}

    def __call__(self, paper_id: str, source: str) -> bool:
        if source in self.files_read:
            return False
        if source not in self.ids:
            path = resolve_source(source)
            self.ids[source] = (
                {p.paper_id for p in read_file(path, source) if isinstance(p, Paper)}
                if path.is_file()
                else set()
            )
        return paper_id in self.ids[source]
