"""OpenAI embeddings (e.g. text-embedding-3-small), or any server with an OpenAI-style
``/v1/embeddings`` (Ollama, vLLM, LM Studio).

Selected with ``RAG_EMBED_MODEL``. The collection name hashes the embedding model, so these
vectors get their own index and never mix with the local model's. Where calls go:
``RAG_EMBED_BASE_URL`` (key ``RAG_EMBED_API_KEY``), else the configured LLM server, else OpenAI
with ``OPENAI_API_KEY``.
"""

from __future__ import annotations

import threading

import numpy as np

from ..config import Settings
from ..errors import ConfigError, LLMError
from ..llm.client import LLMClient
from ..llm.endpoint import Endpoint, llm_endpoint
from .base import Embedder


def embed_endpoint(settings: Settings) -> Endpoint:
    """The server embedding calls go to (see the module docstring)."""
    s = settings
    if s.embed_base_url:
        key_var = "RAG_EMBED_API_KEY" if s.embed_api_key else None
        return Endpoint(
            s.embed_base_url, s.embed_api_key, s.embed_model, "RAG_EMBED_BASE_URL", key_var
        )
    ep = llm_endpoint(s)
    if ep is None:
        raise ConfigError(
            f"the embedding model {s.embed_model!r} is served by OpenAI or a compatible server: "
            "set OPENAI_API_KEY or RAG_EMBED_BASE_URL, or RAG_EMBED_MODEL=all-MiniLM-L6-v2 for "
            "the local model"
        )
    return Endpoint(ep.base_url, ep.api_key, s.embed_model, ep.url_var, ep.key_var)


class OpenAIEmbedder(Embedder):
    """Embeddings from an OpenAI-style server, L2-normalised float32, retried on 429/5xx."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.endpoint = embed_endpoint(settings)
        self.client = LLMClient(settings, self.endpoint)
        self.name = settings.embed_model
        self.dim = 0  # known after the first call
        self.calls = 0
        self.tokens = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OpenAIEmbedder(model={self.name!r}, url={self.endpoint.display_url!r})"

    def _batch(self, texts: list[str]) -> np.ndarray:
        import openai

        c = self.client

        def not_found(e: Exception) -> LLMError | None:
            if isinstance(e, openai.NotFoundError):
                return LLMError(
                    f"embedding model {self.name!r} was not found at "
                    f"{self.endpoint.display_url} (HTTP 404): set RAG_EMBED_MODEL"
                )
            return None

        resp = c.retrying(
            lambda _attempt: c.openai_client.embeddings.create(model=self.name, input=texts),
            on_final=not_found,
        )
        rows = sorted(resp.data, key=lambda d: d.index)
        if len(rows) != len(texts):
            raise LLMError(
                f"the embedding server returned {len(rows)} vectors for {len(texts)} texts"
            )
        vecs = np.asarray([r.embedding for r in rows], dtype=np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        vecs /= np.where(norms == 0, 1.0, norms)
        with self._lock:
            self.calls += 1
            if resp.usage is not None:
                self.tokens += resp.usage.prompt_tokens or 0
            if self.dim and vecs.shape[1] != self.dim:
                raise LLMError(
                    f"the embedding server changed dimension ({self.dim} -> {vecs.shape[1]}): "
                    "is RAG_EMBED_MODEL the model it serves?"
                )
            self.dim = int(vecs.shape[1])
        return vecs

    def embed(self, texts: list[str], *, batch_size: int = 64, progress=None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim or 1), dtype=np.float32)
        out: list[np.ndarray] = []
        for start in range(0, len(texts), max(1, batch_size)):
            part = [t if t.strip() else "." for t in texts[start : start + batch_size]]
            out.append(self._batch(part))
            if progress is not None:
                progress(len(part))
        return np.concatenate(out, axis=0)
