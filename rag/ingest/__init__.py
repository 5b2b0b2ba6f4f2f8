"""Ingest: parsed papers -> chunks (llama-index) -> embeddings -> Chroma + catalogue + BM25.

Incremental and idempotent: a paper is (re)embedded only when its content hash changed. A file
that is read again is authoritative for its papers (an abstract deleted from it is removed);
``prune`` also removes papers whose file is gone. Work is committed in batches, and a run
interrupted at any point is repaired by the next one (see ``_reconcile``).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path

from ..config import Settings
from ..errors import Cancelled
from ..parse import iter_files, read_file
from ..parse.common import Reject, display_path, resolve_source
from ..records import Paper
from ..store import Store, drop_indexes, write_failure
from ..store.collections import DEFAULT, base_dir, check_name, index_dir
from ..store.lock import write_lock
from .chunks import chunk_paper, embed_text, indexed_title, keyword_tokens
from .repair import _finish_cancelled, _reconcile
from .report import IngestReport
from .scan import _Found, _reading_bar, _Scan, _second_pass, _StillElsewhere
from .write import BATCH_PAPERS, _embed_and_write, _Progress, store_embeddings

__all__ = [
    "BATCH_PAPERS",
    "IngestReport",
    "chunk_paper",
    "default_targets",
    "embed_text",
    "indexed_title",
    "ingest",
    "keyword_tokens",
    "store_embeddings",
    "_Progress",
]


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


def _has_other_index(settings: Settings) -> bool:
    return any(base_dir(settings).glob("*/papers.sqlite"))
