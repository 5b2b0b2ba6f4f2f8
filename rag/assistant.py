"""The assistant: one object that the CLI, the UI and the eval runner all call."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .answer.extractive import ExtractiveAnswerer
from .config import Settings, get_settings
from .embed import get_embedder
from .errors import ConfigError, InputError, NotFound
from .records import Answer, Hit, Paper, Retrieval
from .retrieve import Retriever
from .store import Store
from .store import collections as colls
from .store.lock import READERS

SIDE_K = 2  # a comparison: each side's closest papers added to the question's own top k


def _per_collection(fn):
    """Adds ``collection=NAME`` to a method: the call runs on that collection's assistant
    (``Assistant.in_collection``); without it, on this one's own collection."""

    @functools.wraps(fn)
    def wrapper(self, *args, collection: str | None = None, **kw):
        return fn(self.in_collection(collection) if collection else self, *args, **kw)

    return wrapper


@dataclass
class _Turn:
    """A question made ready for an answerer: one path for ``ask`` and ``ask_stream``."""

    backend: str
    standalone: str
    rewrite_usage: object
    retrieval: Retrieval
    about: dict


class Assistant:
    """Search, ask, browse and ingest over one collection of a store (``settings.collection``),
    with one embedding model loaded; ``collection=NAME`` on a call uses another collection of
    the same store (as ``model=`` picks another LLM)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.collection = colls.collection_of(self.settings)
        # name -> the Assistant of that collection, shared by all of them (``in_collection``)
        self._siblings: dict[str, Assistant] = {self.collection: self}
        self._siblings_lock = threading.Lock()
        self._store: Store | None = None
        self._extractive: ExtractiveAnswerer | None = None
        self._llms: dict[str, object] = {}  # model -> rag.answer.generated.LLMAnswerer
        self._chats = None  # rag.store.chats.ChatStore, opened on first use
        self._lock = threading.RLock()
        self.filters = None  # a rag.filters.Filters every retrieval applies unless given one
        from .llm.usage import UsageTotal

        self.usage = UsageTotal()  # model tokens and cost of this process's answers

    # --- parts, opened on first use -------------------------------------------------------------
    @property
    def store(self) -> Store:
        with self._lock:
            if self._store is not None and self._store.replaced():
                self._store.close()  # another process rebuilt the index: open the new one
                self._store = None
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
        """Called per token while answering: this query's retrieval already checked the store
        (rebuilt? new generation?) and loaded BM25, so no per-token checks here."""
        store = self._store if self._store is not None else self.store
        return store.keyword(current=True).idf_of(token)

    @property
    def extractive(self) -> ExtractiveAnswerer:
        with self._lock:
            if self._extractive is None:
                self._extractive = ExtractiveAnswerer(self.embedder, self.settings, self.idf)
            return self._extractive

    @property
    def llm(self):
        """The LLM answerer of the configured model; ConfigError when no model is configured."""
        return self.llm_for(None)

    # a process keeps at most this many per-model answerers (the UI's model dropdown)
    MAX_MODELS = 4

    def llm_for(self, model: str | None):
        """The LLM answerer (``rag.answer.generated.LLMAnswerer``) for ``model`` (None: the
        configured one). Every model shares this Assistant's index, embedder and caches."""
        model = (model or "").strip()[:200] or self.settings.llm_model
        with self._lock:
            answerer = self._llms.get(model)
            if answerer is None:
                from .answer.generated import LLMAnswerer
                from .llm.client import LLMClient

                settings = (
                    self.settings
                    if model == self.settings.llm_model
                    else self.settings.model_copy(update={"llm_model": model})
                )
                if len(self._llms) >= self.MAX_MODELS:
                    self._llms.pop(next(k for k in self._llms if k != self.settings.llm_model))
                answerer = self._llms[model] = LLMAnswerer(
                    LLMClient(settings),
                    self.embedder,
                    settings,
                    self.idf,
                    cache=self.extractive.cache,
                )
            return answerer

    def reset(self) -> None:
        """Forget open handles (after an ingest, so new papers are seen)."""
        with self._lock:
            if self._store is not None:
                self._store.close()
            self._store = None

    # --- collections --------------------------------------------------------------------------
    def in_collection(self, name: str | None) -> Assistant:
        """The assistant of collection ``name`` of this store (None: this one). It shares the
        embedding model, the usage totals and the list of collections with this one; its own
        are the index, the keyword statistics and the answerers' caches."""
        name = colls.check_name(name) if name else self.collection
        with self._siblings_lock:
            other = self._siblings.get(name)
            if other is None:
                if not colls.exists(self.settings, name):
                    raise NotFound(
                        f"no collection {name!r} in the store {self.settings.store}: "
                        "`rag collections` lists them; `rag ingest --collection NAME PATH...` "
                        "makes one"
                    )
                other = Assistant(self.settings.model_copy(update={"collection": name}))
                other._siblings, other._siblings_lock = self._siblings, self._siblings_lock
                other.usage = self.usage
                other.filters = self.filters
                self._siblings[name] = other
            return other

    DEFAULT_COLLECTION = colls.DEFAULT

    @staticmethod
    def collection_name(name: str | None) -> str:
        """``name`` as a valid collection name (blank: the default one); ConfigError says why
        not."""
        return colls.check_name(name)

    def collections(self) -> list[colls.CollectionInfo]:
        """The store's collections with their paper counts, the default one first."""
        return colls.describe(self.settings)

    def create_collection(self, name: str):
        """Make an empty named collection (an ingest into a new name makes it too)."""
        return self.ingest([], progress=False, collection=colls.check_name(name))

    def delete_collection(self, name: str, wait: float = 0.0) -> int:
        """Delete a named collection and everything indexed in it; returns its paper count."""
        name = colls.check_name(name)
        with self._siblings_lock:
            other = self._siblings.get(name)
            if other is not None and other is not self:
                del self._siblings[name]
        if other is not None:
            other.reset()  # its open index goes before its files do
        return colls.delete(self.settings, name, wait=wait)

    # --- the main jobs --------------------------------------------------------------------------
    @_per_collection
    def retrieve(
        self, query: str, k: int | None = None, mode: str = "hybrid", filters=None
    ) -> Retrieval:
        """``filters``: a ``rag.filters.Filters`` (year, author, venue, source) or None."""
        filters = filters or self.filters
        return self.retriever.retrieve(query, k or self.settings.top_k, mode=mode, filters=filters)

    @_per_collection
    def retrieve_for(
        self, question: str, k: int | None = None, filters=None
    ) -> tuple[Retrieval, dict]:
        """The retrieval an answer draws on, and what the answerer needs to know of the question
        (its analysis; for a list question, the papers that pass the on-topic test)."""
        from .answer.listing import broad_retrieval, list_retrieval
        from .answer.question import analyze

        analysis = analyze(question)
        k = k or self.settings.top_k
        filters = filters or self.filters
        if analysis.kind == "comparison" and len(analysis.sides) == 2:
            # each side compared is a paper of its own: its closest papers join the question's
            # own top k (a side named by its method, "ProMedTS", may rank below it)
            retrieval = self.retrieve(question, k, filters=filters)
            have = {h.paper.paper_id for h in retrieval.hits}
            for side in analysis.sides:
                for h in self.retrieve(side, SIDE_K, filters=filters).hits:
                    if h.paper.paper_id not in have:
                        have.add(h.paper.paper_id)
                        retrieval.hits.append(h)
            return retrieval, {"analysis": analysis}
        if not analysis.is_list and not analysis.broad_topic:
            return self.retrieve(question, k, filters=filters), {"analysis": analysis}
        from .summarize import Summarizer

        summarizer = Summarizer(
            self.store,
            self.embedder,
            self.settings,
            self.idf,
            cache=self.extractive.cache,
            filters=filters,
        )

        def retrieve(query: str, k: int | None = None) -> Retrieval:
            return self.retrieve(query, k, filters=filters)

        if not analysis.is_list:
            retrieval, scope = broad_retrieval(
                retrieve(question, k),
                retrieve,
                summarizer,
                analysis,
                k,
                self.settings.list_on_topic,
            )
            return retrieval, {"analysis": analysis, "scope": scope}
        retrieval, scope = list_retrieval(
            retrieve, summarizer, analysis, question, k, self.settings.list_on_topic
        )
        return retrieval, {"analysis": analysis, "scope": scope}

    @_per_collection
    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters=None) -> list[Hit]:
        with READERS.reading():  # an ingest of this process waits between its batches
            return self.retrieve(query, k, mode=mode, filters=filters).hits

    def backend_name(self, backend: str | None = None) -> str:
        choice = (backend or self.settings.backend).lower()
        if choice not in ("auto", "extractive", "llm"):
            raise ConfigError(f"unknown backend {choice!r}: use auto, extractive or llm")
        if choice == "extractive":
            return "extractive"
        from .llm.endpoint import llm_endpoint

        if llm_endpoint(self.settings) is not None:
            return "llm"
        if choice == "llm":
            raise ConfigError(
                "no LLM backend is configured: set OPENAI_API_KEY or RAG_LLM_BASE_URL, "
                "or use --backend extractive"
            )
        return "extractive"

    def _turn(self, question: str, backend: str | None, history, model: str | None = None):
        """(backend, standalone question, rewrite usage) for one question or chat turn."""
        question = question.strip()
        if not question:
            raise ConfigError("the question is empty")
        self.check_length(question, "question")
        name = self.backend_name(backend)
        if not history:
            return name, question, None
        from .chat import rewrite_question

        client = self.llm_for(model).client if name == "llm" and self.settings.llm_rewrite else None
        rw = rewrite_question(question, history, client)
        return name, rw.question, rw.usage

    def check_length(self, text: str, what: str = "question") -> None:
        """InputError when ``text`` is over RAG_MAX_QUESTION_CHARS."""
        cap = self.settings.max_question_chars
        if len(text) > cap:
            raise InputError(
                f"the {what} is {len(text):,} characters, over the {cap:,}-character limit "
                "(RAG_MAX_QUESTION_CHARS): shorten it"
            )

    def _prepare(self, question: str, k, backend, history, model, filters) -> _Turn:
        """Everything before the answerer runs: backend, standalone question, retrieval."""
        name, standalone, rw_usage = self._turn(question, backend, history, model)
        retrieval, about = self.retrieve_for(standalone, k, filters)
        return _Turn(name, standalone, rw_usage, retrieval, about)

    def _done(self, ans: Answer, question: str, turn: _Turn) -> Answer:
        """Stamp the question, the ranking the answer was built from and the usage on ``ans``."""
        from .llm.usage import merge_usage

        ans.ranking = list(turn.retrieval.ranking)
        ans.question = question
        ans.standalone_question = turn.standalone if turn.standalone != question else None
        ans.usage = merge_usage(ans.usage, turn.rewrite_usage)
        self.usage.add(ans.usage)
        return ans

    @_per_collection
    def ask(
        self,
        question: str,
        k: int | None = None,
        backend: str | None = None,
        history=None,
        model: str | None = None,
        filters=None,
    ) -> Answer:
        """A cited answer to one question (a chat turn when ``history`` is given); ``model``
        picks the LLM for this call (default: the configured one)."""
        question = question.strip()
        with READERS.reading():  # an ingest of this process waits between its batches
            turn = self._prepare(question, k, backend, history, model, filters)
            answerer = self.llm_for(model) if turn.backend == "llm" else self.extractive
            ans = answerer.answer(turn.standalone, turn.retrieval, **turn.about)
        return self._done(ans, question, turn)

    @_per_collection
    def chat(
        self,
        message: str,
        history=None,
        k: int | None = None,
        backend: str | None = None,
        model: str | None = None,
        filters=None,
    ) -> Answer:
        """One chat turn: a follow-up is rewritten from ``history`` (turns, Answers, or
        ``{"role", "content"}`` messages) into a standalone question, then answered and cited."""
        return self.ask(
            message, k=k, backend=backend, history=history, model=model, filters=filters
        )

    @_per_collection
    def ask_stream(
        self,
        question: str,
        k: int | None = None,
        backend: str | None = None,
        history=None,
        model: str | None = None,
        filters=None,
    ) -> Iterator[str | Answer]:
        """Stream a cited answer: a generator for the CLI and the UI.

        Protocol: it yields ``str`` text deltas as the model writes them, then exactly one
        ``Answer`` as the last item. ``"".join(deltas) == answer.answer`` always. Citation
        markers in the deltas are already checked (a marker to a source that was not given
        never appears); per-sentence support, the citations, usage and ``interrupted`` come
        with the final Answer. Errors before the first delta raise a ``RagError`` (e.g.
        ``LLMError``); a stream cut after it ends with the partial text, ``interrupted=True``.
        The extractive backend yields its whole answer as one delta.
        """
        question = question.strip()
        with READERS.reading():  # an ingest of this process waits between its batches
            turn = self._prepare(question, k, backend, history, model, filters)
            if turn.backend != "llm":
                ans = self.extractive.answer(turn.standalone, turn.retrieval, **turn.about)
        if turn.backend != "llm":
            ans = self._done(ans, question, turn)
            yield ans.answer
            yield ans
            return
        for item in self.llm_for(model).stream(turn.standalone, turn.retrieval, **turn.about):
            yield self._done(item, question, turn) if isinstance(item, Answer) else item

    @_per_collection
    def summarize(
        self,
        topic: str,
        max_papers: int | None = None,
        backend: str | None = None,
        model: str | None = None,
        filters=None,
    ):
        """A cited summary of a research area, by theme (``rag.records.Summary``)."""
        from .summarize import Summarizer

        self.check_length(topic.strip(), "topic")
        name = self.backend_name(backend)
        client = self.llm_for(model).client if name == "llm" else None
        summarizer = Summarizer(
            self.store,
            self.embedder,
            self.settings,
            self.idf,
            cache=self.extractive.cache,
            filters=filters or self.filters,
        )
        summary = summarizer.summarize(topic, max_papers=max_papers, llm=client)
        if summary.usage:
            self.usage.add(summary.usage)
        return summary

    @property
    def verifier(self):
        """The claim verifier (``rag.answer.verify.Verifier``) answers are checked with."""
        from .answer.cite import verifier_for
        from .answer.support import scorer_for

        s = self.settings
        return verifier_for(scorer_for(self.embedder), s.support_threshold, self.extractive.cache)

    @_per_collection
    def check(self, text: str):
        """Verify each sentence of a draft against the papers it cites (``rag.check``)."""
        from .check import check_text

        if not text.strip():
            raise ConfigError("the text to check is empty")
        return check_text(text, self.papers(), self.verifier, lambda q, k: self.search(q, k))

    @_per_collection
    def papers(self) -> list[Paper]:
        return self.store.papers()

    @_per_collection
    def paper(self, paper_id: str) -> Paper:
        p = self.store.paper(paper_id)
        if p is None:
            raise NotFound(f"no paper with id {paper_id!r}: `rag papers` lists the ids")
        return p

    @_per_collection
    def papers_by_id(self, paper_ids: Iterable[str]) -> dict[str, Paper]:
        """paper_id -> Paper for those of ``paper_ids`` that are indexed."""
        return self.store.papers_by_id(sorted(set(paper_ids)))

    @_per_collection
    def count(self) -> int:
        """How many papers the index holds."""
        return self.store.count()

    @_per_collection
    def generation(self) -> int:
        """The index's generation: it moves with every ingest that changed something."""
        return self.store.generation()

    @_per_collection
    def sources(self) -> set[str]:
        """The files the indexed papers came from."""
        return set(self.store.sources())

    @property
    def chats(self):
        """The saved conversations of this store (``rag.store.chats.ChatStore``, beside the
        catalogue): every call names its owner, who never sees another's chats."""
        with self._lock:
            if self._chats is None:
                from .store.chats import ChatStore

                self._chats = ChatStore(Path(self.settings.store))
            return self._chats

    @_per_collection
    def status(self, check: bool = False) -> dict:
        """What answers, from which store, model and embedding, and why (``rag status``)."""
        from .status import describe

        return describe(self.settings, self.count, check=check)

    def ingest(self, paths: Iterable[Path] | None = None, collection: str | None = None, **kw):
        """Index files: ``rag.ingest.ingest``. None given: the bundled corpus into a store built
        from it (or empty); any other store is checked and repaired from its catalogue.
        ``collection``: into that collection of the store (made when it is new)."""
        from .ingest import default_targets, ingest

        if collection and colls.check_name(collection) != self.collection:
            colls.make(self.settings, collection)
            return self.in_collection(collection).ingest(paths, **kw)

        if paths:
            paths = list(paths)
        elif kw.get("rebuild") and self.collection != colls.DEFAULT:
            raise InputError(
                f"give the files to rebuild the collection {self.collection!r} from: "
                f"`rag ingest --collection {self.collection} --rebuild PATH...`"
            )
        elif kw.get("rebuild"):
            paths = [self.settings.corpus]
        else:
            paths = default_targets(self.settings)  # the corpus, or a repair of another store
        # Only the store's write lock is held (inside ``ingest``): questions go on meanwhile,
        # answered from what is committed, and see the new papers as their batches commit.
        return ingest(paths, self.settings, **kw)
