"""The `rag` command end to end, as a user runs it (fresh processes, --json shapes of DESIGN.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ASK_KEYS

pytestmark = pytest.mark.slow  # not in `make test-fast`

RAG = str(Path(sys.executable).with_name("rag"))


def run(args, store, stdin=None, check=True):
    env = {**os.environ, "RAG_STORE": str(store)}
    p = subprocess.run(
        [RAG, *args], input=stdin, capture_output=True, text=True, env=env, timeout=300
    )
    if check:
        assert p.returncode == 0, p.stderr
    return p


def test_papers_json_lists_the_50_bundled_papers(seed_store):
    papers = json.loads(run(["papers", "--json"], seed_store).stdout)
    assert len(papers) == 50
    for p in papers:
        assert set(p) == {
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
        assert p["title"] and p["text"] and p["source"].startswith("store/corpus/")


def test_reingest_reports_nothing_new(store_copy):
    out = run(["ingest", "--json"], store_copy).stdout
    rep = json.loads(out)
    assert (len(rep["added"]), len(rep["updated"]), rep["unchanged"]) == (0, 0, 50)
    text = run(["ingest"], store_copy).stdout
    assert "0 added, 0 updated" in text and "nothing to do" in text


def test_ask_json_shape_and_batch_from_stdin(seed_store):
    one = json.loads(
        run(
            ["ask", "Which paper distills multi-agent debate into one model?", "--json"], seed_store
        ).stdout
    )
    assert set(one) >= ASK_KEYS
    assert one["backend"] == "extractive" and not one["abstained"]
    assert one["citations"] and set(one["citations"][0]) >= {"n", "paper_id", "title", "snippet"}
    assert set(one["sources"][0]) >= {"paper_id", "title", "score"}
    assert any("AgentArk" in c["title"] for c in one["citations"])

    qs = "How do I bake sourdough bread?\nWhich work unlearns private facts from multimodal LLMs?\n"
    lines = run(["ask", "-", "--json"], seed_store, stdin=qs).stdout.strip().splitlines()
    assert len(lines) == 2
    first, second = map(json.loads, lines)
    assert first["abstained"] and first["citations"] == []
    assert not second["abstained"] and second["citations"]


def test_search_json_and_stdin(seed_store):
    hits = json.loads(
        run(
            ["search", "graph federated learning heterogeneity", "--json", "-k", "3"], seed_store
        ).stdout
    )
    assert len(hits) == 3 and set(hits[0]) == {"paper_id", "title", "score", "snippet"}
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]
    lines = run(
        ["search", "-", "--json", "-k", "2"], seed_store, stdin="LoRA\nvoice cloning\n"
    ).stdout.splitlines()
    assert [len(json.loads(x)) for x in lines] == [2, 2]


def test_show_and_clear_errors(seed_store):
    papers = json.loads(run(["papers", "--json"], seed_store).stdout)
    pid = papers[0]["paper_id"]
    shown = json.loads(run(["show", pid, "--json"], seed_store).stdout)
    assert shown["paper_id"] == pid and shown["text"] == papers[0]["text"]
    bad = run(["show", "no-such-id"], seed_store, check=False)
    assert bad.returncode == 1
    assert "no paper with id" in bad.stderr and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_empty_store_error_is_one_line(tmp_path):
    p = run(["search", "anything"], tmp_path / "empty", check=False)
    assert p.returncode == 1 and "rag ingest" in p.stderr and "Traceback" not in p.stderr


def test_ingest_exit_code_says_records_were_rejected(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text(
        '{"title": "x"}\n{"abstract": "We propose a method for fast graph partitioning on large sparse matrices with good balance."}\n'
    )
    p = run(["ingest", str(f)], tmp_path / "s", check=False)
    assert p.returncode == 1
    assert "bad.jsonl: line 1" in p.stderr and "1 added" in p.stdout
