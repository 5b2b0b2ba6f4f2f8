"""Research-area summaries: on-topic papers cited, citations inside what was retrieved, off-corpus
topics abstain, a markdown report with references, and `rag summarize --json` end to end.

The expected sets (tests/data/topics.json) were written by reading the 50 bundled abstracts.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.summarize.themes import cluster
from rag.summarize.topic import clean_topic, mmr, topic_parts

TOPICS = json.loads((Path(__file__).parent / "data" / "topics.json").read_text())
# Recall >= 0.8 is asserted for these topics. The other two are printed with the rest: their
# missing papers are on the topic only through domain knowledge the offline signals lack
# (pathology / brain MRI as medicine; "model fusion" in a continual-learning paper as merging).
ASSERTED = [
    "federated learning",
    "machine unlearning",
    "LoRA and parameter-efficient fine-tuning",
    "multi-agent systems",
    "benchmarks and datasets",
    "backdoor attacks and defenses",
    "multimodal large language models",
    "emotion and empathy",
    "graph learning",
    "knowledge distillation",
]
MARKER = re.compile(r"\[(\d+(?:, \d+)*)\]")


@pytest.fixture(scope="module")
def summaries(assistant):
    return {t: assistant.summarize(t) for t in TOPICS["topics"]}


@pytest.fixture(scope="module")
def off_topic(assistant):
    return {t: assistant.summarize(t) for t in TOPICS["off_topic"]}


def test_on_topic_papers_are_cited(summaries):
    rows = []
    for topic, expected in TOPICS["topics"].items():
        s = summaries[topic]
        cited = set(s.cited_ids)
        recall = len(cited & set(expected)) / len(expected)
        precision = len(cited & set(expected)) / max(1, len(cited))
        rows.append((topic, recall, precision, len(cited), sorted(set(expected) - cited)))
    print("\ntopic                                     recall precision cited missing")
    for topic, r, p, n, miss in rows:
        print(f"{topic[:40]:40s}  {r:5.2f}  {p:7.2f}  {n:5d}  {' '.join(miss)}")
    mean = sum(r for _, r, *_ in rows) / len(rows)
    asserted = [r for t, r, *_ in rows if t in ASSERTED]
    print(
        f"mean recall over all {len(rows)} topics {mean:.3f}; over the {len(asserted)} asserted "
        f"{sum(asserted) / len(asserted):.3f}; mean precision "
        f"{sum(p for _, _, p, *_ in rows) / len(rows):.3f}"
    )
    assert len(ASSERTED) >= 6
    for topic, r, *_ in rows:
        if topic in ASSERTED:
            assert r >= 0.8, (topic, r)


def test_citations_point_inside_what_was_retrieved(summaries):
    for topic, s in summaries.items():
        assert not s.abstained and s.themes and s.citations, topic
        retrieved = {h.paper.paper_id: h.paper for h in s.sources}
        numbers = {c.n for c in s.citations}
        assert sorted(numbers) == list(range(1, len(s.citations) + 1))
        for c in s.citations:
            assert c.paper_id in retrieved, (topic, c.paper_id)
            for quote in c.snippet.split(" … "):
                assert quote in retrieved[c.paper_id].text  # extractive: verbatim quotes
        # every marker in the overview and the themes names a citation of this summary
        for text in [s.summary] + [t.text for t in s.themes]:
            for m in MARKER.findall(text):
                assert {int(x) for x in m.split(", ")} <= numbers, (topic, m)
        # every paper of a theme is cited, and cited in its theme's text
        by_id = {c.paper_id: c.n for c in s.citations}
        theme_ids = [p for t in s.themes for p in t.paper_ids]
        assert sorted(theme_ids) == sorted(by_id) and len(set(theme_ids)) == len(theme_ids)
        for t in s.themes:
            assert t.label
            for pid in t.paper_ids:
                assert f"[{by_id[pid]}]" in t.text


def test_overview_lists_themes_with_paper_counts(summaries):
    s = summaries["federated learning"]
    assert s.summary.startswith(f"{len(s.papers)} papers in the collection are on")
    for t in s.themes:
        assert t.label in s.summary
    if len(s.themes) > 1:
        for t in s.themes:
            n = len(t.paper_ids)
            assert f"{t.label} ({n} paper{'s' if n != 1 else ''}" in s.summary


def test_off_corpus_topics_abstain(off_topic):
    assert "protein folding" in off_topic
    for topic, s in off_topic.items():
        assert s.abstained, (topic, s.summary)
        assert not s.themes and not s.citations
        assert "do not cover" in s.summary and s.reason
        d = s.to_dict()
        assert d["abstained"] and d["themes"] == [] and d["citations"] == []


def test_dict_shape(summaries):
    d = summaries["machine unlearning"].to_dict()
    assert set(d) >= {"topic", "summary", "abstained", "themes", "citations"}
    assert d["topic"] == "machine unlearning" and d["abstained"] is False
    for t in d["themes"]:
        assert set(t) >= {"label", "text", "paper_ids"}
    for c in d["citations"]:
        assert set(c) >= {"n", "paper_id", "title", "snippet"}
    json.dumps(d)  # serialisable


def test_markdown_report_has_a_reference_list(summaries):
    s = summaries["multi-agent systems"]
    md = s.to_markdown()
    assert md.startswith("# Research summary: multi-agent systems")
    refs = md.split("## References", 1)[1]
    for c in s.citations:
        line = next(ln for ln in refs.splitlines() if ln.startswith(f"[{c.n}] "))
        assert c.title.rstrip(".") in line and c.paper_id in line
        assert (c.url in line) if c.url else True
        # APA style: authors (year). Title. *Venue*. DOI/URL; the seeds have no year: (n.d.)
        assert f"({c.paper.year})" in line if c.paper.year else "(n.d.)" in line
    for i, t in enumerate(s.themes, start=1):
        assert f"## {i}. {t.label}" in md


def test_max_papers_keeps_a_diverse_subset(assistant, summaries):
    full = summaries["multimodal large language models"]
    assert len(full.papers) > 12
    s = assistant.summarize("multimodal large language models", max_papers=8)
    kept = [c.paper_id for c in s.papers]
    assert len(kept) == 8 and len(s.citations) == 8
    assert {c.paper_id for c in s.omitted} | set(kept) == {c.paper_id for c in full.papers}
    assert "left out by the limit" in s.summary and "more on-topic paper" in s.to_markdown()
    # MMR: less redundant than the 8 most probable papers
    by_prob = sorted(full.papers, key=lambda c: -c.prob)[:8]

    def redundancy(cands):
        v = np.stack([c.vector for c in cands])
        sims = v @ v.T
        return (sims.sum() - len(v)) / (len(v) * (len(v) - 1))

    assert redundancy(s.papers) < redundancy(by_prob)


def test_request_wording_and_parts():
    assert clean_topic("Summarize the work on unlearning") == "unlearning"
    assert clean_topic("what does this collection do on federated learning?") == (
        "federated learning"
    )
    assert clean_topic("LoRA") == "LoRA"
    assert topic_parts("emotion and empathy") == ["emotion and empathy", "emotion", "empathy"]
    assert topic_parts("multi-agent systems") == ["multi-agent systems"]


def test_mmr_prefers_the_unlike_paper():
    a = np.array([1.0, 0.0, 0.0])
    near = np.array([0.99, 0.141, 0.0])
    far = np.array([0.0, 0.0, 1.0])
    vecs = np.stack([a, near / np.linalg.norm(near), far])
    rel = np.array([0.9, 0.85, 0.6])
    assert mmr(rel, vecs, 2) == [0, 2]
    assert sorted(mmr(rel, vecs, 5)) == [0, 1, 2]


def test_cluster_finds_planted_groups():
    rng = np.random.default_rng(0)
    centers = np.eye(8)[:3]
    vecs = np.concatenate([c + 0.05 * rng.standard_normal((4, 8)) for c in centers])
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    groups = sorted(sorted(g) for g in cluster(vecs))
    assert groups == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    assert cluster(vecs[:3]) == [[0, 1, 2]]  # too few papers to split


def test_empty_topic_is_refused(assistant):
    from rag.errors import ConfigError

    with pytest.raises(ConfigError, match="topic is empty"):
        assistant.summarize("  the  ")


@pytest.mark.slow
def test_cli_json_end_to_end(seed_store, tmp_path):
    rag = str(Path(sys.executable).with_name("rag"))
    env = {**os.environ, "RAG_STORE": str(seed_store)}
    p = subprocess.run(
        [rag, "summarize", "machine unlearning", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["topic"] == "machine unlearning" and not d["abstained"]
    assert set(TOPICS["topics"]["machine unlearning"]) <= {c["paper_id"] for c in d["citations"]}
    assert {pid for t in d["themes"] for pid in t["paper_ids"]} == {
        c["paper_id"] for c in d["citations"]
    }


def test_cli_markdown_to_file(seed_store, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from rag.cli import cli

    monkeypatch.setenv("RAG_STORE", str(seed_store))
    out = tmp_path / "report.md"
    r = CliRunner().invoke(
        cli, ["summarize", "knowledge distillation", "--format", "markdown", "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    md = out.read_text()
    assert md.startswith("# Research summary: knowledge distillation") and "## References" in md
    r = CliRunner().invoke(cli, ["summarize", "protein folding"])
    assert r.exit_code == 0 and "do not cover" in r.output


# --- the LLM path: map (one call per theme) then reduce (the overview), through a fake server --
SOURCE = re.compile(r'<source id="(\d+)" title="[^"]*">\n(.*?)\n</source>', re.S)


def _writer(body: dict):
    """Replies written from the request: a theme call cites its first source (and a made-up
    [99]); the overview call cites [1] and [2]."""
    from tests.fake_openai import Reply

    system = body["messages"][0]["content"]
    user = body["messages"][-1]["content"]
    if "one theme" in system:
        n, text = SOURCE.findall(user)[0]
        first = text.split(". ")[0].rstrip(".")
        return Reply.text(f"{first} [{n}]. Another paper here claims a 90% gain [99].")
    return Reply.text("The work on this topic falls into a few themes [1, 2].")


@pytest.fixture(scope="module")
def fake_llm():
    from tests.fake_openai import FakeOpenAI

    with FakeOpenAI(models=["fake-model"]) as f:
        yield f


def _llm_assistant(store, url):
    from rag.assistant import Assistant
    from rag.config import get_settings

    return Assistant(
        get_settings(store=store, llm_base_url=url, llm_model="fake-model", llm_max_retries=0)
    )


def test_llm_map_reduce_with_checked_citations(seed_store, fake_llm):
    from tests.fake_openai import Reply

    fake_llm.reset()
    fake_llm.script(*[Reply.call(_writer) for _ in range(12)])
    a = _llm_assistant(seed_store, fake_llm.url)
    s = a.summarize("machine unlearning")
    assert s.backend == "llm" and not s.abstained
    calls = fake_llm.chat_requests()
    assert len(calls) == len(s.themes) + 1  # one per theme, then the overview
    numbering = {c.paper_id: c.n for c in s.citations}
    for t, req in zip(s.themes, calls, strict=False):
        given = {int(n) for n, _ in SOURCE.findall(req.body["messages"][-1]["content"])}
        assert given == {numbering[p] for p in t.paper_ids}  # a theme's own papers only
    assert "<theme" in calls[-1].body["messages"][-1]["content"]  # the reduce step
    assert s.summary == "The work on this topic falls into a few themes [1, 2]."
    assert 99 in s.removed_citations
    retrieved = {h.paper.paper_id for h in s.sources}
    assert {c.paper_id for c in s.citations} <= retrieved
    for t in s.themes:
        assert "[99]" not in t.text
        # the model's claim whose only marker was made up is left uncited and unsupported
        flagged = [x for x in t.sentences if "90% gain" in x.text]
        assert flagged and all(not x.citations and not x.supported for x in flagged)
        # its quote of the first source is cited and scored against that source
        first = t.sentences[0]
        assert first.citations and first.support is not None and first.supported
        for pid in t.paper_ids:  # every kept paper cited, by the model or by its own quote
            assert f"[{numbering[pid]}]" in t.text
    d = s.to_dict()
    assert d["usage"]["calls"] == len(s.themes) + 1 and d["backend"] == "llm"
    assert set(TOPICS["topics"]["machine unlearning"]) <= set(s.cited_ids)


def test_llm_that_declines_falls_back_to_quotes(seed_store, fake_llm):
    from tests.fake_openai import Reply

    fake_llm.reset()
    fake_llm.script(*[Reply.text("NOT_IN_SOURCES") for _ in range(12)])
    a = _llm_assistant(seed_store, fake_llm.url)
    s = a.summarize("emotion and empathy")
    assert not s.abstained and s.backend == "llm"
    assert s.summary.startswith("2 papers in the collection are on")
    for t in s.themes:
        assert t.text and all(x.support == 1.0 for x in t.sentences)
    assert set(TOPICS["topics"]["emotion and empathy"]) <= set(s.cited_ids)


def test_llm_backend_off_topic_abstains_without_a_call(seed_store, fake_llm):
    fake_llm.reset()
    a = _llm_assistant(seed_store, fake_llm.url)
    s = a.summarize("protein folding")
    assert s.abstained and fake_llm.count() == 0
