"""Named collections in one store: each its own catalogue, BM25 index and Chroma collection.

Layout::

    <store>/<index-name>/                       the default collection (the store as it was
                                                before collections: nothing moved or re-embedded)
    <store>/collections/<name>/<index-name>/    a named collection: its catalogue and BM25

Vectors: the default collection keeps today's Chroma collection (``<index-name>``, plus the
store's id on a server); a named one has its own, ``<index-name>.<name>``. Questions in one
collection therefore never search another's vectors, keyword index or catalogue. The store's
write lock, Chroma directory and server id are shared by all its collections.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..errors import ConfigError, NotFound
from .chroma import _release_handle, chroma_mode
from .lock import write_lock

DEFAULT = "default"
MAX_NAME = 32  # the Chroma name "<index-name>.<name>-<store id>" stays under Chroma's 63
_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?$")


def check_name(name: str | None) -> str:
    """A valid collection name (None or blank: the default one); ConfigError says the rule."""
    n = (name or "").strip()
    if not n:
        return DEFAULT
    if len(n) <= MAX_NAME and _NAME.match(n):
        return n
    hint = ""
    if _NAME.match(n.lower()) and len(n) <= MAX_NAME:
        hint = f" (use {n.lower()!r}: names are lower case)"
    raise ConfigError(
        f"collection name {n[:60]!r} is not allowed{hint}: use up to {MAX_NAME} lower-case "
        "letters, digits, '-' or '_', starting and ending with a letter or digit (e.g. "
        "'sleep-2024')"
    )


def collection_of(settings: Settings) -> str:
    return check_name(settings.collection)


def base_dir(settings: Settings, name: str | None = None) -> Path:
    """The directory a collection's index folders live in (the store itself for the default)."""
    name = check_name(name) if name is not None else collection_of(settings)
    root = Path(settings.store)
    return root if name == DEFAULT else root / "collections" / name


def index_dir(settings: Settings) -> Path:
    """The folder of the current settings' index in the chosen collection."""
    return base_dir(settings) / settings.collection_name()


def chroma_key(index_name: str, collection: str) -> str:
    """The Chroma collection (before a server's store id) of one index of one collection."""
    return index_name if collection == DEFAULT else f"{index_name}.{collection}"


def catalogue_files(root: Path) -> list[Path]:
    """Every catalogue of the store, of every collection and index signature."""
    return sorted(root.glob("*/papers.sqlite")) + sorted(root.glob("collections/*/*/papers.sqlite"))


@dataclass
class CollectionInfo:
    name: str
    papers: int | None  # None: no index of the current settings in it yet
    note: str = ""

    def to_dict(self) -> dict:
        d: dict = {"name": self.name, "papers": self.papers}
        if self.note:
            d["note"] = self.note
        return d


def names(settings: Settings) -> list[str]:
    """The collections of the store: the default one first, then the others by name."""
    found = []
    top = Path(settings.store) / "collections"
    if top.is_dir():
        for p in sorted(top.iterdir()):
            if p.is_dir() and _NAME.match(p.name) and len(p.name) <= MAX_NAME:
                found.append(p.name)
    return [DEFAULT, *(n for n in found if n != DEFAULT)]


def exists(settings: Settings, name: str) -> bool:
    name = check_name(name)
    return name == DEFAULT or base_dir(settings, name).is_dir()


def _count(path: Path) -> int | None:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return int(db.execute("SELECT COUNT(*) FROM papers").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return None


def describe(settings: Settings) -> list[CollectionInfo]:
    """Every collection with its number of papers (``rag collections``)."""
    out = []
    for name in names(settings):
        base = base_dir(settings, name)
        cat = base / settings.collection_name() / "papers.sqlite"
        if cat.is_file():
            n = _count(cat)
            out.append(CollectionInfo(name, n, "" if n is not None else "catalogue unreadable"))
        elif any(base.glob("*/papers.sqlite")):
            out.append(CollectionInfo(name, None, "built with other settings: ingest again"))
        else:
            out.append(CollectionInfo(name, None, "empty" if name != DEFAULT else "not built yet"))
    return out


def make(settings: Settings, name: str) -> Path:
    """Create a named collection's folder (its index is made by the first ingest into it)."""
    name = check_name(name)
    base = base_dir(settings, name)
    base.mkdir(parents=True, exist_ok=True)
    return base


def delete(settings: Settings, name: str, wait: float = 0.0) -> int:
    """Remove a named collection: its vectors, catalogue and keyword index (every index
    signature in it); returns how many papers it held. The default one cannot be deleted."""
    name = check_name(name)
    if name == DEFAULT:
        raise ConfigError(
            "the default collection cannot be deleted: `rag ingest --rebuild` rebuilds it"
        )
    base = base_dir(settings, name)
    if not base.is_dir():
        raise NotFound(f"no collection {name!r} in {settings.store}: `rag collections` lists them")
    with write_lock(Path(settings.store), wait):
        held = next((i.papers for i in describe(settings) if i.name == name), None)
        keys = [chroma_key(p.parent.name, name) for p in base.glob("*/papers.sqlite")]
        drop_chroma(settings, keys)
        shutil.rmtree(base)
    return held or 0


def drop_chroma(settings: Settings, keys: list[str]) -> None:
    """Delete these Chroma collections through this process's handle of the store (so a Store
    of this process open on the same directory is not cut off under its feet)."""
    if not keys:
        return
    mode = chroma_mode(settings)
    h = mode.acquire()
    try:
        with h.lock:
            if h.client is None:
                h.client = mode.client()
                h.loaded = {}
            for key in keys:
                with contextlib.suppress(Exception):  # noqa: BLE001 - it may not exist
                    h.client.delete_collection(mode.collection_name(key, create=False))
            h.epoch += 1  # every Store drops its collection objects of this client
    finally:
        _release_handle(h)
