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

import contextlib
import errno
import json
import shlex
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from ..config import Settings
from ..errors import StoreDamaged, StoreError, StoreIncompatible, StoreReadOnly
from ..records import Paper
from .catalogue import Catalogue, _sources
from .chroma import CHROMA_MAX_BATCH, _release_handle, chroma_mode, writable
from .collections import DEFAULT, base_dir, catalogue_files, check_name, chroma_key
from .lock import write_lock

_DISK_FULL = ("disk is full", "no space left", "failed to apply logs", "enospc", "quota exceeded")
_READ_ONLY = ("readonly", "read-only", "read only")


def write_failure(e: BaseException, root: Path) -> StoreError:
    """A failed write to the store, said in plain words (disk full, read-only, permission)."""
    text = f"{type(e).__name__}: {e}".lower()
    code = getattr(e, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT) or any(w in text for w in _DISK_FULL):
        return StoreError(
            f"the disk holding the store {root} is full: free some space (or set RAG_STORE to a "
            "directory on another disk) and run `rag ingest` again; nothing already indexed was "
            "lost and the next run finishes this one"
        )
    if code == errno.EROFS or any(w in text for w in _READ_ONLY):
        return StoreReadOnly(
            f"the store {root} is read-only (its directory or files cannot be written): it can "
            "be searched, not changed; ingest into a writable copy (cp -r, then set RAG_STORE)"
        )
    if code in (errno.EACCES, errno.EPERM) or "permission denied" in text:
        return StoreError(
            f"permission denied writing to the store {root}: this user may not write there; "
            "check the directory's owner and permissions, or set RAG_STORE to a directory you own"
        )
    if isinstance(e, StoreError):
        return e
    return StoreError(f"writing to the store {root} failed ({type(e).__name__}: {str(e)[:200]})")


def _writable(root: Path) -> bool:
    """Whether this process may write the store (its directory, Chroma's, the catalogue's)."""
    dirs = [root, root / "chroma", *(p.parent for p in catalogue_files(root))]
    return all(writable(d) for d in dirs if d.exists() or d == root)


def rebuild_hint(settings: Settings, sources: Iterable[str] = ()) -> str:
    """The command that rebuilds the store from the files its papers came from."""
    from ..parse.common import resolve_source

    dirs = sorted({str(resolve_source(s).parent) for s in sources})
    if dirs == [str(Path(settings.corpus).resolve())]:
        dirs = []  # the bundled corpus is what `rag ingest` reads by default
    more = ""
    if len(dirs) > 6:
        dirs, more = dirs[:6], f" (and the other {len(dirs) - 6} folders its papers came from)"
    from ..config import _default_store

    cmd = "rag ingest --rebuild" + "".join(" " + shlex.quote(d) for d in dirs)
    if Path(settings.store).resolve() != _default_store().resolve():
        cmd = f"RAG_STORE={shlex.quote(str(settings.store))} {cmd}"
    return (
        f"rebuild it with `{cmd}`{more} (this drops the old index and embeds the abstracts "
        "again), or point RAG_STORE at another directory"
    )


class Store:
    """Opens the index that matches the current settings (or refuses with how to rebuild)."""

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
        out: set[str] = set()
        for p in sorted(self.base.glob("*/papers.sqlite")):
            try:
                db = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
                out.update(_sources(db))
                db.close()
            except sqlite3.Error:
                continue
        return sorted(out)

    def other_indexes(self) -> list[dict]:
        found = []
        if not self.base.is_dir():
            return found
        for p in sorted(self.base.glob("*/papers.sqlite")):
            if p.parent.name == self.name:
                continue
            try:
                db = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
                row = db.execute("SELECT value FROM meta WHERE key='signature'").fetchone()
                db.close()
                found.append(
                    json.loads(row[0]) if row else {"format": "unknown", "dir": p.parent.name}
                )
            except sqlite3.OperationalError as e:  # no meta table: an older, unknown layout
                kind = "unknown" if "no such table" in str(e) else "unreadable"
                found.append({"format": kind, "dir": p.parent.name})
            except sqlite3.Error:
                found.append({"format": "unreadable", "dir": p.parent.name})
        return found

    # --- Chroma --------------------------------------------------------------------------------
    @property
    def client(self):
        h = self._h
        with h.lock:
            if h.client is None:
                gen = self._stamp()  # read first: a change while Chroma starts
                h.client = self.mode.client()  # is caught on the next call
                h.epoch += 1
                h.loaded = {self.key: gen}
            return h.client

    @property
    def collection(self):
        if self._collection is not None and self._epoch != self._h.epoch:
            self._collection = None  # the process's Chroma handle was reopened meanwhile
        if self._collection is None:
            gen = self._stamp()
            meta = {
                "hnsw:space": "cosine",
                **{f"rag_{k}": str(v) for k, v in self.signature.items()},
            }
            try:
                self._collection = self.client.get_or_create_collection(
                    self.chroma_name, metadata=meta
                )
            except StoreError:
                raise
            except Exception as e:  # chromadb raises many types; say where it failed
                raise StoreError(
                    f"cannot open the Chroma collection {self.chroma_name}{self._where()}: "
                    f"{type(e).__name__}: {e}"
                ) from None
            stored = self._collection.metadata or {}
            for k, v in self.signature.items():
                if stored.get(f"rag_{k}") not in (None, str(v)):
                    raise StoreIncompatible(
                        f"Chroma collection {self.key} was built with {k}={stored.get(f'rag_{k}')}, "
                        f"not {v}: " + rebuild_hint(self.settings, self.catalogue.sources())
                    )
            self._epoch = self._h.epoch
            self._h.loaded.setdefault(self.key, gen)
            if self._reader:
                self._check_vectors()
        return self._collection

    def _refresh(self) -> None:
        """Reopen embedded Chroma when another process changed the index since it was loaded.

        Chroma's embedded client keeps the vector index it loaded in memory: chunks another
        process writes afterwards are counted but never found by a query. The catalogue's
        generation, bumped by every ingest that changed something, says when to reload: one
        index load, paid by the first call after another process's ingest. A Chroma server
        needs none of this."""
        if not self.mode.reloads or self._h.client is None:
            return
        loaded = self._h.loaded.get(self.key)
        if loaded is not None and loaded != self._stamp():
            self._h.reopen()

    def _stamp(self) -> tuple[int, int]:
        """Which catalogue file, at which generation: what the Chroma handle was loaded for."""
        return (self.catalogue.ino, self.catalogue.generation)

    def chroma_lock(self):
        """Held by every Chroma call of this process on this store (and by reloads)."""
        return self._h.lock

    def mark_current(self) -> None:
        """This process made the index's latest change itself: its Chroma handle is current."""
        with self._h.lock:
            self._h.loaded[self.key] = self._stamp()

    def _where(self) -> str:
        return self.mode.where()

    def _check_vectors(self) -> None:
        """A reader refuses a catalogue whose vectors are gone (a new or wiped Chroma server)."""
        papers = self.catalogue.count()
        if papers and self._collection.count() == 0:
            self._collection = None
            raise StoreError(
                f"the Chroma collection {self.chroma_name}{self._where()} holds no vectors, but "
                f"the catalogue in {self.index_dir} lists {papers} papers: "
                + self.mode.empty_hint()
                + f"run `{self._ingest_cmd()}` (no path needed): it embeds them again from the "
                "catalogue, which keeps every abstract"
            )

    def _ingest_cmd(self) -> str:
        from ..config import _default_store

        if Path(self.settings.store).resolve() != _default_store().resolve():
            return f"RAG_STORE={shlex.quote(str(self.settings.store))} rag ingest"
        return "rag ingest"

    def _run(self, what: str, fn):
        """One Chroma call. On a server, a failed call reconnects and retries once (a
        restarted server); what still fails becomes a StoreError that says where."""
        attempts = self.mode.attempts
        for attempt in range(attempts):
            try:
                with self._h.lock:
                    self._refresh()
                    return fn(self.collection)
            except StoreError:
                raise
            except Exception as e:  # noqa: BLE001 - chromadb and httpx raise many types
                text = str(e).lower()
                if any(w in text for w in _DISK_FULL + _READ_ONLY):
                    raise write_failure(e, self.root) from None
                if attempt + 1 < attempts:
                    self._h.reopen()  # a restarted server: connect again
                    time.sleep(0.5)
                    continue
                raise StoreError(
                    f"Chroma failed while {what}{self._where()} ({type(e).__name__}: "
                    f"{str(e)[:200]}){self.mode.failure_hint()}"
                ) from None
        raise AssertionError("unreachable")

    def chunk_count(self) -> int:
        """Chunks in Chroma."""
        return self._run("counting chunks", lambda c: c.count())

    def vectors_match(self) -> bool:
        """Whether Chroma holds exactly the chunks the catalogue counts (cheap: two counts)."""
        row = self.catalogue.db.execute(
            "SELECT COALESCE(SUM(MAX(n_chunks, 0)), 0) FROM papers"
        ).fetchone()
        return int(row[0]) == self._run("counting chunks", lambda c: c.count())

    def add_chunks(
        self, ids: list[str], embeddings, documents: list[str], metadatas: list[dict]
    ) -> None:
        limit = self.max_batch()
        for s in range(0, len(ids), limit):
            self._run(
                "writing chunks",
                lambda c, s=s: c.upsert(
                    ids=ids[s : s + limit],
                    embeddings=embeddings[s : s + limit],
                    documents=documents[s : s + limit],
                    metadatas=metadatas[s : s + limit],
                ),
            )

    def max_batch(self) -> int:
        """Records per Chroma write: the client's own limit, at most CHROMA_MAX_BATCH."""
        if self._max_batch is None:
            limit = CHROMA_MAX_BATCH
            with contextlib.suppress(Exception):
                limit = min(limit, int(self.client.get_max_batch_size()))
            self._max_batch = max(limit, 1)
        return self._max_batch

    def delete_papers(self, paper_ids: list[str]) -> None:
        for s in range(0, len(paper_ids), 500):
            chunk = paper_ids[s : s + 500]
            self._run(
                "deleting chunks",
                lambda c, chunk=chunk: c.delete(where={"paper_id": {"$in": chunk}}),
            )

    def chunk_pages(self, include: list[str], step: int = 5000) -> Iterator[dict]:
        """Every chunk in Chroma, a page of ``step`` at a time (``get`` results)."""
        total = self._run("counting chunks", lambda c: c.count())
        for off in range(0, total, step):
            yield self._run(
                "listing chunks",
                lambda c, off=off: c.get(include=include, limit=step, offset=off),
            )

    def chunk_vectors(self, paper_ids: list[str]) -> dict[str, np.ndarray]:
        """paper_id -> matrix of its chunk vectors, read back from Chroma (nothing re-embedded)."""
        out: dict[str, list] = {}
        for s in range(0, len(paper_ids), 200):
            ids = paper_ids[s : s + 200]
            got = self._run(  # retried once on a Chroma server; a failure is a StoreError
                "reading chunk vectors",
                lambda c, ids=ids: c.get(
                    where={"paper_id": {"$in": ids}}, include=["embeddings", "metadatas"]
                ),
            )
            for m, e in zip(got["metadatas"] or [], got["embeddings"], strict=False):
                out.setdefault(m["paper_id"], []).append(np.asarray(e, dtype=np.float32))
        return {pid: np.stack(v) for pid, v in out.items()}

    def chunk_ids(self) -> list[str]:
        return [i for got in self.chunk_pages([]) for i in got["ids"]]

    def chunk_inventory(self) -> dict[str, set[str]]:
        """paper_id -> set of content hashes that have chunks in Chroma."""
        inv: dict[str, set[str]] = {}
        for got in self.chunk_pages(["metadatas"]):
            for m in got["metadatas"] or []:
                inv.setdefault(m["paper_id"], set()).add(m.get("hash", ""))
        return inv

    def query_dense(
        self, vector, n_chunks: int, only: set[str] | None = None
    ) -> list[tuple[str, float, str, int]]:
        """(paper_id, cosine similarity, chunk text, chunk index), best first; ``only``: the
        papers allowed (a filter), applied by Chroma's ``where`` inside the search."""
        # one round trip: Chroma returns what it has when n_results exceeds the count
        kw: dict = {}
        if only is not None:
            if not only:
                return []
            ids = sorted(only)
            kw["where"] = {"paper_id": ids[0]} if len(ids) == 1 else {"paper_id": {"$in": ids}}
        res = self._run(
            "searching",
            lambda c: c.query(
                query_embeddings=[vector],
                n_results=max(1, n_chunks),
                include=["metadatas", "documents", "distances"],
                **kw,
            ),
        )
        out = []
        for m, d, dist in zip(
            res["metadatas"][0], res["documents"][0], res["distances"][0], strict=False
        ):
            out.append((m["paper_id"], 1.0 - float(dist), d, int(m.get("chunk", 0))))
        return out

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
        path = base_dir(settings) / settings.collection_name() / "papers.sqlite"
        if not path.is_file() or path.stat().st_size == 0:
            return []
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                return _sources(db)
            finally:
                db.close()
        except sqlite3.Error:
            return []

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

    def close(self) -> None:
        """Close the catalogue and release this Store's share of the process's Chroma handle."""
        if self._closed:
            return
        self._closed = True
        self.catalogue.close()
        self._collection = None
        _release_handle(self._h)


def drop_indexes(settings: Settings) -> None:
    """Remove every index of the chosen collection, whatever its settings (``rag ingest
    --rebuild``); the store's other collections are left as they are."""
    import shutil

    from .collections import drop_chroma

    base = base_dir(settings)
    label = check_name(settings.collection)
    names = {p.parent.name for p in base.glob("*/papers.sqlite")} | {settings.collection_name()}
    drop_chroma(settings, [chroma_key(name, label) for name in sorted(names)])
    for name in names:
        shutil.rmtree(base / name, ignore_errors=True)
