"""Evaluate: run a gold question set through the Assistant and score what comes out.

Every question goes through the same :class:`~rag.assistant.Assistant` the CLI and the UI call
(follow-ups through the chat API when there is one). Per question we keep the answer, what was
retrieved and cited, the timings and the metrics, appended to ``results.jsonl`` as soon as the
question is done, so an interrupted run resumes where it stopped. At the end the records are
aggregated into ``summary.json`` and rendered by :mod:`rag.eval.report`.

Metrics (per question, then averaged):

* retrieval, against the gold papers: hit@1, hit@k, MRR@10, nDCG@10, recall@k, recall@10
  (k = the number of sources an answer draws on, ``top_k``);
* citations: validity (the cited number points at a retrieved source and names its paper),
  precision and recall of the cited papers against the gold papers, and ALCE-style sentence
  support (each answer sentence scored against the passages it cites with the local support
  scorer, :mod:`rag.answer.support`) with its citation precision; an LLM judge when a model is set;
* answers: key-fact recall (facts are literal, case-insensitive substrings), abstention
  precision and recall;
* cost: latency p50/p95 per stage (``timings_ms``), tokens and USD when an LLM answers.

``run_beir`` (rag.eval.beir) scores retrieval alone on a BEIR-format dataset.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..answer.cite import sentences_of
from ..config import Settings, get_settings
from ..errors import ConfigError, NotFound, RagError
from ..llm.endpoint import redact_all, secrets_of
from .context import _llm_configured, _usage_numbers, followup_mode, settings_record
from .judge import LLMJudge
from .questions import (
    Log,
    Question,
    _stderr,
    default_questions_path,
    default_runs_dir,
    load_questions,
)
from .scoring import score_answer, summarize

WARM_PAPERS = 1000  # papers whose sentence vectors are cached before the timed questions


def warm_sentences(assistant, limit: int = WARM_PAPERS) -> int:
    """Cache the sentence and word vectors of (up to ``limit``) papers, as a process that has
    answered before has them, so the latency figures are warm; returns how many papers."""
    cache = getattr(getattr(assistant, "extractive", None), "cache", None)
    papers = getattr(assistant, "papers", None)
    if cache is None or not callable(papers):
        return 0
    from ..answer.neighbours import warm_words
    from ..records import Hit

    todo = papers()[:limit]
    for i in range(0, len(todo), 64):
        cache.get([Hit(p, 0.0) for p in todo[i : i + 64]])
    # ... and the vectors of their words, which the concept test of list questions reads
    warm_words(cache.embedder, [f"{p.title}. {p.text}" for p in todo])
    return len(todo)


def answer_history(assistant, q: Question, *, k: int | None, backend: str | None) -> list:
    """A follow-up's earlier turns, asked in order through the chat API (as a user would)."""
    turns: list = []
    for h in q.history or []:
        turns.append(assistant.chat(h, history=list(turns), k=k, backend=backend))
    return turns


def ask_question(assistant, q: Question, *, k: int | None, backend: str | None, turns=None):
    """One question through the Assistant; a follow-up with its answered history through chat."""
    if turns:
        return assistant.chat(q.question, history=turns, k=k, backend=backend)
    return assistant.ask(q.question, k=k, backend=backend)


def evaluate_question(
    assistant,
    q: Question,
    *,
    k: int,
    backend: str | None,
    scorer,
    threshold: float,
    judge: LLMJudge | None = None,
) -> dict:
    """Ask one question and score it: the record written to results.jsonl."""
    rec: dict = {
        "id": q.id,
        "type": q.type,
        "question": q.question,
        "history": q.history,
        "gold": q.gold,
        "facts": q.facts,
        "kind": q.kind,
        "split": q.split,
        "k": k,
    }
    if q.part_facts:
        rec["part_facts"] = q.part_facts
    if q.none_expected:
        rec["none_expected"] = True
    try:
        turns = answer_history(assistant, q, k=k, backend=backend)  # not timed: earlier turns
        t0 = time.perf_counter()
        ans = ask_question(assistant, q, k=k, backend=backend, turns=turns)
    except RagError as e:
        rec.update(error=str(e), abstained=None, metrics={})
        return rec
    total = (time.perf_counter() - t0) * 1000
    asked = ans.standalone_question or q.question
    ranking = ans.ranking  # the ranking this answer was built from (no second retrieval)
    scored = score_answer(q, ans, ranking, k, scorer, threshold)
    timings = {key: round(v, 2) for key, v in ans.timings_ms.items()}
    timings["total"] = round(total, 2)
    rec.update(
        asked=asked,
        answer=ans.answer,
        abstained=ans.abstained,
        reason=ans.reason,
        backend=ans.backend,
        sources=[h.paper.paper_id for h in ans.sources],
        ranking=ranking,
        citations=[{"n": c.n, "paper_id": c.paper_id} for c in ans.citations],
        removed_citations=list(ans.removed_citations),
        sentences=scored["sentences"],
        metrics=scored["metrics"],
        timings_ms=timings,
        usage=_usage_numbers(ans.usage) or None,
        judge=None,
    )
    if judge is not None and not ans.abstained:
        cited = sorted(
            {n for _, ns in sentences_of(ans) for n in ns} | {c.n for c in ans.citations}
        )
        srcs = [
            (n, ans.sources[n - 1].paper.title, ans.sources[n - 1].paper.text)
            for n in cited
            if 1 <= n <= len(ans.sources)
        ]
        try:
            rec["judge"] = judge.judge(q.question if not q.history else asked, ans.answer, srcs)
        except RagError as e:
            rec["judge"] = {"error": str(e)}
    return rec


# --- run directories -----------------------------------------------------------------------------
class RunDir:
    """One run's directory: run.json (what and how), results.jsonl (appended), summary, report."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.results_path = self.path / "results.jsonl"
        self._lock_fd: int | None = None

    @property
    def meta(self) -> dict:
        return json.loads((self.path / "run.json").read_text())

    @property
    def finished(self) -> bool:
        return (self.path / "summary.json").exists()

    def lock(self) -> bool:
        """Hold the run for this process; False when another process is running it."""
        fd = os.open(self.path / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def unlock(self) -> None:
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                os.close(self._lock_fd)
            self._lock_fd = None

    def records(self, repair: bool = False) -> dict[str, dict]:
        """The finished questions by id (a later record of an id wins).

        A line cut short by a crash is dropped (and, with ``repair``, removed from the file so
        that the next append starts on a line of its own).
        """
        if not self.results_path.exists():
            return {}
        raw = self.results_path.read_text(encoding="utf-8")
        good: list[str] = []
        out: dict[str, dict] = {}
        for line in raw.splitlines():
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            good.append(line)
            out[rec["id"]] = rec
        clean = "".join(line + "\n" for line in good)
        if repair and clean != raw:
            tmp = self.results_path.with_suffix(".jsonl.tmp")
            tmp.write_text(clean, encoding="utf-8")
            os.replace(tmp, self.results_path)
        return out

    def append(self, record: dict) -> None:
        """Add one result (anything shaped like an API key masked: model replies may echo one)."""
        record = redact_all(record)
        with open(self.results_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())


def _new_run_dir(runs_dir: Path, suffix: str = "") -> Path:
    runs_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for i in range(1000):
        name = stamp + suffix + (f"-{i}" if i else "")
        path = runs_dir / name
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise ConfigError(f"cannot create a run directory in {runs_dir}")  # pragma: no cover


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def latest_unfinished(runs_dir: Path, fingerprint: dict) -> RunDir | None:
    """The newest unfinished run made with the same questions and settings, if any."""
    if not runs_dir.is_dir():
        return None
    for path in sorted(runs_dir.iterdir(), key=lambda p: p.name, reverse=True):
        run = RunDir(path)
        if not (path / "run.json").exists() or run.finished:
            continue
        try:
            meta = run.meta
        except (OSError, json.JSONDecodeError):
            continue
        if meta.get("kind", "questions") == "questions" and meta.get("fingerprint") == fingerprint:
            return run
        return None  # the latest unfinished run is of something else: start anew
    return None


@dataclass
class RunOutcome:
    run_dir: Path
    summary: dict
    resumed: int  # questions already done before this invocation
    asked: int  # questions asked by this invocation


def run_eval(
    questions_path: Path | None = None,
    *,
    settings: Settings | None = None,
    assistant=None,
    runs_dir: Path | None = None,
    resume: Path | None = None,
    fresh: bool = False,
    workers: int | None = None,
    backend: str | None = None,
    k: int | None = None,
    limit: int | None = None,
    judge: bool | None = None,
    judge_model: str | None = None,
    progress: bool = True,
    on_result: Callable[[dict], None] | None = None,
    log: Log = _stderr,
    filters=None,
) -> RunOutcome:
    """Run (or resume) an evaluation and write results.jsonl, summary.json, report.md, plots.

    ``filters`` (a rag.filters.Filters) restrict every question's retrieval."""
    from ..answer.support import scorer_for
    from ..assistant import Assistant
    from .report import write_report

    if resume is not None:
        run = RunDir(resume)
        if not (run.path / "run.json").exists():
            raise NotFound(f"{run.path} is not an evaluation run (no run.json)")
        meta = run.meta
        if meta.get("kind", "questions") != "questions":
            raise ConfigError(f"{run.path} is a BEIR run; it cannot be resumed")
        questions_path = Path(meta["questions_file"])
        if _sha256(questions_path) != meta["questions_sha256"]:
            raise ConfigError(
                f"{questions_path} changed since run {run.path.name} started: "
                "start a new run (drop --resume)"
            )
        base = settings or get_settings()
        over = meta["settings_overrides"]
        settings = base.model_copy(
            update={"store": Path(over["store"]), "collection": over.get("collection", "default")}
        )
        backend, k, limit = meta["backend_choice"], meta["k"], meta["limit"]
    questions_path = Path(questions_path or default_questions_path())
    questions = load_questions(questions_path)
    if limit:
        questions = questions[:limit]
    settings = settings or (assistant.settings if assistant else get_settings())
    assistant = assistant or Assistant(settings)
    if filters:
        assistant.filters = filters
    k = k or settings.top_k
    backend_used = assistant.backend_name(backend)
    fingerprint = {
        "questions_sha256": _sha256(questions_path),
        "questions_file": str(questions_path.resolve()),
        "limit": limit,
        "backend": backend_used,
        "k": k,
        "settings": settings_record(settings),
        "store_papers": assistant.count(),
        "store_generation": assistant.generation(),
        "followup_mode": followup_mode(assistant),
    }
    runs_dir = Path(runs_dir or default_runs_dir())

    run = RunDir(resume) if resume is not None else None
    if run is not None:
        if run.meta["fingerprint"] != fingerprint:
            diff = sorted(
                key
                for key in set(fingerprint) | set(run.meta["fingerprint"])
                if fingerprint.get(key) != run.meta["fingerprint"].get(key)
            )
            raise ConfigError(
                f"run {run.path.name} was made with other settings or another index "
                f"({', '.join(diff)} differ): start a new run (drop --resume)"
            )
        if not run.lock():
            raise ConfigError(f"run {run.path.name} is being run by another process")
    elif not fresh:
        cand = latest_unfinished(runs_dir, fingerprint)
        if cand is not None and cand.lock():
            run = cand
    if run is None:
        run = RunDir(_new_run_dir(runs_dir))
        run.lock()
        meta = {
            "kind": "questions",
            "id": run.path.name,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "questions_file": str(questions_path.resolve()),
            "questions_sha256": fingerprint["questions_sha256"],
            "limit": limit,
            "k": k,
            "backend_choice": backend,
            "settings_overrides": {
                "store": str(settings.store),
                "collection": settings.collection,
            },
            "fingerprint": fingerprint,
            "sessions": [],
        }
        (run.path / "run.json").write_text(json.dumps(meta, indent=2))

    try:
        done = run.records(repair=True)
        done = {qid: r for qid, r in done.items() if not r.get("error")}
        todo = [q for q in questions if q.id not in done]
        meta = run.meta
        session = len(meta.get("sessions", [])) + 1
        if done:
            log(f"resuming run {run.path.name}: {len(done)} of {len(questions)} questions done")
        if workers is None:
            workers = 4 if backend_used == "llm" else 1
        workers = max(1, workers)
        use_judge = _llm_configured(settings) if judge is None else judge
        the_judge = LLMJudge(settings, judge_model) if use_judge else None
        meta.setdefault("sessions", []).append(
            {
                "session": session,
                "started": datetime.now(UTC).isoformat(timespec="seconds"),
                "workers": workers,
                "todo": len(todo),
            }
        )
        (run.path / "run.json").write_text(json.dumps(meta, indent=2))
        scorer = scorer_for(assistant.embedder)
        threshold = settings.support_threshold
        secrets = secrets_of(settings)

        def one(q: Question) -> dict:
            rec = evaluate_question(
                assistant,
                q,
                k=k,
                backend=backend,
                scorer=scorer,
                threshold=threshold,
                judge=the_judge,
            )
            rec["session"] = session
            return redact_all(rec, *secrets)  # a reply may echo the configured key

        if todo:  # load the model and open the indexes first, so no question pays for it
            tw = time.perf_counter()
            assistant.retrieve("warm-up", 1)
            meta["sessions"][-1]["warm_papers"] = warm_sentences(assistant)
            meta["sessions"][-1]["warmup_ms"] = round((time.perf_counter() - tw) * 1000, 1)
            (run.path / "run.json").write_text(json.dumps(meta, indent=2))
        t0 = time.perf_counter()
        bar = _bar(len(questions), len(done), progress)
        errors = 0
        try:
            if workers == 1:
                for q in todo:
                    rec = one(q)
                    errors += bool(rec.get("error"))
                    _finish(run, rec, bar, on_result)
            else:
                pool = ThreadPoolExecutor(max_workers=workers)
                try:
                    futures = [pool.submit(one, q) for q in todo]
                    for fut in as_completed(futures):
                        rec = fut.result()
                        errors += bool(rec.get("error"))
                        _finish(run, rec, bar, on_result)
                finally:
                    pool.shutdown(wait=False, cancel_futures=True)
        except KeyboardInterrupt:
            n = len(run.records())
            log(
                f"\ninterrupted: {n} of {len(questions)} questions are saved in {run.path}; "
                "`rag eval` with the same settings resumes it"
            )
            raise
        finally:
            if bar is not None:
                bar.close()
        elapsed = time.perf_counter() - t0
        meta = run.meta
        meta["sessions"][-1]["seconds"] = round(elapsed, 2)
        (run.path / "run.json").write_text(json.dumps(meta, indent=2))

        records = run.records()
        if errors:
            log(
                f"{errors} question(s) failed (see 'error' in {run.results_path}); "
                f"`rag eval --resume {run.path}` retries them"
            )
        summary = summarize(
            [records[q.id] for q in questions if q.id in records],
            questions=questions,
            meta=meta,
            settings=settings,
            backend=backend_used,
            k=k,
            judge_model=the_judge.model if the_judge else None,
        )
        ids = sorted({pid for r in records.values() for pid in r["gold"] + r.get("sources", [])})
        by_id = assistant.papers_by_id(ids)
        titles = {pid: p.title for pid, p in by_id.items()}
        if filters:
            summary["settings"]["filters"] = filters.public()
        if not errors:
            write_report(run.path, summary, list(records.values()), titles, by_id)
            (run.path / "summary.json").write_text(json.dumps(summary, indent=2))
        else:  # an unfinished run keeps no summary.json, so the next run resumes it
            write_report(run.path, summary, list(records.values()), titles, by_id)
        return RunOutcome(run.path, summary, len(done), len(todo))
    finally:
        run.unlock()


def _bar(total: int, initial: int, enabled: bool):
    if not enabled or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc="eval", unit="q", file=sys.stderr, leave=False)


def _finish(run: RunDir, rec: dict, bar, on_result) -> None:
    run.append(rec)
    if bar is not None:
        bar.update(1)
    if on_result is not None:
        on_result(rec)
