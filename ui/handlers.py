"""The plain functions behind the browser UI: no gradio here, so tests call them directly.

Every handler takes and returns plain data (strings, lists, dicts); the gradio wiring in
``ui.app`` only connects them to components. Library errors (``RagError``) become messages in
the page, never tracebacks.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from rag.assistant import Assistant
from rag.errors import Cancelled, RagError
from rag.filters import Filters
from rag.parse.common import ABSTRACT_MARKER, SUPPORTED, display_path
from rag.readers import detect_text_format
from rag.text import tokenize

from . import render, uploads

MAX_PASTE_CHARS = 2_000_000
PAGE_SIZE = 40
EXAMPLE_QUESTIONS = [
    "How can a model forget specific training data without retraining from scratch?",
    "Which papers use LoRA or other parameter-efficient fine-tuning?",
    "How do multi-agent LLM systems coordinate?",
    "What benchmarks evaluate code generation?",
]
EXAMPLE_TOPICS = ["federated learning", "machine unlearning", "multi-agent systems", "medicine"]

# where a saved upload appears in engine messages: say "an earlier upload" instead of a path
_SAVED = re.compile(r"\S*/uploads/\d{8}-\d{6}-[0-9a-f]{8}-")
_STAMP = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{8}(?:-\d+)?-")  # the prefix of a saved upload
Progress = Callable[[float, str], None]
# pasted text that starts like a reference export is read as one even when it is broken
# (then its reader says which entry and line), never indexed as an abstract
_PASTED_EXPORT = [
    (re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]"), "bibtex"),
    (re.compile(r"^\s*TY  -", re.M), "ris"),
    (re.compile(r"^\s*PMID- ?\d", re.M), "medline"),
]
PASTE_NAMES = {"bibtex": "pasted.bib", "ris": "pasted.ris", "medline": "pasted.nbib"}


def make_filters(
    year: str | None = None,
    author: str | None = None,
    venue: str | None = None,
    source: str | None = None,
) -> Filters | None:
    """The UI's / API's filter fields as Filters (None when all are empty); bad years raise."""
    return Filters.make(year, author, venue, source) or None


def _noop(_f: float, _d: str) -> None:
    pass


def _last(steps: Iterator[tuple[bool, str]]) -> str:
    """Run an upload's steps to the end: the final HTML."""
    last = ""
    for _done, html in steps:
        last = html
    return last


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


def parse_size(size: str | int) -> int:
    """Bytes in a size such as '20mb', '100kb' or 5000 (units of 1024, as gradio counts)."""
    if isinstance(size, int):
        return size
    m = re.fullmatch(r"\s*(\d+)\s*([kmg]?b)?\s*", str(size).lower())
    if not m:
        raise ValueError(f"not a size: {size!r} (write e.g. 20mb)")
    return int(m.group(1)) * {"b": 1, "kb": 2**10, "mb": 2**20, "gb": 2**30}[m.group(2) or "b"]


def gradio_upload_dir() -> Path:
    """Where gradio keeps uploaded files (GRADIO_TEMP_DIR, else <tmp>/gradio)."""
    return Path(
        os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio"
    ).resolve()


def _upload_path(f) -> Path:
    if isinstance(f, str | Path):
        return Path(f)
    return Path(getattr(f, "path", None) or getattr(f, "name", None) or str(f))


class _Background:
    """Runs an event generator in a thread, so the UI can repaint while it waits for the next.

    ``get(timeout)`` returns the next event, ``("end", None)`` after the last one, or None when
    ``timeout`` passes first; an exception of the generator is raised by ``get``. ``stop`` asks
    the thread to close the generator (the user left) at its next event.
    """

    def __init__(self, events: Iterator) -> None:
        self._q: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._events = events
        threading.Thread(target=self._run, daemon=True, name="rag-ui-stream").start()

    def _run(self) -> None:
        try:
            for ev in self._events:
                if self._stop.is_set():
                    break
                self._q.put(("ok", ev))
        except BaseException as e:  # noqa: BLE001 - handed to the consumer, which re-raises it
            self._q.put(("raise", e))
        finally:
            close = getattr(self._events, "close", None)
            if close is not None:
                close()
            self._q.put(("ok", ("end", None)))

    def get(self, timeout: float | None) -> tuple[str, object] | None:
        try:
            status, value = self._q.get(timeout=timeout)
        except queue.Empty:
            return None
        if status == "raise":
            raise value
        return value

    def stop(self) -> None:
        self._stop.set()


MAX_DRAFT_CHARS = 20_000  # a draft checked in one go (a few pages)


class Handlers:
    """The UI's behaviour over one ``Assistant``."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.settings = assistant.settings
        self.repaint_every = 0.05  # seconds between repaints of a streaming answer

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
        papers = "no index" if s["papers"] is None else f"{s['papers']} papers"
        return (
            f'<div class="rag-status">Backend: <b>{render.esc(s["backend"])}</b> · {papers} · '
            f"embeddings {render.esc(s['embed_model'])}</div>"
        )

    def status_html(self) -> str:
        s = self.status()
        rows = [
            ("Answers come from", s["backend"]),
            ("Why", s["why"]),
            ("Model server", s["llm_url"] or "– (none configured: answers quote the abstracts)"),
            ("Embedding model", s["embed_model"]),
            ("Papers in the index", s["papers"] if s["papers"] is not None else "none"),
        ]
        if s.get("store_error"):
            rows.append(("Index", s["store_error"]))
        kept = self.kept_uploads()
        if kept:  # kept on purpose: the papers they hold name them as their source
            names = ", ".join(_STAMP.sub("", p.name) for p in kept[:20])
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
        return render.check_html(self.check(text))

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
        events = _Background(self._answer_events(message, history, k, backend, model, filters))
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
        return render.summary_html(d, abstracts), path, refs_path

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
        except RagError:
            return None
        return self._write_refs([got[i] for i in ids if i in got], fmt, out_dir, "chat-references")

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
                return render.papers_html(rows, header)
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
        return render.papers_html(rows, header)

    def page_count(self) -> int:
        try:
            n = self.assistant.count()
        except RagError:
            return 1
        return max(1, -(-n // PAGE_SIZE))

    @property
    def uploads_dir(self) -> Path:
        return Path(self.settings.store) / "uploads"

    def _save(self, name: str, data: bytes) -> Path:
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).strip("._") or "upload"
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        digest = hashlib.sha1(data).hexdigest()[:8]
        for n in range(1, 1000):  # the same upload twice in one second gets its own file too
            extra = f"-{n}" if n > 1 else ""
            dest = self.uploads_dir / f"{stamp}-{digest}{extra}-{stem[-80:]}"
            try:
                with open(dest, "xb") as f:
                    f.write(data)
                return dest
            except FileExistsError:
                continue
        raise OSError(f"cannot find a free name for {stem} in {self.uploads_dir}")

    def paste_to_file(self, text: str, title: str = "", url: str = "") -> tuple[str, bytes]:
        """A file name and content for pasted text: its own format if it has one, else one record."""
        body = text.strip()
        fmt = detect_text_format(body) or next(
            (f for pat, f in _PASTED_EXPORT if pat.match(body)), None
        )
        if fmt in PASTE_NAMES:  # a reference export: read by its reader, never as an abstract
            return PASTE_NAMES[fmt], body.encode()
        if body[:1] in "[{":
            try:
                json.loads(body)
                return "pasted.json", body.encode()
            except ValueError:
                lines = [ln for ln in body.splitlines() if ln.strip()]
                try:
                    for ln in lines:
                        json.loads(ln)
                    return "pasted.jsonl", body.encode()
                except ValueError:
                    pass
        if ABSTRACT_MARKER.search(body):
            return "pasted.txt", body.encode()
        rec = {"abstract": body}
        if title.strip():
            rec["title"] = title.strip()
        if url.strip():
            rec["url"] = url.strip()
        return "pasted.jsonl", (json.dumps(rec, ensure_ascii=False) + "\n").encode()

    def add_text(
        self, text: str, title: str = "", url: str = "", progress: Progress = _noop
    ) -> str:
        """Index pasted abstracts; returns the report as HTML."""
        return _last(self.add_text_steps(text, title, url, progress=progress))

    def add_text_steps(
        self,
        text: str,
        title: str = "",
        url: str = "",
        owner: str = "",
        progress: Progress | None = None,
    ) -> Iterator[tuple[bool, str]]:
        """Index pasted abstracts: (finished?, HTML) as it goes (see ``_ingest_steps``)."""
        if not (text or "").strip():
            yield True, render.error_html("Paste an abstract first (or choose a file).")
            return
        if len(text) > MAX_PASTE_CHARS:
            yield (
                True,
                render.error_html(
                    f"The pasted text is {len(text):,} characters, over the {MAX_PASTE_CHARS:,} limit: "
                    "split it, or save it as a file and upload that."
                ),
            )
            return
        name, data = self.paste_to_file(text, title, url)
        dest = self._save(name, data)
        yield from self._ingest_steps([dest], {str(dest): "pasted text"}, None, owner, progress)

    def add_files(self, files: list | None, progress: Progress = _noop) -> str:
        """Index uploaded files (.txt with 'Abstract:' markers, .jsonl, .json, .csv)."""
        return _last(self.add_files_steps(files, progress=progress))

    def add_files_steps(
        self, files: list | None, owner: str = "", progress: Progress | None = None
    ) -> Iterator[tuple[bool, str]]:
        """Index uploaded files: (finished?, HTML) as it goes (see ``_ingest_steps``)."""
        files = [f for f in (files or []) if f]
        if not files:
            yield True, render.error_html("Choose a file first (or paste an abstract).")
            return
        try:
            yield from self._add_files(files, owner, progress)
        finally:  # gradio's own copies of the uploads are not kept once read (or refused)
            for f in files:
                self._forget_upload(f)

    def _forget_upload(self, f) -> None:
        """Remove gradio's temporary copy of an uploaded file (never a file elsewhere)."""
        src = _upload_path(f)
        try:
            tmp = gradio_upload_dir()
            if src.resolve().is_relative_to(tmp) and src.is_file():
                src.unlink(missing_ok=True)
        except OSError:
            pass

    def _add_files(
        self, files: list, owner: str, progress: Progress | None
    ) -> Iterator[tuple[bool, str]]:
        total = 0
        for f in files:
            try:
                total += _upload_path(f).stat().st_size
            except OSError:
                pass
        limit = parse_size(self.settings.ui_max_upload_total)
        if total > limit:
            yield (
                True,
                render.error_html(
                    f"These files hold {total:,} bytes together, over the {limit:,}-byte limit of one "
                    f"upload (RAG_UI_MAX_UPLOAD_TOTAL={self.settings.ui_max_upload_total}): upload "
                    "fewer at a time."
                ),
            )
            return
        saved: list[Path] = []
        names: dict[str, str] = {}
        refused: list[dict] = []
        for f in files:
            src = _upload_path(f)
            shown = getattr(f, "orig_name", None) or src.name
            if src.suffix.lower() not in SUPPORTED:
                refused.append(
                    {
                        "where": shown,
                        "reason": f"'{src.suffix or 'no extension'}' is not a format the index reads; "
                        "give .txt (with 'Abstract:' markers), .jsonl, .json or .csv",
                    }
                )
                continue
            try:
                data = src.read_bytes()
            except OSError as e:
                refused.append(
                    {"where": shown, "reason": f"cannot be read ({e.strerror}); upload it again"}
                )
                continue
            dest = self._save(shown if Path(shown).suffix else src.name, data)
            saved.append(dest)
            names[str(dest)] = shown
        if not saved:
            yield (
                True,
                render.ingest_report_html(
                    {
                        "added": [],
                        "updated": [],
                        "unchanged": 0,
                        "rejected": refused,
                        "total": self._count(),
                    }
                ),
            )
            return
        yield from self._ingest_steps(saved, names, refused, owner, progress)

    def _count(self) -> int:
        try:
            return self.assistant.count()
        except RagError:
            return 0

    def _ingest_steps(
        self,
        paths: list[Path],
        names: dict[str, str],
        refused: list[dict] | None = None,
        owner: str = "",
        progress: Progress | None = None,
    ) -> Iterator[tuple[bool, str]]:
        """(finished?, HTML): the upload waits its turn, then progress repaints, then the report.

        ``progress(fraction, text)``, if given, hears every progress event as well."""
        line = uploads.line_for(str(Path(self.settings.store).resolve()))
        job = uploads.Job(
            owner=owner,
            run=lambda j: self._ingest_now(paths, names, refused, j),
            listener=progress,
        )
        if progress is not None:
            progress(0.0, "waiting for its turn")
        yield from uploads.follow(line, line.submit(job))
        if progress is not None:
            progress(1.0, "done")

    def cancel_upload(self, owner: str) -> bool:
        """Cancel this browser session's upload (it stops after the batch in hand)."""
        return uploads.line_for(str(Path(self.settings.store).resolve())).cancel(owner)

    def _ingest_now(
        self, paths: list[Path], names: dict[str, str], refused, job: uploads.Job
    ) -> str:
        try:
            # only the store's write lock is held: questions are answered meanwhile
            report = self.assistant.ingest(paths, progress=False, wait=600.0, on_event=job.event)
        except Cancelled:
            self._drop_unused(paths)
            raise
        except RagError as e:
            self._drop_unused(paths)
            return render.error_html(str(e))
        except BaseException:
            self._drop_unused(paths)
            raise
        d = report.to_dict()
        by_source = {display_path(p): names.get(str(p), p.name) for p in paths}
        for r in d["rejected"] + d.get("skipped", []):
            shown = by_source.get(r.get("source"), Path(str(r.get("source"))).name)
            r["where"] = f"{shown}, {r.get('where')}"
            r["reason"] = _SAVED.sub("an earlier upload, ", str(r.get("reason", "")))
        d["rejected"] = (refused or []) + d["rejected"]
        ids = d["added"] + d["updated"]
        try:
            got = self.assistant.papers_by_id(ids) if ids else {}
            d["titles"] = {pid: p.title for pid, p in got.items()}
        except RagError:
            d["titles"] = {}
        self._drop_unused(paths)
        return render.ingest_report_html(d, [names.get(str(p), p.name) for p in paths])

    def _drop_unused(self, paths: list[Path]) -> None:
        """Remove the saved uploads no paper comes from (after an ingest, done or failed).

        A saved upload that papers come from is kept on purpose: it is their ``source``, and
        ``rag ingest --prune`` drops papers whose source file is gone. ``kept_uploads`` lists
        them."""
        try:
            used = self.assistant.sources()
        except Exception:  # noqa: BLE001 - no readable catalogue: no paper comes from them
            used = set()
        for p in paths:
            if display_path(p) not in used:
                Path(p).unlink(missing_ok=True)

    def kept_uploads(self) -> list[Path]:
        """The uploads kept in the store because papers come from them."""
        d = self.uploads_dir
        return sorted(p for p in d.iterdir() if p.is_file()) if d.is_dir() else []
