"""Ingest: incremental, idempotent, updates in place, prunes, refuses other settings."""

from __future__ import annotations

import pytest

from rag.assistant import Assistant
from rag.config import get_settings
from rag.errors import StoreError, StoreIncompatible, StoreLocked
from rag.ingest import ingest
from rag.store import Store

A = (
    "We propose GraphFoo, a graph neural network for predicting molecular toxicity from "
    "atom-level features. GraphFoo improves AUROC by four points on Tox21 and ClinTox."
)
B = (
    "We introduce TinyQA, a benchmark of 2,000 trivia questions that probes whether small "
    "language models can answer questions about rare historical events."
)
C = (
    "This paper studies how curriculum ordering of training examples affects the sample "
    "efficiency of reinforcement learning agents in sparse-reward navigation tasks."
)


def _write(path, *abstracts):
    path.write_text("\n\n".join(f"Abstract:{a}" for a in abstracts) + "\n")


def test_second_run_changes_nothing(store_copy):
    from .conftest import CORPUS

    report = ingest([CORPUS], get_settings(store=store_copy), progress=False)
    assert (len(report.added), len(report.updated), len(report.removed)) == (0, 0, 0)
    assert report.unchanged == 50 and not report.changed
    assert "nothing to do" in report.summary()


def test_add_update_in_place_remove_and_prune(tmp_path):
    settings = get_settings(store=tmp_path / "s")
    corpus = tmp_path / "c"
    corpus.mkdir()
    f1, f2 = corpus / "one.txt", corpus / "two.txt"
    _write(f1, A, B)
    _write(f2, C)
    r = ingest([corpus], settings, progress=False)
    assert len(r.added) == 3 and r.total == 3
    a = Assistant(settings)
    old_b = [p for p in a.papers() if p.title.startswith("TinyQA")][0]

    # edit B in place: counted as updated, old version gone, new text searchable
    edited = B.replace("2,000", "5,000")
    _write(f1, A, edited)
    r = ingest([corpus], settings, progress=False)
    assert (len(r.added), len(r.updated), len(r.removed), r.unchanged) == (0, 1, 0, 2)
    a.reset()
    ids = {p.paper_id for p in a.papers()}
    assert old_b.paper_id not in ids and len(ids) == 3
    top = a.search("benchmark of 5,000 trivia questions on rare historical events", k=1)[0]
    assert "5,000" in top.paper.text
    # no stale vectors of the old version remain
    inv = a.store.chunk_inventory()
    assert set(inv) == ids

    # an abstract deleted from a file that is read again is removed
    _write(f1, A)
    r = ingest([corpus], settings, progress=False)
    assert len(r.removed) == 1 and r.total == 2

    # a file that is gone is only removed with --prune
    f2.unlink()
    r = ingest([corpus], settings, progress=False)
    assert r.total == 2 and not r.removed
    r = ingest([corpus], settings, prune=True, progress=False)
    assert len(r.removed) == 1 and r.total == 1
    a.reset()
    assert [p.title.split(":")[0] for p in a.papers()] == ["GraphFoo"]
    assert set(a.store.chunk_inventory()) == {a.papers()[0].paper_id}


def test_rejects_do_not_stop_good_records(tmp_path):
    settings = get_settings(store=tmp_path / "s")
    f = tmp_path / "mixed.txt"
    f.write_text(f"Abstract:\n\nAbstract:{A}\n\nAbstract: short one.\n")
    r = ingest([f], settings, progress=False)
    assert len(r.added) == 1 and len(r.rejected) == 2
    assert all("mixed.txt" in str(x) for x in r.rejected)


def test_other_chunking_is_refused_with_rebuild_hint(store_copy):
    other = get_settings(store=store_copy, chunk_size=120)
    with pytest.raises(StoreIncompatible) as e:
        Assistant(other).search("federated learning")
    assert "rag ingest" in str(e.value) and "--rebuild" in str(e.value)
    # ingest refuses too, until asked to rebuild
    with pytest.raises(StoreIncompatible):
        ingest([], other, progress=False)


def test_rebuild_replaces_the_index(tmp_path):
    s1 = get_settings(store=tmp_path / "s")
    f = tmp_path / "a.txt"
    _write(f, A, B)
    ingest([f], s1, progress=False)
    s2 = get_settings(store=tmp_path / "s", chunk_size=120)
    r = ingest([f], s2, rebuild=True, progress=False)
    assert len(r.added) == 2
    assert len(Assistant(s2).papers()) == 2
    with pytest.raises(StoreIncompatible):
        Assistant(s1).papers()


def test_empty_store_says_how_to_start(tmp_path):
    with pytest.raises(StoreError) as e:
        Assistant(get_settings(store=tmp_path / "nothing")).search("x")
    assert "rag ingest" in str(e.value)


def test_second_writer_is_refused_clearly(store_copy):
    settings = get_settings(store=store_copy)
    store = Store(settings)
    with store.write_lock():
        with pytest.raises(StoreLocked) as e:
            ingest([], settings, progress=False)
        assert "--wait" in str(e.value)
    store.close()
