"""Embeddings: the packaged all-MiniLM-L6-v2 (offline, default) behind one small interface.

The local model runs on ONNX Runtime by default (``rag.embed.onnx``: exported once from the
packaged weights, no torch in a query process), or through sentence-transformers with
``RAG_EMBED_BACKEND=torch``. Both give the same vectors (cosine >= 0.99999), so they share an
index; ``int8`` (quantised) vectors differ slightly and get an index of their own. ``bf16``
(``rag.embed.bf16``: PyTorch in bfloat16 on CPUs with AMX) agrees with fp32 to cosine >= 0.9999
and shares its index; it is what ``rag ingest`` embeds with on such a CPU (``RAG_EMBED_INGEST``),
while queries stay on ONNX Runtime. Any other ``RAG_EMBED_MODEL`` is an OpenAI-style embedding
model (``rag.embed.openai``).

Which class serves a backend is a registry (name -> factory), not a chain of string tests:
``register`` adds one.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable

from ..config import Settings
from ..errors import ConfigError
from .base import Embedder

BACKENDS = ("auto", "onnx", "int8", "torch", "bf16")
INGEST_CHOICES = ("auto", "query", "bf16")
# backends whose vectors are the fp32 index's (one index for all of them)
FP32_FAMILY = ("onnx", "torch", "bf16")


def _torch(settings: Settings) -> Embedder:
    from .local import TorchEmbedder

    return TorchEmbedder()


def _onnx(variant: str) -> Callable[[Settings], Embedder]:
    def make(settings: Settings) -> Embedder:
        from .local import OnnxEmbedder

        return OnnxEmbedder(
            variant,
            settings.embed_cache,
            threads=settings.embed_threads or None,
            spinning=settings.embed_spinning,
        )

    return make


def _bf16(settings: Settings) -> Embedder:
    from . import bf16
    from .local import Bf16Embedder

    if not bf16.available():
        raise ConfigError(
            "the bf16 embedding backend needs a CPU with AMX (amx_bf16) and PyTorch; this "
            "machine has none: set RAG_EMBED_BACKEND and RAG_EMBED_INGEST to auto"
        )
    return Bf16Embedder(threads=settings.embed_threads or None)


def _openai(settings: Settings) -> Embedder:
    from .openai import OpenAIEmbedder

    return OpenAIEmbedder(settings)


# backend name -> factory; "openai" serves every model that is not the packaged one
FACTORIES: dict[str, Callable[[Settings], Embedder]] = {
    "torch": _torch,
    "onnx": _onnx("fp32"),
    "int8": _onnx("int8"),
    "bf16": _bf16,
    "openai": _openai,
}


def register(name: str, factory: Callable[[Settings], Embedder]) -> None:
    """Serve backend ``name`` with ``factory(settings)``."""
    FACTORIES[name] = factory


def resolve_backend(settings: Settings, bulk: int = 0) -> str:
    """The backend that runs the local model: 'onnx', 'int8', 'torch' or 'bf16'.

    ``bulk``: how many papers an ingest is about to embed (0: queries and other single texts).
    For an ingest ``RAG_EMBED_INGEST`` decides: 'auto' is bf16 for ingests of at least
    ``bf16.MIN_PAPERS`` papers on a CPU with AMX when the query backend's vectors are fp32's
    (the same index), else the query backend (loading PyTorch takes longer than bf16 saves on a
    few hundred abstracts); 'query' is always the query backend; 'bf16' is bf16 at any size."""
    query = _query_backend(settings)
    if not bulk:
        return query
    choice = settings.embed_ingest.lower()
    if choice not in INGEST_CHOICES:
        raise ConfigError(
            f"unknown ingest embedding choice {settings.embed_ingest!r}: "
            f"set RAG_EMBED_INGEST to one of {', '.join(INGEST_CHOICES)}"
        )
    if choice == "bf16":
        if query not in FP32_FAMILY:  # bf16 vectors are fp32's: they cannot go in its index
            raise ConfigError(
                f"RAG_EMBED_INGEST=bf16 writes fp32-index vectors, but RAG_EMBED_BACKEND="
                f"{settings.embed_backend} reads an index of its own: set RAG_EMBED_INGEST=query"
            )
        return "bf16"
    if choice == "auto" and query in FP32_FAMILY:
        from . import bf16

        if bulk >= bf16.MIN_PAPERS and bf16.available():
            return "bf16"
    return query


def _query_backend(settings: Settings) -> str:
    choice = settings.embed_backend.lower()
    if choice not in BACKENDS and choice not in FACTORIES:
        raise ConfigError(
            f"unknown embedding backend {settings.embed_backend!r}: "
            f"set RAG_EMBED_BACKEND to one of {', '.join(BACKENDS)}"
        )
    if choice == "auto":
        return "onnx" if importlib.util.find_spec("onnxruntime") else "torch"
    return choice


_EMBEDDERS: dict[tuple, Embedder] = {}
_EMB_LOCK = threading.Lock()


def get_embedder(settings: Settings, bulk: int = 0) -> Embedder:
    """One embedder per model and backend per process (the model loads once). ``bulk``: the
    number of papers of an ingest about to embed them (see ``resolve_backend``)."""
    if settings.is_local_embedding:
        backend = resolve_backend(settings, bulk=bulk)
        key: tuple = (
            settings.embed_model,
            backend,
            str(settings.embed_cache or ""),
            settings.embed_threads,
            settings.embed_spinning,
        )
    else:
        backend = "openai"
        key = (settings.embed_model, settings.embed_base_url or "")
    with _EMB_LOCK:
        if key not in _EMBEDDERS:
            _EMBEDDERS[key] = FACTORIES[backend](settings)
        return _EMBEDDERS[key]


def count_tokens(text: str) -> list[int]:
    """Token ids of ``text`` in the local model's tokenizer (chunk sizes are counted in it)."""
    from .local import count_tokens as count

    return count(text)


__all__ = ["BACKENDS", "Embedder", "count_tokens", "get_embedder", "register", "resolve_backend"]
