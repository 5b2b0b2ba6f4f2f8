"""Embeddings: the packaged all-MiniLM-L6-v2 (offline, default) behind one small interface.

The local model runs on ONNX Runtime by default (``rag.embed.onnx``: exported once from the
packaged weights, no torch in a query process), or through sentence-transformers with
``RAG_EMBED_BACKEND=torch``. Both give the same vectors (cosine >= 0.99999), so they share an
index; ``int8`` (quantised) vectors differ slightly and get an index of their own. Any other
``RAG_EMBED_MODEL`` is an OpenAI-style embedding model (``rag.embed.openai``).

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

BACKENDS = ("auto", "onnx", "int8", "torch")


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


def _openai(settings: Settings) -> Embedder:
    from .openai import OpenAIEmbedder

    return OpenAIEmbedder(settings)


# backend name -> factory; "openai" serves every model that is not the packaged one
FACTORIES: dict[str, Callable[[Settings], Embedder]] = {
    "torch": _torch,
    "onnx": _onnx("fp32"),
    "int8": _onnx("int8"),
    "openai": _openai,
}


def register(name: str, factory: Callable[[Settings], Embedder]) -> None:
    """Serve backend ``name`` with ``factory(settings)``."""
    FACTORIES[name] = factory


def resolve_backend(settings: Settings) -> str:
    """The backend that runs the local model: 'onnx', 'int8' or 'torch'."""
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


def get_embedder(settings: Settings) -> Embedder:
    """One embedder per model and backend per process (the model loads once)."""
    if settings.is_local_embedding:
        backend = resolve_backend(settings)
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
