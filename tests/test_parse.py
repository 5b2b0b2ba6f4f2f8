"""The parser on the real seed files and on nasty inputs."""

from __future__ import annotations

import json
import time

import pytest

from rag.parse import parse_paths
from rag.parse.common import text_id
from rag.records import Paper

from .conftest import CORPUS

ABS1 = (
    "We propose FooNet, a graph network for molecule property prediction. It beats baselines "
    "on five datasets by 3 points. Code is at https://github.com/x/foonet."
)
ABS2 = (
    "Large language models hallucinate. We study why retrieval helps them answer questions "
    "about rare entities and measure it on two benchmarks."
)


def _parse(tmp_path, name: str, content: str | bytes):
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content, encoding="utf-8")
    return parse_paths([p])


def test_seed_files_give_50_papers_with_header_metadata():
    res = parse_paths([CORPUS])
    assert len(res.papers) == 50
    assert res.rejects == []
    assert len({p.paper_id for p in res.papers}) == 50
    first_file = [p for p in res.papers if p.source.endswith("000_b8f36db09c6e3b12.txt")]
    assert len(first_file) == 10
    # the affiliation line is metadata of that file's abstracts, never an abstract
    assert all(p.header == "Wuhan University" for p in first_file)
    assert not any(p.text.startswith("Wuhan University") for p in res.papers)
    for p in res.papers:
        assert "Abstract:" not in p.text
        assert p.text == p.text.strip() and "  " not in p.text
        assert len(p.text.split()) > 50


def test_seed_latex_cleaned_for_display_meaning_kept():
    texts = {p.paper_id: p.text for p in parse_paths([CORPUS]).papers}
    joined = "\n".join(texts.values())
    assert "\\textbf" not in joined and "\\url" not in joined and "\\fl{}" not in joined
    assert "Multimodal Conversation Emotion Cause Explanation (MCECE)" in joined
    assert "federated learning (FL) scenarios" in joined
    assert "(≤ 5%)" in joined
    assert "https://github.com/3222345200/ECEMdataset.git" in joined
    assert "\\method" not in joined


def test_urls_found_without_trailing_punctuation():
    papers = parse_paths([CORPUS]).papers
    urls = {p.url for p in papers if p.url}
    assert "https://github.com/AIFrontierLab/AgentArk" in urls
    assert "https://github.com/3222345200/ECEMdataset.git" in urls
    assert all(not u.endswith((".", "}", ",")) for u in urls)
    assert len(urls) >= 15


def test_ids_stable_across_reordering_and_reflow(tmp_path):
    a = _parse(tmp_path, "a.txt", f"Abstract:{ABS1}\n\nAbstract:{ABS2}\n")
    b = _parse(tmp_path, "b.txt", f"Abstract: {ABS2}  Abstract:   {ABS1.replace('. ', '.  ')}\n")
    assert {p.paper_id for p in a.papers} == {p.paper_id for p in b.papers}
    assert text_id(ABS1) == text_id("  " + ABS1.upper() + "\n")


def test_several_abstracts_on_one_line_and_wrapped_lines(tmp_path):
    wrapped = ABS2.replace(" retrieval ", "\nretrieval ")
    res = _parse(
        tmp_path,
        "x.txt",
        f"Abstract:{ABS1} Abstract:{ABS1.replace('FooNet', 'BarNet')}\n\nAbstract:{wrapped}\n",
    )
    assert len(res.papers) == 3
    assert res.papers[2].text == ABS2
    assert res.papers[0].title.startswith("FooNet")
    assert res.papers[0].url == "https://github.com/x/foonet"
    assert [p.position for p in res.papers] == [1, 2, 3]


def test_empty_file_rejected_with_reason(tmp_path):
    res = _parse(tmp_path, "empty.txt", "")
    assert res.papers == []
    assert len(res.rejects) == 1 and "empty" in res.rejects[0].reason
    assert res.rejects[0].source.endswith("empty.txt")


def test_no_marker_rejected_with_what_to_do(tmp_path):
    res = _parse(tmp_path, "plain.txt", ABS1 + "\n")
    assert res.papers == [] and "Abstract:" in res.rejects[0].reason


def test_only_header_is_no_abstract(tmp_path):
    res = _parse(tmp_path, "hdr.txt", "Wuhan University\n\n")
    assert res.papers == [] and res.rejects


def test_empty_and_short_abstracts_rejected_rest_kept(tmp_path):
    res = _parse(
        tmp_path, "mixed.txt", f"Abstract:   \n\nAbstract: too short.\n\nAbstract:{ABS1}\n"
    )
    assert [p.title.split(":")[0] for p in res.papers] == ["FooNet"]
    reasons = " | ".join(r.reason for r in res.rejects)
    assert "empty" in reasons and "word" in reasons
    assert all("line" in r.where for r in res.rejects)


def test_non_utf8_bytes_reject_only_that_record(tmp_path):
    bad = ("Abstract:" + ABS2.replace("hallucinate", "halluc\xe9nate")).encode("latin-1")
    res = _parse(tmp_path, "bytes.txt", bad + b"\n\nAbstract:" + ABS1.encode() + b"\n")
    assert len(res.papers) == 1 and res.papers[0].title.startswith("FooNet")
    assert any("UTF-8" in r.reason for r in res.rejects)


def test_binary_file_rejected(tmp_path):
    res = _parse(tmp_path, "blob.txt", b"\x00\x01\x02" * 100)
    assert res.papers == [] and "binary" in res.rejects[0].reason


def test_duplicate_abstracts_across_files_kept_once(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "one.txt").write_text(f"Abstract:{ABS1}\n")
    (tmp_path / "d" / "two.txt").write_text(f"Abstract:{ABS2}\n\nAbstract:{ABS1}\n")
    res = parse_paths([tmp_path / "d"])
    assert len(res.papers) == 2
    assert len(res.rejects) == 1 and "duplicate" in res.rejects[0].reason
    assert "two.txt" in res.rejects[0].source


@pytest.mark.slow
def test_five_megabyte_file_parses_fast(tmp_path):
    body = []
    i = 0
    while sum(len(b) for b in body) < 5_000_000:
        body.append(f"Abstract:{ABS2} Variant {i} adds experiment number {i * 7}.\n\n")
        i += 1
    t = time.perf_counter()
    res = _parse(tmp_path, "big.txt", "".join(body))
    assert len(res.papers) == i and not res.rejects
    assert time.perf_counter() - t < 60  # a bound against pathological regexes, not a benchmark


def test_enormous_single_abstract_rejected(tmp_path):
    res = _parse(tmp_path, "huge.txt", "Abstract:" + ("word " * 30000) + "\n")
    assert res.papers == [] and "limit" in res.rejects[0].reason


def test_invisible_characters_removed(tmp_path):
    sneaky = ABS1.replace("graph", "gr\u200baph\u202e").replace("We", "\U000e0041We")
    res = _parse(tmp_path, "inv.txt", f"Abstract:{sneaky}\n")
    assert res.papers[0].text == ABS1
    assert res.papers[0].paper_id == text_id(ABS1)


def test_jsonl_beir_shape_keeps_own_ids_and_titles(tmp_path):
    lines = [
        json.dumps({"_id": "4983", "title": "Microstructure of white matter", "text": ABS2}),
        "{not json",
        json.dumps({"_id": "77", "title": "No text here"}),
        json.dumps(
            {
                "id": 12,
                "title": "Numeric id",
                "abstract": ABS1,
                "authors": ["A", "B"],
                "year": "2021",
            }
        ),
        json.dumps(["a list"]),
    ]
    res = _parse(tmp_path, "c.jsonl", "\n".join(lines) + "\n")
    assert [p.paper_id for p in res.papers] == ["4983", "12"]
    assert (
        res.papers[0].title == "Microstructure of white matter" and not res.papers[0].title_derived
    )
    assert res.papers[1].authors == ["A", "B"] and res.papers[1].year == 2021
    wheres = sorted(r.where for r in res.rejects)
    assert wheres == ["line 2", "line 3", "line 5"]
    assert any("invalid JSON" in r.reason for r in res.rejects)
    assert any("no 'abstract' or 'text' field" in r.reason for r in res.rejects)


def test_csv_records_and_bad_rows(tmp_path):
    content = (
        "paper_id,title,abstract,url\n"
        f'p1,Foo,"{ABS1}",https://foo.org\n'
        "p2,Empty,,\n"
        f'p3,Bar,"{ABS2}",\n'
    )
    res = _parse(tmp_path, "r.csv", content)
    assert [p.paper_id for p in res.papers] == ["p1", "p3"]
    assert res.papers[0].url == "https://foo.org"
    assert len(res.rejects) == 1 and res.rejects[0].where == "line 3"


def test_csv_without_text_column_rejected(tmp_path):
    res = _parse(tmp_path, "n.csv", "name,value\na,b\n")
    assert res.papers == [] and "column" in res.rejects[0].reason


def test_missing_path_reported(tmp_path):
    res = parse_paths([tmp_path / "nope.txt"])
    assert res.papers == [] and "does not exist" in res.rejects[0].reason


def test_paper_round_trip():
    p = parse_paths([CORPUS]).papers[0]
    assert Paper.from_dict(p.to_dict()) == p
    assert set(p.public()) == {
        "paper_id",
        "title",
        "text",
        "source",
        "url",
        "authors",
        "year",
        "venue",
        "doi",
    }
