"""Collections from the browser: make a new one, delete one with its papers.

A mixin of ``ui.handlers.Handlers`` (no gradio here). Each call returns what the picker shows
next: the store's collections, the one to choose (None: leave the choice as it is) and a
message for the page.
"""

from __future__ import annotations

from rag.assistant import Assistant
from rag.errors import RagError, StoreLocked

from . import render

DEFAULT = Assistant.DEFAULT_COLLECTION
Picked = tuple[list[str], str | None, str]


def ok_html(message: str) -> str:
    return f'<div class="rag-ok">{render.esc(message)}</div>'


class Collecting:
    """Making and deleting the store's named collections."""

    assistant: Assistant

    def collections(self) -> list[str]:
        """The store's collections, the default one first (the picker's choices)."""
        return [c.name for c in self.assistant.collections()]

    def _refused(self, message: str) -> Picked:
        """Nothing changed: the collections as they are, the choice left, ``message`` shown."""
        return self.collections(), None, render.error_html(message)

    def create_collection(self, name: str) -> Picked:
        """Make an empty collection ``name`` and choose it (an existing one is just chosen)."""
        raw = (name or "").strip()
        if not raw:
            return self._refused("Type a name for the collection.")
        try:
            name = self.assistant.collection_name(raw)
        except RagError as e:
            return self._refused(str(e))
        names = self.collections()
        if name in names:
            return names, name, ok_html(f"“{name}” exists already: it is chosen.")
        try:
            self.assistant.create_collection(name)
        except StoreLocked:
            return self._refused(_busy("made"))
        except RagError as e:
            return self._refused(str(e))
        return (
            self.collections(),
            name,
            ok_html(
                f"Made the collection “{name}”; it is chosen. Add papers to it in the Corpus tab "
                "(Add abstracts)."
            ),
        )

    def delete_collection(self, name: str) -> Picked:
        """Delete collection ``name`` and everything indexed in it; the default one is chosen.
        The default collection itself is never deleted."""
        raw = (name or "").strip()
        if not raw:
            # the page's question was answered No (or there was no collection to delete)
            return self.collections(), None, '<div class="rag-note">Nothing was deleted.</div>'
        try:
            name = self.assistant.collection_name(raw)
        except RagError as e:
            return self._refused(str(e))
        if name == DEFAULT or name == self.assistant.collection:
            why = (
                "it holds the bundled abstracts"
                if name == DEFAULT
                else "this server was started on it"
            )
            return self._refused(
                f"The collection “{name}” cannot be deleted here ({why}); choose another "
                "collection to delete."
            )
        try:
            n = self.assistant.delete_collection(name)
        except StoreLocked:
            return self._refused(_busy("deleted"))
        except RagError as e:
            return self._refused(str(e))
        papers = f"its {n:,} paper{'s' if n != 1 else ''}" if n else "it (it held no papers)"
        return (
            self.collections(),
            DEFAULT,
            ok_html(f"Deleted the collection “{name}” and {papers}."),
        )


def _busy(done: str) -> str:
    return (
        f"An upload (or another program) is writing to this store right now; the collection can "
        f"be {done} once it has finished."
    )
