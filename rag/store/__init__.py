"""The store: Chroma (chunk vectors), a SQLite catalogue of papers, and the BM25 index.

Layout under the store directory::

    chroma/                 Chroma's PersistentClient data (unless a Chroma server is used)
    <index-name>/           one folder per index signature (embedding model, chunking, format)
        papers.sqlite       the catalogue: every paper, its content hash, keyword tokens
        keyword.*           the BM25 matrix, rebuilt from the catalogue after each ingest
    collections/<name>/     a named collection: its own index folders, laid out as above
    .lock                   held by the one process that writes (every collection)

The index name is a hash of the signature, so vectors of different models or chunkings never
mix. SQLite is the source of truth; Chroma and BM25 are reconciled against it.
"""

from __future__ import annotations

import errno
import json
import sqlite3
from pathlib import Path

from ..config import Settings
from ..errors import StoreDamaged, StoreError, StoreIncompatible
from ..records import Paper
from . import inventory
from .catalogue import Catalogue
from .chroma import _release_handle, chroma_mode
from .collections import DEFAULT, base_dir, check_name, chroma_key
from .failures import _writable, rebuild_hint, write_failure
from .inventory import drop_indexes
from .lock import write_lock
from .vectors import Vectors

__all__ = ["Store", "drop_indexes", "rebuild_hint", "write_failure"]


class Store(Vectors):
    """Opens the index that matches the current settings (or refuses with how to rebuild).

    The catalogue (papers, hashes, the generation) and the BM25 index are read and written
    here; Chroma calls are in ``Vectors``."""

    def __init__(self, settings: Settings, *, create: bool = False) -> None:
        self.settings = settings
        self.root = Path(settings.store)
        self.name = settings.collection_name()
        self.collection_label = check_name(settings.collection)  # the user's named collection
        self.base = base_dir(settings)  # where this collection's index folders are
        self.key = chroma_key(self.name, self.collection_label)
        self.index_dir = self.base / self.name
        self.signature = settings.index_signature()
        if not create and not (self.index_dir / "papers.sqlite").exists():
            if self.collection_label != DEFAULT and not self.base.is_dir():
                raise StoreError(
                    f"no collection {self.collection_label!r} in the store {self.root}: "
                    "`rag collections` lists them; `rag ingest --collection "
                    f"{self.collection_label} PATH...` makes it"
                )
            others = self.other_indexes()
            if others:
                desc = "; ".join(json.dumps(o, sort_keys=True) for o in others)
                raise StoreIncompatible(
                    f"the store {self.root} holds an index built with other settings ({desc}); "
                    f"the current settings are {json.dumps(self.signature, sort_keys=True)}: "
                    + rebuild_hint(settings, self.other_sources())
                )
            if self.collection_label != DEFAULT:
                raise StoreError(
                    f"the collection {self.collection_label!r} in {self.root} holds no papers "
                    f"yet: `rag ingest --collection {self.collection_label} PATH...` adds them"
                )
            raise StoreError(
                f"no index in {self.root} yet: run `rag ingest` (it reads {settings.corpus} "
                "by default) or give files: `rag ingest PATH...`"
            )
        self.read_only = settings.store_readonly or not _writable(self.root)
        if create and self.read_only:
            raise write_failure(OSError(errno.EROFS, "read-only"), self.root)
        if not self.read_only:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise write_failure(e, self.root) from None
        try:
            self.catalogue = Catalogue(
                self.index_dir / "papers.sqlite", self.signature, readonly=self.read_only
            )
        except StoreDamaged as e:
            raise StoreDamaged(
                f"{e}; the index was not read, and its vectors in Chroma are untouched: restore "
                "the file from a backup (or a copy of the store), or "
                + rebuild_hint(settings, self.other_sources())
            ) from None
        except StoreIncompatible as e:
            raise StoreIncompatible(
                f"{e}: " + rebuild_hint(settings, self.other_sources())
            ) from None
        self._collection = None
        self._epoch = -1  # the handle's epoch this collection object belongs to
        self._keyword = None
        self._reader = not create
        self._max_batch: int | None = None
        self.mode = chroma_mode(settings)  # embedded or a server: the one place that decides
        self.chroma_name = self.mode.collection_name(self.key, create=create)
        self._h = self.mode.acquire()
        self._closed = False
        self._filter_cache: dict[tuple, set[str]] = {}

    # --- what the catalogue holds (the only way callers outside rag/store/ read it) ----------
    def papers(self) -> list[Paper]:
        return list(self.catalogue.all())

    def paper(self, paper_id: str) -> Paper | None:
        return self.catalogue.get(paper_id)

    def papers_by_id(self, paper_ids: list[str]) -> dict[str, Paper]:
        return self.catalogue.get_many(paper_ids)

    def count(self) -> int:
        return self.catalogue.count()

    def matching_ids(self, filters) -> set[str]:
        """The ids of the papers a ``rag.filters.Filters`` lets through (cached per generation)."""
        key = (self.catalogue.generation, filters.key())
        cached = self._filter_cache.get(key)
        if cached is None:
            cached = {p.paper_id for p in self.catalogue.all() if filters.matches(p)}
            if len(self._filter_cache) > 32:
                self._filter_cache.clear()
            self._filter_cache[key] = cached
        return cached

    def generation(self) -> int:
        return self.catalogue.generation

    def sources(self) -> list[str]:
        return self.catalogue.sources()

    # --- indexes built with other settings ---------------------------------------------------
    def other_sources(self) -> list[str]:
        """Source files of every index in the store (what a rebuild should read again)."""
        return inventory.other_sources(self.base)

    def other_indexes(self) -> list[dict]:
        return inventory.other_indexes(self.base, self.name)

    # --- keyword index -------------------------------------------------------------------------
    def keyword(self, current: bool = False):
        """The BM25 index of the catalogue's generation (reloaded when it moved on);
        ``current=True`` trusts the one already loaded (the caller checked it this query)."""
        from .keyword import KeywordIndex

        if current and self._keyword is not None:
            return self._keyword
        gen = self.catalogue.generation
        if self._keyword is None or self._keyword.generation != gen:
            try:
                kw = KeywordIndex.load(self.index_dir)
            except Exception:  # noqa: BLE001 - damaged files: rebuilt from the catalogue below
                kw = None
            if kw is None or kw.generation != gen:
                kw = KeywordIndex.build(self.catalogue.keyword_docs(), generation=gen)
            self._keyword = kw
        return self._keyword

    def rebuild_keyword(self) -> None:
        from .keyword import KeywordIndex

        kw = KeywordIndex.build(self.catalogue.keyword_docs(), generation=self.catalogue.generation)
        try:
            kw.save(self.index_dir)
        except OSError as e:
            raise write_failure(e, self.root) from None
        self._keyword = kw

    # --- the catalogue, for ingest ----------------------------------------------------------------
    @staticmethod
    def indexed_sources(settings: Settings) -> list[str]:
        """The files the papers of the current index came from ([] when there is none yet)."""
        return inventory.indexed_sources(settings)

    def paper_hashes(self) -> dict[str, tuple[str, str, int]]:
        """paper_id -> (content hash, source, position) of every catalogued paper."""
        return self.catalogue.hashes()

    def is_dirty(self) -> bool:
        """Whether a run that changed the index was cut short (set until it finishes)."""
        return self.catalogue.get_meta("dirty") == "1"

    def mark_dirty(self) -> None:
        """Said before the first write of a run: a run cut short is repaired by the next."""
        self._write(lambda cat: (cat.set_meta("dirty", "1"), cat.commit()))

    def commit_generation(self) -> None:
        """The run's writes are complete: a new generation, no longer dirty."""
        with self.chroma_lock():  # no reader of this process reloads in between
            self._write(lambda cat: (cat.bump(), cat.set_meta("dirty", "0"), cat.commit()))
            self.mark_current()  # our writes are in this process's handle already

    def record_papers(self, rows: list[tuple[Paper, int, str]]) -> None:
        """Catalogue rows (paper, number of chunks, keyword tokens), committed together."""

        def write(cat: Catalogue) -> None:
            for p, n, tokens in rows:
                cat.upsert(p, n_chunks=n, tokens=tokens)
            cat.commit()

        self._write(write)

    def remove_papers(self, ids: list[str]) -> None:
        self._write(lambda cat: (cat.delete(ids), cat.commit()))

    def move_paper(self, paper: Paper) -> None:
        """A new file or position for an unchanged paper (committed with the next write)."""
        self._write(lambda cat: cat.move(paper))

    def _write(self, fn) -> None:
        try:
            fn(self.catalogue)
        except sqlite3.Error as e:
            raise write_failure(e, self.root) from None

    def keyword_current(self) -> bool:
        """Whether the saved BM25 index loads, is of the catalogue's generation and holds every
        catalogued paper."""
        from .keyword import KeywordIndex

        try:
            kw = KeywordIndex.load(self.index_dir)
        except Exception:  # noqa: BLE001 - damaged files: rebuild
            return False
        return (
            kw is not None
            and kw.generation == self.catalogue.generation
            and len(kw.ids) == self.catalogue.count()
        )

    # --- writer lock -----------------------------------------------------------------------------
    def write_lock(self, wait: float = 0.0, on_wait=None):
        """One writer per store. Waits up to ``wait`` seconds, then refuses clearly."""
        return write_lock(self.root, wait, on_wait)

    def replaced(self) -> bool:
        """Whether another process rebuilt this store's index (`rag ingest --rebuild`) since it
        was opened: this object then reads the old one."""
        return self.catalogue.replaced()

    def close(self) -> None:
        """Close the catalogue and release this Store's share of the process's Chroma handle."""
        if self._closed:
            return
        self._closed = True
        self.catalogue.close()
        self._collection = None
        _release_handle(self._h)
