"""Reliability 5: a store written with other settings or an older format is detected and refused
with the command that rebuilds it, through the real `rag` command.

Stores "written by another embedding model" are created by the store code itself with
``RAG_EMBED_MODEL=text-embedding-3-small`` (creating an index makes no embedding call); an
older format and a tampered or damaged catalogue are written directly, since the on-disk format
is what is under test.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_reliability_invariants import check_invariants, expected_papers, rag

pytestmark = pytest.mark.slow  # not in `make test-fast`

OPENAI_MODEL = "text-embedding-3-small"


def _command(message: str) -> list[str]:
    """The `[RAG_STORE=...] rag ingest --rebuild ...` command a refusal suggests, as argv
    (the environment assignment written as --store, which means the same)."""
    m = re.search(r"`((?:RAG_STORE=\S+ )?rag ingest --rebuild[^`]*)`", message)
    assert m, f"no rebuild command in: {message}"
    argv = shlex.split(m.group(1))
    if argv[0].startswith("RAG_STORE="):
        argv = ["rag", "--store", argv[0].split("=", 1)[1], *argv[2:]]
    return argv


def _refused(run, *words: str) -> str:
    assert run.returncode == 1, (run.returncode, run.stdout, run.stderr)
    assert "Traceback" not in run.stderr and run.stderr.startswith("Error: "), run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    for w in words:
        assert w in run.stderr, (w, run.stderr)
    return run.stderr


def _write_index(store: Path, signature: dict, sources: list[str]) -> Path:
    """An index folder as the store writes it, for a signature (format) of our choosing."""
    import hashlib

    name = "papers-" + hashlib.sha1(json.dumps(signature, sort_keys=True).encode()).hexdigest()[:10]
    path = store / name / "papers.sqlite"
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE papers (paper_id TEXT PRIMARY KEY, hash TEXT NOT NULL, source TEXT NOT NULL,"
        " position INTEGER NOT NULL, n_chunks INTEGER NOT NULL, tokens TEXT NOT NULL,"
        " data TEXT NOT NULL)"
    )
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    db.execute("INSERT INTO meta VALUES ('signature', ?)", (json.dumps(signature),))
    for i, src in enumerate(sources):
        db.execute("INSERT INTO papers VALUES (?, 'h', ?, 1, 1, '', '{}')", (f"p{i}", src))
    db.commit()
    db.close()
    return path


def test_other_chunking_is_refused_and_the_suggested_command_rebuilds(store_copy):
    from tests.conftest import CORPUS

    env = {"RAG_CHUNK_SIZE": "120"}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        msg = _refused(
            rag("search", "federated learning", store=store_copy),
            "holds an index built with other settings",
            '"chunk_size": 200',
            '"chunk_size": 120',
        )
        _refused(rag("ingest", "--quiet", store=store_copy), "chunk_size")
        argv = _command(msg)
        # the seed papers came from the bundled corpus, which `rag ingest` reads by default
        assert argv == ["rag", "--store", str(store_copy), "ingest", "--rebuild"]
        # run the suggested command exactly as written, in a shell, from another directory
        line = re.search(r"`([^`]*rag ingest --rebuild[^`]*)`", msg).group(1)
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
        env.pop("RAG_STORE")
        rebuilt = subprocess.run(
            line + " --quiet",
            shell=True,
            env=env,
            cwd=store_copy.parent,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert "50 added" in rebuilt.stdout
        ok = rag("search", "federated learning", "--json", store=store_copy)
        assert ok.returncode == 0 and json.loads(ok.stdout)
    # only the new index is left, and it is whole
    assert len(list(store_copy.glob("*/papers.sqlite"))) == 1
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAG_CHUNK_SIZE", "120")
        check_invariants(store_copy, expected_papers([CORPUS]), search=False)


def test_other_embedding_model_is_refused_both_ways(store_copy, tmp_path):
    from rag.config import get_settings
    from rag.store import Store

    # a local-model store read with an OpenAI model configured: refused, no network call
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAG_EMBED_MODEL", OPENAI_MODEL)
        mp.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
        mp.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
        msg = _refused(
            rag("ask", "what is federated learning?", store=store_copy),
            f'"embed_model": "{OPENAI_MODEL}"',
            '"embed_model": "all-MiniLM-L6-v2"',
        )
        assert "sk-test" not in msg
        assert _command(msg)[3:5] == ["ingest", "--rebuild"]

    # a store written with an OpenAI model, read with the local default: refused, and the
    # command names the folder its papers came from
    other = tmp_path / "openai-store"
    papers_dir = tmp_path / "my-papers"
    papers_dir.mkdir()
    store = Store(get_settings(store=other, embed_model=OPENAI_MODEL), create=True)
    from rag.records import Paper

    paper = Paper("p1", "A title", "An abstract of enough words to count here.", "x", 1)
    paper.source = str(papers_dir / "a.jsonl")
    store.catalogue.upsert(paper, n_chunks=1, tokens="")
    store.catalogue.commit()
    store.close()
    msg = _refused(
        rag("search", "anything", store=other),
        f'"embed_model": "{OPENAI_MODEL}"',
        "the current settings are",
    )
    assert _command(msg) == ["rag", "--store", str(other), "ingest", "--rebuild", str(papers_dir)]


def test_older_format_and_unknown_layouts_are_refused(tmp_path):
    old = tmp_path / "old"
    papers = tmp_path / "papers"
    _write_index(
        old,
        {"format": 0, "embed_model": "all-MiniLM-L6-v2", "chunk_size": 200, "chunk_overlap": 40},
        [str(papers / "a.txt"), str(papers / "b.txt")],
    )
    from rag.config import STORE_FORMAT_VERSION

    msg = _refused(rag("papers", store=old), '"format": 0', f'"format": {STORE_FORMAT_VERSION}')
    assert _command(msg) == ["rag", "--store", str(old), "ingest", "--rebuild", str(papers)]
    _refused(rag("ingest", str(papers), "--quiet", store=old), '"format": 0')

    # an index folder whose catalogue has no signature at all (an unknown, older layout)
    legacy = tmp_path / "legacy"
    (legacy / "papers-0000000000").mkdir(parents=True)
    sqlite3.connect(legacy / "papers-0000000000" / "papers.sqlite").execute(
        "CREATE TABLE papers (paper_id TEXT)"
    ).connection.commit()
    _refused(rag("search", "x", store=legacy), '"format": "unknown"', "rag ingest --rebuild")


def test_tampered_or_damaged_catalogue_is_refused(store_copy):
    from rag.config import get_settings

    index = store_copy / get_settings(store=store_copy).collection_name()
    db = sqlite3.connect(index / "papers.sqlite")
    sig = json.loads(db.execute("SELECT value FROM meta WHERE key='signature'").fetchone()[0])
    db.execute(
        "UPDATE meta SET value=? WHERE key='signature'",
        (json.dumps({**sig, "chunk_overlap": 7}),),
    )
    db.commit()
    db.close()
    msg = _refused(rag("papers", store=store_copy), '"chunk_overlap": 7', "rag ingest --rebuild")
    assert _command(msg) == ["rag", "--store", str(store_copy), "ingest", "--rebuild"]

    (index / "papers.sqlite").write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{index / 'papers.sqlite'}{suffix}").unlink(missing_ok=True)
    _refused(rag("papers", store=store_copy), "damaged", "rag ingest --rebuild")


def test_damaged_keyword_index_is_rebuilt_from_the_catalogue(store_copy):
    from rag.config import get_settings
    from tests.conftest import CORPUS

    index = store_copy / get_settings(store=store_copy).collection_name()
    (index / "keyword.npz").write_bytes(b"PK\x03\x04 truncated")
    run = rag("search", "mood disorder diagnosis", "--json", "--mode", "keyword", store=store_copy)
    assert run.returncode == 0, run.stderr
    assert "MoodAngels" in json.loads(run.stdout)[0]["title"]
    fixed = rag("ingest", "--quiet", store=store_copy)
    assert fixed.returncode == 0 and "nothing to do" in fixed.stdout
    check_invariants(store_copy, expected_papers([CORPUS]), search=False)
