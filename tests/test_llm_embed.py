"""OpenAI-style embeddings through the fake server: their own collection, never mixed with the
local model's vectors."""

from __future__ import annotations

import math

import pytest

from rag.assistant import Assistant
from rag.config import get_settings
from rag.embed.openai import OpenAIEmbedder, embed_endpoint
from rag.errors import ConfigError, LLMError, StoreIncompatible
from rag.store import Store
from tests.conftest import CORPUS
from tests.fake_openai import EMBED, FakeOpenAI, Reply

MOOD_ID = "f18d22164350"


def test_openai_embeddings_get_their_own_collection(store_copy, tmp_path):
    local = get_settings(store=store_copy)
    before = Store(local).collection.count()
    with FakeOpenAI() as f:
        over = get_settings(
            store=store_copy, embed_model="text-embedding-3-small", embed_base_url=f.url
        )
        assert over.collection_name() != local.collection_name()
        # a store that holds the local model's index refuses other vectors, embedding nothing
        with pytest.raises(StoreIncompatible, match="--rebuild"):
            Assistant(over).ingest([CORPUS], progress=False)
        assert f.count(EMBED) == 0

        s = get_settings(
            store=tmp_path / "openai-store",
            embed_model="text-embedding-3-small",
            embed_base_url=f.url,
            embed_batch_size=16,
        )
        a = Assistant(s)
        rep = a.ingest([CORPUS], progress=False)
        assert len(rep.added) == 50 and not rep.rejected
        chunks = Store(s).collection.count()
        assert f.count(EMBED) == math.ceil(chunks / 16)
        assert all(r.body["model"] == "text-embedding-3-small" for r in f.requests)
        assert [p.parent.name for p in s.store.glob("*/papers.sqlite")] == [s.collection_name()]
        # the fake's vectors are bag-of-words: a query sharing the title's words finds it
        hits = a.search("MoodAngels multi-agent framework mood disorder diagnosis", k=3)
        assert hits[0].paper.paper_id == MOOD_ID
        assert f.count(EMBED) == math.ceil(chunks / 16) + 1  # the query
    # the local index is untouched
    assert Store(local).collection.count() == before


def test_embedding_failures_say_what_to_fix(monkeypatch):
    with pytest.raises(ConfigError, match="OPENAI_API_KEY or RAG_EMBED_BASE_URL"):
        embed_endpoint(get_settings(embed_model="text-embedding-3-small"))
    with FakeOpenAI() as f:
        e = OpenAIEmbedder(
            get_settings(
                embed_model="text-embedding-3-small", embed_base_url=f.url, llm_retry_backoff=0.01
            )
        )
        v = e.embed(["one text", "two texts"])
        assert v.shape == (2, 64) and abs(float((v[0] ** 2).sum()) - 1.0) < 1e-5
        assert e.dim == 64
    # the embedding key goes only to the embedding server named with it
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-abcdef123456")
    ep = embed_endpoint(
        get_settings(embed_model="nomic-embed-text", embed_base_url="http://localhost:11434/v1")
    )
    assert ep.api_key is None and ep.model == "nomic-embed-text"


def test_embedding_calls_retry_429_and_5xx_but_not_401():
    with FakeOpenAI() as f:
        s = get_settings(
            embed_model="text-embedding-3-small",
            embed_base_url=f.url,
            embed_api_key="emb-key-0123456789",
            llm_retry_backoff=0.01,
            llm_max_retries=2,
        )
        e = OpenAIEmbedder(s)
        f.script_embed(Reply.error(429, "slow down"), Reply.error(502, "bad gateway"))
        assert e.embed(["a b c"]).shape == (1, 64)
        assert f.count(EMBED) == 3
        f.script_embed(Reply.error(401, "Incorrect API key provided: emb-key-0123456789"))
        with pytest.raises(LLMError, match="HTTP 401.*RAG_EMBED_API_KEY") as err:
            e.embed(["a b c"])
        assert "emb-key" not in str(err.value)
        assert f.count(EMBED) == 4
