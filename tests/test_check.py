"""`rag check` on drafts with a known mix of claims, and `rag eval --claims`, through the CLI."""

from __future__ import annotations

import json

import pytest

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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_check_bad_input_says_what(seed_store, tmp_path):
    p = run(["check", str(tmp_path / "missing.md")], seed_store, check=False)
    assert p.returncode != 0 and "missing.md" in p.stderr
    empty = tmp_path / "empty.md"
    empty.write_text("  \n")
    p = run(["check", str(empty)], seed_store, check=False)
    assert p.returncode == 1 and "the text to check is empty" in p.stderr


@pytest.mark.slow
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


# --- citations as DOI and (Author, Year), against a library with authors, years and DOIs -------
LIBRARY = """TY  - JOUR
TI  - Speculative decoding accelerates clinical note summarization
AU  - Okafor, Ngozi A.
AU  - Chen, Wei
PY  - 2023
DO  - 10.1038/s41591-023-02417-x
AB  - We evaluated speculative decoding, in which a small draft model proposes tokens that a larger model verifies, on 4,812 clinical notes from three hospitals. Decoding was 2.7 times faster than standard autoregressive generation. Factual error rates did not differ between the two methods.
ER  -

TY  - JOUR
TI  - Retrieval of bedside guidelines with small language models
AU  - Okafor, Ngozi A.
AU  - Lindqvist, Maja
AU  - Osei, Kwame
PY  - 2023
DO  - 10.1001/jama.2023.11893
AB  - We indexed 1,204 bedside guidelines and let a small language model answer nurses' questions from them. Answers cited the right guideline in 91% of 300 questions, and nurses preferred them to keyword search.
ER  -

TY  - JOUR
TI  - Soil microbial diversity buffers maize yield against drought
AU  - Fernández-García, María José
AU  - Ndlovu, Thabo
PY  - 2021
DO  - https://doi.org/10.1111/GCB.15822
AB  - We sampled soil from 146 smallholder plots in Malawi and Zambia over three growing seasons. Plots with the highest microbial diversity lost 18% less yield in drought years than plots with the lowest diversity.
ER  -
"""
DRAFT_CITED = """Speculative decoding was 2.7 times faster than standard generation (Okafor and Chen, 2023).
Decoding with a draft model was 5 times faster than autoregressive generation (doi:10.1038/s41591-023-02417-x).
Fernández-García et al. (2021) found that diverse soils lost 18% less yield in drought years.
The soil study sampled 146 plots in Kenya [https://doi.org/10.1111/gcb.15822].
Small models answer bedside questions from guidelines (Okafor et al., 2023).
Large models hallucinate less when they retrieve (Smith, 2020).
"""


def test_check_resolves_doi_and_author_year_citations(tmp_path):
    lib = tmp_path / "library.ris"
    lib.write_text(LIBRARY, encoding="utf-8")
    store = tmp_path / "store"
    run(["ingest", str(lib)], store)
    d = json.loads(run(["check", "-", "--json"], store, stdin=DRAFT_CITED).stdout)
    s = d["sentences"]
    papers = {p["title"].split()[0]: p["paper_id"] for p in _papers(store)}
    spec, retr, soil = papers["Speculative"], papers["Retrieval"], papers["Soil"]
    got = [(x["verdict"], x["citations"]) for x in s]
    assert got == [
        ("supported", [spec]),  # (Okafor and Chen, 2023): the second author tells them apart
        ("contradicted", [spec]),  # doi: 5 times where the paper says 2.7
        ("supported", [soil]),  # narrative "Fernández-García et al. (2021)"
        ("unsupported", [soil]),  # a DOI URL in brackets, upper/lower case folded; Kenya
        ("unsupported", []),  # (Okafor et al., 2023): two papers match
        ("unsupported", []),  # (Smith, 2020): none
    ]
    assert "'Kenya' is not named" in s[3]["reason"]
    (amb,) = s[4]["ambiguous_citations"]
    assert amb["citation"] == "(Okafor et al., 2023)" and set(amb["papers"]) == {spec, retr}
    assert "(Okafor et al., 2023) is ambiguous: 2 papers match" in s[4]["reason"]
    assert s[4]["suggestions"][0]["paper_id"] == retr  # the one that supports it
    assert s[5]["unknown_citations"] == ["(Smith, 2020)"]
    assert "(Smith, 2020) matches no paper of the collection" in s[5]["reason"]
    # the citation is not part of the claim: no name check on 'Okafor' or 'Smith'
    assert s[0]["reason"].startswith("stated by (Okafor and Chen, 2023)")
    assert not any("'Okafor'" in x["reason"] or "'Smith'" in x["reason"] for x in s)
    text = run(["check", "-"], store, stdin=DRAFT_CITED).stdout
    assert "5. ? unsupported" in text and "is ambiguous" in text
    assert "6 sentences: 2 supported, 3 unsupported, 1 contradicted" in text


def test_check_reference_list_entries_matched_by_doi(tmp_path):
    lib = tmp_path / "library.ris"
    lib.write_text(LIBRARY, encoding="utf-8")
    store = tmp_path / "store"
    run(["ingest", str(lib)], store)
    draft = (
        "Answers cited the right guideline in 91% of 300 questions [1].\n\n"
        "References\n[1] Okafor NA, Lindqvist M, Osei K. JAMA. 2023. doi:10.1001/JAMA.2023.11893\n"
    )
    d = json.loads(run(["check", "-", "--json"], store, stdin=draft).stdout)
    retr = next(p["paper_id"] for p in _papers(store) if p["title"].startswith("Retrieval"))
    assert d["references"] == {"1": retr}
    assert d["sentences"][0]["verdict"] == "supported"


def _papers(store):
    return json.loads(run(["papers", "--json"], store).stdout)
