"""The bundled gold question file passes eval/check_questions.py, and the checker catches errors."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "store" / "corpus"
QUESTIONS = REPO / "eval" / "questions.jsonl"


@pytest.fixture(scope="module")
def checker():
    spec = importlib.util.spec_from_file_location(
        "check_questions", REPO / "eval" / "check_questions.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_bundled_question_file_is_clean(checker):
    problems, rows = checker.check_file(QUESTIONS, CORPUS)
    assert problems == []
    assert len(rows) >= 150
    # the original 88 keep their ids; every kind the answerers must handle is represented
    assert {f"q{i:03d}" for i in range(1, 89)} <= {d["id"] for d in rows}
    kinds = Counter(d["kind"] for d in rows)
    assert set(kinds) == set(checker.KINDS)
    for kind in ("reason", "quantity", "name", "compound", "list"):
        assert kinds[kind] >= 10, kind
    assert any(d.get("none_expected") for d in rows if d["type"] == "followup")
    # both halves hold every type, and the halves are about equal
    splits = Counter(d["split"] for d in rows)
    assert abs(splits["dev"] - splits["test"]) <= len(rows) // 20
    for t in checker.TYPES:
        assert {d["split"] for d in rows if d["type"] == t} == {"dev", "test"}, t


def _write(tmp_path, rows):
    f = tmp_path / "q.jsonl"
    f.write_text("".join(json.dumps(d) + "\n" for d in rows), encoding="utf-8")
    return f


def test_checker_names_each_problem(checker, tmp_path):
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    by = {d["id"]: d for d in rows}
    by["q001"]["facts"] = ["12.4% higher accuracy"]  # not in the abstract (it says 12.3%)
    by["q002"]["gold"] = ["000000000000"]
    by["q069"].pop("history")
    by["q014"].pop("parts")
    by["q077"]["gold"] = ["f18d22164350"]
    by["q003"]["kind"] = "odd"
    rows.append(dict(by["q005"]))  # the same id twice
    problems, _ = checker.check_file(_write(tmp_path, rows), CORPUS)
    text = "\n".join(problems)
    assert "q001: fact '12.4% higher accuracy' is not a substring" in text
    assert "q002: gold paper(s) ['000000000000'] are not in the corpus" in text
    assert "q069: a followup needs 'history'" in text
    assert "q014: a compound question lists its sub-questions in 'parts'" in text
    assert "q077: an unanswerable question has no gold papers" in text
    assert "q003: kind 'odd' is not one of" in text
    assert "q005: id already used on line 5" in text
    assert "split(s) differ from the rule" in text  # q003 left the method group


def test_split_rule_is_stable_when_questions_are_appended(checker):
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    before = checker.expected_splits(rows)
    extra = [
        {"id": f"q{900 + i}", "type": t, "kind": k}
        for i, (t, k) in enumerate([("single", "reason"), ("multi", "list"), ("single", "none")])
    ]
    after = checker.expected_splits(rows + extra)
    assert {q: after[q] for q in before} == before
