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


HELDOUT = REPO / "eval" / "questions_heldout.jsonl"


def test_heldout_question_file_is_clean(checker):
    problems, rows = checker.check_file(HELDOUT, CORPUS, heldout=True)
    assert problems == []
    assert len(rows) >= 80
    assert {d["split"] for d in rows} == {"test"}
    kinds = Counter(d["kind"] for d in rows)
    assert set(kinds) == set(checker.KINDS)
    assert {d["type"] for d in rows} == set(checker.TYPES)
    assert any(d.get("none_expected") for d in rows)
    # ids of its own, so runs of the two sets are never confused question by question
    bundled = {
        json.loads(line)["id"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines()
    }
    assert not bundled & {d["id"] for d in rows}


def test_heldout_checks_catch_a_dev_split_a_reused_id_and_a_near_copy(checker, tmp_path):
    rows = [json.loads(line) for line in HELDOUT.read_text(encoding="utf-8").splitlines()]
    bundled = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    rows[0]["split"] = "dev"
    rows[1]["id"] = bundled[0]["id"]
    copied = dict(bundled[135])  # a compound question, reworded by one word only
    copied["id"], copied["split"] = "h999", "test"
    copied["question"] = copied["question"].replace("called", "named")
    rows.append(copied)
    path = _write(tmp_path, rows)
    problems, _ = checker.check_file(path, CORPUS, heldout=True, reference=QUESTIONS)
    text = "\n".join(problems)
    assert f"{rows[0]['id']}: a held-out question is split 'test', not 'dev'" in text
    assert f"{bundled[0]['id']}: id also used in questions.jsonl" in text
    assert "h999: near copy" in text
    # the same file checked as an ordinary set fails the alternation rule instead
    problems, _ = checker.check_file(path, CORPUS)
    assert any("split(s) differ from the rule" in p for p in problems)
    assert not any("near copy" in p for p in problems)


def test_heldout_file_name_implies_the_heldout_checks(checker, tmp_path, capsys):
    assert checker.main([str(HELDOUT), "--corpus", str(CORPUS)]) == 0
    assert "split: test " in capsys.readouterr().out
    plain = tmp_path / "mine.jsonl"
    plain.write_text(HELDOUT.read_text(encoding="utf-8"), encoding="utf-8")
    assert checker.main([str(plain), "--corpus", str(CORPUS)]) == 1  # alternation rule applies
    assert checker.main([str(plain), "--corpus", str(CORPUS), "--heldout"]) == 0


def test_heldout_file_loads_for_rag_eval():
    from rag.eval.questions import load_questions

    qs = load_questions(HELDOUT)
    assert len(qs) >= 80 and all(q.split == "test" for q in qs)
    assert all(q.parts and len(q.parts) == len(q.part_facts) for q in qs if q.kind == "compound")


DEV2 = REPO / "eval" / "questions_dev2.jsonl"


def test_transfer_question_file_is_clean(checker):
    problems, rows = checker.check_file(DEV2, CORPUS, transfer=True)
    assert problems == []
    assert len(rows) >= 100
    assert {d["split"] for d in rows} == {"dev"}
    assert set(Counter(d["kind"] for d in rows)) == set(checker.KINDS)
    assert {d["type"] for d in rows} == set(checker.TYPES)
    assert any(d.get("none_expected") for d in rows)
    others = {
        json.loads(line)["id"]
        for f in (QUESTIONS, HELDOUT)
        for line in f.read_text(encoding="utf-8").splitlines()
    }
    assert not others & {d["id"] for d in rows}


def test_transfer_checks_catch_a_test_split_and_copies_of_either_set(checker, tmp_path, capsys):
    rows = [json.loads(line) for line in DEV2.read_text(encoding="utf-8").splitlines()]
    rows[0]["split"] = "test"
    for source, qid in ((QUESTIONS, "d998"), (HELDOUT, "d999")):
        copied = dict(json.loads(source.read_text(encoding="utf-8").splitlines()[0]))
        copied.update(id=qid, split="dev")
        rows.append(copied)
    path = tmp_path / "mine_dev7.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in rows), encoding="utf-8")
    problems, _ = checker.check_file(path, CORPUS, transfer=True)
    text = "\n".join(problems)
    assert f"{rows[0]['id']}: a transfer-check question is split 'dev', not 'test'" in text
    assert "d998: near copy (1.00) of questions.jsonl" in text
    assert "d999: near copy (1.00) of questions_heldout.jsonl" in text
    # the file name alone implies the same checks
    assert checker.main([str(path), "--corpus", str(CORPUS)]) == 1
    assert "d999: near copy" in capsys.readouterr().err


def test_transfer_file_name_implies_the_transfer_checks(checker, tmp_path, capsys):
    assert checker.is_transfer_name(DEV2) and not checker.is_transfer_name(QUESTIONS)
    assert checker.main([str(DEV2), "--corpus", str(CORPUS)]) == 0
    assert "split: dev 1" in capsys.readouterr().out
    plain = tmp_path / "mine.jsonl"
    plain.write_text(DEV2.read_text(encoding="utf-8"), encoding="utf-8")
    assert checker.main([str(plain), "--corpus", str(CORPUS)]) == 1  # alternation rule applies
    assert checker.main([str(plain), "--corpus", str(CORPUS), "--transfer"]) == 0


def test_transfer_file_loads_for_rag_eval():
    from rag.eval.questions import load_questions

    qs = load_questions(DEV2)
    assert len(qs) >= 100 and all(q.split == "dev" for q in qs)
    assert all(q.parts and len(q.parts) == len(q.part_facts) for q in qs if q.kind == "compound")


LISTS = REPO / "eval" / "questions_lists.jsonl"


def _clean_rows(
    checker, path, prefix: str, type_kind: tuple[str, str], least: int = 48
) -> list[dict]:
    """The rows of a blind set: no problem, ids numbered from 1, one type and kind, at least
    ``least`` questions, halves within one question."""
    problems, rows = checker.check_file(path, CORPUS)
    assert problems == []
    assert [d["id"] for d in rows] == [f"{prefix}{i:03d}" for i in range(1, len(rows) + 1)]
    assert len(rows) >= least
    assert {(d["type"], d["kind"]) for d in rows} == {type_kind}
    splits = Counter(d["split"] for d in rows)
    assert abs(splits["dev"] - splits["test"]) <= 1
    return rows


def test_list_question_file_is_clean(checker):
    rows = _clean_rows(checker, LISTS, "L", ("multi", "list"))
    assert all(len(d["gold"]) >= 2 and d["facts"] == [] for d in rows)


LISTS_NONE = REPO / "eval" / "questions_lists_none.jsonl"
LIST_OPENERS = ("Which papers ", "What work is there on ", "Any papers on ", "List the papers ")


def test_list_none_question_file_is_clean(checker):
    rows = _clean_rows(checker, LISTS_NONE, "X", ("unanswerable", "none"))
    assert all(d["gold"] == [] and d["facts"] == [] for d in rows)
    # list-shaped, the way researchers ask for a list of papers
    assert all(d["question"].startswith(LIST_OPENERS + ("Papers about ",)) for d in rows)
    assert len({d["question"].lower() for d in rows}) == len(rows)


def test_checker_accepts_a_note_but_still_rejects_other_unknown_fields(checker, tmp_path):
    row = json.loads(LISTS.read_text(encoding="utf-8").splitlines()[0])
    f = _write(
        tmp_path, [dict(row, note="why a paper is left out"), dict(row, id="L999", noet="x")]
    )
    problems, _ = checker.check_file(f, CORPUS)
    text = "\n".join(problems)
    assert "L999: unknown field(s) ['noet']" in text
    assert f"{row['id']}: unknown" not in text


def test_list_file_loads_for_rag_eval():
    from rag.eval.questions import load_questions

    qs = load_questions(LISTS)
    assert len(qs) >= 48 and all(q.kind == "list" and len(q.gold) >= 2 for q in qs)


# round 3 of the blind sets: held out (all test), ids after the earlier rounds'
LISTS_R3 = REPO / "eval" / "questions_lists_r3_heldout.jsonl"
LISTS_NONE_R3 = REPO / "eval" / "questions_lists_none_r3_heldout.jsonl"


def _heldout_rows(checker, path, first: int, prefix: str, type_kind: tuple[str, str]) -> list:
    problems, rows = checker.check_file(path, CORPUS, heldout=True)
    assert problems == []
    assert [d["id"] for d in rows] == [f"{prefix}{i:03d}" for i in range(first, first + len(rows))]
    assert {(d["type"], d["kind"]) for d in rows} == {type_kind}
    assert {d["split"] for d in rows} == {"test"}
    return rows


def test_round_3_list_sets_are_clean_and_held_out(checker):
    earlier = {json.loads(x)["id"] for x in LISTS.read_text(encoding="utf-8").splitlines()}
    rows = _heldout_rows(checker, LISTS_R3, len(earlier) + 1, "L", ("multi", "list"))
    assert len(rows) >= 48 and all(d["gold"] and d["facts"] == [] for d in rows)
    assert not earlier & {d["id"] for d in rows}
    none = _heldout_rows(checker, LISTS_NONE_R3, 49, "X", ("unanswerable", "none"))
    assert len(none) >= 16 and all(d["gold"] == [] for d in none)
    frames = ("Which papers ", "What work ", "Any papers ", "List the papers ", "Papers ")
    assert all(d["question"].startswith(frames) for d in none)  # list-shaped
    # no question of an earlier blind set asked again
    asked = {
        json.loads(x)["question"].lower()
        for f in (LISTS, LISTS_NONE)
        for x in f.read_text(encoding="utf-8").splitlines()
    }
    assert not asked & {d["question"].lower() for d in rows + none}


def test_round_3_list_sets_load_for_rag_eval():
    from rag.eval.questions import load_questions

    qs = load_questions(LISTS_R3)
    assert len(qs) >= 48 and all(q.kind == "list" and q.gold for q in qs)
    assert all(not q.gold for q in load_questions(LISTS_NONE_R3))


COMPARISONS = REPO / "eval" / "questions_comparisons.jsonl"


def test_comparison_question_file_is_clean(checker):
    rows = _clean_rows(checker, COMPARISONS, "C", ("multi", "comparison"), least=40)
    # two papers compared, one fact from each, in the order of gold
    assert all(len(d["gold"]) == 2 == len(d["facts"]) for d in rows)
    texts = checker.corpus_texts(CORPUS)
    assert all(
        f.lower() in texts[g].lower()
        for d in rows
        for g, f in zip(d["gold"], d["facts"], strict=True)
    )
    assert len({tuple(sorted(d["gold"])) + (d["question"],) for d in rows}) == len(rows)
