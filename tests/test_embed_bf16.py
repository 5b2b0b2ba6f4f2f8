"""bf16 ingest embeddings (PyTorch on CPUs with AMX): which ingests use them, and that their
vectors are the fp32 index's, so a store built with them answers as one built in fp32.

The choice is tested everywhere (the CPU's flags are set by the test); the vectors and the
store only where this machine has AMX (skipped, saying so, elsewhere).
"""

from __future__ import annotations

import numpy as np
import pytest

from rag.config import get_settings
from rag.embed import bf16, get_embedder, resolve_backend
from rag.errors import ConfigError

from .conftest import CORPUS

pytestmark = pytest.mark.slow  # not in `make test-fast`

needs_amx = pytest.mark.skipif(
    not bf16.available(), reason="this CPU has no AMX (amx_bf16): bf16 would be emulated"
)


@pytest.fixture
def amx(monkeypatch):
    """Pretend the CPU has AMX (the flags only; no model is loaded by the choice)."""
    monkeypatch.setattr(bf16, "cpu_flags", lambda: frozenset({"avx512f", "amx_bf16"}))


@pytest.fixture
def no_amx(monkeypatch):
    monkeypatch.setattr(bf16, "cpu_flags", lambda: frozenset({"avx512f", "avx2"}))


def test_large_ingests_embed_in_bf16_on_amx_queries_never(amx):
    s = get_settings()
    assert resolve_backend(s) == "onnx"  # queries, and every single text
    assert resolve_backend(s, bulk=bf16.MIN_PAPERS - 1) == "onnx"  # small: torch costs more
    assert resolve_backend(s, bulk=bf16.MIN_PAPERS) == "bf16"
    assert resolve_backend(get_settings(embed_backend="torch"), bulk=5000) == "bf16"
    assert resolve_backend(get_settings(embed_ingest="query"), bulk=5000) == "onnx"
    assert resolve_backend(get_settings(embed_ingest="bf16"), bulk=1) == "bf16"
    # int8 vectors are an index of their own: its ingests stay int8
    assert resolve_backend(get_settings(embed_backend="int8"), bulk=5000) == "int8"
    with pytest.raises(ConfigError, match="RAG_EMBED_INGEST=query"):
        resolve_backend(get_settings(embed_backend="int8", embed_ingest="bf16"), bulk=5000)
    with pytest.raises(ConfigError, match="RAG_EMBED_INGEST to one of"):
        resolve_backend(get_settings(embed_ingest="fast"), bulk=5000)


def test_without_amx_ingest_keeps_the_query_backend_and_bf16_asked_says_why(no_amx):
    assert resolve_backend(get_settings(), bulk=100_000) == "onnx"
    with pytest.raises(ConfigError, match="AMX"):
        get_embedder(get_settings(embed_ingest="bf16"), bulk=10)
    with pytest.raises(ConfigError, match="AMX"):
        get_embedder(get_settings(embed_backend="bf16"))


def test_bf16_shares_the_fp32_index():
    names = {get_settings(embed_backend=b).collection_name() for b in ("onnx", "torch", "bf16")}
    assert len(names) == 1
    assert "embed_precision" not in get_settings(embed_backend="bf16").index_signature()


def _texts() -> list[str]:
    out = []
    for f in sorted(CORPUS.glob("*.txt"))[:3]:
        out += [a.strip() for a in f.read_text().split("Abstract:")[1:] if a.strip()]
    return out + [" ".join(out[:4]), "BRCA1", "What does this say about federated learning?"]


@needs_amx
def test_bf16_vectors_are_the_fp32_vectors():
    texts = _texts()
    fp32 = get_embedder(get_settings(embed_backend="onnx")).embed(texts)
    emb = get_embedder(get_settings(embed_ingest="bf16"), bulk=len(texts))
    assert emb.backend == "bf16"
    calls: list[int] = []
    vecs = emb.embed(texts, batch_size=16, progress=calls.append)
    assert vecs.shape == fp32.shape and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    cos = (vecs * fp32).sum(axis=1)
    assert cos.min() >= 0.999, cos  # measured >= 0.9999 on SciFact's 11,595 chunks
    assert cos.min() < 1.0 - 1e-7  # really bf16: not the fp32 vectors themselves
    assert sum(calls) == len(texts)
    # a text's vector does not depend on its batch (padding is masked out)
    alone = np.stack([emb.embed([t])[0] for t in texts[:6]])
    assert (alone * vecs[:6]).sum(axis=1).min() >= 0.9995


@needs_amx
def test_a_store_ingested_in_bf16_answers_like_one_ingested_in_fp32(tmp_path):
    from rag.assistant import Assistant
    from rag.ingest import ingest

    stores = {}
    for how in ("query", "bf16"):
        s = get_settings(store=tmp_path / how, embed_ingest=how)
        report = ingest([CORPUS], s, progress=False)
        assert len(report.added) == 50
        stores[how] = Assistant(get_settings(store=tmp_path / how))  # read with ONNX queries
    questions = [
        "Which papers adapt LoRA to federated learning?",
        "How can a model unlearn data without retraining?",
        "What benchmark evaluates retrieval-augmented generation?",
        "graph neural networks on heterophilic graphs",
        "protein structure prediction",
    ]
    for q in questions:
        top = {how: [h.paper.paper_id for h in a.search(q, k=5)] for how, a in stores.items()}
        assert top["bf16"] == top["query"], q
