"""Adding abstracts from the browser: pasted text and uploaded files.

Each is saved in the store's uploads/ folder, then indexed when its turn in the store's upload
line comes (``ui.uploads``), with progress repainted as it goes. A mixin of ``ui.handlers.Handlers``
(no gradio here either).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from rag.assistant import Assistant
from rag.config import Settings
from rag.errors import Cancelled, RagError
from rag.parse.common import ABSTRACT_MARKER, SUPPORTED, display_path, safe_name
from rag.readers import detect_text_format

from . import render, uploads
from .pages import ingest_report_html

MAX_PASTE_CHARS = 2_000_000
# where a saved upload appears in engine messages: say "an earlier upload" instead of a path
_SAVED = re.compile(r"\S*/uploads/\d{8}-\d{6}-[0-9a-f]{8}-")
STAMP = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{8}(?:-\d+)?-")  # the prefix of a saved upload
Progress = Callable[[float, str], None]
# pasted text that starts like a reference export is read as one even when it is broken
# (then its reader says which entry and line), never indexed as an abstract
_PASTED_EXPORT = [
    (re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]"), "bibtex"),
    (re.compile(r"^\s*TY  -", re.M), "ris"),
    (re.compile(r"^\s*PMID- ?\d", re.M), "medline"),
]
PASTE_NAMES = {"bibtex": "pasted.bib", "ris": "pasted.ris", "medline": "pasted.nbib"}


def _noop(_f: float, _d: str) -> None:
    pass


def _last(steps: Iterator[tuple[bool, str]]) -> str:
    """Run an upload's steps to the end: the final HTML."""
    last = ""
    for _done, html in steps:
        last = html
    return last


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


class Adding:
    """Adding abstracts: pasted text and uploaded files, saved in the store, indexed in line."""

    assistant: Assistant
    settings: Settings

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
            shown = safe_name(getattr(f, "orig_name", None) or src.name)
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
                ingest_report_html(
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
        d["rejected_unlisted"] = {
            by_source.get(src, Path(str(src)).name): n
            for src, n in (d.get("rejected_unlisted") or {}).items()
        }
        ids = d["added"] + d["updated"]
        try:
            got = self.assistant.papers_by_id(ids) if ids else {}
            d["titles"] = {pid: p.title for pid, p in got.items()}
        except RagError:
            d["titles"] = {}
        self._drop_unused(paths)
        return ingest_report_html(d, [names.get(str(p), p.name) for p in paths])

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
