"""A bounded cache of text vectors by key, shared by threads: what the sentence cache keeps of
paper titles and the word neighbours keep of single words."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np


class VectorCache:
    """Vectors of texts by key, each text embedded once while it stays (the oldest dropped
    past ``size``)."""

    def __init__(self, embedder, size: int, **embed_kw) -> None:
        self.embedder = embedder
        self.size = size
        self.embed_kw = embed_kw
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def rows(self, keys: list[str], texts: list[str]) -> list[np.ndarray]:
        """The vector of each text, in order (its key says which text it is): those not kept
        are embedded in one call; if another thread dropped one meanwhile, all are embedded
        again."""
        with self._lock:
            need = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._data}
        if need:
            vecs = np.asarray(self.embedder.embed(list(need.values()), **self.embed_kw))
            with self._lock:
                for k, v in zip(need, vecs, strict=True):
                    self._data[k] = v
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
        with self._lock:
            rows = [self._data.get(k) for k in keys]
        if any(r is None for r in rows):
            return list(np.asarray(self.embedder.embed(texts, **self.embed_kw)))
        return rows


__all__ = ["VectorCache"]
