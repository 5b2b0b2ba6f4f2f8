"""The browser chat: question in, cited answer out; public API endpoint ``/ask``.

A thin layer over ``rag.assistant.Assistant``: handlers are plain functions (tested without a
server); ``build_app`` wires them into Gradio; ``serve`` launches on 127.0.0.1 by default.
"""

from __future__ import annotations

import html
import os

from rag.assistant import Assistant
from rag.config import Settings, get_settings
from rag.errors import RagError


def _esc(text: str) -> str:
    return html.escape(text or "", quote=True)


def render_answer(d: dict) -> str:
    """An answer dictionary as safe HTML: every piece of model or corpus text is escaped."""
    parts = [f"<p>{_esc(d['answer'])}</p>"]
    for c in d.get("citations", []):
        link = (
            f' · <a href="{_esc(c["url"])}" rel="noopener noreferrer" target="_blank">code</a>'
            if c.get("url")
            else ""
        )
        parts.append(
            f'<div class="rag-card"><b>[{c["n"]}] {_esc(c["title"])}</b> '
            f"<code>{_esc(c['paper_id'])}</code>{link}<br><i>“{_esc(c['snippet'])}”</i></div>"
        )
    return "\n".join(parts)


class Handlers:
    """Plain functions behind the UI."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def ask(self, question: str) -> dict:
        """Answer a question from the indexed abstracts; returns the `rag ask --json` dictionary."""
        try:
            return self.assistant.ask(question).to_dict()
        except RagError as e:
            return {
                "question": question,
                "answer": str(e),
                "abstained": True,
                "citations": [],
                "sources": [],
                "backend": "error",
                "timings_ms": {},
                "error": str(e),
            }

    def chat(self, message: str, history: list[dict]) -> tuple[list[dict], str]:
        history = list(history or [])
        if not (message or "").strip():
            return history, ""
        d = self.ask(message)
        history.append({"role": "user", "content": message})
        history.append({"role": "assistant", "content": render_answer(d)})
        return history, ""


def build_app(settings: Settings | None = None):
    import gradio as gr

    assistant = Assistant(settings or get_settings())
    h = Handlers(assistant)
    with gr.Blocks(title="Abstracts QA") as app:
        gr.Markdown("## Ask the abstracts\nEvery answer cites the papers it comes from.")
        chat = gr.Chatbot(label="Chat", sanitize_html=True, render_markdown=False, height=480)
        box = gr.Textbox(placeholder="Ask a question about the papers…", label="Question")
        box.submit(h.chat, [box, chat], [chat, box], api_visibility="private")

        def ask(question: str) -> dict:
            """Answer a question; returns the same dictionary as `rag ask --json`."""
            return h.ask(question)

        gr.api(ask, api_name="ask")
    app.queue(default_concurrency_limit=2, max_size=64)
    return app


def serve(
    settings: Settings | None = None, host: str | None = None, port: int | None = None
) -> None:
    settings = settings or get_settings()
    app = build_app(settings)
    app.launch(
        server_name=host or settings.ui_host,
        server_port=port or settings.ui_port,
        share=False,
        show_error=False,
        max_file_size="5mb",
    )


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    serve()
