"""Repair: Chroma brought back in line with the catalogue, the source of truth."""

from __future__ import annotations

from ..config import Settings
from ..store import Store
from .write import BATCH_PAPERS, _embed_and_write


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


def _finish_cancelled(store: Store, settings: Settings) -> None:
    """After a cancel: drop any stray chunks, commit what is whole, reindex BM25."""
    _reconcile(store, settings, False, None)
    store.commit_generation()
    store.rebuild_keyword()
