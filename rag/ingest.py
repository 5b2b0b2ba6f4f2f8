"""Ingest: parsed papers -> chunks (llama-index) -> embeddings -> Chroma + catalogue + BM25.

Incremental and idempotent: a paper is (re)embedded only when its content hash changed. A file
that is read again is authoritative for its papers (an abstract deleted from it is removed);
``prune`` also removes papers whose file is gone. Work is committed in batches, and a run
interrupted at any point is repaired by the next one (see ``_reconcile``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .config import Settings
from .embed import count_tokens, get_embedder
from .parse import parse_file, parse_paths
from .parse.common import ParseResult, Reject, resolve_source
from .records import Paper
from .store import Store, drop_indexes
from .store.lock import write_lock
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
    total: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.repaired)

    def summary(self) -> str:
        s = (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged, {len(self.rejected)} rejected "
            f"({len(self.files)} file(s); {self.total} papers in the index)"
        )
        if self.repaired:
            s += f"; repaired {self.repaired} paper(s) left half-written by an interrupted run"
        if not self.changed:
            s += "; nothing to do"
        return s

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "rejected": [r.__dict__ for r in self.rejected],
            "files": self.files,
            "repaired": self.repaired,
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


def embed_text(paper: Paper, chunk: str) -> str:
    """What is embedded for a chunk: the title gives every chunk its paper's context."""
    return f"{paper.title}. {chunk}"


def keyword_tokens(paper: Paper) -> str:
    return " ".join(tokenize(f"{paper.title} {paper.text}"))


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


def _reconcile(store: Store) -> int:
    """Bring Chroma in line with the catalogue after an interrupted run.

    Chunks of papers the catalogue does not hold (or holds with another content hash) are
    deleted; catalogue rows whose chunks are missing are dropped so the run re-adds them.
    Returns how many papers were repaired.
    """
    inventory = store.chunk_inventory()
    catalogue = store.catalogue.hashes()
    stale = [
        pid
        for pid, hashes in inventory.items()
        if pid not in catalogue or hashes != {catalogue[pid][0]}
    ]
    # a row whose chunks were stale (an update cut short) has no vectors left either
    missing = [pid for pid in catalogue if pid not in inventory or pid in stale]
    if stale:
        store.delete_papers(stale)
    if missing:
        store.catalogue.delete(missing)
    if stale or missing:
        with store.chroma_lock():
            store.catalogue.bump()
            store.catalogue.commit()
            store.mark_current()  # the repair went through this process's handle
    return len(set(stale) | set(missing))


def ingest(
    paths: Iterable[Path],
    settings: Settings,
    *,
    prune: bool = False,
    rebuild: bool = False,
    progress: bool = True,
    wait: float = 0.0,
    on_event: Callable[[str, int, int], None] | None = None,
) -> IngestReport:
    """Parse, diff against the catalogue, embed what changed, write Chroma, SQLite and BM25."""
    paths = [Path(p) for p in paths]
    parsed = parse_paths(paths)
    report = IngestReport(rejected=list(parsed.rejects), files=list(parsed.files))
    if rebuild:
        with write_lock(Path(settings.store), wait):
            drop_indexes(settings)
    elif not (Path(settings.store) / settings.collection_name() / "papers.sqlite").exists():
        Store(settings, create=False) if _has_other_index(settings) else None
    store = Store(settings, create=True)
    try:
        with store.write_lock(wait=wait):
            cat = store.catalogue
            was_dirty = cat.get_meta("dirty") == "1"  # an earlier run was cut short
            if was_dirty or not store.vectors_match():
                # an interrupted run, or a Chroma (server) that lost or gained vectors
                report.repaired = _reconcile(store)
            existing = cat.hashes()
            by_slot = {(src, pos): pid for pid, (_, src, pos) in existing.items()}
            new_ids = {p.paper_id for p in parsed.papers}
            files_read = set(parsed.files)
            kept = _KeptSlots(parsed.rejects)
            elsewhere = _StillElsewhere(files_read)

            todo: list[Paper] = []
            moved: list[Paper] = []
            for p in parsed.papers:
                old = existing.get(p.paper_id)
                if old is not None and old[1] != p.source and elsewhere(p.paper_id, old[1]):
                    # already indexed from another file that still holds it: the first one stays
                    report.rejected.append(
                        Reject(
                            p.source,
                            f"line {p.line}" if p.line else f"record {p.position}",
                            f"duplicate of paper {p.paper_id}, already indexed from {old[1]} "
                            f"(abstract {old[2]}); kept that one",
                        )
                    )
                    continue
                if old is None:
                    prev = by_slot.get((p.source, p.position))
                    if prev and prev not in new_ids:
                        report.updated.append(p.paper_id)  # edited in place: new text, same slot
                    else:
                        report.added.append(p.paper_id)
                    todo.append(p)
                elif old[0] != p.content_hash():
                    report.updated.append(p.paper_id)
                    todo.append(p)
                else:
                    if (old[1], old[2]) != (p.source, p.position):
                        moved.append(p)
                    report.unchanged += 1

            replaced_slots = {(p.source, p.position) for p in todo}
            gone: list[str] = []
            for pid, (_, src, pos) in existing.items():
                if pid in new_ids:
                    continue
                if src in files_read and kept(src, pos):
                    continue  # its record (or the whole file) was rejected this time: keep it
                if src in files_read:
                    gone.append(pid)  # no longer in a file that was read again
                    if (src, pos) not in replaced_slots:
                        report.removed.append(pid)
                elif prune and not resolve_source(src).exists():
                    gone.append(pid)
                    report.removed.append(pid)
            kept.annotate(report.rejected)

            if todo or gone or moved:
                cat.set_meta("dirty", "1")
                cat.commit()
            if gone:
                store.delete_papers(gone)
                cat.delete(gone)
                cat.commit()
            for p in moved:
                cat.move(p)
            if moved:
                cat.commit()
            if todo:
                replace = {p.paper_id for p in todo if p.paper_id in existing}
                _embed_and_write(store, todo, settings, progress, on_event, replace=replace)
            if todo or gone or moved or report.repaired or was_dirty:
                with store.chroma_lock():  # no reader of this process reloads in between
                    cat.bump()
                    cat.set_meta("dirty", "0")
                    cat.commit()
                    store.mark_current()  # our writes are in this process's handle already
                store.rebuild_keyword()
            elif not _keyword_current(store):
                store.rebuild_keyword()  # an earlier run died before saving it
            report.total = cat.count()
    finally:
        store.close()
    return report


class _KeptSlots:
    """Slots (file, position) whose record was rejected this run: what was indexed there stays.

    Bad input never deletes what the store holds; each reject says how many papers it kept."""

    def __init__(self, rejects: list[Reject]) -> None:
        self.exact: dict[tuple[str, int], Reject] = {}
        self.from_: dict[str, Reject] = {}
        self.kept: dict[int, int] = {}
        for r in rejects:
            if r.position is None:
                continue
            if r.to_end:
                prev = self.from_.get(r.source)
                if prev is None or r.position < (prev.position or 0):
                    self.from_[r.source] = r
            else:
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
    """Whether a paper's indexed file, not read this run, still holds it (parsed on demand)."""

    def __init__(self, files_read: set[str]) -> None:
        self.files_read = files_read
        self.ids: dict[str, set[str]] = {}

    def __call__(self, paper_id: str, source: str) -> bool:
        if source in self.files_read:
            return False
        if source not in self.ids:
            path = resolve_source(source)
            res = parse_file(path, ParseResult()) if path.is_file() else ParseResult()
            self.ids[source] = {p.paper_id for p in res.papers}
        return paper_id in self.ids[source]


def _keyword_current(store: Store) -> bool:
    """Whether the saved BM25 index loads and is of the catalogue's generation."""
    from .store.keyword import KeywordIndex

    try:
        kw = KeywordIndex.load(store.index_dir)
    except Exception:  # noqa: BLE001 - damaged files: rebuild
        return False
    return kw is not None and kw.generation == store.catalogue.generation


def _embed_and_write(
    store: Store,
    papers: list[Paper],
    settings: Settings,
    progress: bool,
    on_event,
    replace: set[str] | None = None,
) -> None:
    """Chunk, embed and write in batches of BATCH_PAPERS papers, as a pipeline.

    While a worker thread embeds batch i (ONNX Runtime and torch release the GIL), this thread
    writes batch i-1 (one Chroma upsert, one catalogue commit) and chunks batch i+1. Writes stay
    in this thread and in order, so an interrupted run leaves what the sequential one would.
    ``replace``: the papers that already have chunks (updates); None means any may have. New
    papers skip the delete round trip."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    embedder = get_embedder(settings)
    batches = [papers[s : s + BATCH_PAPERS] for s in range(0, len(papers), BATCH_PAPERS)]
    if not batches:
        return
    lock = threading.Lock()
    state = {"done": 0, "chunks": 0, "papers": 0, "cancelled": False}

    def chunk(batch: list[Paper]) -> list[tuple[Paper, list[str]]]:
        out = [(p, chunk_paper(p, settings)) for p in batch]
        with lock:
            state["papers"] += len(batch)
            state["chunks"] += sum(len(c) for _, c in out)
        return out

    def total() -> int:
        """Chunks to embed: exact once all are chunked, extrapolated until then."""
        if state["papers"] >= len(papers):
            return state["chunks"]
        return max(state["chunks"], round(state["chunks"] / state["papers"] * len(papers)))

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
        old = [p.paper_id for p, _ in batch if replace is None or p.paper_id in replace]
        if old:
            store.delete_papers(old)  # old chunks of updated papers
        store.add_chunks(ids, vecs, docs, metas)
        for p, chunks in batch:
            store.catalogue.upsert(p, n_chunks=len(chunks), tokens=keyword_tokens(p))
        store.catalogue.commit()

    current = chunk(batches[0])
    bar = _Progress(total(), progress and total() >= 64, "embedding")

    def tick(n: int) -> None:  # called by the worker after each model batch
        if state["cancelled"]:
            raise _Cancelled
        with lock:
            state["done"] += n
            done, t = state["done"], total()
        bar(n, t)
        if on_event:
            on_event("embedding", done, t)

    pool = ThreadPoolExecutor(1, thread_name_prefix="rag-embed")
    try:
        pending = None  # the batch embedded last round, waiting to be written
        for i in range(len(batches)):
            ids, docs, metas, texts = rows(current)
            fut = pool.submit(store_embeddings, embedder, texts, settings, tick)
            if pending is not None:
                write(*pending)
            following = chunk(batches[i + 1]) if i + 1 < len(batches) else None
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
    vecs = embedder.embed(texts, batch_size=settings.embed_batch_size, progress=tick)
    return vecs.tolist()


def _has_other_index(settings: Settings) -> bool:
    return any(Path(settings.store).glob("*/papers.sqlite"))
