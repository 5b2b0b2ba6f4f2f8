"""The gold question file: its format, checked line by line, and where it lives."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..config import REPO_DIR
from ..errors import ConfigError

QUESTION_TYPES = ("single", "multi", "followup", "unanswerable")
RANK_DEPTH = 10  # ranking depth scored by nDCG@10, MRR@10, recall@10
WORST_SHOWN = 10


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
    kind: str | None = None  # the kind of answer wanted (eval/README.md), optional
    split: str | None = None  # "dev" or "test", optional
    parts: list[str] = field(default_factory=list)
    part_facts: list[list[str]] = field(default_factory=list)
    none_expected: bool = False

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


SPLITS = ("dev", "test")


def _extra_fields(d: dict, where: str, facts: list[str]) -> dict:
    """The optional kind, split, parts, part_facts and none_expected of one line, checked."""
    out: dict = {}
    for key in ("kind", "split"):
        v = d.get(key)
        if v is not None and not isinstance(v, str):
            raise ConfigError(f"{where}: {key!r} must be a string")
        out[key] = v
    if out["split"] is not None and out["split"] not in SPLITS:
        raise ConfigError(f"{where}: split {out['split']!r} is not one of dev, test")
    parts = d.get("parts") or []
    pf = d.get("part_facts") or []
    if not isinstance(parts, list) or not all(isinstance(x, str) for x in parts):
        raise ConfigError(f"{where}: 'parts' must be a list of strings")
    if not isinstance(pf, list) or not all(
        isinstance(x, list) and all(isinstance(y, str) for y in x) for x in pf
    ):
        raise ConfigError(f"{where}: 'part_facts' must be a list of lists of strings")
    if pf and len(pf) != len(parts):
        raise ConfigError(f"{where}: 'part_facts' needs one list per entry of 'parts'")
    out["parts"], out["part_facts"] = parts, pf
    out["none_expected"] = bool(d.get("none_expected", False))
    return out


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
        extra = _extra_fields(d, where, lists["facts"])
        out.append(Question(qid, qtype, text.strip(), **lists, **extra))
    if not out:
        raise ConfigError(f"{path} holds no questions")
    return out
