"""The store: Chroma (chunk vectors), a SQLite catalogue of papers, and the BM25 index.

Layout under the store directory::

    chroma/                 Chroma's PersistentClient data (unless a Chroma server is used)
    <index-name>/           one folder per index signature (embedding model, chunking, format)
        papers.sqlite       the catalogue: every paper, its content hash, keyword tokens
        keyword.*           the BM25 matrix, rebuilt from the catalogue after each ingest
    .lock                   held by the one process that writes

The index name is a hash of the signature, so vectors of different models or chunkings never
mix. SQLite is the source of truth; Chroma and BM25 are reconciled against it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import sqlite3
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from .config import Settings
from .errors import StoreError, StoreIncompatible, StoreLocked
from .parse import Paper

CHROMA_MAX_BATCH = 5000


def rebuild_hint(settings: Settings, sources: Iterable[str] = ()) -> str:
    """The command that rebuilds the store from the files its papers came from."""
    from .parse import resolve_source

    dirs = sorted({str(resolve_source(s).parent) for s in sources})
    if dirs == [str(Path(settings.corpus).resolve())]:
        dirs = []  # the bundled corpus is what `rag ingest` reads by default
    more = ""
    if len(dirs) > 6:
        dirs, more = dirs[:6], f" (and the other {len(dirs) - 6} folders its papers came from)"
    from .config import _default_store

    cmd = "rag ingest --rebuild" + "".join(" " + shlex.quote(d) for d in dirs)
    if Path(settings.store).resolve() != _default_store().resolve():
        cmd = f"RAG_STORE={shlex.quote(str(settings.store))} {cmd}"
    return (
        f"rebuild it with `{cmd}`{more} (this drops the old index and embeds the abstracts "
        "again), or point RAG_STORE at another directory"
    )


def _sources(db: sqlite3.Connection) -> list[str]:
    try:
        return [r[0] for r in db.execute("SELECT DISTINCT source FROM papers")]
    except sqlite3.Error:
        return []


@contextlib.contextmanager
def write_lock(root: Path, wait: float = 0.0) -> Iterator[None]:
    """One writer per store directory (an flock on ``.lock``, released if the process dies).

    Waits up to ``wait`` seconds, then refuses clearly."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    path = root / ".lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    announced = False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                if time.monotonic() >= deadline:
                    then = (
                        f"it was still writing after {wait:g}s: wait longer (--wait SECONDS)"
                        if wait > 0
                        else "wait for it to finish, or pass --wait SECONDS to queue behind it"
                    )
                    raise StoreLocked(
                        f"another process (pid {holder}) is writing to the store {root}; {then}"
                    ) from None
                if not announced:  # say why nothing happens while we queue
                    print(
                        f"waiting for another process (pid {holder}) to finish writing to "
                        f"{root} (up to {wait:g}s)",
                        file=sys.stderr,
                        flush=True,
                    )
                    announced = True
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


class Catalogue:
    """SQLite table of papers: the source of truth for what is indexed."""

    def __init__(self, path: Path, signature: dict) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        try:
            self._open(signature)
        except sqlite3.DatabaseError as e:
            self.db.close()
            raise StoreIncompatible(
                f"the catalogue {path} is damaged or not a catalogue ({e})"
            ) from None
        except StoreIncompatible:
            self.db.close()
            raise
        self.ino = os.stat(path).st_ino  # a rebuild replaces the file: see replaced()

    def _open(self, signature: dict) -> None:
        path = self.path
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            """CREATE TABLE IF NOT EXISTS papers (
                 paper_id TEXT PRIMARY KEY, hash TEXT NOT NULL, source TEXT NOT NULL,
                 position INTEGER NOT NULL, n_chunks INTEGER NOT NULL, tokens TEXT NOT NULL,
                 data TEXT NOT NULL)"""
        )
        self.db.execute("CREATE INDEX IF NOT EXISTS papers_source ON papers(source)")
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        self.db.commit()
        stored = self.get_meta("signature")
        if stored is None:
            self.set_meta("signature", json.dumps(signature, sort_keys=True))
            self.set_meta("generation", "0")
            self.db.commit()
        elif json.loads(stored) != signature:
            raise StoreIncompatible(
                f"the index at {path.parent} was built with "
                f"{json.dumps(json.loads(stored), sort_keys=True)}, not the current settings "
                f"{json.dumps(signature, sort_keys=True)}"
            )

    def replaced(self) -> bool:
        """Whether another process replaced this catalogue file (`rag ingest --rebuild`): this
        connection then reads the old, deleted one."""
        try:
            return os.stat(self.path).st_ino != self.ino
        except FileNotFoundError:
            return False  # dropped and not yet made again: keep answering from this one

    def sources(self) -> list[str]:
        """The files the indexed papers came from."""
        return _sources(self.db)

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    def bump(self) -> None:
        self.set_meta("generation", str(self.generation + 1))

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM papers").fetchone()[0]

    def hashes(self) -> dict[str, tuple[str, str, int]]:
        """paper_id -> (hash, source, position)."""
        return {
            r[0]: (r[1], r[2], r[3])
            for r in self.db.execute("SELECT paper_id, hash, source, position FROM papers")
        }

    def get(self, paper_id: str) -> Paper | None:
        row = self.db.execute("SELECT data FROM papers WHERE paper_id=?", (paper_id,)).fetchone()
        return Paper.from_dict(json.loads(row[0])) if row else None

    def get_many(self, ids: list[str]) -> dict[str, Paper]:
        out: dict[str, Paper] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            q = "SELECT paper_id, data FROM papers WHERE paper_id IN (%s)" % ",".join(
                "?" * len(chunk)
            )
            for pid, data in self.db.execute(q, chunk):
                out[pid] = Paper.from_dict(json.loads(data))
        return out

    def all(self) -> Iterator[Paper]:
        for (data,) in self.db.execute("SELECT data FROM papers ORDER BY source, position"):
            yield Paper.from_dict(json.loads(data))

    def keyword_docs(self) -> list[tuple[str, str]]:
        return list(self.db.execute("SELECT paper_id, tokens FROM papers ORDER BY paper_id"))

    def upsert(self, paper: Paper, n_chunks: int, tokens: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO papers(paper_id, hash, source, position, n_chunks, tokens, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                paper.paper_id,
                paper.content_hash(),
                paper.source,
                paper.position,
                n_chunks,
                tokens,
                json.dumps(paper.to_dict(), ensure_ascii=False),
            ),
        )

    def move(self, paper: Paper) -> None:
        """Record a new file or position for an unchanged paper (its chunks stay as they are)."""
        self.db.execute(
            "UPDATE papers SET source=?, position=?, data=? WHERE paper_id=?",
            (
                paper.source,
                paper.position,
                json.dumps(paper.to_dict(), ensure_ascii=False),
                paper.paper_id,
            ),
        )

    def delete(self, ids: list[str]) -> None:
        self.db.executemany("DELETE FROM papers WHERE paper_id=?", [(i,) for i in ids])

    def commit(self) -> None:
        self.db.commit()

    def close(self) -> None:
        self.db.close()


class Store:
    """Opens the index that matches the current settings (or refuses with how to rebuild)."""

    def __init__(self, settings: Settings, *, create: bool = False) -> None:
        self.settings = settings
        self.root = Path(settings.store)
        self.name = settings.collection_name()
        self.index_dir = self.root / self.name
        self.signature = settings.index_signature()
        if not create and not (self.index_dir / "papers.sqlite").exists():
            others = self.other_indexes()
            if others:
                desc = "; ".join(json.dumps(o, sort_keys=True) for o in others)
                raise StoreIncompatible(
                    f"the store {self.root} holds an index built with other settings ({desc}); "
                    f"the current settings are {json.dumps(self.signature, sort_keys=True)}: "
                    + rebuild_hint(settings, self.other_sources())
                )
            raise StoreError(
                f"no index in {self.root} yet: run `rag ingest` (it reads {settings.corpus} "
                "by default) or give files: `rag ingest PATH...`"
            )
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            self.catalogue = Catalogue(self.index_dir / "papers.sqlite", self.signature)
        except StoreIncompatible as e:
            raise StoreIncompatible(
                f"{e}: " + rebuild_hint(settings, self.other_sources())
            ) from None
        self._collection = None
        self._epoch = -1  # the handle's epoch this collection object belongs to
        self._keyword = None
        self._reader = not create
        self._max_batch: int | None = None
        self.chroma_name = chroma_collection_name(settings, self.name, create=create)
        self._h = _acquire_handle(settings)
        self._closed = False

    # --- indexes built with other settings ---------------------------------------------------
    def other_sources(self) -> list[str]:
        """Source files of every index in the store (what a rebuild should read again)."""
        out: set[str] = set()
        for p in sorted(self.root.glob("*/papers.sqlite")):
            try:
                db = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
                out.update(_sources(db))
                db.close()
            except sqlite3.Error:
                continue
        return sorted(out)

    def other_indexes(self) -> list[dict]:
        found = []
        if not self.root.is_dir():
            return found
        for p in sorted(self.root.glob("*/papers.sqlite")):
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
                h.client = make_chroma_client(self.settings)  # is caught on the next call
                h.epoch += 1
                h.loaded = {self.name: gen}
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
                        f"Chroma collection {self.name} was built with {k}={stored.get(f'rag_{k}')}, "
                        f"not {v}: " + rebuild_hint(self.settings, self.catalogue.sources())
                    )
            self._epoch = self._h.epoch
            self._h.loaded.setdefault(self.name, gen)
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
        if self.settings.chroma_host or self._h.client is None:
            return
        loaded = self._h.loaded.get(self.name)
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
            self._h.loaded[self.name] = self._stamp()

    def _where(self) -> str:
        if not self.settings.chroma_host:
            return ""
        return f" on the Chroma server {server_address(self.settings)}"

    def _check_vectors(self) -> None:
        """A reader refuses a catalogue whose vectors are gone (a new or wiped Chroma server)."""
        papers = self.catalogue.count()
        if papers and self._collection.count() == 0:
            self._collection = None
            raise StoreError(
                f"the Chroma collection {self.chroma_name}{self._where()} holds no vectors, but "
                f"the catalogue in {self.index_dir} lists {papers} papers: "
                + (
                    "`rag migrate` copies the embedded index (in "
                    f"{self.root / 'chroma'}) there without re-embedding; or "
                    if self.settings.chroma_host and (self.root / "chroma").is_dir()
                    else ""
                )
                + "run `rag ingest` with the same files to embed them again (it repairs the index)"
            )

    def _run(self, what: str, fn):
        """One Chroma call. On a server, a failed call reconnects and retries once (a
        restarted server); what still fails becomes a StoreError that says where."""
        attempts = 2 if self.settings.chroma_host else 1
        for attempt in range(attempts):
            try:
                with self._h.lock:
                    self._refresh()
                    return fn(self.collection)
            except StoreError:
                raise
            except Exception as e:  # noqa: BLE001 - chromadb and httpx raise many types
                if attempt + 1 < attempts:
                    self._h.reopen()  # a restarted server: connect again
                    time.sleep(0.5)
                    continue
                hint = ""
                if self.settings.chroma_host:
                    hint = (
                        "; is the server running? (`chroma run --path DIR --port "
                        f"{self.settings.chroma_port}`)"
                    )
                raise StoreError(
                    f"Chroma failed while {what}{self._where()} ({type(e).__name__}: "
                    f"{str(e)[:200]}){hint}"
                ) from None
        raise AssertionError("unreachable")

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

    def chunk_ids(self) -> list[str]:
        return [i for got in self.chunk_pages([]) for i in got["ids"]]

    def chunk_inventory(self) -> dict[str, set[str]]:
        """paper_id -> set of content hashes that have chunks in Chroma."""
        inv: dict[str, set[str]] = {}
        for got in self.chunk_pages(["metadatas"]):
            for m in got["metadatas"] or []:
                inv.setdefault(m["paper_id"], set()).add(m.get("hash", ""))
        return inv

    def query_dense(self, vector, n_chunks: int) -> list[tuple[str, float, str, int]]:
        """(paper_id, cosine similarity, chunk text, chunk index), best first."""
        # one round trip: Chroma returns what it has when n_results exceeds the count
        res = self._run(
            "searching",
            lambda c: c.query(
                query_embeddings=[vector],
                n_results=max(1, n_chunks),
                include=["metadatas", "documents", "distances"],
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
        kw.save(self.index_dir)
        self._keyword = kw

    # --- writer lock -----------------------------------------------------------------------------
    def write_lock(self, wait: float = 0.0):
        """One writer per store. Waits up to ``wait`` seconds, then refuses clearly."""
        return write_lock(self.root, wait)

    def close(self) -> None:
        """Close the catalogue and release this Store's share of the process's Chroma handle."""
        if self._closed:
            return
        self._closed = True
        self.catalogue.close()
        self._collection = None
        _release_handle(self._h)


class _ChromaHandle:
    """This process's one Chroma client for a store directory, shared by its Store objects.

    Sharing it lets one Store reload the embedded index for all of them (Chroma itself shares
    one System per path and process, so per-Store clients could not reload it), and ``lock``
    keeps a reload from happening under another Store's call. A server client is per Store."""

    def __init__(self, key: str | None) -> None:
        self.key = key
        self.lock = threading.RLock()
        self.client = None
        self.epoch = 0
        self.loaded: dict[str, tuple[int, int]] = {}  # index name -> Store._stamp() at load
        self.users = 0

    def reopen(self) -> None:
        with self.lock:
            if self.client is not None:
                with contextlib.suppress(Exception):
                    self.client.close()  # the only client on this path: Chroma's System stops
            self.client = None
            self.loaded = {}
            self.epoch += 1  # every Store drops its collection object of the old client


_HANDLES: dict[str, _ChromaHandle] = {}
_HANDLES_LOCK = threading.Lock()


def _acquire_handle(settings: Settings) -> _ChromaHandle:
    if settings.chroma_host:
        h = _ChromaHandle(None)
    else:
        key = str((Path(settings.store) / "chroma").resolve())
        with _HANDLES_LOCK:
            h = _HANDLES.get(key)
            if h is None:
                h = _HANDLES[key] = _ChromaHandle(key)
    with _HANDLES_LOCK:
        h.users += 1
    return h


def _release_handle(h: _ChromaHandle) -> None:
    with _HANDLES_LOCK:
        h.users -= 1
        if h.users <= 0:
            if h.key is not None and _HANDLES.get(h.key) is h:
                del _HANDLES[h.key]
            h.reopen()  # closes the client (under the lock: a new handle starts after it)


def server_address(settings: Settings) -> str:
    """host:port of the configured Chroma server (for messages)."""
    scheme = "https" if settings.chroma_ssl else "http"
    return f"{scheme}://{settings.chroma_host}:{settings.chroma_port}"


def store_uid(root: Path, create: bool = True) -> str | None:
    """A random id of this store directory, made once: it keeps the collections of different
    stores apart on a shared Chroma server."""
    path = root / "chroma-server-id"
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        if not create:
            return None
    import uuid

    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".chroma-server-id.{os.getpid()}"
    tmp.write_text(uuid.uuid4().hex[:12])
    try:
        os.link(tmp, path)  # atomic: the first writer wins, the others read its id
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def chroma_collection_name(settings: Settings, index_name: str, create: bool = True) -> str:
    """The collection of one index: its signature name, plus the store id on a server."""
    if not settings.chroma_host:
        return index_name
    uid = store_uid(Path(settings.store), create=create)
    return f"{index_name}-{uid}" if uid else index_name


def make_chroma_client(settings: Settings):
    """Embedded PersistentClient by default; an HttpClient when RAG_CHROMA_HOST is set."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    csettings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        headers = {}
        if settings.chroma_token:
            headers["Authorization"] = f"Bearer {settings.chroma_token.get_secret_value()}"
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                ssl=settings.chroma_ssl,
                headers=headers,
                settings=csettings,
            )
        except Exception as e:  # noqa: BLE001 - only the type: the message may echo headers
            text = str(e).lower()
            if any(w in text for w in ("401", "403", "unauthori", "forbidden", "denied")):
                raise StoreError(
                    f"the Chroma server at {server_address(settings)} refused the request "
                    f"({type(e).__name__}): check RAG_CHROMA_TOKEN"
                    + ("" if settings.chroma_token else " (it is not set)")
                ) from None
            raise StoreError(
                f"cannot reach the Chroma server at {server_address(settings)} "
                f"({type(e).__name__}); start it with `chroma run --path DIR --port "
                f"{settings.chroma_port}`, check RAG_CHROMA_HOST/RAG_CHROMA_PORT, or unset "
                "RAG_CHROMA_HOST to use the embedded store"
            ) from None
    path = Path(settings.store) / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=csettings)
