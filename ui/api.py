"""The public API endpoints (stable names): /ask, /summarize, /check and their filtered forms.

Each returns the same dictionary as the matching ``rag ... --json`` command. /ask_in and
/summarize_in take a collection of the store (as `rag ... --collection NAME`) and the filters;
the other endpoints keep the inputs they always had and use the collection the server started on.
"""

from __future__ import annotations

import gradio as gr

from rag.errors import RagError

from .handlers import Handlers, error_dict, make_filters


def add_api(h: Handlers, heavy: dict) -> None:
    """Declare the endpoints inside the open Blocks."""

    def ask(question: str) -> dict:
        """Answer a question from the indexed abstracts; returns the same dictionary as `rag ask --json`."""
        return h.ask(question)

    def summarize(topic: str) -> dict:
        """A cited, themed summary of a research area; returns the same dictionary as `rag summarize --json`."""
        return h.summarize(topic)

    def check(text: str) -> dict:
        """Check each sentence of a draft against the papers it cites; returns the same dictionary as `rag check --json`."""
        return h.check(text)

    def ask_filtered(question: str, year: str, author: str, venue: str, source: str) -> dict:
        """/ask within filters: year ("2019-2023"), author, venue, source ("" for none)."""
        return ask_in(question, "", year, author, venue, source)

    def summarize_filtered(topic: str, year: str, author: str, venue: str, source: str) -> dict:
        """/summarize within the same filters as /ask_filtered."""
        return summarize_in(topic, "", year, author, venue, source)

    def ask_in(
        question: str,
        collection: str,
        year: str = "",
        author: str = "",
        venue: str = "",
        source: str = "",
    ) -> dict:
        """/ask in one collection of the store ("" for the server's own), within the filters of /ask_filtered."""
        try:
            on, flt = _scope(collection, year, author, venue, source)
        except RagError as e:
            return error_dict(question, str(e))
        return on.ask(question, filters=flt)

    def summarize_in(
        topic: str,
        collection: str,
        year: str = "",
        author: str = "",
        venue: str = "",
        source: str = "",
    ) -> dict:
        """/summarize in one collection of the store, within the filters of /ask_filtered."""
        try:
            on, flt = _scope(collection, year, author, venue, source)
        except RagError as e:
            return {"topic": topic, "summary": "", "abstained": True, "error": str(e)}
        return on.summarize(topic, filters=flt)

    def _scope(collection: str, year: str, author: str, venue: str, source: str):
        """The handlers of ``collection`` and the filters: a RagError names what is wrong."""
        return h.on(collection), make_filters(year, author, venue, source)

    gr.api(ask, api_name="ask", **heavy)
    gr.api(check, api_name="check", **heavy)
    gr.api(summarize, api_name="summarize", **heavy)
    gr.api(ask_filtered, api_name="ask_filtered", **heavy)
    gr.api(summarize_filtered, api_name="summarize_filtered", **heavy)
    gr.api(ask_in, api_name="ask_in", **heavy)
    gr.api(summarize_in, api_name="summarize_in", **heavy)
