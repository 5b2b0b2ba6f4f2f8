"""Reliability: part of the store lost or damaged. The catalogue is the source of truth.

Lost vectors are embedded again from the catalogue's text (never dropped); an empty, truncated
or foreign catalogue file is refused (never read as an empty index).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS, REPO
from tests.test_reliability_invariants import check_invariants, expected_papers, rag

pytestmark = pytest.mark.slow  # end to end: not in `make test-fast`

ONE = (
    "Abstract: We present Quillfeather, a method for aligning handwritten medieval charters with "
    "their printed editions using stroke-level optical matching, evaluated on 1,200 charters.\n"
)


def _index_dir(store: Path) -> Path:
    from rag.config import get_settings

    return store / get_settings(store=store).collection_name()


def _found_by_meaning(store: Path) -> list[str]:
    """Ids of a dense-only (meaning, no keywords) search for a paraphrase of a seed paper."""
    run = rag(
        "search", "diagnosing depression with several cooperating agents", "--json",
        "--mode", "dense", store=store,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return [h["title"] for h in json.loads(run.stdout)]


def test_deleted_chroma_directory_is_reembedded_from_the_catalogue(store_copy, tmp_path):
    shutil.rmtree(store_copy / "chroma")
    # a reader says what to do, and that no path is needed
    refused = rag("search", "mood disorder", "--json", store=store_copy)
    assert refused.returncode != 0
    assert "rag ingest` (no path needed)" in refused.stderr
    assert "--rebuild" not in refused.stderr and "Traceback" not in refused.stderr

    one = tmp_path / "one.txt"
    one.write_text(ONE)
    run = rag("ingest", str(one), "--quiet", store=store_copy)
    assert run.returncode == 0, run.stderr
    assert "re-embedded 50 paper(s) whose vectors were missing" in run.stdout
    assert "1 added" in run.stdout and "51 papers in the index" in run.stdout
    # every paper back, each found by its own title; and by meaning (dense only)
    check_invariants(store_copy, expected_papers([CORPUS, one]))
    assert any("MoodAngels" in t for t in _found_by_meaning(store_copy)[:3])


def test_rag_ingest_with_no_path_repairs_a_store_of_other_files(tmp_path):
    """`rag ingest` alone (what a reader advises) repairs a store built from other files,
    without adding the bundled corpus to it."""
    store = tmp_path / "s"
    one = tmp_path / "one.txt"
    one.write_text(ONE)
    assert rag("ingest", str(one), "--quiet", store=store).returncode == 0
    shutil.rmtree(store / "chroma")
    (_index_dir(store) / "keyword.npz").unlink()
    run = rag("ingest", "--quiet", store=store)
    assert run.returncode == 0, run.stderr
    assert "re-embedded 1 paper(s)" in run.stdout and "1 papers in the index" in run.stdout
    check_invariants(store, expected_papers([one]))


def test_interrupted_reembedding_resumes_where_it_stopped(store_copy, monkeypatch):
    """Killed part-way, the repair keeps what it wrote; the next run embeds only the rest."""
    import rag.ingest as ingest_mod
    import rag.ingest.repair
    from rag.config import get_settings
    from rag.store import Store

    shutil.rmtree(store_copy / "chroma")
    monkeypatch.setattr(rag.ingest.repair, "BATCH_PAPERS", 10)
    real = Store.record_papers
    calls = {"n": 0}

    def crash_on_third(self, rows):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # as a Ctrl-C between two batches
        real(self, rows)

    monkeypatch.setattr(Store, "record_papers", crash_on_third)
    settings = get_settings(store=store_copy)
    with pytest.raises(KeyboardInterrupt):
        ingest_mod.ingest([], settings, progress=False)
    monkeypatch.setattr(Store, "record_papers", real)
    report = ingest_mod.ingest([], settings, progress=False)
    # three batches of 10 had reached Chroma (the third's catalogue rows, unchanged, were
    # already there): only the other 20 are embedded again
    assert report.reembedded == 20
    check_invariants(store_copy, expected_papers([CORPUS]))


def test_missing_keyword_entries_are_rebuilt_from_the_catalogue(store_copy):
    """A BM25 file of the right generation that lacks papers is rebuilt by the next ingest."""
    from rag.config import get_settings
    from rag.store import Store
    from rag.store.keyword import KeywordIndex

    store = Store(get_settings(store=store_copy))
    try:
        docs = store.catalogue.keyword_docs()[:10]  # 40 papers missing from it
        KeywordIndex.build(docs, generation=store.catalogue.generation).save(store.index_dir)
    finally:
        store.close()
    run = rag("ingest", "--quiet", store=store_copy)
    assert run.returncode == 0, run.stderr
    assert "rebuilt the keyword index" in run.stdout
    check_invariants(store_copy, expected_papers([CORPUS]))


@pytest.mark.parametrize("damage", ["empty", "truncated", "foreign"])
def test_empty_truncated_or_foreign_catalogue_is_refused(store_copy, tmp_path, damage):
    cat = _index_dir(store_copy) / "papers.sqlite"
    chunks_before = _chunk_count(store_copy)
    for suffix in ("-wal", "-shm"):
        Path(f"{cat}{suffix}").unlink(missing_ok=True)
    data = cat.read_bytes()
    if damage == "empty":
        cat.write_bytes(b"")
    elif damage == "truncated":
        cat.write_bytes(data[: len(data) // 3])
    else:
        cat.write_text("id,title\n1,not a catalogue at all\n" * 50)
    words = {"empty": "is empty (0 bytes)", "truncated": "truncated", "foreign": "not a catalogue"}
    for args in (("papers", "--json"), ("search", "mood disorder", "--json")):
        run = rag(*args, store=store_copy)
        assert run.returncode != 0 and run.stdout.strip() in ("", "[]") and not run.stdout.strip()
        assert words[damage] in run.stderr and "restore the file from a backup" in run.stderr
        assert "Traceback" not in run.stderr
    # the next ingest refuses too, and every other paper's vectors stay
    one = tmp_path / "one.txt"
    one.write_text(ONE)
    run = rag("ingest", str(one), "--quiet", store=store_copy)
    assert run.returncode != 0 and words[damage] in run.stderr
    assert _chunk_count(store_copy) == chunks_before > 0


def _chunk_count(store: Path) -> int:
    import chromadb

    from rag.config import get_settings

    client = chromadb.PersistentClient(path=str(store / "chroma"))
    try:
        return client.get_collection(get_settings(store=store).collection_name()).count()
    finally:
        client.close()


# --- a read-only store: searched normally; a write says the directory is read-only ----------


def _can_mount_readonly() -> bool:
    """A private mount namespace (root with CAP_SYS_ADMIN, as here) can bind a directory
    read-only: a real read-only file system, which stops root's writes too."""
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount --bind /tmp /tmp && mount -o remount,bind,ro /tmp"],
        capture_output=True,
    )
    return probe.returncode == 0


def _rag_readonly(store: Path, *args: str) -> subprocess.CompletedProcess:
    """`rag ARGS` in a process that sees ``store`` mounted read-only."""
    cmd = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "rag.cli", *args])
    s = shlex.quote(str(store))
    script = f"mount --bind {s} {s} && mount -o remount,bind,ro {s} && exec {cmd}"
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        cwd=REPO,
        env={**os.environ, "RAG_STORE": str(store)},
        capture_output=True,
        text=True,
        timeout=600,
    )


def _check_readonly_runs(search, ingest) -> None:
    run = search("search", "mood disorder diagnosis", "--json")
    assert run.returncode == 0, run.stderr
    assert "MoodAngels" in json.loads(run.stdout)[0]["title"]
    papers = search("papers", "--json")
    assert papers.returncode == 0 and len(json.loads(papers.stdout)) == 50
    write = ingest()
    assert write.returncode != 0
    assert "is read-only" in write.stderr and "can be searched" in write.stderr
    assert "--rebuild" not in write.stderr and "damaged" not in write.stderr
    assert "Traceback" not in write.stderr


@pytest.mark.skipif(not _can_mount_readonly(), reason="cannot make a read-only mount here")
def test_read_only_mount_is_searched_and_a_write_says_read_only(store_copy, tmp_path):
    one = tmp_path / "one.txt"
    one.write_text(ONE)
    before = sorted(p.name for p in store_copy.rglob("*"))
    _check_readonly_runs(
        lambda *a: _rag_readonly(store_copy, *a),
        lambda: _rag_readonly(store_copy, "ingest", str(one), "--quiet"),
    )
    assert sorted(p.name for p in store_copy.rglob("*")) == before  # nothing written
    check_invariants(store_copy, expected_papers([CORPUS]), search=False)


def test_store_readonly_setting_searches_and_refuses_writes(store_copy, tmp_path):
    """RAG_STORE_READONLY=1: the same read-only path on a writable directory (for a store that
    must not change, and for users who are root, whom chmod does not stop)."""
    one = tmp_path / "one.txt"
    one.write_text(ONE)
    env = {"RAG_STORE_READONLY": "1"}
    _check_readonly_runs(
        lambda *a: _rag_env(store_copy, env, *a),
        lambda: _rag_env(store_copy, env, "ingest", str(one), "--quiet"),
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="chmod does not stop root's writes")
def test_chmod_read_only_store_is_searched(store_copy, tmp_path):
    one = tmp_path / "one.txt"
    one.write_text(ONE)
    subprocess.run(["chmod", "-R", "a-w", str(store_copy)], check=True)
    try:
        _check_readonly_runs(
            lambda *a: rag(*a, store=store_copy),
            lambda: rag("ingest", str(one), "--quiet", store=store_copy),
        )
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(store_copy)], check=True)


def _rag_env(store: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args],
        cwd=REPO,
        env={**os.environ, **env, "RAG_STORE": str(store)},
        capture_output=True,
        text=True,
        timeout=600,
    )
