"""Uploads in the browser: one ingest at a time per store, the others in line, progress that moves.

An upload runs in a worker thread and holds only the store's write lock, so questions asked
meanwhile are answered from what is committed. The page polls the job: its stage (reading,
waiting, embedding n of N abstracts, writing, finishing), papers written so far, time left, and
its place in line. Cancel stops it after the batch in hand; what was committed is whole papers
only (the ingest repairs the rest away), and uploading the file again picks up where it stopped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from rag.errors import Cancelled

from . import render

POLL_S = 0.4  # seconds between progress repaints


@dataclass
class Job:
    """One upload: what it is doing now, for the page to show."""

    owner: str
    run: Callable[[Job], str]  # does the ingest (calls job.event), returns the report HTML
    stage: str = "queued"
    done: int = 0
    total: int = 0
    written: int = 0
    created: float = field(default_factory=time.monotonic)
    embed_started: float | None = None
    embed_first: int = 0
    result: str | None = None
    error: BaseException | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    listener: Callable[[float, str], None] | None = None  # (fraction, "stage n/N") per event

    def event(self, stage: str, done: int, total: int) -> None:
        """The ingest's ``on_event``: records progress; raises Cancelled once cancel is asked."""
        if self.cancel.is_set():
            raise Cancelled("the upload was cancelled")
        if stage == "re-embedding":  # a repair of an earlier run cut short, first
            stage = "embedding"
        if stage == "writing":
            self.written = done
            if self.stage == "embedding" and self.done < self.total:
                return  # writing runs beside embedding: keep showing the embedding count
        if stage == "embedding" and self.embed_started is None:
            self.embed_started, self.embed_first = time.monotonic(), done
        self.stage, self.done, self.total = stage, done, total
        if self.listener is not None:
            self.listener(self.fraction(), f"{stage} {done}/{total} abstracts")

    def fraction(self) -> float:
        """Overall progress in [0, 1]: reading 5 %, embedding 85 %, writing 5 %, finishing 5 %."""
        n = max(self.total, 1)
        if self.stage in ("queued", "waiting", "reading"):
            return 0.0 if self.stage != "reading" else 0.02 + 0.03 * (self.done / n)
        if self.stage in ("embedding", "writing"):
            embedded = self.done if self.stage == "embedding" else self.total
            return 0.05 + 0.85 * embedded / n + 0.05 * min(self.written, n) / n
        return 0.95 if self.stage == "finishing" else 1.0

    def seconds_left(self) -> float | None:
        """From the embedding rate so far (None until there is one)."""
        if self.embed_started is None or self.stage != "embedding":
            return None
        spent = time.monotonic() - self.embed_started
        did = self.done - self.embed_first
        if did <= 0 or spent < 0.5:
            return None
        return (self.total - self.done) * spent / did + 1.0  # + the final commit


class Line:
    """One upload at a time per store; the others wait in order, each knowing its place."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: list[Job] = []
        self._turn = threading.Condition(self._lock)

    def submit(self, job: Job) -> Job:
        with self._lock:
            self._jobs.append(job)
        threading.Thread(target=self._work, args=(job,), daemon=True, name="rag-upload").start()
        return job

    def position(self, job: Job) -> int:
        """1 while it runs, 2 for the next in line, ... (0 once it is done)."""
        with self._lock:
            return self._jobs.index(job) + 1 if job in self._jobs else 0

    def cancel(self, owner: str) -> bool:
        """Cancel the uploads of one browser session (running or waiting)."""
        hit = False
        with self._lock:
            for j in self._jobs:
                if j.owner == owner:
                    j.cancel.set()
                    hit = True
            self._turn.notify_all()
        return hit

    def _work(self, job: Job) -> None:
        try:
            with self._lock:
                while self._jobs[0] is not job and not job.cancel.is_set():
                    self._turn.wait(1.0)
            if job.cancel.is_set():
                raise Cancelled("the upload was cancelled before it started")
            job.stage = "reading"
            job.result = job.run(job)
        except BaseException as e:  # noqa: BLE001 - shown in the page by the poller
            job.error = e
        finally:
            with self._lock:
                self._jobs.remove(job)
                self._turn.notify_all()
            job.stage = "done"
            job.finished.set()


_LINES: dict[str, Line] = {}
_LINES_LOCK = threading.Lock()


def line_for(store: str) -> Line:
    """The one line of uploads of a store directory in this process."""
    with _LINES_LOCK:
        return _LINES.setdefault(store, Line())


def _fmt_s(s: float) -> str:
    s = max(0, round(s))
    return f"{s} s" if s < 90 else f"{s // 60} min {s % 60:02d} s"


def progress_html(job: Job, position: int) -> str:
    """The upload's progress: a bar that moves, what it is doing, what is done, time left."""
    f = job.fraction()
    n, total = job.done, job.total
    if job.stage == "queued":
        head = (
            f"Waiting for another upload to finish: yours is number {position} in line"
            if position > 1
            else "Starting…"
        )
    elif job.stage == "waiting":
        head = "Another program is writing to this index; yours starts when it finishes…"
    elif job.stage == "reading":
        head = "Reading the files…"
    elif job.stage == "embedding":
        head = f"Embedding abstracts: {n:,} of {total:,}"
    elif job.stage == "writing":
        head = f"Writing to the index: {job.written:,} of {total:,} abstracts"
    elif job.stage == "finishing":
        head = "Finishing: updating the keyword index…"
    else:
        head = "Done"
    bits = []
    if job.stage in ("embedding", "writing", "finishing"):
        bits.append(f"{job.written:,} paper{'s' if job.written != 1 else ''} written so far")
    left = job.seconds_left()
    if left is not None:
        bits.append(f"about {_fmt_s(left)} left")
    bits.append(f"{_fmt_s(time.monotonic() - job.created)} elapsed")
    if job.cancel.is_set():
        bits.append("cancelling after the batch in hand…")
    pct = round(f * 100)
    return (
        f'<div class="rag-job" data-stage="{render.esc(job.stage)}">'
        f'<div class="rag-job-head">{render.esc(head)}</div>'
        f'<progress class="rag-progress" max="1000" value="{round(f * 1000)}" '
        f'aria-label="upload progress">{pct}%</progress>'
        f'<div class="rag-meta">{pct}% · {render.esc(" · ".join(bits))} · questions can still be '
        "asked meanwhile</div></div>"
    )


def follow(line: Line, job: Job, poll: float = POLL_S) -> Iterator[tuple[bool, str]]:
    """(finished?, HTML) while the job runs: progress repaints, then its report or error."""
    last = progress_html(job, line.position(job))
    yield False, last  # at once: the page shows the upload has started
    while not job.finished.wait(poll):
        html = progress_html(job, line.position(job))
        if html != last:
            last = html
            yield False, html
    if isinstance(job.error, Cancelled):
        yield (
            True,
            render.error_html(
                "Cancelled. "
                + (
                    f"{job.written:,} of {job.total:,} abstracts were indexed before it stopped "
                    "(whole papers only; nothing half-written is kept). Upload the same files "
                    "again to index the rest: what is already in is skipped."
                    if job.written
                    else "Nothing was added to the index."
                )
            ),
        )
    elif job.error is not None:
        msg = str(job.error) if str(job.error) else type(job.error).__name__
        yield True, render.error_html(render.browser_words(msg))
    else:
        yield True, job.result or ""
