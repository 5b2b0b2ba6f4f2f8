"""Reliability: the invariants every store must keep, shared by the kill, concurrency and
property tests, and tests that the checker itself catches a broken store.

Invariants (checked against the real Chroma collection, SQLite catalogue and BM25 index):
1. the catalogue holds exactly the papers of the corpus (same ids, same content hashes);
2. no duplicates: paper ids and chunk ids are unique;
3. dense index = catalogue: every paper has exactly its ``n_chunks`` chunks, all of its current
   content hash, and Chroma holds no chunk of any other paper;
4. keyword index = catalogue: the BM25 ids are the catalogue ids, and the saved index is the
   current generation;
5. the store is not left dirty (a finished run reconciled everything);
6. every paper is found by its own title (hybrid search, top 5); a title-less paper, whose
   derived title is display only (not indexed), by the opening of its abstract instead.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # not in `make test-fast`

REPO = Path(__file__).resolve().parents[1]

_SYL = (
    "ka zo rex vi lun tor mi quo bel dra fen gul hix jor nym pra sul tev wob yag "
    "cor dex fal gim hup ith kel mor nev osk"
).split()
_TOPICS = (
    "graph neural networks|protein structure prediction|speech recognition|federated learning|"
    "medical image segmentation|program synthesis|robot navigation|drug discovery|"
    "machine translation|weather forecasting|recommender systems|fraud detection|"
    "open-domain question answering|time series forecasting|reinforcement learning|"
    "3D scene reconstruction|music generation|legal document retrieval|traffic prediction|"
    "crop yield estimation"
).split("|")
_GAINS = ("accuracy", "recall", "F1", "throughput", "calibration", "sample efficiency")


def make_abstract(rng: random.Random, used: set[str]) -> str:
    """A short, unique, realistic-looking abstract with a made-up method name."""
    while True:
        name = "".join(rng.choice(_SYL) for _ in range(3)).capitalize()
        if name not in used:
            used.add(name)
            break
    topic, other = rng.sample(_TOPICS, 2)
    return (
        f"We propose {name}, a method for {topic} that borrows ideas from {other}. "
        f"On {rng.randint(3, 9)} public benchmarks {name} improves {rng.choice(_GAINS)} by "
        f"{rng.randint(2, 19)} points over strong baselines while using less memory."
    )


def write_txt(path: Path, abstracts: list[str]) -> None:
    """The seed format: one 'Abstract:' record per paragraph."""
    path.write_text("".join(f"Abstract: {a}\n\n" for a in abstracts))


def rag(*args: str, store: Path, timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    """Run the real `rag` command in a fresh process."""
    env = {**os.environ, "RAG_STORE": str(store)}
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kw,
    )


def rag_popen(*args: str, store: Path, **kw) -> subprocess.Popen:
    env = {**os.environ, "RAG_STORE": str(store)}
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen(
        [sys.executable, "-m", "rag.cli", *args],
        cwd=REPO,
        env=env,
        text=True,
        start_new_session=True,
        **kw,
    )


def expected_papers(paths: list[Path]) -> dict[str, str]:
    """paper_id -> content hash of what the corpus holds now (the parser's view)."""
    from rag.parse import parse_paths

    return {p.paper_id: p.content_hash() for p in parse_paths(paths).papers}


def check_invariants(
    store_path: Path,
    expected: dict[str, str] | None = None,
    *,
    search: bool = True,
    k: int = 5,
) -> dict:
    """Assert every store invariant; returns a few figures. Opens and closes its own handles."""
    from rag.config import get_settings
    from rag.embed import get_embedder
    from rag.records import Paper
    from rag.retrieve import Retriever
    from rag.store import Store
    from rag.store.keyword import KeywordIndex

    settings = get_settings(store=store_path)
    store = Store(settings)
    try:
        cat = store.catalogue
        rows = cat.db.execute(
            "SELECT paper_id, hash, source, position, n_chunks, data FROM papers"
        ).fetchall()
        ids = [r[0] for r in rows]
        assert len(ids) == len(set(ids)), "duplicate paper ids in the catalogue"
        catalogue = {r[0]: r[1] for r in rows}
        if expected is not None:
            missing = set(expected) - set(catalogue)
            extra = set(catalogue) - set(expected)
            assert not missing and not extra, (
                f"catalogue != corpus: missing {sorted(missing)}, extra {sorted(extra)}"
            )
            stale = [pid for pid, h in expected.items() if catalogue[pid] != h]
            assert not stale, f"catalogue holds old versions of {stale}"
        for pid, h, _src, _pos, _n, data in rows:
            paper = Paper.from_dict(json.loads(data))
            assert paper.paper_id == pid and paper.content_hash() == h, f"row {pid} inconsistent"
        assert cat.get_meta("dirty") in (None, "0"), "store left dirty after a finished run"

        # dense index: exactly the current chunks of every catalogued paper, nothing else
        got = store.collection.get(include=["metadatas"])
        chunk_ids = got["ids"]
        assert len(chunk_ids) == len(set(chunk_ids)), "duplicate chunk ids in Chroma"
        chunks: dict[str, Counter] = {}
        for cid, m in zip(chunk_ids, got["metadatas"], strict=True):
            assert cid == f"{m['paper_id']}:{m['hash']}:{m['chunk']}", f"chunk id {cid} mislabelled"
            chunks.setdefault(m["paper_id"], Counter())[m["hash"]] += 1
        orphans = set(chunks) - set(catalogue)
        assert not orphans, f"Chroma holds chunks of papers not in the catalogue: {orphans}"
        for pid, h, _src, _pos, n, _data in rows:
            have = chunks.get(pid, Counter())
            assert have == Counter({h: n}), (
                f"dense index disagrees for {pid}: {dict(have)} != {h}x{n}"
            )

        # keyword index: same papers, and the saved one is current
        kw = store.keyword()
        assert sorted(kw.ids) == sorted(ids), "BM25 ids differ from the catalogue"
        saved = KeywordIndex.load(store.index_dir)
        assert saved is not None and saved.generation == cat.generation, "saved BM25 is stale"
        assert sorted(saved.ids) == sorted(ids), "saved BM25 ids differ from the catalogue"

        # every paper is found by its own title (or, title-less, by its abstract's opening)
        not_found = []
        if search and rows:
            retriever = Retriever(store, get_embedder(settings), settings)
            for pid, *_rest, data in rows:
                d = json.loads(data)
                title = d["title"] if not d.get("title_derived", True) else None
                title = title or " ".join(d["text"].split()[:30])
                hits = retriever.retrieve(title, k).hits
                if pid not in [h.paper.paper_id for h in hits]:
                    not_found.append((pid, title))
        assert not not_found, f"papers not found by their own title: {not_found}"
        return {"papers": len(ids), "chunks": len(chunk_ids), "generation": cat.generation}
    finally:
        store.close()


# --- the checker catches what it must ---------------------------------------------------------


def test_checker_passes_on_the_seed_store(seed_store):
    from tests.conftest import CORPUS

    figures = check_invariants(seed_store, expected_papers([CORPUS]))
    assert figures["papers"] == 50 and figures["chunks"] >= 50


@pytest.mark.parametrize("damage", ["chroma_chunk", "catalogue_row", "bm25_file", "dirty"])
def test_checker_catches_a_damaged_store(store_copy, damage):
    from rag.config import get_settings
    from rag.store import Store
    from rag.store.keyword import KeywordIndex
    from tests.conftest import CORPUS

    store = Store(get_settings(store=store_copy))
    victim = sorted(store.catalogue.hashes())[7]
    if damage == "chroma_chunk":
        store.delete_papers([victim])
    elif damage == "catalogue_row":
        store.catalogue.delete([victim])
        store.catalogue.commit()
    elif damage == "bm25_file":
        kw = KeywordIndex.build(store.catalogue.keyword_docs()[1:], store.catalogue.generation)
        kw.save(store.index_dir)
    else:
        store.catalogue.set_meta("dirty", "1")
        store.catalogue.commit()
    store.close()
    with pytest.raises(AssertionError):
        check_invariants(store_copy, expected_papers([CORPUS]), search=False)
