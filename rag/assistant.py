"""The assistant: one object that the CLI, the UI and the eval runner all call."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from .answer import Answer, ExtractiveAnswerer
from .config import Settings, get_settings
from .embed import get_embedder
from .errors import ConfigError, NotFound
from .parse import Paper
from .retrieve import Hit, Retrieval, Retriever
from .store import Store


class Assistant:
    """Search, ask, browse and ingest over one store, with one embedding model loaded."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._store: Store | None = None
        self._extractive: ExtractiveAnswerer | None = None
        self._lock = threading.RLock()

    # --- parts, opened on first use -------------------------------------------------------------
    @property
    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = Store(self.settings)
            return self._store

    @property
    def embedder(self):
        return get_embedder(self.settings)

    @property
    def retriever(self) -> Retriever:
        return Retriever(self.store, self.embedder, self.settings)

    def idf(self, token: str) -> float:
        return self.store.keyword().idf_of(token)

    @property
    def extractive(self) -> ExtractiveAnswerer:
        with self._lock:
            if self._extractive is None:
                self._extractive = ExtractiveAnswerer(self.embedder, self.settings, self.idf)
            return self._extractive

    def reset(self) -> None:
        """Forget open handles (after an ingest, so new papers are seen)."""
        with self._lock:
            if self._store is not None:
                self._store.close()
            self._store = None

    # --- the main jobs --------------------------------------------------------------------------
    def retrieve(self, query: str, k: int | None = None, mode: str = "hybrid") -> Retrieval:
        return self.retriever.retrieve(query, k or self.settings.top_k, mode=mode)

    def search(self, query: str, k: int = 10, mode: str = "hybrid") -> list[Hit]:
        return self.retrieve(query, k, mode=mode).hits

    def backend_name(self, backend: str | None = None) -> str:
        choice = (backend or self.settings.backend).lower()
        if choice not in ("auto", "extractive", "llm"):
            raise ConfigError(f"unknown backend {choice!r}: use auto, extractive or llm")
        if choice == "llm":
            raise ConfigError(
                "no LLM backend is configured: set OPENAI_API_KEY or RAG_LLM_BASE_URL, "
                "or use --backend extractive"
            )
        return "extractive"

    def ask(self, question: str, k: int | None = None, backend: str | None = None) -> Answer:
        """A cited answer to one question."""
        question = question.strip()
        if not question:
            raise ConfigError("the question is empty")
        self.backend_name(backend)
        retrieval = self.retrieve(question, k)
        return self.extractive.answer(question, retrieval)

    def summarize(self, topic: str, max_papers: int | None = None, backend: str | None = None):
        """A cited summary of a research area, by theme (``rag.summarize.Summary``)."""
        from .summarize import Summarizer

        name = self.backend_name(backend)
        client = self.llm.client if name == "llm" else None
        summarizer = Summarizer(
            self.store, self.embedder, self.settings, self.idf, cache=self.extractive.cache
        )
        summary = summarizer.summarize(topic, max_papers=max_papers, llm=client)
        if summary.usage:
            self.usage.add(summary.usage)
        return summary

    def papers(self) -> list[Paper]:
        return list(self.store.catalogue.all())

    def paper(self, paper_id: str) -> Paper:
        p = self.store.catalogue.get(paper_id)
        if p is None:
            raise NotFound(f"no paper with id {paper_id!r}: `rag papers` lists the ids")
        return p

    def ingest(self, paths: Iterable[Path] | None = None, **kw):
        from .ingest import ingest

        paths = list(paths) if paths else [self.settings.corpus]
        with self._lock:
            self.reset()
            return ingest(paths, self.settings, **kw)
