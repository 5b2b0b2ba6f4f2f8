"""The bundled claim set (eval/claims.jsonl) passes its validator, and the validator catches
the mistakes it is there to catch."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import sys
from collections import Counter

import pytest

from .conftest import CORPUS, REPO

_spec = importlib.util.spec_from_file_location("check_claims", REPO / "eval" / "check_claims.py")
cc = importlib.util.module_from_spec(_spec)
sys.modules["check_claims"] = cc  # dataclasses look their module up there
_spec.loader.exec_module(cc)

CLAIMS = REPO / "eval" / "claims.jsonl"


@pytest.fixture(scope="module")
def papers() -> dict[str, tuple[str, str]]:
    return cc.load_papers(CORPUS)


@pytest.fixture(scope="module")
def rows() -> list[tuple[int, dict]]:
    rows, problems = cc.load_claims(CLAIMS)
    assert not problems
    return rows


def _one(rows, kind: str) -> dict:
    return copy.deepcopy(next(obj for _, obj in rows if obj["kind"] == kind))


def test_bundled_claim_set_is_clean(rows, papers):
    problems = cc.check(rows, papers)
    assert not problems, "\n".join(f"line {p.line} {p.claim_id}: {p.message}" for p in problems)


def test_bundled_claim_set_size_and_mix(rows, papers):
    table = cc.counts(rows)
    assert len(rows) >= 200
    assert set(table) == set(cc.KINDS)
    faithful = table["faithful"]["all"] + table["faithful_number"]["all"]
    assert 0.25 <= faithful / len(rows) <= 0.6  # later rounds add dev paraphrases (false alarms)
    first = cc.counts([(n, obj) for n, obj in rows if obj.get("round", 1) == 1])
    first_faithful = first["faithful"]["all"] + first["faithful_number"]["all"]
    assert 0.25 <= first_faithful / sum(c["all"] for c in first.values()) <= 0.4
    for kind, c in first.items():
        assert abs(c["dev"] - c["test"]) <= 1, kind  # the first round is split half and half
    cited = {c for _, obj in rows for c in obj["cites"]}
    assert cited == set(papers)


def test_main_reports_counts_and_exit_code(capsys):
    assert cc.main([str(CLAIMS)]) == 0
    out = capsys.readouterr().out
    assert "faithful_number" in out and "0 problem(s)" in out


@pytest.mark.parametrize(
    "text, values",
    [
        ("12.3 percent and 12.3%", {12.3}),
        ("2,048 tokens or 2048", {2048.0}),
        ("three gold and 2 silver", {3.0, 2.0}),
        ("24k utterances, 24,000 of them", {24000.0}),
        ("over 66 million children", {66e6}),
        ("16.00% in Recall", {16.0}),
        ("no numbers here at all", set()),
    ],
)
def test_numbers_normalise_forms(text, values):
    assert cc.numbers(text) == values


def test_faithful_number_with_a_number_not_in_the_abstract_is_caught(rows, papers):
    obj = _one(rows, "faithful_number")
    obj["claim"] = obj["claim"].rstrip(".") + " and 987.6 percent more."
    assert any("987.6" in m for m in cc.check_claim(obj, papers))


def test_wrong_number_whose_new_value_is_in_the_abstract_is_caught(rows, papers):
    obj = next(o for _, o in rows if o["note"] == "12.3% -> 21.3%")
    obj = copy.deepcopy(obj)
    obj["claim"] = obj["claim"].replace("21.3%", "1,173")
    obj["note"] = "12.3% -> 1,173"
    assert any("are in the abstract" in m for m in cc.check_claim(obj, papers))


def test_swapped_name_that_is_in_the_abstract_is_caught(rows, papers):
    obj = copy.deepcopy(next(o for _, o in rows if o["note"] == "GPT-4o -> Claude 3"))
    obj["claim"] = obj["claim"].replace("Claude 3", "MoodSyn")
    obj["note"] = "GPT-4o -> MoodSyn"
    assert any("occurs in the cited abstract" in m for m in cc.check_claim(obj, papers))


def test_bad_fields_are_caught(rows, papers):
    obj = _one(rows, "overclaim")
    bad_kind = dict(obj, kind="made_up")
    assert any("kind" in m for m in cc.check_claim(bad_kind, papers))
    bad_expected = dict(obj, expected="supported")
    assert any("does not fit kind" in m for m in cc.check_claim(bad_expected, papers))
    bad_cite = dict(obj, cites=["000000000000"])
    assert any("not in the corpus" in m for m in cc.check_claim(bad_cite, papers))
    two = dict(obj, claim="It works. It also scales.")
    assert any("one sentence" in m for m in cc.check_claim(two, papers))
    wp = _one(rows, "wrong_paper")
    wp["cites"] = [re.search(r"true source:\s*([0-9a-f]+)", wp["note"]).group(1)]
    assert any("true source is the cited paper" in m for m in cc.check_claim(wp, papers))


def test_set_checks_catch_duplicates_splits_and_coverage(rows, papers, tmp_path):
    bad = [obj for _, obj in copy.deepcopy(rows)]
    bad[1]["id"] = bad[0]["id"]
    first_of_kind = next(o for o in bad[2:] if o["kind"] == "reversed")
    first_of_kind["split"] = "test" if first_of_kind["split"] == "dev" else "dev"
    later = next(o for o in bad if o.get("round", 1) > 1)
    later["split"] = "test"  # a claim written to tune on, moved to the test half
    path = tmp_path / "claims.jsonl"
    path.write_text("".join(json.dumps(o) + "\n" for o in bad) + "not json\n")
    loaded, problems = cc.load_claims(path)
    assert [p.line for p in problems] == [len(bad) + 1]
    # one more claim than the least-cited paper has, so the coverage check must name a paper
    least = min(Counter(c for o in bad for c in o["cites"]).values()) + 1
    messages = [p.message for p in cc.check(loaded, papers, min_per_paper=least)]
    assert any("duplicate id" in m for m in messages)
    assert any("split" in m and "want" in m for m in messages)
    assert any(
        "later round" in m and later["id"] == p.claim_id
        for p, m in zip(cc.check(loaded, papers, min_per_paper=least), messages, strict=True)
    )
    assert any(f"fewer than {least}" in m for m in messages)
