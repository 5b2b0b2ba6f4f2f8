"""bench/peer.py (`rag bench --sections peer`): the llama-index starter beside ours, ABBA."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from .test_eval import _write_beir

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def peer():
    spec = importlib.util.spec_from_file_location("bench_peer", ROOT / "bench" / "peer.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_slices_alternate_abba(peer):
    orders = [peer.abba_order(["starter", "ours"], k) for k in range(4)]
    assert orders == [["starter", "ours"], ["ours", "starter"]] * 2
    three = [peer.abba_order(["a", "b", "c"], k) for k in range(4)]
    assert all(sorted(o) == ["a", "b", "c"] for o in three)
    assert len({tuple(o) for o in three}) == 4  # no pipeline always follows the same one


def test_missing_bench_extra_is_said_plainly(peer, monkeypatch, tmp_path):
    monkeypatch.setattr(peer, "EXTRA", ("llama_index.no_such_module_here",))
    with pytest.raises(SystemExit, match=r"needs the bench extra.*pip install -e '\.\[bench\]'"):
        peer.run(tmp_path / "work", scifact=tmp_path)


@pytest.mark.slow
def test_both_pipelines_run_interleaved_on_a_tiny_dataset(peer, tmp_path):
    if peer.missing_extra():
        pytest.skip("the bench extra is not installed")
    data = tmp_path / "tinybeir"
    _write_beir(data)
    out = peer.run(tmp_path / "work", slices=2, scifact=data, say=lambda m: None)
    assert out["order"] == [["starter", "ours"], ["ours", "starter"]]
    rows = out["pipelines"]
    for r in rows.values():
        assert r["papers"] == 6 and r["chunks"] >= 6 and r["queries"] == 3
        assert r["wall_s"] > 0 and r["cpu_s"] > 0 and r["peak_rss_mb"] > 100
        assert 0 < r["ndcg@10"] <= 1
    assert rows["starter"]["label"] == "llama-index starter"
    assert rows["ours"]["label"].startswith("rag ingest")
    ours = rows["ours"]
    assert ours["speed_vs_starter"] == pytest.approx(
        ours["papers_per_s"] / rows["starter"]["papers_per_s"], rel=1e-2
    )
    peer.print_table(out)
