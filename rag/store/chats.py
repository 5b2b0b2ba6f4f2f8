"""Saved conversations: a small SQLite file beside the catalogue, one row per chat, per owner.

A chat is its turns as the UI keeps them (each: the question and the `rag ask --json`
dictionary of its answer, with the abstracts its citations show), so a reopened chat shows the
same citations and verdicts. Every call names the owner (a login name, or a browser's own id
when there is no login): one owner never reads, renames or deletes another's chats.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path

TITLE_CHARS = 80


def title_of(turns: list[dict]) -> str:
    """A chat's default title: its first question, shortened."""
    q = " ".join(str((turns[0] if turns else {}).get("question") or "").split())
    if not q:
        return "New chat"
    return q if len(q) <= TITLE_CHARS else q[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"


class ChatStore:
    """The saved chats of one store directory (``chats.sqlite``)."""

    def __init__(self, root: Path) -> None:
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        self.path = root / "chats.sqlite"
        self._lock = threading.Lock()
        self.db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            """CREATE TABLE IF NOT EXISTS chats (
                 id TEXT PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL,
                 renamed INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL,
                 updated REAL NOT NULL, turns TEXT NOT NULL)"""
        )
        self.db.execute("CREATE INDEX IF NOT EXISTS chats_owner ON chats(owner, updated)")
        cols = {r[1] for r in self.db.execute("PRAGMA table_info(chats)")}
        if "collection" not in cols:  # chats saved before collections: the default one's
            self.db.execute(
                "ALTER TABLE chats ADD COLUMN collection TEXT NOT NULL DEFAULT 'default'"
            )
        self.db.commit()

    def save(
        self, owner: str, chat_id: str | None, turns: list[dict], collection: str = "default"
    ) -> str:
        """Store the chat's turns (a new chat when ``chat_id`` is unknown) and the collection
        it was asked in; returns its id."""
        now = time.time()
        body = json.dumps(turns, ensure_ascii=False)
        with self._lock:
            if chat_id:
                cur = self.db.execute(
                    "UPDATE chats SET turns=?, updated=?, collection=?, "
                    "title=CASE WHEN renamed=1 THEN title ELSE ? END WHERE id=? AND owner=?",
                    (body, now, collection, title_of(turns), chat_id, owner),
                )
                if cur.rowcount:
                    self.db.commit()
                    return chat_id
            chat_id = uuid.uuid4().hex[:16]
            self.db.execute(
                "INSERT INTO chats(id, owner, title, created, updated, turns, collection) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (chat_id, owner, title_of(turns), now, now, body, collection),
            )
            self.db.commit()
            return chat_id

    def list(self, owner: str) -> list[dict]:
        """The owner's chats, the latest first: id, title, created, updated, collection."""
        with self._lock:
            rows = self.db.execute(
                "SELECT id, title, created, updated, collection FROM chats WHERE owner=? "
                "ORDER BY updated DESC",
                (owner,),
            ).fetchall()
        keys = ("id", "title", "created", "updated", "collection")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def get(self, owner: str, chat_id: str) -> dict | None:
        """One chat of the owner (id, title, created, updated, turns, collection), or None."""
        with self._lock:
            r = self.db.execute(
                "SELECT id, title, created, updated, turns, collection FROM chats "
                "WHERE id=? AND owner=?",
                (chat_id or "", owner),
            ).fetchone()
        if r is None:
            return None
        return {
            "id": r[0],
            "title": r[1],
            "created": r[2],
            "updated": r[3],
            "turns": json.loads(r[4]),
            "collection": r[5],
        }

    def rename(self, owner: str, chat_id: str, title: str) -> bool:
        title = " ".join((title or "").split())[:TITLE_CHARS]
        if not title:
            return False
        with self._lock:
            cur = self.db.execute(
                "UPDATE chats SET title=?, renamed=1 WHERE id=? AND owner=?",
                (title, chat_id or "", owner),
            )
            self.db.commit()
        return cur.rowcount > 0

    def delete(self, owner: str, chat_id: str) -> bool:
        with self._lock:
            cur = self.db.execute(
                "DELETE FROM chats WHERE id=? AND owner=?", (chat_id or "", owner)
            )
            self.db.commit()
        return cur.rowcount > 0

    def markdown(self, owner: str, chat_id: str) -> str | None:
        """One chat of the owner as Markdown (``chat_markdown``), or None."""
        chat = self.get(owner, chat_id)
        return chat_markdown(chat) if chat is not None else None

    def close(self) -> None:
        self.db.close()


def chat_markdown(chat: dict) -> str:
    """A chat as Markdown: each question, its answer with its markers, and its references."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(chat.get("created") or time.time()))
    where = chat.get("collection") or "default"
    lines = [f"# {chat.get('title') or 'Chat'}", "", f"_Started {when} · collection {where}_", ""]
    for t in chat.get("turns") or []:
        lines += [f"## {t.get('question', '')}", ""]
        d = t.get("result") or {}
        if d.get("error"):
            lines += [f"> {d['error']}", ""]
            continue
        lines += [d.get("answer", ""), ""]
        verdicts = [s for s in d.get("sentences") or [] if s.get("supported") is False]
        for s in verdicts:
            lines.append(f"- not supported by its source: “{s.get('text', '')}”")
        if verdicts:
            lines.append("")
        for c in d.get("citations") or []:
            url = f" <{c['url']}>" if c.get("url") else ""
            lines.append(f"[{c['n']}] {c.get('title', '')}. Paper id `{c.get('paper_id')}`.{url}")
        if d.get("citations"):
            lines.append("")
    return "\n".join(lines)
