"""The indexes a store directory holds, whatever their settings: their signatures, the files their
papers came from, and dropping them all (``rag ingest --rebuild``)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from ..config import Settings
from .catalogue import _sources
from .collections import base_dir, check_name, chroma_key


def other_sources(root: Path) -> list[str]:
    """Source files of every index in the store (what a rebuild should read again)."""
    out: set[str] = set()
    for p in sorted(root.glob("*/papers.sqlite")):
        try:
            db = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
            out.update(_sources(db))
            db.close()
        except sqlite3.Error:
            continue
    return sorted(out)


def other_indexes(root: Path, name: str) -> list[dict]:
    """The signatures of the store's indexes other than ``name`` (built with other settings)."""
    found: list[dict] = []
    if not root.is_dir():
        return found
    for p in sorted(root.glob("*/papers.sqlite")):
        if p.parent.name == name:
            continue
        try:
            db = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
            row = db.execute("SELECT value FROM meta WHERE key='signature'").fetchone()
            db.close()
            found.append(json.loads(row[0]) if row else {"format": "unknown", "dir": p.parent.name})
        except sqlite3.OperationalError as e:  # no meta table: an older, unknown layout
            kind = "unknown" if "no such table" in str(e) else "unreadable"
            found.append({"format": kind, "dir": p.parent.name})
        except sqlite3.Error:
            found.append({"format": "unreadable", "dir": p.parent.name})
    return found


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
