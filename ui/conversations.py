"""Saved chats in the browser: the sidebar list, open, rename, delete, export as Markdown.

Plain functions over the assistant's saved chats (``Assistant.chats``; no gradio here). The owner is the login
name when the app has a login, else a random id the browser keeps: one owner never sees
another's chats.
"""

from __future__ import annotations

import re
import tempfile
import time
import uuid
from pathlib import Path

from rag.assistant import Assistant

from . import render


def owner_of(username: str | None, browser_id: str | None, session: str = "") -> str:
    """Whose chats these are: ``user:NAME`` when logged in, else ``browser:ID``; a page whose
    browser id is not known yet gets one of its own (``session:…``), never a shared one."""
    if username:
        return f"user:{username}"
    if browser_id:
        return f"browser:{browser_id}"
    return f"session:{session or uuid.uuid4().hex}"


def new_browser_id() -> str:
    return uuid.uuid4().hex


def _when(ts: float) -> str:
    t = time.localtime(ts)
    if time.strftime("%Y-%m-%d", t) == time.strftime("%Y-%m-%d"):
        return time.strftime("%H:%M", t)
    return time.strftime("%d %b %Y", t)


def _label(chat: dict) -> str:
    """The sidebar's line of a chat: its title and date, and its collection unless default."""
    where = "" if chat.get("collection") in (None, "default") else f" · {chat['collection']}"
    return f"{chat['title']} · {_when(chat['updated'])}{where}"


class Conversations:
    """The chats of one store, for the UI."""

    def __init__(self, assistant: Assistant) -> None:
        self.store = assistant.chats
        self.out_dir = Path(tempfile.mkdtemp(prefix="rag-chats-"))

    def choices(self, owner: str) -> list[tuple[str, str]]:
        """(label, id) of the owner's chats, the latest first: title and date."""
        return [(_label(c), c["id"]) for c in self.store.list(owner)]

    def save(
        self, owner: str, chat_id: str | None, turns: list[dict], collection: str = "default"
    ) -> str:
        """Save the finished turns (a new chat when ``chat_id`` is empty) with the collection
        they were asked in; returns its id."""
        done = [{k: v for k, v in t.items() if k != "partial"} for t in turns if t.get("result")]
        if not done:
            return chat_id or ""
        return self.store.save(owner, chat_id or None, done, collection or "default")

    def collection(self, owner: str, chat_id: str | None) -> str | None:
        """The collection one of the owner's chats was asked in (None: no such chat)."""
        chat = self.store.get(owner, chat_id or "") if chat_id else None
        return chat["collection"] if chat else None

    def open(self, owner: str, chat_id: str | None) -> tuple[str, list[dict], str]:
        """(id, turns, conversation HTML) of one of the owner's chats ("" and [] if none)."""
        chat = self.store.get(owner, chat_id or "") if chat_id else None
        if chat is None:
            return "", [], render.conversation_html([])
        return chat["id"], chat["turns"], render.conversation_html(chat["turns"])

    def title(self, owner: str, chat_id: str | None) -> str:
        chat = self.store.get(owner, chat_id or "") if chat_id else None
        return chat["title"] if chat else ""

    def rename(self, owner: str, chat_id: str | None, title: str) -> bool:
        return bool(chat_id) and self.store.rename(owner, chat_id, title)

    def delete(self, owner: str, chat_id: str | None) -> bool:
        return bool(chat_id) and self.store.delete(owner, chat_id)

    def export(self, owner: str, chat_id: str | None) -> str | None:
        """The chat as a Markdown file to download (its path), or None."""
        md = self.store.markdown(owner, chat_id) if chat_id else None
        if md is None:
            return None
        slug = re.sub(r"[^a-z0-9]+", "-", self.title(owner, chat_id).lower()).strip("-")[:50]
        path = self.out_dir / f"chat-{slug or 'chat'}.md"
        path.write_text(md, encoding="utf-8")
        return str(path)
