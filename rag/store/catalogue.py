"""The catalogue: a SQLite table of every paper (its text, content hash and keyword tokens), the source of truth of the index."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from ..errors import StoreDamaged, StoreIncompatible
from ..records import Paper


def _sources(db: sqlite3.Connection) -> list[str]:
    try:
        return [r[0] for r in db.execute("SELECT DISTINCT source FROM papers")]
    except sqlite3.Error:
        return []


_HEADER = b"SQLite format 3\x00"


# catalogue files this process has open connections to (path -> count). Their header is not
# read again: closing any other descriptor of a SQLite file drops this process's POSIX locks on
# it, under the feet of its open connections.
_OPEN: dict[str, int] = {}
_OPEN_LOCK = threading.Lock()


def check_file(path: Path) -> None:
    """Refuse a catalogue file that is empty, truncated or not SQLite at all (never read as an
    empty index: the next ingest would delete every other paper's vectors)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return  # a new index
    if size == 0:
        raise StoreDamaged(f"the catalogue {path} is empty (0 bytes): it was truncated")
    with _OPEN_LOCK:
        if _OPEN.get(str(path.resolve())):
            return
        with open(path, "rb") as f:
            head = f.read(100)
    if not head.startswith(_HEADER):
        raise StoreDamaged(
            f"the catalogue {path} is damaged or not a catalogue (not a SQLite file)"
        )
    if len(head) < 100:
        raise StoreDamaged(f"the catalogue {path} is truncated ({size} bytes)")
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(head[28:32], "big")
    valid = head[92:96] == head[24:28]  # the page count is trustworthy (SQLite >= 3.7.0)
    if valid and pages and size < page * pages:
        raise StoreDamaged(
            f"the catalogue {path} is truncated ({size:,} of {page * pages:,} bytes)"
        )


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection. A WAL database in a directory that cannot be written has no
    shared-memory file to open: it is then read as immutable (nobody can change it there)."""
    if not path.is_file():
        raise StoreDamaged(f"no catalogue at {path}")
    uri = f"file:{path}?mode=ro"
    db = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
    try:
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError:
        db.close()
    return sqlite3.connect(f"{uri}&immutable=1", uri=True, check_same_thread=False)


class Catalogue:
    """SQLite table of papers: the source of truth for what is indexed."""

    def __init__(self, path: Path, signature: dict, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        check_file(path)
        if readonly:
            self.db = _connect_readonly(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        try:
            if readonly:
                self._check_signature(signature)
            else:
                self._open(signature)
        except sqlite3.DatabaseError as e:
            self.db.close()
            if "readonly" in str(e) or "read-only" in str(e):
                raise
            raise StoreDamaged(
                f"the catalogue {path} is damaged or not a catalogue ({e})"
            ) from None
        except StoreIncompatible:
            self.db.close()
            raise
        self.ino = os.stat(path).st_ino  # a rebuild replaces the file: see replaced()
        self._key = str(path.resolve())
        with _OPEN_LOCK:
            _OPEN[self._key] = _OPEN.get(self._key, 0) + 1

    def _open(self, signature: dict) -> None:
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
        if self.get_meta("signature") is None:
            self.set_meta("signature", json.dumps(signature, sort_keys=True))
            self.set_meta("generation", "0")
            self.db.commit()
        self._check_signature(signature)

    def _check_signature(self, signature: dict) -> None:
        path = self.path
        stored = self.get_meta("signature")
        if stored is None:
            raise StoreDamaged(f"the catalogue {path} has no signature (not a catalogue)")
        if json.loads(stored) != signature:
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
        with _OPEN_LOCK:
            n = _OPEN.get(self._key, 0) - 1
            if n > 0:
                _OPEN[self._key] = n
            else:
                _OPEN.pop(self._key, None)
