"""Evaluate: run a gold question set through the Assistant and score what comes out.

Every question goes through the same :class:`~rag.assistant.Assistant` the CLI and the UI call
(follow-ups through the chat API when there is one). Per question we keep the answer, what was
retrieved and cited, the timings and the metrics, appended to ``results.jsonl`` as soon as the
question is done, so an interrupted run resumes where it stopped. At the end the records are
aggregated into ``summary.json`` and rendered by :mod:`rag.report`.

Metrics (per question, then averaged):

* retrieval, against the gold papers: hit@1, hit@k, MRR@10, nDCG@10, recall@k, recall@10
  (k = the number of sources an answer draws on, ``top_k``);
* citations: validity (the cited number points at a retrieved source and names its paper),
  precision and recall of the cited papers against the gold papers, and ALCE-style sentence
  support (each answer sentence scored against the passages it cites with the local support
  scorer, :mod:`rag.support`) with its citation precision; an LLM judge when a model is set;
* answers: key-fact recall (facts are literal, case-insensitive substrings), abstention
  precision and recall;
* cost: latency p50/p95 per stage (``timings_ms``), tokens and USD when an LLM answers.

``run_beir`` scores retrieval alone on a BEIR-format dataset in a temporary store.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from .config import REPO_DIR, Settings, get_settings
from .errors import ConfigError, NotFound, RagError
from .metrics import (
    hit_at_k,
    mean,
    mrr_at_k,
    ndcg_at_k,
    percentile,
    precision_recall,
    recall_at_k,
)

QUESTION_TYPES = ("single", "multi", "followup", "unanswerable")
RANK_DEPTH = 10  # ranking depth scored by nDCG@10, MRR@10, recall@10
WORST_SHOWN = 10
_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")

Log = Callable[[str], None]


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- the question file ---------------------------------------------------------------------------
@dataclass
class Question:
    id: str
    type: str
    question: str
    gold: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"


def default_questions_path() -> Path:
    """The bundled gold set (eval/questions.jsonl of this checkout), else ./eval/questions.jsonl."""
    bundled = REPO_DIR / "eval" / "questions.jsonl"
    return bundled if bundled.exists() else Path("eval") / "questions.jsonl"


def default_runs_dir() -> Path:
    """eval/runs of this checkout, else ./eval/runs."""
    if (REPO_DIR / "eval").is_dir():
        return REPO_DIR / "eval" / "runs"
    return Path("eval") / "runs"


def load_questions(path: Path) -> list[Question]:
    """Read and check a question file (format: eval/README.md)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"no question file at {path}: give a JSON Lines file (format in eval/README.md)"
        )
    out: list[Question] = []
    seen: set[str] = set()
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{no}"
        try:
            d = json.loads(line)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{where}: not valid JSON ({e.msg}); one object per line") from None
        if not isinstance(d, dict):
            raise ConfigError(f"{where}: expected a JSON object")
        qid = str(d.get("id") or f"line{no}")
        qtype = d.get("type", "single")
        text = d.get("question")
        if qtype not in QUESTION_TYPES:
            raise ConfigError(f"{where}: type {qtype!r} is not one of {', '.join(QUESTION_TYPES)}")
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"{where}: 'question' must be a non-empty string")
        if qid in seen:
            raise ConfigError(f"{where}: the id {qid!r} is used twice; ids must be unique")
        seen.add(qid)
        lists = {}
        for key in ("gold", "facts", "history"):
            v = d.get(key) or []
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise ConfigError(f"{where}: {key!r} must be a list of strings")
            lists[key] = v
        if qtype == "unanswerable" and lists["gold"]:
            raise ConfigError(f"{where}: an unanswerable question has no gold papers")
        if qtype == "followup" and not lists["history"]:
            raise ConfigError(f"{where}: a followup needs 'history' (the earlier turns)")
        out.append(Question(qid, qtype, text.strip(), **lists))
    if not out:
        raise ConfigError(f"{path} holds no questions")
    return out


# --- settings recorded with a run ----------------------------------------------------------------
def settings_record(settings: Settings) -> dict:
    """Every setting, JSON-ready, secrets reduced to whether they are set."""
    out = {}
    for k, v in settings.model_dump().items():
        if isinstance(v, SecretStr):
            v = "<set>" if v.get_secret_value() else None
        elif isinstance(v, Path):
            v = str(v)
        elif isinstance(v, str) and "://" in v and "@" in v.split("://", 1)[1].split("/", 1)[0]:
            scheme, rest = v.split("://", 1)
            v = f"{scheme}://<credentials>@{rest.split('@', 1)[1]}"  # userinfo in a URL
        out[k] = v
    return out


def _git_commit() -> str | None:
    with contextlib.suppress(Exception):
        r = subprocess.run(
            ["git", "-C", str(REPO_DIR), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        if r.returncode == 0:
            return r.stdout.strip() or None
    return None


def _llm_configured(settings: Settings) -> bool:
    from .llm import llm_endpoint

    return llm_endpoint(settings) is not None


# --- follow-ups ------------------------------------------------------------------------------------
def followup_mode(assistant=None) -> str:
    """How follow-ups are asked: through the chat API (Assistant.chat), or as bare questions."""
    from .assistant import Assistant

    if callable(getattr(assistant or Assistant, "chat", None)):
        return "chat: earlier turns answered first, then Assistant.chat(question, history)"
    return "question-only: no chat API, the follow-up is asked without its history"


def answer_history(assistant, q: Question, *, k: int | None, backend: str | None) -> list:
    """A follow-up's earlier turns, asked in order through the chat API (as a user would)."""
    chat = getattr(assistant, "chat", None)
    if not q.history or not callable(chat):
        return []
    turns: list = []
    for h in q.history:
        turns.append(chat(h, history=list(turns), k=k, backend=backend))
    return turns


def ask_question(assistant, q: Question, *, k: int | None, backend: str | None, turns=None):
    """One question through the Assistant; a follow-up with its answered history through chat."""
    if turns:
        return assistant.chat(q.question, history=turns, k=k, backend=backend)
    return assistant.ask(q.question, k=k, backend=backend)


# --- scoring one answer ----------------------------------------------------------------------------
def answer_sentences(ans) -> list[tuple[str, list[int]]]:
    """(sentence, cited source numbers) for each sentence of an answer."""
    if ans.sentences:
        return [(s.text, list(s.citations)) for s in ans.sentences]
    from .text import split_sentences

    out = []
    for s in split_sentences(ans.answer):
        nums = [int(n) for m in _MARKER.findall(s) for n in re.split(r"\s*[,;]\s*", m)]
        out.append((s, nums))
    return out


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def score_support(
    sentences: list[tuple[str, list[int]]], passages: dict[int, str], scorer, threshold: float
) -> dict:
    """ALCE-style support: is each sentence backed by what it cites, and is each citation needed.

    A sentence is supported when its cited passages together score at least ``threshold`` with
    the local support scorer (no citation: unsupported); a sentence quoted verbatim from a cited
    passage is supported without scoring (support 1.0). A citation is relevant when its passage
    alone supports the sentence, or when leaving it out makes the sentence unsupported.
    """
    from .support import clean_claim

    claims = [clean_claim(text) for text, _ in sentences]
    cites_of = [[n for n in dict.fromkeys(c) if n in passages] for _, c in sentences]
    normed = {n: _norm(p) for n, p in passages.items()}
    quoted = {
        (i, n): bool(claims[i]) and _norm(claims[i]) in normed[n]
        for i, cs in enumerate(cites_of)
        for n in cs
    }
    # one scorer call for every (sentence, passage) pair that is not a verbatim quote
    rows = sorted({i for (i, n), q in quoted.items() if not q})
    cols = sorted({n for (i, n), q in quoted.items() if not q})
    matrix = (
        scorer.score_matrix([claims[i] for i in rows], [passages[n] for n in cols])
        if rows
        else None
    )

    def alone(i: int, n: int) -> float:
        if quoted[(i, n)]:
            return 1.0
        return float(matrix[rows.index(i), cols.index(n)])

    def together(i: int, ns: list[int]) -> float:
        if not ns:
            return 0.0
        if len(ns) == 1 or any(quoted[(i, n)] for n in ns):
            return max(alone(i, n) for n in ns)
        return scorer.score(claims[i], ["\n".join(passages[n] for n in ns)])

    per_sentence = []
    relevant = total = 0
    for i, (text, _) in enumerate(sentences):
        cites = cites_of[i]
        joint = together(i, cites)
        supported = bool(cites) and joint >= threshold
        for n in cites:
            total += 1
            if alone(i, n) >= threshold:
                relevant += 1
            elif supported and together(i, [m for m in cites if m != n]) < threshold:
                relevant += 1
        per_sentence.append(
            {
                "text": text,
                "citations": cites,
                "support": round(joint, 4),
                "supported": supported,
                "verbatim": any(quoted[(i, n)] for n in cites),
            }
        )
    n = len(per_sentence)
    return {
        "sentences": per_sentence,
        "sentence_support": sum(s["supported"] for s in per_sentence) / n if n else None,
        "support_precision": relevant / total if total else None,
    }


def score_answer(q: Question, ans, ranking: list[str], k: int, scorer, threshold: float) -> dict:
    """The metrics of one answered question (None where a metric does not apply)."""
    m: dict[str, float | None] = {}
    if q.gold:
        qrels = {g: 1.0 for g in q.gold}
        m["hit@1"] = hit_at_k(ranking, qrels, 1)
        m[f"hit@{k}"] = hit_at_k(ranking, qrels, k)
        m["mrr@10"] = mrr_at_k(ranking, qrels, RANK_DEPTH)
        m["ndcg@10"] = ndcg_at_k(ranking, qrels, RANK_DEPTH)
        m[f"recall@{k}"] = recall_at_k(ranking, qrels, k)
        m["recall@10"] = recall_at_k(ranking, qrels, RANK_DEPTH)
    sources = [h.paper.paper_id for h in ans.sources]
    support = {"sentences": [], "sentence_support": None, "support_precision": None}
    if ans.abstained:
        m["citation_validity"] = None
        m["citation_precision"] = None
        m["citation_recall"] = 0.0 if q.gold else None
        m["fact_recall"] = 0.0 if q.facts and q.answerable else None
    else:
        numbers = {c.n: c.paper_id for c in ans.citations}
        for _, cites in answer_sentences(ans):
            for n in cites:
                numbers.setdefault(n, None)
        valid = [
            1 <= n <= len(sources) and (pid is None or sources[n - 1] == pid)
            for n, pid in numbers.items()
        ]
        m["citation_validity"] = sum(valid) / len(valid) if valid else None
        cited = [c.paper_id for c in ans.citations]
        prec, rec = precision_recall(cited, q.gold)
        m["citation_precision"] = prec
        m["citation_recall"] = rec
        text = ans.answer.lower()
        m["fact_recall"] = (
            sum(f.lower() in text for f in q.facts) / len(q.facts) if q.facts else None
        )
        passages = {
            i: f"{h.paper.title}. {h.paper.text}" for i, h in enumerate(ans.sources, start=1)
        }
        support = score_support(answer_sentences(ans), passages, scorer, threshold)
    m["sentence_support"] = support["sentence_support"]
    m["support_precision"] = support["support_precision"]
    return {"metrics": m, "sentences": support["sentences"]}


def quality(record: dict) -> float:
    """One number per question for ranking the worst: 0 (bad) .. 1 (good)."""
    if record.get("error"):
        return 0.0
    if record["type"] == "unanswerable":
        return 1.0 if record["abstained"] else 0.0
    if record["abstained"]:
        return 0.0
    m = record["metrics"]
    k = record.get("k", 5)
    parts = [
        m.get(f"hit@{k}"),
        m.get("fact_recall"),
        m.get("citation_recall"),
        m.get("sentence_support"),
    ]
    parts = [p for p in parts if p is not None]
    return mean(parts) if parts else 1.0


# --- the LLM judge -----------------------------------------------------------------------------------
class LLMJudge:
    """Grades answers with the configured model (OpenAI or OpenAI-compatible, via rag.llm)."""

    def __init__(self, settings: Settings, model: str | None = None) -> None:
        from .llm import LLMClient

        if model:
            settings = settings.model_copy(update={"llm_model": model})
        self.client = LLMClient(settings)
        self.model = self.client.endpoint.model
        self.prompt = (Path(__file__).parent / "prompts" / "judge.txt").read_text(encoding="utf-8")

    def judge(self, question: str, answer: str, sources: list[tuple[int, str, str]]) -> dict:
        """{"supported": 0..1, "correct": 0..1, "explanation": str, "usage": {...}}."""
        src = "\n\n".join(
            f"<source n={n}>\n{title}\n{text}\n</source>" for n, title, text in sources
        )
        user = f"<question>\n{question}\n</question>\n\n{src}\n\n<answer>\n{answer}\n</answer>"
        comp = self.client.complete(
            [{"role": "system", "content": self.prompt}, {"role": "user", "content": user}],
            max_tokens=300,
        )
        text = comp.text
        found = re.search(r"\{.*\}", text, re.DOTALL)
        try:
            d = json.loads(found.group(0)) if found else {}
            supported = float(d["supported"])
            correct = float(d["correct"])
        except (ValueError, KeyError, TypeError):
            raise RagError(
                f"the LLM judge did not reply with the JSON asked for: {text[:120]!r}"
            ) from None
        return {
            "supported": min(max(supported, 0.0), 1.0),
            "correct": min(max(correct, 0.0), 1.0),
            "explanation": str(d.get("explanation", ""))[:500],
            "usage": _usage_numbers(comp.usage.to_dict()),
        }


# --- one question, end to end --------------------------------------------------------------------
def _usage_numbers(usage) -> dict:
    if not isinstance(usage, dict):
        return {}
    return {
        k: v for k, v in usage.items() if isinstance(v, int | float) and not isinstance(v, bool)
    }


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
        "k": k,
    }
    try:
        turns = answer_history(assistant, q, k=k, backend=backend)  # not timed: earlier turns
        t0 = time.perf_counter()
        ans = ask_question(assistant, q, k=k, backend=backend, turns=turns)
    except RagError as e:
        rec.update(error=str(e), abstained=None, metrics={})
        return rec
    total = (time.perf_counter() - t0) * 1000
    asked = ans.standalone_question or q.question
    ranking = [h.paper.paper_id for h in assistant.retrieve(asked, max(RANK_DEPTH, k)).hits]
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
            {n for _, ns in answer_sentences(ans) for n in ns} | {c.n for c in ans.citations}
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
) -> RunOutcome:
    """Run (or resume) an evaluation and write results.jsonl, summary.json, report.md, plots."""
    from .assistant import Assistant
    from .report import write_report
    from .support import scorer_for

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
        settings = base.model_copy(update={"store": Path(meta["settings_overrides"]["store"])})
        backend, k, limit = meta["backend_choice"], meta["k"], meta["limit"]
    questions_path = Path(questions_path or default_questions_path())
    questions = load_questions(questions_path)
    if limit:
        questions = questions[:limit]
    settings = settings or (assistant.settings if assistant else get_settings())
    assistant = assistant or Assistant(settings)
    k = k or settings.top_k
    backend_used = assistant.backend_name(backend)
    store = assistant.store
    fingerprint = {
        "questions_sha256": _sha256(questions_path),
        "questions_file": str(questions_path.resolve()),
        "limit": limit,
        "backend": backend_used,
        "k": k,
        "settings": settings_record(settings),
        "store_papers": store.catalogue.count(),
        "store_generation": store.catalogue.generation,
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
            "settings_overrides": {"store": str(settings.store)},
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
            return rec

        if todo:  # load the model and open the indexes first, so no question pays for it
            tw = time.perf_counter()
            assistant.retrieve("warm-up", 1)
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
        titles = {pid: p.title for pid, p in store.catalogue.get_many(ids).items()}
        if not errors:
            write_report(run.path, summary, list(records.values()), titles)
            (run.path / "summary.json").write_text(json.dumps(summary, indent=2))
        else:  # an unfinished run keeps no summary.json, so the next run resumes it
            write_report(run.path, summary, list(records.values()), titles)
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


# --- aggregation ---------------------------------------------------------------------------------------
LOWER_IS_BETTER_PREFIXES = ("latency.", "cost.", "answers.false_abstention_rate", "errors")


def _avg(records: list[dict], key: str) -> float | None:
    xs = [r["metrics"].get(key) for r in records if not r.get("error")]
    xs = [x for x in xs if x is not None]
    return round(mean(xs), 4) if xs else None


def _metric_block(records: list[dict], k: int, overall: bool = True) -> dict:
    ok = [r for r in records if not r.get("error")]
    block = {
        "retrieval.hit@1": _avg(ok, "hit@1"),
        f"retrieval.hit@{k}": _avg(ok, f"hit@{k}"),
        "retrieval.mrr@10": _avg(ok, "mrr@10"),
        "retrieval.ndcg@10": _avg(ok, "ndcg@10"),
        f"retrieval.recall@{k}": _avg(ok, f"recall@{k}"),
        "retrieval.recall@10": _avg(ok, "recall@10"),
        "citations.validity": _avg(ok, "citation_validity"),
        "citations.precision": _avg(ok, "citation_precision"),
        "citations.recall": _avg(ok, "citation_recall"),
        "citations.sentence_support": _avg(ok, "sentence_support"),
        "citations.support_precision": _avg(ok, "support_precision"),
        "answers.fact_recall": _avg(ok, "fact_recall"),
    }
    unans = [r for r in ok if r["type"] == "unanswerable"]
    ans = [r for r in ok if r["type"] != "unanswerable"]
    abstained = [r for r in ok if r["abstained"]]
    tp = sum(r["type"] == "unanswerable" for r in abstained)
    if overall:  # within one question type, precision of abstaining says nothing
        block["answers.abstention_precision"] = round(tp / len(abstained), 4) if abstained else None
    block["answers.abstention_recall"] = round(tp / len(unans), 4) if unans else None
    block["answers.false_abstention_rate"] = (
        round(sum(r["abstained"] for r in ans) / len(ans), 4) if ans else None
    )
    judged = [
        r["judge"] for r in ok if isinstance(r.get("judge"), dict) and "correct" in r["judge"]
    ]
    if judged:
        block["judge.supported"] = round(mean([j["supported"] for j in judged]), 4)
        block["judge.correct"] = round(mean([j["correct"] for j in judged]), 4)
    return block


def latency_table(records: list[dict]) -> dict[str, dict[str, float]]:
    """Per stage of timings_ms: n, mean, p50 and p95 in milliseconds."""
    stages: dict[str, list[float]] = {}
    for r in records:
        for stage, ms in (r.get("timings_ms") or {}).items():
            stages.setdefault(stage, []).append(float(ms))
    return {
        stage: {
            "n": len(xs),
            "mean": round(mean(xs), 2),
            "p50": round(percentile(xs, 50), 2),
            "p95": round(percentile(xs, 95), 2),
        }
        for stage, xs in stages.items()
    }


def summarize(
    records: list[dict],
    *,
    questions: list[Question],
    meta: dict,
    settings: Settings,
    backend: str,
    k: int,
    judge_model: str | None = None,
) -> dict:
    """summary.json: settings, headline metrics, metrics by question type, latency, cost."""
    ok = [r for r in records if not r.get("error")]
    metrics = _metric_block(records, k)
    lat = latency_table(ok)
    for stage, row in lat.items():
        metrics[f"latency.{stage}.p50_ms"] = row["p50"]
        metrics[f"latency.{stage}.p95_ms"] = row["p95"]
    usage: dict[str, float] = {}
    for r in ok:
        for key, v in (r.get("usage") or {}).items():
            usage[key] = usage.get(key, 0) + v
    judge_usage: dict[str, float] = {}
    for r in ok:
        for key, v in ((r.get("judge") or {}).get("usage") or {}).items():
            if isinstance(v, int | float):
                judge_usage[key] = judge_usage.get(key, 0) + v
    if usage.get("calls"):  # per question of the set, abstentions (no model call) included
        for key, v in usage.items():
            metrics[f"cost.{key}_per_question"] = round(v / len(ok), 6 if "usd" in key else 2)
    metrics["errors"] = len(records) - len(ok)
    by_type = {
        t: {
            key: v
            for key, v in _metric_block([r for r in records if r["type"] == t], k, False).items()
            if v is not None
        }
        for t in QUESTION_TYPES
        if any(r["type"] == t for r in records)
    }
    sessions = meta.get("sessions", [])
    return {
        "run": {
            "id": meta.get("id"),
            "kind": "questions",
            "created": meta.get("created"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "questions_file": meta.get("questions_file"),
            "questions_sha256": meta.get("questions_sha256"),
            "questions": len(questions),
            "answered": len(records),
            "abstained": sum(1 for r in ok if r["abstained"]),
            "errors": len(records) - len(ok),
            "sessions": len(sessions),
            "seconds": round(sum(s.get("seconds", 0) for s in sessions), 2),
            "workers": sessions[-1]["workers"] if sessions else None,
            "git_commit": _git_commit(),
            "followup_mode": meta.get("fingerprint", {}).get("followup_mode") or followup_mode(),
            "support_scorer": "rag.support (0.6 dense + 0.4 lexical)",
            "support_threshold": settings.support_threshold,
            "judge_model": judge_model,
        },
        "settings": {
            "backend": backend,
            "llm_model": settings.llm_model if backend == "llm" else None,
            "embed_model": settings.embed_model,
            "chunk_size": settings.chunk_size,
            "chunk_overlap": settings.chunk_overlap,
            "top_k": k,
            "candidates": settings.candidates,
            "rrf_k": settings.rrf_k,
            "dense_weight": settings.dense_weight,
            "keyword_weight": settings.keyword_weight,
            "abstain_dense": settings.abstain_dense,
            "abstain_sentence": settings.abstain_sentence,
            "store_papers": meta.get("fingerprint", {}).get("store_papers"),
            "all": settings_record(settings),
        },
        "metrics": metrics,
        "by_type": by_type,
        "latency_ms": lat,
        "usage": {"answers": usage or None, "judge": judge_usage or None},
    }


# --- comparing two runs -----------------------------------------------------------------------------
@dataclass
class Comparison:
    rows: list[tuple[str, float | None, float | None, float | None, str]]
    regressions: list[str]
    settings_diff: list[tuple[str, object, object]]
    question_changes: list[str]
    notes: list[str]


def _load_summary(path: Path) -> dict:
    p = Path(path)
    f = p / "summary.json" if p.is_dir() else p
    if not f.exists():
        hint = (
            " (the run did not finish: resume it with `rag eval --resume RUN`)"
            if p.is_dir()
            else ""
        )
        raise NotFound(f"no summary.json in {p}{hint}")
    return json.loads(f.read_text())


def lower_is_better(metric: str) -> bool:
    return metric.startswith(LOWER_IS_BETTER_PREFIXES)


def compare_runs(
    a: Path, b: Path, tolerance: float = 0.02, latency_tolerance: float = 0.25
) -> Comparison:
    """Differences of B against A; a quality drop beyond ``tolerance`` is a regression.

    Latency and cost regress when B is more than ``latency_tolerance`` (a share) above A and the
    difference is more than 5 ms (timer noise).
    """
    sa, sb = _load_summary(a), _load_summary(b)
    ma, mb = sa["metrics"], sb["metrics"]
    rows = []
    regressions = []
    for key in list(ma) + [x for x in mb if x not in ma]:
        va, vb = ma.get(key), mb.get(key)
        delta = None if va is None or vb is None else vb - va
        flag = ""
        if delta is not None:
            # beyond noise: a share of A (and 5 ms) for latency and cost, ``tolerance`` otherwise
            if key.startswith(("latency.", "cost.")):
                change = abs(delta) > latency_tolerance * abs(va) and (
                    not key.startswith("latency.") or abs(delta) > 5.0
                )
            else:
                change = abs(delta) > (0 if key == "errors" else tolerance)
            up_is_bad = lower_is_better(key)
            if change and (delta > 0) == up_is_bad:
                flag = "REGRESSION"
                regressions.append(key)
            elif change:
                flag = "better"
        elif va is None and vb is not None:
            flag = "new"
        elif vb is None and va is not None:
            flag = "gone"
        rows.append((key, va, vb, delta, flag))
    notes = []
    ra, rb = sa.get("run", {}), sb.get("run", {})
    if ra.get("questions_sha256") != rb.get("questions_sha256") or ra.get("kind") != rb.get("kind"):
        notes.append("the two runs used different question sets: differences may not mean much")
    flat_a = sa.get("settings", {}).get("all", {})
    flat_b = sb.get("settings", {}).get("all", {})
    top_a = {k: v for k, v in sa.get("settings", {}).items() if k != "all"}
    top_b = {k: v for k, v in sb.get("settings", {}).items() if k != "all"}
    settings_diff = []
    for key in sorted(set(top_a) | set(top_b) | set(flat_a) | set(flat_b)):
        va = top_a.get(key, flat_a.get(key))
        vb = top_b.get(key, flat_b.get(key))
        if va != vb and key != "store":
            settings_diff.append((key, va, vb))
    changes = []
    with contextlib.suppress(OSError, json.JSONDecodeError, KeyError):
        if Path(a).is_dir() and Path(b).is_dir():
            qa, qb = RunDir(Path(a)).records(), RunDir(Path(b)).records()
            for qid in qa:
                if qid not in qb or qa[qid].get("error") or qb[qid].get("error"):
                    continue
                x, y = quality(qa[qid]), quality(qb[qid])
                if y < x - 0.25:
                    what = []
                    if qa[qid]["abstained"] != qb[qid]["abstained"]:
                        what.append(
                            "now abstains" if qb[qid]["abstained"] else "no longer abstains"
                        )
                    kk = qb[qid].get("k", 5)
                    if (
                        qa[qid]["metrics"].get(f"hit@{kk}") == 1
                        and qb[qid]["metrics"].get(f"hit@{kk}") == 0
                    ):
                        what.append("gold paper fell out of the sources")
                    changes.append(
                        f"{qid} ({qb[qid]['type']}): quality {x:.2f} -> {y:.2f}"
                        + (f"; {', '.join(what)}" if what else "")
                    )
    return Comparison(rows, regressions, settings_diff, changes, notes)


def format_comparison(c: Comparison, a: Path, b: Path) -> str:
    """The comparison as plain text for the terminal."""
    lines = [f"A: {a}", f"B: {b}", ""]
    for n in c.notes:
        lines.append(f"note: {n}")
    if c.settings_diff:
        lines.append("settings that differ:")
        for key, va, vb in c.settings_diff:
            lines.append(f"  {key}: {va!r} -> {vb!r}")
        lines.append("")
    lines.append(f"{'metric':<38} {'A':>10} {'B':>10} {'B-A':>10}")
    for key, va, vb, d, flag in c.rows:

        def fmt(v):
            return "-" if v is None else (f"{v:.1f}" if abs(v) >= 10 else f"{v:.3f}")

        dd = "-" if d is None else (f"{d:+.1f}" if abs(d) >= 10 else f"{d:+.3f}")
        lines.append(f"{key:<38} {fmt(va):>10} {fmt(vb):>10} {dd:>10}  {flag}".rstrip())
    if c.question_changes:
        lines.append("")
        lines.append("questions that got worse:")
        lines.extend(f"  {x}" for x in c.question_changes)
    lines.append("")
    if c.regressions:
        lines.append(f"{len(c.regressions)} regression(s): {', '.join(c.regressions)}")
    else:
        lines.append("no regressions")
    return "\n".join(lines)


# --- BEIR ----------------------------------------------------------------------------------------------
def load_qrels(path: Path) -> dict[str, dict[str, float]]:
    """BEIR qrels (query-id, corpus-id, score; tab-separated, with or without a header)."""
    qrels: dict[str, dict[str, float]] = {}
    for no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 3:
            raise ConfigError(f"{path}:{no}: expected query-id<TAB>corpus-id<TAB>score")
        try:
            score = float(parts[-1])
        except ValueError:
            if no == 1:
                continue  # the header
            raise ConfigError(f"{path}:{no}: the score {parts[-1]!r} is not a number") from None
        qrels.setdefault(parts[0], {})[parts[1]] = score
    return qrels


def load_beir_queries(path: Path) -> dict[str, str]:
    out = {}
    for no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out[str(d["_id"])] = str(d["text"])
        except (json.JSONDecodeError, KeyError, TypeError):
            raise ConfigError(f"{path}:{no}: expected a JSON object with _id and text") from None
    return out


def run_beir(
    directory: Path,
    *,
    settings: Settings | None = None,
    split: str = "test",
    mode: str = "hybrid",
    depth: int = 100,
    runs_dir: Path | None = None,
    keep_store: bool = False,
    progress: bool = True,
    log: Log = _stderr,
) -> tuple[Path, dict]:
    """Score retrieval on a BEIR dataset in a temporary store: nDCG@10, Recall@100, MRR@10."""
    from .assistant import Assistant
    from .ingest import ingest
    from .report import write_beir_report

    d = Path(directory)
    corpus, queries_f, qrels_f = (
        d / "corpus.jsonl",
        d / "queries.jsonl",
        d / "qrels" / f"{split}.tsv",
    )
    missing = [str(p) for p in (corpus, queries_f, qrels_f) if not p.is_file()]
    if missing:
        raise ConfigError(
            f"{d} is not a BEIR dataset: missing {', '.join(missing)} "
            "(expected corpus.jsonl, queries.jsonl and qrels/<split>.tsv)"
        )
    qrels = load_qrels(qrels_f)
    queries = load_beir_queries(queries_f)
    judged = [qid for qid in queries if qid in qrels]
    if not judged:
        raise ConfigError(f"no query of {queries_f} has judgements in {qrels_f}")
    base = settings or get_settings()
    store = Path(tempfile.mkdtemp(prefix="rag-beir-"))
    s = base.model_copy(update={"store": store})
    try:
        t0 = time.perf_counter()
        rep = ingest([corpus], s, progress=progress)
        ingest_s = time.perf_counter() - t0
        if rep.rejected:
            log(f"{len(rep.rejected)} corpus record(s) rejected, e.g. {rep.rejected[0]}")
        assistant = Assistant(s)
        bar = _bar(len(judged), 0, progress)
        rows = []
        t1 = time.perf_counter()
        lat = []
        for qid in judged:
            text = queries[qid].replace("\n", " ").strip()
            tq = time.perf_counter()
            ranked = [h.paper.paper_id for h in assistant.search(text, k=depth, mode=mode)]
            lat.append((time.perf_counter() - tq) * 1000)
            rel = qrels[qid]
            rows.append(
                {
                    "id": qid,
                    "query": text,
                    "ndcg@10": ndcg_at_k(ranked, rel, 10),
                    f"recall@{depth}": recall_at_k(ranked, rel, depth),
                    "recall@10": recall_at_k(ranked, rel, 10),
                    "mrr@10": mrr_at_k(ranked, rel, 10),
                    "ranking": ranked[:10],
                    "relevant": sorted(d for d, g in rel.items() if g > 0),
                }
            )
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        search_s = time.perf_counter() - t1
        papers = assistant.store.catalogue.count()
        assistant.reset()
    finally:
        if keep_store:
            log(f"the BEIR store is kept at {store}")
        else:
            shutil.rmtree(store, ignore_errors=True)
    metrics = {
        f"beir.{key}": round(mean([r[key] for r in rows]), 4)
        for key in ("ndcg@10", f"recall@{depth}", "recall@10", "mrr@10")
    }
    metrics["latency.search.p50_ms"] = round(percentile(lat, 50), 2)
    metrics["latency.search.p95_ms"] = round(percentile(lat, 95), 2)
    run_path = _new_run_dir(Path(runs_dir or default_runs_dir()), f"-beir-{d.name}")
    with open(run_path / "results.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    summary = {
        "run": {
            "id": run_path.name,
            "kind": "beir",
            "dataset": str(d.resolve()),
            "split": split,
            "mode": mode,
            "queries": len(rows),
            "corpus": papers,
            "rejected": len(rep.rejected),
            "store": str(store),
            "store_kept": keep_store,
            "ingest_s": round(ingest_s, 1),
            "search_s": round(search_s, 1),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "git_commit": _git_commit(),
        },
        "settings": {
            "embed_model": s.embed_model,
            "chunk_size": s.chunk_size,
            "chunk_overlap": s.chunk_overlap,
            "candidates": s.candidates,
            "rrf_k": s.rrf_k,
            "dense_weight": s.dense_weight,
            "keyword_weight": s.keyword_weight,
            "depth": depth,
            "all": {k: v for k, v in settings_record(s).items() if k != "store"},
        },
        "metrics": metrics,
    }
    (run_path / "run.json").write_text(json.dumps({"kind": "beir", "id": run_path.name}, indent=2))
    (run_path / "summary.json").write_text(json.dumps(summary, indent=2))
    write_beir_report(run_path, summary, rows)
    return run_path, summary


def iter_headline(summary: dict) -> Iterable[tuple[str, float]]:
    """The metrics worth a line in the terminal, in order."""
    for key, v in summary["metrics"].items():
        if v is None or key.startswith("latency.") and not key.startswith("latency.total"):
            continue
        yield key, v
