"""Honest numbers and uploads in the UI's handlers: relevance words on calibrated cuts, the
corpus floor, citations numbered in the order they are cited, browser words, cancel."""

from __future__ import annotations

import json
import shutil

import pytest

from rag.config import get_settings
from rag.store import Store
from tests.conftest import QUESTIONS
from ui import render
from ui.handlers import Handlers

pytestmark = pytest.mark.slow  # end to end: not in `make test-fast`


@pytest.fixture(scope="module")
def handlers(assistant):
    return Handlers(assistant)


def _question(qid: str) -> str:
    for line in QUESTIONS.read_text().splitlines():
        q = json.loads(line)
        if q["id"] == qid:
            return q["question"]
    raise KeyError(qid)


def test_an_off_topic_pairing_shows_no_relevance_above_the_floor(handlers, assistant):
    # the mood-disorder question of the bundled set, and the video-benchmark paper
    question = _question("q001")
    assert "mood disorders" in question
    hits = assistant.search(question, k=50, mode="dense")
    video = [h for h in hits if "video" in h.paper.title.lower()]
    assert video, "the bundled set has video papers"
    floor = handlers.settings.relevance_floor
    for h in video:
        assert h.dense < floor
        assert handlers.relevance(h.dense) == "weak match"
    # the corpus search lists only what is over the floor: the mood-disorder paper, no video one
    html = handlers.browse(question, 1)
    assert "f18d22164350" in html
    assert not any(h.paper.paper_id in html for h in video)
    assert "relevance 0." not in html  # no raw scores


@pytest.mark.parametrize("qid", ["q078", "q085"])
def test_an_off_topic_question_lists_nothing(handlers, qid):
    html = handlers.browse(_question(qid), 1)
    assert "No paper matches" in html and 'rag-paper"' not in html


def test_the_corpus_keeps_a_paper_that_has_every_query_word(handlers, assistant):
    p = assistant.papers()[0]
    word = max(p.title.split(), key=len)
    assert p.paper_id in handlers.browse(word, 1)


def test_citations_are_numbered_in_the_order_the_answer_cites_them():
    d = {
        "answer": "First claim [4]. Second [1, 4]. Third [5].",
        "citations": [
            {"n": 1, "paper_id": "a"},
            {"n": 4, "paper_id": "b"},
            {"n": 5, "paper_id": "c"},
        ],
        "sentences": [
            {"text": "First claim [4].", "citations": [4]},
            {"text": "Second [1, 4].", "citations": [1, 4]},
            {"text": "Third [5].", "citations": [5]},
        ],
    }
    out = render.renumber(d)
    assert out["answer"] == "First claim [1]. Second [2, 1]. Third [3]."
    assert [(c["n"], c["paper_id"]) for c in out["citations"]] == [(1, "b"), (2, "a"), (3, "c")]
    assert [s["citations"] for s in out["sentences"]] == [[1], [2, 1], [3]]
    assert render.renumber_text("so far [7] and [2")[0] == "so far [1] and [2"


def test_browser_messages_have_no_command_line_words():
    msg = (
        "no LLM backend is configured: set OPENAI_API_KEY or RAG_LLM_BASE_URL, "
        "or use --backend extractive"
    )
    out = render.browser_words(msg)
    assert "--backend" not in out and "Settings" in out
    assert "`rag" not in render.error_html("no paper with id 'x': `rag papers` lists the ids")


def test_llm_backend_without_a_model_speaks_browser_words(handlers):
    turns = list(handlers.chat("What is federated learning?", [], backend="llm"))[-1][0]
    html = render.conversation_html(turns)
    assert "rag-error" in html and "--backend" not in html and "Settings" in html


def _abstracts(path, n):
    with path.open("w") as f:
        for i in range(n):
            text = (
                f"We report the Zentrix{i} measurement of basalt weathering at site {i}. "
                f"Weathering rose by {i % 50 + 2} percent in wet years. A model explains it."
            )
            f.write(json.dumps({"id": f"z{i:04d}", "title": f"Basalt site {i}", "abstract": text}))
            f.write("\n")


def test_cancel_keeps_whole_papers_only_and_a_second_upload_finishes(seed_store, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(seed_store, store, ignore=shutil.ignore_patterns(".lock"))
    settings = get_settings(store=store)
    from rag.assistant import Assistant

    h = Handlers(Assistant(settings))
    data = tmp_path / "basalt.jsonl"
    _abstracts(data, 700)
    steps = h.add_files_steps([str(data)], owner="tab-1")
    seen = []
    for done, html in steps:
        seen.append(html)
        if not done and 'data-stage="embedding"' in html and "Embedding abstracts: 0 " not in html:
            assert h.cancel_upload("tab-1")
    final = seen[-1]
    assert "Cancelled" in final and "<progress" not in final
    s = Store(settings)
    try:
        n = s.catalogue.count()
        assert 50 <= n < 750  # stopped before the end; what is in is whole
        assert s.vectors_match() and s.catalogue.get_meta("dirty") == "0"
        ids = {pid for pid, _ in s.catalogue.keyword_docs()}
        assert len(ids) == n  # the keyword index was rebuilt for what was kept
    finally:
        s.close()
    # the same file again: what is in is skipped, the rest is indexed
    again = h.add_files([str(data)])
    assert "papers in the index" in again and "750 papers in the index" in again
