"""Chroma: this process's client per store (embedded PersistentClient or a ``chroma run`` server), shared and reloaded."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

from ..config import Settings
from ..errors import StoreError

CHROMA_MAX_BATCH = 5000


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


def writable(path: Path) -> bool:
    """Whether this process may write ``path`` (or, when it is not made yet, its nearest
    existing parent): False on a read-only mount for every user, root too, and in a directory
    this user may not write (chmod a-w)."""
    while not path.exists():
        if path.parent == path:
            return False
        path = path.parent
    return os.access(path, os.W_OK)


def _readonly_copy(path: Path) -> str:
    import atexit
    import shutil
    import tempfile

    if not path.is_dir():
        raise StoreError(f"no vectors at {path} (the store is read-only: nothing can be made)")
    tmp = tempfile.mkdtemp(prefix="rag-readonly-chroma-")
    atexit.register(shutil.rmtree, tmp, True)
    dst = Path(tmp) / "chroma"
    shutil.copytree(path, dst)
    return str(dst)


_HANDLES: dict[str, _ChromaHandle] = {}
_HANDLES_LOCK = threading.Lock()


class Embedded:
    """Chroma's PersistentClient under ``RAG_STORE/chroma``: one handle per directory and
    process, reloaded after another process's ingest (its vector index lives in memory)."""

    attempts = 1  # a local call that fails will fail again
    reloads = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = Path(settings.store) / "chroma"

    def where(self) -> str:
        return ""

    def failure_hint(self) -> str:
        return ""

    def empty_hint(self) -> str:
        return ""

    def collection_name(self, index_name: str, create: bool = True) -> str:
        return index_name

    def acquire(self) -> _ChromaHandle:
        key = str(self.path.resolve())
        with _HANDLES_LOCK:
            h = _HANDLES.get(key)
            if h is None:
                h = _HANDLES[key] = _ChromaHandle(key)
            h.users += 1
        return h

    def client(self):
        chromadb, csettings = _chromadb()
        if self.settings.store_readonly or not writable(self.path):
            # Chroma writes to its directory even to read (its SQLite log): a read-only store's
            # vectors are searched from a private copy, removed when the process ends
            return chromadb.PersistentClient(path=_readonly_copy(self.path), settings=csettings)
        self.path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(self.path), settings=csettings)


class Server:
    """A ``chroma run`` server (RAG_CHROMA_HOST): a client per Store, a failed call retried once
    on a new connection (a restarted server), nothing to reload (every process sees new chunks)."""

    attempts = 2
    reloads = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def address(self) -> str:
        s = self.settings
        return f"{'https' if s.chroma_ssl else 'http'}://{s.chroma_host}:{s.chroma_port}"

    def where(self) -> str:
        return f" on the Chroma server {self.address}"

    def failure_hint(self) -> str:
        return (
            f"; is the server running? (`chroma run --path DIR --port {self.settings.chroma_port}`)"
        )

    def empty_hint(self) -> str:
        local = Path(self.settings.store) / "chroma"
        if not local.is_dir():
            return ""
        return (
            f"`rag migrate` copies the embedded index (in {local}) there without re-embedding; or "
        )

    def collection_name(self, index_name: str, create: bool = True) -> str:
        """The signature name plus the store's id: stores sharing a server stay apart."""
        uid = store_uid(Path(self.settings.store), create=create)
        return f"{index_name}-{uid}" if uid else index_name

    def acquire(self) -> _ChromaHandle:
        h = _ChromaHandle(None)
        h.users += 1
        return h

    def client(self):
        chromadb, csettings = _chromadb()
        s = self.settings
        headers = {}
        if s.chroma_token:
            headers["Authorization"] = f"Bearer {s.chroma_token.get_secret_value()}"
        try:
            return chromadb.HttpClient(
                host=s.chroma_host,
                port=s.chroma_port,
                ssl=s.chroma_ssl,
                headers=headers,
                settings=csettings,
            )
        except Exception as e:  # noqa: BLE001 - only the type: the message may echo headers
            text = str(e).lower()
            if any(w in text for w in ("401", "403", "unauthori", "forbidden", "denied")):
                raise StoreError(
                    f"the Chroma server at {self.address} refused the request "
                    f"({type(e).__name__}): check RAG_CHROMA_TOKEN"
                    + ("" if s.chroma_token else " (it is not set)")
                ) from None
            raise StoreError(
                f"cannot reach the Chroma server at {self.address} "
                f"({type(e).__name__}); start it with `chroma run --path DIR --port "
                f"{s.chroma_port}`, check RAG_CHROMA_HOST/RAG_CHROMA_PORT, or unset "
                "RAG_CHROMA_HOST to use the embedded store"
            ) from None


def chroma_mode(settings: Settings) -> Embedded | Server:
    """How this store talks to Chroma: the one place that looks at RAG_CHROMA_HOST."""
    return Server(settings) if settings.chroma_host else Embedded(settings)


def _chromadb():
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb, ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def _release_handle(h: _ChromaHandle) -> None:
    with _HANDLES_LOCK:
        h.users -= 1
        if h.users <= 0:
            if h.key is not None and _HANDLES.get(h.key) is h:
                del _HANDLES[h.key]
            h.reopen()  # closes the client (under the lock: a new handle starts after it)


def server_address(settings: Settings) -> str:
    """host:port of the configured Chroma server (for messages)."""
    return Server(settings).address


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
    return chroma_mode(settings).collection_name(index_name, create=create)


def make_chroma_client(settings: Settings):
    """Embedded PersistentClient by default; an HttpClient when RAG_CHROMA_HOST is set."""
    return chroma_mode(settings).client()
