"""Ingest: parsed papers -> chunks (llama-index) -> embeddings -> Chroma + catalogue + BM25.

Incremental and idempotent: a paper is (re)embedded only when its content hash changed. A file
that is read again is authoritative for its papers (an abstract deleted from it is removed);
``prune`` also removes papers whose file is gone. Work is committed in batches, and a run
interrupted at any point is repaired by the next one (see ``_reconcile``).
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .config import Settings
from .embed import count_tokens, get_embedder
from .errors import Cancelled
from .parse import duplicate_reject, iter_files, read_file
from .parse.common import REJECTS_LISTED_PER_FILE, Reject, display_path, resolve_source
from .parse.library import Skipped, dedupe_keys
from .records import Paper
from .store import Store, drop_indexes, write_failure
from .store.collections import DEFAULT, base_dir, check_name, index_dir
from .store.lock import READERS, write_lock
from .text import tokenize

BATCH_PAPERS = 256


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    rejected: list[Reject] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    repaired: int = 0
    reembedded: int = 0
    keyword_rebuilt: bool = False
    total: int = 0
    # rejections counted but not listed, per file (each file lists its first ones)
    unlisted: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Reject]:
        """The rejections that are errors (entries without an abstract are only skipped)."""
        return [r for r in self.rejected if not isinstance(r, Skipped)]

    @property
    def skipped(self) -> list[Reject]:
        return [r for r in self.rejected if isinstance(r, Skipped)]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.repaired or self.reembedded)

    @property
    def n_rejected(self) -> int:
        """Rejections that are errors, listed or not (skipped entries are not counted)."""
        return len(self.errors) + sum(self.unlisted.values())

    @property
    def failed(self) -> bool:
        """Some records were rejected: the exit code says so."""
        return self.n_rejected > 0

    def unlisted_lines(self) -> list[str]:
        """One line per file whose rejections were too many to list."""
        return [
            f"{src}: {n:,} more record(s) rejected, not listed (the first "
            f"{REJECTS_LISTED_PER_FILE} of the file are)"
            for src, n in self.unlisted.items()
        ]

    @property
    def n_skipped(self) -> int:
        return sum(getattr(r, "count", 0) for r in self.skipped)

    def summary(self) -> str:
        s = (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged, {self.n_rejected} rejected "
            f"({len(self.files)} file(s); {self.total} papers in the index)"
        )
        if self.skipped:
            s += f"; {self.n_skipped} without an abstract skipped"
        if self.repaired:
            s += f"; repaired {self.repaired} paper(s) left half-written by an interrupted run"
        if self.reembedded:
            s += f"; re-embedded {self.reembedded} paper(s) whose vectors were missing"
        if self.keyword_rebuilt:
            s += "; rebuilt the keyword index from the catalogue"
        if not self.changed:
            s += "; nothing to do"
        return s

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "rejected": [r.__dict__ for r in self.errors],
            "skipped": [r.__dict__ for r in self.skipped],
            "files": self.files,
            "rejected_unlisted": dict(self.unlisted),
            "n_rejected": self.n_rejected,
            "repaired": self.repaired,
            "reembedded": self.reembedded,
            "total": self.total,
        }


@lru_cache(maxsize=4)
def _splitter(chunk_size: int, chunk_overlap: int):
    from llama_index.core.node_parser import SentenceSplitter

    return SentenceSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        tokenizer=count_tokens,
        paragraph_separator="\n\n",
    )


def chunk_paper(paper: Paper, settings: Settings) -> list[str]:
    """A paper's abstract cut into chunks of at most ``chunk_size`` model tokens."""
    chunks = _splitter(settings.chunk_size, settings.chunk_overlap).split_text(paper.text)
    return [c for c in chunks if c.strip()] or [paper.text]


def indexed_title(paper: Paper) -> str:
    """The title that is embedded and indexed: the record's own, never a derived one.

    A derived title is for display: leaving it out means changing a title rule never re-embeds
    a paper nor moves a calibrated threshold (measured on the bundled gold set: README).
    """
    return "" if paper.title_derived else paper.title


def embed_text(paper: Paper, chunk: str) -> str:
    """What is embedded for a chunk: a record's title gives every chunk its paper's context."""
    title = indexed_title(paper)
    return f"{title}. {chunk}" if title else chunk


def keyword_tokens(paper: Paper) -> str:
    """What BM25 indexes: a record's own title (never a derived one), the abstract, and the
    authors' names and the year (searchable, but kept out of the embedded text)."""
    names = " ".join(paper.authors)
    year = str(paper.year) if paper.year else ""
    return " ".join(tokenize(f"{indexed_title(paper)} {paper.text} {names} {year}"))


class _Progress:
    """A tqdm bar on stderr for long runs; silent when not wanted."""

    def __init__(self, total: int, enabled: bool, desc: str) -> None:
        self.bar = None
        if enabled and total > 0:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, unit="chunk", file=sys.stderr, leave=False)

    def __call__(self, n: int, total: int | None = None) -> None:
        if self.bar is not None:
            if total is not None and total != self.bar.total:
                self.bar.total = total
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _reading_bar(enabled: bool):
    """A record counter on stderr while the input is read (a big export takes a while)."""
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(desc="reading", unit=" records", file=sys.stderr, leave=False, miniters=500)


def _reconcile(store: Store, settings: Settings, progress: bool, on_event) -> tuple[int, int]:
    """Bring Chroma in line with the catalogue, the source of truth.

    Chunks of papers the catalogue does not hold (or holds with another content hash: a run
    cut short) are deleted. Papers the catalogue holds whose chunks are missing (an interrupted
    run, a deleted Chroma directory, a wiped server) are embedded again from the text the
    catalogue keeps, batch by batch: what is done stays done if this is interrupted too.
    Returns (papers whose stray chunks were removed, papers re-embedded)."""
    inventory = store.chunk_inventory()
    catalogue = store.paper_hashes()
    stale = [
        pid
        for pid, hashes in inventory.items()
        if pid not in catalogue or hashes != {catalogue[pid][0]}
    ]
    stale_set = set(stale)
    # a row whose chunks were stale (an update cut short) has no vectors left either
    missing = [pid for pid in catalogue if pid not in inventory or pid in stale_set]
    del inventory
    if not (stale or missing):
        return 0, 0
    store.mark_dirty()
    if stale:
        store.delete_papers(stale)
    if missing:
        batches = (
            list(store.papers_by_id(missing[s : s + BATCH_PAPERS]).values())
            for s in range(0, len(missing), BATCH_PAPERS)
        )
        _embed_and_write(
            store,
            batches,
            len(missing),
            settings,
            progress,
            on_event,
            replace=set(),
            desc="re-embedding",
        )
    store.commit_generation()
    return len(stale_set - set(missing)), len(missing)


def default_targets(settings: Settings) -> list[Path]:
    """What `rag ingest` with no PATH reads: the bundled corpus, into a store that is empty or
    was built from it; any other store is only checked and repaired from its catalogue."""
    corpus = Path(settings.corpus).resolve()
    sources = Store.indexed_sources(settings)
    if not sources and check_name(settings.collection) != DEFAULT:
        return []  # only the default collection is filled from the bundled corpus
    if not sources:
        return [Path(settings.corpus)]
    if any(_inside(resolve_source(s), corpus) for s in sources):
        return [Path(settings.corpus)]
    return []


def _inside(p: Path, root: Path) -> bool:
    try:
        p.resolve().relative_to(root)
    except (ValueError, OSError):
        return False
    return True


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


def ingest(
    paths: Iterable[Path],
    settings: Settings,
    *,
    prune: bool = False,
    rebuild: bool = False,
    progress: bool = True,
    wait: float = 0.0,
    on_event: Callable[[str, int, int], None] | None = None,
    follow_links: bool = False,
) -> IngestReport:
    """Parse, diff against the catalogue, embed what changed, write Chroma, SQLite and BM25.

    No paths: only check the index against its catalogue and repair it.

    ``on_event(stage, done, total)`` reports progress: ``("reading", files read, files)``,
    ``("waiting", 0, 0)`` while another writer holds the store, ``("embedding", abstracts
    embedded, abstracts to embed)`` (``"re-embedding"`` in a repair), ``("writing", abstracts
    written, abstracts to embed)`` and ``("finishing", n, n)``. When it raises ``Cancelled``
    the run stops after the batch in hand: what was committed stays (whole papers only) and the
    index is left consistent. Readers are never blocked: questions are answered meanwhile."""
    try:
        return _ingest(
            [Path(p) for p in paths],
            settings,
            prune=prune,
            rebuild=rebuild,
            progress=progress,
            wait=wait,
            on_event=on_event,
            follow_links=follow_links,
        )
    except OSError as e:
        raise write_failure(e, Path(settings.store)) from None
    except sqlite3.OperationalError as e:
        raise write_failure(e, Path(settings.store)) from None


def _ingest(paths, settings, *, prune, rebuild, progress, wait, on_event, follow_links):
    emit = on_event or (lambda _s, _d, _t: None)
    files, missing = iter_files(paths, follow_links)
    emit("reading", 0, len(files))
    report = IngestReport()
    if rebuild:
        with write_lock(Path(settings.store), wait):
            drop_indexes(settings)
    elif not (index_dir(settings) / "papers.sqlite").exists():
        Store(settings, create=False) if _has_other_index(settings) else None
    store = Store(settings, create=True)
    try:
        with store.write_lock(wait=wait, on_wait=lambda: emit("waiting", 0, 0)):
            was_dirty = store.is_dirty()  # an earlier run was cut short
            if was_dirty or not store.vectors_match():
                # an interrupted run, a deleted Chroma directory or a wiped server
                report.repaired, report.reembedded = _reconcile(store, settings, progress, on_event)
            existing = store.paper_hashes()
            scan = _Scan(existing, report)
            for r in missing:
                scan.reject(r)
            elsewhere = _StillElsewhere({display_path(f) for f in files})
            read_bar = _reading_bar(progress)
            for n_read, f in enumerate(files):
                emit("reading", n_read, len(files))
                source = display_path(f)
                report.files.append(source)
                for item in read_file(f, source):
                    if read_bar is not None:
                        read_bar.update(1)
                    if isinstance(item, Paper):
                        scan.paper(item, elsewhere)
                    else:
                        scan.reject(item)
            if read_bar is not None:
                read_bar.close()
            scan.label()
            scan.retitled(store)
            files_read = set(report.files)
            gone: list[str] = []
            for pid, (_, src, pos) in existing.items():
                if pid in scan.first:
                    continue
                if src in files_read and scan.kept(src, pos):
                    continue  # its record (or the whole file) was rejected this time: keep it
                if src in files_read:
                    gone.append(pid)  # no longer in a file that was read again
                    if (src, pos) not in scan.replaced_slots:
                        report.removed.append(pid)
                elif prune and not resolve_source(src).exists():
                    gone.append(pid)
                    report.removed.append(pid)
            scan.kept.annotate(report.rejected)
            del existing

            todo, moved = scan.todo, scan.moved
            if todo or gone or moved:
                store.mark_dirty()
            if gone:
                store.delete_papers(gone)
                store.remove_papers(gone)
            if todo or moved:
                found = _Found()
                batches = _second_pass(files, scan, store, found)
                replace = {pid for pid in todo if pid in scan.existing}
                try:
                    _embed_and_write(
                        store, batches, len(todo), settings, progress, emit, replace=replace
                    )
                except Cancelled:
                    _finish_cancelled(store, settings)
                    raise
                for pid in set(todo) - found.ids:
                    where = scan.first.get(pid, ("?", 0))
                    report.rejected.append(
                        Reject(
                            where[0],
                            f"abstract {where[1]}",
                            "the file changed while it was being ingested; run `rag ingest` again",
                        )
                    )
            with contextlib.suppress(Cancelled):  # too late to stop: only the commit is left
                emit("finishing", len(todo), len(todo))
            if todo or gone or moved or report.repaired or report.reembedded or was_dirty:
                store.commit_generation()
                store.rebuild_keyword()
            elif not store.keyword_current():
                # an earlier run died before saving it, or it lost entries
                report.keyword_rebuilt = True
                store.rebuild_keyword()
            report.total = store.count()
    finally:
        store.close()
    return report


def _finish_cancelled(store: Store, settings: Settings) -> None:
    """After a cancel: drop any stray chunks, commit what is whole, reindex BM25."""
    _reconcile(store, settings, False, None)
    store.commit_generation()
    store.rebuild_keyword()


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


def _embed_and_write(
    store: Store,
    batches: Iterable[list[Paper]],
    n_papers: int,
    settings: Settings,
    progress: bool,
    on_event,
    replace: set[str] | None = None,
    desc: str = "embedding",
) -> None:
    """Chunk, embed and write ``n_papers`` papers, given in batches, as a pipeline.

    While a worker thread embeds batch i (ONNX Runtime and torch release the GIL), this thread
    writes batch i-1 (one Chroma upsert, one catalogue commit) and chunks batch i+1. Writes stay
    in this thread and in order, so an interrupted run leaves what the sequential one would.
    ``replace``: the papers that already have chunks (updates); None means any may have. New
    papers skip the delete round trip."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    embedder = get_embedder(settings)
    batches = iter(batches)
    first = next(batches, None)
    if first is None:
        return
    lock = threading.Lock()
    state = {"done": 0, "chunks": 0, "papers": 0, "cancelled": False, "written": 0}
    # abstracts embedded so far: papers of finished batches + those of the batch in hand whose
    # last chunk is done (the embedder reports chunk counts)
    embedded = {"base": 0, "ends": [], "chunks": 0}

    def chunk(batch: list[Paper]) -> list[tuple[Paper, list[str]]]:
        out = []
        for p in batch:
            READERS.yield_to_readers()  # pure Python (the GIL): a question goes first
            out.append((p, chunk_paper(p, settings)))
        with lock:
            state["papers"] += len(batch)
            state["chunks"] += sum(len(c) for _, c in out)
        return out

    def total() -> int:
        """Chunks to embed: exact once all are chunked, extrapolated until then."""
        if state["papers"] >= n_papers:
            return state["chunks"]
        return max(state["chunks"], round(state["chunks"] / state["papers"] * n_papers))

    def rows(batch: list[tuple[Paper, list[str]]]):
        ids, docs, metas, texts = [], [], [], []
        for p, chunks in batch:
            h = p.content_hash()
            for i, c in enumerate(chunks):
                ids.append(f"{p.paper_id}:{h}:{i}")
                docs.append(c)
                texts.append(embed_text(p, c))
                metas.append(
                    {"paper_id": p.paper_id, "hash": h, "chunk": i, "title": p.title[:200]}
                )
        return ids, docs, metas, texts

    def write(batch, ids, docs, metas, vecs) -> None:
        READERS.yield_to_readers()
        old = [p.paper_id for p, _ in batch if replace is None or p.paper_id in replace]
        if old:
            store.delete_papers(old)  # old chunks of updated papers
        store.add_chunks(ids, vecs, docs, metas)
        store.record_papers([(p, len(chunks), keyword_tokens(p)) for p, chunks in batch])
        state["written"] += len(batch)
        if on_event:
            on_event("writing", state["written"], n_papers)

    current = chunk(first)
    bar = _Progress(total(), progress and total() >= 64, desc)

    def tick(n: int) -> None:  # called by the worker after each model batch
        if state["cancelled"]:
            raise _Cancelled
        READERS.yield_to_readers()  # a question being answered goes first
        with lock:
            state["done"] += n
            t = total()
            embedded["chunks"] += n
            whole = sum(1 for e in embedded["ends"] if e <= embedded["chunks"])
            abstracts = embedded["base"] + whole
        bar(n, t)
        if on_event:
            on_event(desc, abstracts, n_papers)

    pool = ThreadPoolExecutor(1, thread_name_prefix="rag-embed")
    try:
        pending = None  # the batch embedded last round, waiting to be written
        while current is not None:
            ids, docs, metas, texts = rows(current)
            with lock:
                embedded["base"] += len(embedded["ends"])
                ends, acc = [], 0
                for _, c in current:
                    acc += len(c)
                    ends.append(acc)
                embedded["ends"], embedded["chunks"] = ends, 0
            fut = pool.submit(store_embeddings, embedder, texts, settings, tick)
            if pending is not None:
                write(*pending)
            nxt = next(batches, None)
            following = chunk(nxt) if nxt is not None else None
            pending = (current, ids, docs, metas, fut.result())
            current = following
        write(*pending)
    finally:
        state["cancelled"] = True  # an error or Ctrl-C: the worker stops after its model batch
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()


class _Cancelled(Exception):
    """Stops the embedding worker when the ingest it serves has failed."""


def store_embeddings(embedder, texts: list[str], settings: Settings, tick) -> list[list[float]]:
    # small model batches: a question waits for at most one of them (see READERS)
    vecs = embedder.embed(texts, batch_size=min(settings.embed_batch_size, 16), progress=tick)
    return vecs.tolist()


def _has_other_index(settings: Settings) -> bool:
    return any(base_dir(settings).glob("*/papers.sqlite"))
