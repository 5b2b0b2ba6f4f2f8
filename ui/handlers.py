"""The plain functions behind the browser UI: no gradio here, so tests call them directly.

Every handler takes and returns plain data (strings, lists, dicts); the gradio wiring in
``ui.app`` only connects them to components. Library errors (``RagError``) become messages in
the page, never tracebacks.
"""

from __future__ import annotations

import copy
import logging
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from rag.assistant import Assistant
from rag.errors import RagError
from rag.filters import Filters
from rag.text import tokenize

from . import render
from .adding import STAMP, Adding
from .collecting import Collecting
from .pages import check_html, papers_html, summary_html
from .stream import Background

_log = logging.getLogger(__name__)

PAGE_SIZE = 40
EXAMPLE_QUESTIONS = [
    "How can a model forget specific training data without retraining from scratch?",
    "Which papers use LoRA or other parameter-efficient fine-tuning?",
    "How do multi-agent LLM systems coordinate?",
    "What benchmarks evaluate code generation?",
]
EXAMPLE_TOPICS = ["federated learning", "machine unlearning", "multi-agent systems", "medicine"]


def make_filters(
    year: str | None = None,
    author: str | None = None,
    venue: str | None = None,
    source: str | None = None,
) -> Filters | None:
    """The UI's / API's filter fields as Filters (None when all are empty); bad years raise."""
    return Filters.make(year, author, venue, source) or None


def stopped_dict(question: str, partial: str) -> dict:
    """A turn whose answer was stopped while it streamed: what had come, marked as stopped."""
    message = "You stopped this answer before it was finished."
    d = error_dict(question, message)
    if partial.strip():
        d["error"] = f"{message} The answer so far: {partial.strip()}"
    return d


def error_dict(question: str, message: str) -> dict:
    """The `rag ask --json` shape for a failure, with the message the user should read."""
    return {
        "question": question,
        "answer": message,
        "abstained": True,
        "citations": [],
        "sources": [],
        "backend": "error",
        "timings_ms": {},
        "error": message,
    }


MAX_DRAFT_CHARS = 20_000  # a draft checked in one go (a few pages)


class Handlers(Adding, Collecting):
    """The UI's behaviour over one ``Assistant``."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.settings = assistant.settings
        self.repaint_every = 0.05  # seconds between repaints of a streaming answer

    # --- collections -------------------------------------------------------------------------
    def on(self, collection: str | None) -> Handlers:
        """These handlers over another collection of the same store ('' or None: this one's).
        Raises a RagError for a name that is not allowed or not in the store."""
        if not collection or collection == self.assistant.collection:
            return self
        other = copy.copy(self)  # the handlers keep no state of their own but the assistant
        other.assistant = self.assistant.in_collection(collection)
        other.settings = other.assistant.settings
        return other

    # --- status ------------------------------------------------------------------------------
    @property
    def llm_available(self) -> bool:
        """Is a model server configured (so the LLM backend can answer)?"""
        from rag.llm.endpoint import llm_endpoint

        return llm_endpoint(self.settings) is not None

    def backend(self) -> str:
        """The backend answers come from: 'extractive' or 'llm: <model>', or why it fails."""
        try:
            name = self.assistant.backend_name()
        except RagError as e:
            return f"unavailable: {e}"
        return f"llm: {self.settings.llm_model}" if name == "llm" else name

    def status(self) -> dict:
        """Which backend answers and why, the model and server, the embedding, the index size."""
        info = self.assistant.status()
        llm = info.get("llm") or {}
        d = {
            "backend": self.backend(),
            "why": info["why"],
            "llm_model": llm.get("model"),
            "llm_url": llm.get("url"),
            "embed_model": info["embed_model"],
            "papers": info["papers"],
            "top_k": info["top_k"],
            "collection": info["collection"],
        }
        if info.get("store_note"):
            d["store_error"] = info["store_note"]
        return d

    def models(self) -> list[str]:
        """The models the configured server lists, or [] (no server, or it cannot say)."""
        from rag.status import check_models

        return check_models(self.settings).get("models", [])

    def status_line(self) -> str:
        s = self.status()
        n = s["papers"]
        papers = "no index" if n is None else f"{n} paper{'' if n == 1 else 's'}"
        return (
            f'<div class="rag-status">Backend: <b>{render.esc(s["backend"])}</b> · '
            f"collection <b>{render.esc(s['collection'])}</b> · {papers} · "
            f"embeddings {render.esc(s['embed_model'])}</div>"
        )

    def status_html(self) -> str:
        s = self.status()
        rows = [
            ("Answers come from", s["backend"]),
            ("Why", s["why"]),
            ("Model server", s["llm_url"] or "– (none configured: answers quote the abstracts)"),
            ("Embedding model", s["embed_model"]),
            ("Collection", s["collection"]),
            ("Papers in the index", s["papers"] if s["papers"] is not None else "none"),
        ]
        if s.get("store_error"):
            rows.append(("Index", s["store_error"]))
        kept = self.kept_uploads()
        if kept:  # kept on purpose: the papers they hold name them as their source
            names = ", ".join(STAMP.sub("", p.name) for p in kept[:20])
            more = f" and {len(kept) - 20} more" if len(kept) > 20 else ""
            rows.append(
                (
                    "Uploaded files kept",
                    f"{len(kept)} in the store's uploads/ folder (the source of their papers): "
                    f"{names}{more}",
                )
            )
        body = "".join(
            f"<tr><th>{render.esc(k)}</th><td>{render.esc(v)}</td></tr>" for k, v in rows
        )
        return f'<table class="rag-table">{body}</table>'

    # --- public API ----------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        k: int | None = None,
        backend: str | None = None,
        filters: Filters | None = None,
    ) -> dict:
        """A question in, the `rag ask --json` dictionary out (errors as an 'error' field)."""
        question = (question or "").strip()
        if not question:
            return error_dict(question, "The question is empty: type a question about the papers.")
        try:
            self.assistant.check_length(question)
            return self.assistant.ask(question, k=k, backend=backend, filters=filters).to_dict()
        except RagError as e:
            return error_dict(question[: self.settings.max_question_chars], str(e))

    def summarize(self, topic: str, filters: Filters | None = None) -> dict:
        """A topic in, the `rag summarize --json` dictionary out (errors as an 'error' field)."""
        topic = (topic or "").strip()
        base = {"topic": topic, "summary": "", "abstained": True, "themes": [], "citations": []}
        if not topic:
            return {
                **base,
                "error": "The topic is empty: type a research area, e.g. 'federated learning'.",
            }
        try:
            return self._summary(topic, filters)[0]
        except RagError as e:
            return {**base, "error": str(e)}

    def check(self, text: str) -> dict:
        """A draft in, the `rag check --json` dictionary out (errors as an 'error' field)."""
        text = text or ""
        if not text.strip():
            return {"sentences": [], "error": "The draft is empty: paste text with citations."}
        if len(text) > MAX_DRAFT_CHARS:
            return {
                "sentences": [],
                "error": f"The draft is {len(text):,} characters; check at most "
                f"{MAX_DRAFT_CHARS:,} at a time.",
            }
        try:
            return self.assistant.check(text).to_dict()
        except RagError as e:
            return {"sentences": [], "error": str(e)}

    def check_page(self, text: str) -> str:
        """The checked draft as HTML (the "Check a draft" tab)."""
        return check_html(self.check(text))

    def _summary(self, topic: str, filters: Filters | None = None) -> tuple[dict, str]:
        d, md, _ = self._summary_refs(topic, filters)
        return d, md

    def _summary_refs(self, topic: str, filters: Filters | None = None) -> tuple[dict, str, list]:
        t0 = time.perf_counter()
        s = self.assistant.summarize(topic, filters=filters)
        d = s.to_dict()
        papers = [c.paper for c in s.citations if getattr(c, "paper", None) is not None]
        if "timings_ms" not in d:
            d["timings_ms"] = {"total": round((time.perf_counter() - t0) * 1000, 1)}
        md = s.to_markdown() if callable(getattr(s, "to_markdown", None)) else ""
        return d, md, papers

    # --- chat ----------------------------------------------------------------------------------
    def _abstracts(self, d: dict) -> dict[str, str]:
        ids = {c["paper_id"] for c in d.get("citations") or []}
        out: dict[str, str] = {}
        try:
            got = self.assistant.papers_by_id(ids)
        except RagError:
            return out
        for pid, p in got.items():
            out[pid] = p.text
        return out

    def _history(self, turns: list[dict]) -> list[dict]:
        """Previous exchanges ({question, answer, standalone}), for follow-up rewriting."""
        out: list[dict] = []
        for t in turns:
            d = t.get("result")
            if not d or d.get("error"):
                continue
            out.append(
                {
                    "question": t["question"],
                    "answer": d.get("answer", ""),
                    "standalone": d.get("standalone_question") or t["question"],
                }
            )
        return out

    def _answer_events(
        self,
        question: str,
        history: list[dict],
        k: int | None,
        backend: str | None,
        model: str | None = None,
        filters: Filters | None = None,
    ) -> Iterator[tuple[str, object]]:
        """('delta', text) while the answer streams, then ('answer', Answer)."""
        a = self.assistant
        kw: dict = {"k": k, "backend": backend or None, "model": model or None}
        if filters:
            kw["filters"] = filters
        if history:
            kw["history"] = history
        for item in a.ask_stream(question, **kw):
            if isinstance(item, str):
                yield "delta", item
            else:
                yield "answer", item

    def chat(
        self,
        message: str,
        turns: list[dict] | None,
        k: int | None = None,
        backend: str | None = None,
        model: str | None = None,
        filters: Filters | None = None,
    ) -> Iterator[tuple[list[dict], str]]:
        """One chat turn, streamed: yields (turns, conversation HTML) as the answer grows."""
        turns = list(turns or [])
        for t in turns:  # an answer stopped mid-stream (Stop, Esc): kept as far as it got
            if t.get("result") is None:
                t["result"] = stopped_dict(t["question"], t.get("partial") or "")
        message = (message or "").strip()
        if not message:
            yield turns, render.conversation_html(turns)
            return
        try:
            self.assistant.check_length(message, "message")
        except RagError as e:
            shown = message[:200] + "…"
            turns.append({"question": shown, "partial": "", "result": error_dict(shown, str(e))})
            yield turns, render.conversation_html(turns)
            return
        turn: dict = {"question": message, "partial": "", "result": None}
        turns.append(turn)
        yield turns, render.conversation_html(turns)
        history = self._history(turns[:-1])
        t0 = time.perf_counter()
        events = Background(self._answer_events(message, history, k, backend, model, filters))
        last, pending = 0.0, False
        try:
            while True:
                # wait for the next piece; when a repaint is due, paint what has come so far
                got = events.get(self.repaint_every if pending else None)
                if got is None:
                    last, pending = time.perf_counter(), False
                    yield turns, render.conversation_html(turns)
                    continue
                kind, item = got
                if kind == "end":
                    break
                if kind == "delta":
                    turn["partial"] += str(item)
                    pending = True
                    if time.perf_counter() - last >= self.repaint_every:
                        last, pending = time.perf_counter(), False
                        yield turns, render.conversation_html(turns)
                else:
                    d = render.renumber(item.to_dict())
                    turn["abstracts"] = self._abstracts(d)
                    turn["relevance"] = {
                        h.paper.paper_id: self.relevance(h.dense) for h in item.sources
                    }
                    turn["result"] = d
        except RagError as e:
            d = error_dict(message, str(e))
            if turn["partial"]:
                d["error"] = f"{e} (the answer so far: {turn['partial']})"
            turn["result"] = d
        finally:
            events.stop()
        if turn["result"] is None:
            turn["result"] = error_dict(message, "No answer came back; try again.")
        turn["wall_ms"] = (time.perf_counter() - t0) * 1000
        yield turns, render.conversation_html(turns)

    @staticmethod
    def new_chat() -> tuple[list[dict], str]:
        """An empty conversation."""
        return [], render.conversation_html([])

    # --- summaries -----------------------------------------------------------------------------
    def summary_page(
        self, topic: str, out_dir: Path | None = None, filters: Filters | None = None
    ) -> tuple[str, str | None]:
        """(summary HTML, path of the Markdown file to download or None)."""
        html, path, _ = self.summary_page_refs(topic, out_dir, filters)
        return html, path

    def summary_page_refs(
        self,
        topic: str,
        out_dir: Path | None = None,
        filters: Filters | None = None,
        refs: str = "bibtex",
    ) -> tuple[str, str | None, str | None]:
        """(summary HTML, Markdown file to download, its references as ``refs`` or None)."""
        topic = (topic or "").strip()
        if not topic:
            return render.error_html("Type a research area, e.g. 'federated learning'."), None, None
        try:
            d, md, papers = self._summary_refs(topic, filters)
        except RagError as e:
            return render.error_html(str(e)), None, None
        abstracts = self._abstracts(d)
        path = None
        if md:
            out_dir = Path(out_dir or tempfile.mkdtemp(prefix="rag-summary-"))
            out_dir.mkdir(parents=True, exist_ok=True)
            slug = re.sub(r"[^a-z0-9]+", "-", topic.lower()).strip("-")[:60] or "summary"
            path = str(out_dir / f"summary-{slug}.md")
            Path(path).write_text(md, encoding="utf-8")
        refs_path = self._write_refs(papers, refs, out_dir, f"summary-{topic}")
        return summary_html(d, abstracts), path, refs_path

    def _write_refs(self, papers: list, fmt: str, out_dir: Path | None, name: str) -> str | None:
        """The papers as a BibTeX / RIS / CSL-JSON file in ``out_dir``; None if there are none."""
        from rag.export import EXTENSIONS, export_refs

        if not papers:
            return None
        out_dir = Path(out_dir or tempfile.mkdtemp(prefix="rag-refs-"))
        out_dir.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "references"
        path = out_dir / f"{slug}{EXTENSIONS[fmt]}"
        path.write_text(export_refs(papers, fmt), encoding="utf-8")
        return str(path)

    def chat_refs(
        self, turns: list[dict] | None, fmt: str = "bibtex", out_dir: Path | None = None
    ) -> str | None:
        """The papers cited anywhere in the conversation, as a file to download (or None)."""
        ids = list(
            dict.fromkeys(
                c["paper_id"]
                for t in turns or []
                for c in ((t.get("result") or {}).get("citations") or [])
            )
        )
        if not ids:
            return None
        try:
            got = self.assistant.papers_by_id(ids)
            return self._write_refs(
                [got[i] for i in ids if i in got], fmt, out_dir, "chat-references"
            )
        except Exception as e:  # noqa: BLE001 - an extra: the answer is shown and saved without it
            _log.warning("the chat's reference file was not written: %s: %s", type(e).__name__, e)
            return None

    def relevance(self, cosine: float | None) -> str:
        """A plain word for a paper's closeness to the question (calibrated cuts)."""
        s = self.settings
        return render.relevance_word(cosine, s.relevance_floor, s.relevance_close)

    # --- corpus --------------------------------------------------------------------------------
    def browse(self, query: str = "", page: int = 1, filters: Filters | None = None) -> str:
        """The papers (all, or those matching the query), one page, as HTML."""
        query = (query or "").strip()
        within = f" ({filters.describe()})" if filters else ""
        try:
            if query:  # only papers over the calibrated relevance floor are listed
                hits = self.assistant.search(query, k=PAGE_SIZE, filters=filters)
                floor = self.settings.relevance_floor
                words = set(tokenize(query))
                rows = []
                for h in hits:
                    if h.dense is not None and h.dense >= floor:
                        rows.append({**h.paper.public(), "_score": self.relevance(h.dense)})
                    elif words and words <= set(tokenize(f"{h.paper.title} {h.paper.text}")):
                        rows.append({**h.paper.public(), "_score": "has all your words"})
                if not rows:
                    header = f"No paper matches “{query}”{within} closely: try other words"
                else:
                    s = "s" if len(rows) != 1 else ""
                    header = f"{len(rows)} paper{s} matching “{query}”{within}, closest first"
                return papers_html(rows, header)
            papers = self.assistant.papers()
            if filters:
                papers = [p for p in papers if filters.matches(p)]
        except RagError as e:
            return render.error_html(str(e))
        papers.sort(key=lambda p: (p.title or "").lower())
        pages = max(1, -(-len(papers) // PAGE_SIZE))
        page = min(max(int(page or 1), 1), pages)
        rows = [p.public() for p in papers[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]]
        header = (
            f"{len(papers)} papers{within} · page {page} of {pages} · click a title for the "
            "full abstract"
        )
        return papers_html(rows, header)

    def page_count(self) -> int:
        try:
            n = self.assistant.count()
        except RagError:
            return 1
        return max(1, -(-n // PAGE_SIZE))
