"""Embedding backends: ONNX Runtime and sentence-transformers give the same vectors.

The ONNX graph is exported locally from the packaged weights (cached in the user cache
directory, as in production); the torch model is the reference.
"""

from __future__ import annotations

import numpy as np
import pytest

from rag.config import get_settings
from rag.embed import get_embedder, resolve_backend
from rag.embed.local import OnnxEmbedder, TorchEmbedder
from rag.embed.onnx import model_file
from rag.errors import ConfigError

from .conftest import CORPUS

pytestmark = pytest.mark.slow  # not in `make test-fast`


def _sample_texts() -> list[str]:
    abstracts = []
    for f in sorted(CORPUS.glob("*.txt"))[:2]:
        abstracts += [a.strip() for a in f.read_text().split("Abstract:")[1:] if a.strip()]
    long = " ".join(abstracts[:4])  # far beyond 256 tokens: exercises truncation
    return abstracts[:12] + [
        long,
        "  leading and trailing spaces  ",
        "BRCA1",
        "Ünïcödé résumé of naïve Bayes — α/β tests",
        "What does this collection say about federated learning?",
    ]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _sample_texts()


@pytest.fixture(scope="module")
def torch_vecs(texts) -> np.ndarray:
    return TorchEmbedder().embed(texts, batch_size=8)


@pytest.fixture(scope="module")
def onnx_fp32():
    return get_embedder(get_settings(embed_backend="onnx"))


def test_onnx_fp32_matches_sentence_transformers(texts, torch_vecs, onnx_fp32):
    vecs = onnx_fp32.embed(texts, batch_size=8)
    assert vecs.shape == torch_vecs.shape == (len(texts), 384)
    assert vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    cos = (vecs * torch_vecs).sum(axis=1)
    assert cos.min() >= 0.999, cos


def test_batching_and_order_do_not_change_vectors(texts, onnx_fp32):
    together = onnx_fp32.embed(texts, batch_size=64)
    alone = np.stack([onnx_fp32.embed_query(t) for t in texts])
    assert np.abs(together - alone).max() < 1e-4
    calls = []
    onnx_fp32.embed(texts, batch_size=5, progress=calls.append)
    assert sum(calls) == len(texts) and len(calls) == -(-len(texts) // 5)
    assert onnx_fp32.embed([]).shape == (0, 384)


def test_fp32_backends_share_the_index_int8_gets_its_own():
    names = {b: get_settings(embed_backend=b).collection_name() for b in ("auto", "onnx", "torch")}
    assert len(set(names.values())) == 1, names
    int8 = get_settings(embed_backend="int8")
    assert int8.collection_name() != names["onnx"]
    assert int8.index_signature()["embed_precision"] == "int8"
    assert "embed_precision" not in get_settings(embed_backend="onnx").index_signature()


def test_int8_is_close_to_fp32_but_not_the_same(texts, torch_vecs):
    vecs = get_embedder(get_settings(embed_backend="int8")).embed(texts, batch_size=8)
    cos = (vecs * torch_vecs).sum(axis=1)
    # close enough to rank well (per-channel weights), too far to mix with fp32 vectors
    assert cos.mean() >= 0.98 and cos.min() >= 0.95, cos
    assert cos.min() < 0.999


def test_auto_prefers_onnx_and_unknown_backend_is_refused(monkeypatch):
    assert resolve_backend(get_settings()) == "onnx"
    monkeypatch.setenv("RAG_EMBED_BACKEND", "tensorflow")
    with pytest.raises(ConfigError, match="RAG_EMBED_BACKEND"):
        get_embedder(get_settings())


def test_a_damaged_cached_model_says_how_to_fix_it(tmp_path):
    from rag.embed.local import local_model_path

    bad = model_file(tmp_path, local_model_path(), "fp32")
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not an onnx graph")
    with pytest.raises(ConfigError, match="delete .* to export it again"):
        OnnxEmbedder("fp32", cache_dir=tmp_path).embed(["hello"])


def test_token_sorted_batches_give_the_vectors_of_unsorted_ones(texts, onnx_fp32):
    """Ingest's path (tokenised once, sorted by token count, each batch padded to its own
    longest) against the same texts run in input order, batches of 4, padded per batch."""
    session = onnx_fp32.session
    unsorted = np.concatenate([session.encode(texts[i : i + 4]) for i in range(0, len(texts), 4)])
    widths = []
    run = session.run

    def spy(encs):
        widths.append(max(len(e.ids) for e in encs))
        return run(encs)

    session.run = spy
    try:
        sorted_vecs = onnx_fp32.embed(texts, batch_size=4)
    finally:
        del session.run
    assert np.abs(sorted_vecs - unsorted).max() < 1e-6
    assert widths == sorted(widths, reverse=True) and len(widths) == -(-len(texts) // 4)
    lengths = sorted((len(e.ids) for e in session.tokenize(texts)), reverse=True)
    assert widths == lengths[0::4]  # each batch padded only to its own longest text


def test_onnx_session_does_not_spin_by_default(onnx_fp32):
    opts = onnx_fp32.session.session.get_session_options()
    assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"
