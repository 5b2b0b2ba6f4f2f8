"""The BM25 index: scipy builds it, numpy alone answers from the saved file."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np

from rag.store.keyword import KeywordIndex


def _docs(n: int = 300, seed: int = 3) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(400)]
    return [(f"p{i}", " ".join(rng.choices(words, k=rng.randint(5, 80)))) for i in range(n)]


def test_search_equals_the_sparse_matrix_product(tmp_path):
    from scipy import sparse

    docs = _docs()
    kw = KeywordIndex.build(docs, generation=4)
    kw.save(tmp_path)
    loaded = KeywordIndex.load(tmp_path)
    assert loaded is not None and loaded.generation == 4 and loaded.ids == kw.ids
    m = sparse.csc_matrix((kw.data, kw.indices, kw.indptr), shape=(len(docs), len(kw.vocab)))
    rng = random.Random(9)
    for _ in range(50):
        query = " ".join(rng.choices([f"w{i}" for i in range(450)], k=rng.randint(1, 6)))
        terms = kw.term_weights(query)
        cols = list(terms)
        ref = np.asarray(m[:, cols] @ np.asarray([terms[c] for c in cols], np.float32)).ravel()
        got = dict(loaded.search(query, n=len(docs)))
        assert set(got) == {kw.ids[i] for i in np.flatnonzero(ref)}
        for pid, score in got.items():
            assert abs(score - ref[kw.ids.index(pid)]) <= 1e-5 * max(1.0, abs(score))
    only = {"p1", "p2", "p3"}
    assert {pid for pid, _ in loaded.search("w1 w2 w3 w4", 10, only)} <= only


def test_a_damaged_index_file_is_rejected_not_read(tmp_path):
    kw = KeywordIndex.build(_docs(20), generation=1)
    kw.indices = kw.indices.copy()
    kw.indices[0] = 10_000  # a row beyond the papers
    kw.save(tmp_path)
    assert KeywordIndex.load(tmp_path) is None


def test_loading_and_searching_need_no_scipy(tmp_path):
    KeywordIndex.build(_docs(50), generation=2).save(tmp_path)
    probe = (
        "import sys; from rag.store.keyword import KeywordIndex; from pathlib import Path; "
        f"kw = KeywordIndex.load(Path({str(tmp_path)!r})); assert kw.search('w1 w2', 5); "
        "assert 'scipy' not in sys.modules, 'scipy imported'"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
