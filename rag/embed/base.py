"""The embedder interface: texts in, L2-normalised float32 vectors out."""

from __future__ import annotations

import numpy as np


class Embedder:
    """Turns texts into L2-normalised float32 vectors."""

    name: str = ""
    dim: int = 0
    backend: str = ""

    def embed(self, texts: list[str], *, batch_size: int = 64, progress=None) -> np.ndarray:
        raise NotImplementedError

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]
