"""`rag check` on drafts with a known mix of claims, and `rag eval --claims`, through the CLI."""

from __future__ import annotations

import json

from .test_cli import run

MOOD = "f18d22164350"
DRAFT_IDS = (
    f"MoodAngels is a multi-agent framework for diagnosing mood disorders [{MOOD}]. "
    f"Its baseline agent is 21.3% more accurate than GPT-4o on real-world cases [{MOOD}]. "
    f"MoodAngels underperforms conventional methods [{MOOD}]. "
    f"Its baseline agent beats Claude 3 on real-world cases [{MOOD}].\n\n"
    "BoxMind was deployed during the 2024 Paris Olympics and helped a national boxing team.\n"
)
DRAFT_REFS = """MoodAngels releases MoodSyn, an open-source dataset of 1,173 synthetic psychiatric cases [1].
ThanoRA underperforms strong multi-task baselines [2]. The method was also tested on Mars [3].

References
1. MoodAngels: a multi-agent framework for mood disorder diagnosis (2025)
2. ThanoRA
3. A paper that is not in the collection at all, on volcano acoustics
"""


def test_check_json_marks_each_sentence(seed_store, tmp_path):
    f = tmp_path / "draft.md"
    f.write_text(DRAFT_IDS)
    d = json.loads(run(["check", str(f), "--json"], seed_store).stdout)
    got = [(s["verdict"], s["citations"]) for s in d["sentences"]]
    assert got == [
        ("supported", [MOOD]),
        ("contradicted", [MOOD]),
        ("contradicted", [MOOD]),
        ("unsupported", [MOOD]),
        ("unsupported", []),
    ]
    s = d["sentences"]
    assert all(set(x) >= {"text", "citations", "verdict", "reason", "evidence"} for x in s)
    assert "21.3% is not in" in s[1]["reason"] and "12.3%" in s[1]["reason"]
    assert "12.3%" in s[1]["evidence"]
    assert "outperforms conventional methods" in s[2]["evidence"]
    assert "'Claude' is not named" in s[3]["reason"]
    # the uncited sentence: the paper that would support it
    assert s[4]["suggestions"][0]["title"].startswith("BoxMind")
    assert "would support it" in s[4]["reason"] and "Paris Olympics" in s[4]["evidence"]
    assert d["counts"] == {"supported": 1, "unsupported": 2, "contradicted": 2}


def test_check_numbered_references_from_stdin(seed_store):
    p = run(["check", "-"], seed_store, stdin=DRAFT_REFS)
    out = p.stdout
    assert "1. ✓ supported: MoodAngels releases MoodSyn" in out
    assert "2. ✗ contradicted: ThanoRA underperforms" in out
    assert "superior performance" in out  # ThanoRA's sentence, found from the short title
    assert "3. ? unsupported" in out and "[3] matches no paper of the collection" in out
    assert "references not found in the collection: [3]" in out
    assert "3 sentences: 1 supported, 1 unsupported, 1 contradicted" in out
    d = json.loads(run(["check", "-", "--json"], seed_store, stdin=DRAFT_REFS).stdout)
    assert d["references"]["1"] == MOOD and d["references"]["3"] is None
    assert d["references"]["2"] == "32c1a3c5ef4b"


def test_check_bad_input_says_what(seed_store, tmp_path):
    p = run(["check", str(tmp_path / "missing.md")], seed_store, check=False)
    assert p.returncode != 0 and "missing.md" in p.stderr
    empty = tmp_path / "empty.md"
    empty.write_text("  \n")
    p = run(["check", str(empty)], seed_store, check=False)
    assert p.returncode == 1 and "the text to check is empty" in p.stderr


def test_eval_claims_reports_by_kind_with_a_plot(seed_store, tmp_path):
    src = [json.loads(x) for x in open("eval/claims.jsonl", encoding="utf-8")]
    kinds = ("faithful_number", "wrong_number")
    pick = [c for c in src if c["kind"] in kinds and c["split"] == "dev"][:8]
    f = tmp_path / "claims.jsonl"
    f.write_text("".join(json.dumps(c) + "\n" for c in pick))
    runs = tmp_path / "runs"
    p = run(["eval", "--claims", str(f), "--runs-dir", str(runs), "--quiet"], seed_store)
    assert "| kind | dev flagged |" in p.stdout and "faithful_number | 0.00" in p.stdout
    out = next(runs.iterdir())
    assert (out / "claims.png").read_bytes()[:4] == b"\x89PNG"
    d = json.loads((out / "claims.json").read_text())
    assert len(d["rows"]) == 8 and set(d["summary"]["kinds"]) == {"faithful_number", "wrong_number"}
    for r in d["rows"]:
        assert r["flagged"] == (r["kind"] == "wrong_number"), r
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x1", "kind": "faithful"}\n')
    p = run(["eval", "--claims", str(bad), "--runs-dir", str(runs)], seed_store, check=False)
    assert p.returncode == 1 and "bad.jsonl:1" in p.stderr and "lacks field" in p.stderr
