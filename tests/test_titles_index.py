"""A derived title is display only: never embedded, never in BM25, never in the content hash.

So a change of the title rules re-embeds nothing (the catalogue row just gets the new title),
while a record's own title (SciFact's corpus.jsonl, a CSV's title column) stays indexed exactly
as before. A store built when derived titles were embedded is upgraded by the next ingest: the
papers whose embedded text changed are exactly those whose content hash changed.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

import rag.parse.common as parse_common
from rag.assistant import Assistant
from rag.config import get_settings
from rag.ingest import embed_text, ingest, keyword_tokens
from rag.records import Paper

A = (
    "We propose GraphFoo, a graph neural network for predicting molecular toxicity from "
    "atom-level features. GraphFoo improves AUROC by four points on Tox21 and ClinTox."
)
B = (
    "This paper studies how curriculum ordering of training examples affects the sample "
    "efficiency of reinforcement learning agents in sparse-reward navigation tasks."
)
R = (
    "White matter microstructure changes with age. We measured diffusion tensor metrics in "
    "240 adults and found fractional anisotropy declines after sixty."
)


def _paper(title: str, derived: bool) -> Paper:
    return Paper("p1", title, "Some abstract text about zebrafish fins.", "f.txt", 1, None, 1,
                 title_derived=derived)  # fmt: skip


def test_a_record_title_is_embedded_and_indexed_as_before():
    p = _paper("Quokka fin regeneration", derived=False)
    assert embed_text(p, "chunk one") == "Quokka fin regeneration. chunk one"
    assert "quokka" in keyword_tokens(p).split()


def test_a_derived_title_is_neither_embedded_nor_indexed():
    p = _paper("Quokka: a regeneration study", derived=True)
    assert embed_text(p, "chunk one") == "chunk one"
    assert "quokka" not in keyword_tokens(p).split()
    assert keyword_tokens(p) == keyword_tokens(replace(p, title="Something else"))


def test_content_hash_ignores_a_derived_title_only():
    derived = _paper("Quokka: a regeneration study", derived=True)
    assert derived.content_hash() == replace(derived, title="Other words").content_hash()
    record = _paper("Fin regeneration in zebrafish", derived=False)
    assert record.content_hash() != replace(record, title="Other words").content_hash()


def _corpus(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "plain.txt").write_text(f"Abstract: {A}\n\nAbstract: {B}\n")
    (corpus / "rec.jsonl").write_text(
        json.dumps({"_id": "r1", "title": "Microstructure of white matter", "text": R}) + "\n"
    )
    return corpus


@pytest.mark.slow
def test_new_title_rules_re_embed_nothing_and_show_the_new_titles(tmp_path, monkeypatch):
    settings = get_settings(store=tmp_path / "s")
    corpus = _corpus(tmp_path)
    assert len(ingest([corpus], settings, progress=False).added) == 3
    a = Assistant(settings)
    before = a.store.chunk_inventory()

    real = parse_common.derive_title
    monkeypatch.setattr(parse_common, "derive_title", lambda text: "New rule: " + real(text))
    r = ingest([corpus], settings, progress=False)
    assert (len(r.added), len(r.updated), r.unchanged) == (0, 0, 3)
    a.reset()
    titles = {p.paper_id: p.title for p in a.papers()}
    assert titles["r1"] == "Microstructure of white matter"
    assert sum(t.startswith("New rule: ") for t in titles.values()) == 2
    assert a.store.chunk_inventory() == before  # the same chunks, not re-embedded


@pytest.mark.slow
def test_a_store_that_embedded_derived_titles_is_upgraded_by_the_next_ingest(tmp_path, monkeypatch):
    settings = get_settings(store=tmp_path / "s")
    corpus = _corpus(tmp_path)

    new_hash = Paper.content_hash

    def old_hash(self: Paper) -> str:  # the hash of stores built before this change
        return new_hash(replace(self, title_derived=False))

    with monkeypatch.context() as m:
        m.setattr(Paper, "content_hash", old_hash)
        m.setattr(
            "rag.ingest.write.embed_texts",
            lambda p, chunks, settings: [f"{p.title}. {c}" for c in chunks],
        )
        assert len(ingest([corpus], settings, progress=False).added) == 3
    r = ingest([corpus], settings, progress=False)
    # the two title-less papers are re-embedded without their titles; the record is untouched
    assert (len(r.added), len(r.updated), r.unchanged) == (0, 2, 1) and "r1" not in r.updated
    a = Assistant(settings)
    top = a.search("fractional anisotropy declines after sixty", k=1)[0]
    assert top.paper.paper_id == "r1"
