"""The Store's Chroma side: the collection of the current index, reloads after another
process's ingest, retries on a server, and the chunk reads and writes ingest and search use.

A mixin of ``rag.store.Store`` (which sets ``settings``, ``root``, ``name``, ``index_dir``,
``key``, ``signature``, ``catalogue``, ``mode``, ``chroma_name`` and the process's Chroma handle ``_h``).
"""

from __future__ import annotations

import contextlib
import shlex
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..errors import StoreError, StoreIncompatible
from .chroma import CHROMA_MAX_BATCH
from .collections import DEFAULT
from .failures import _DISK_FULL, _READ_ONLY, rebuild_hint, write_failure


class Vectors:
    """Chroma calls of a Store (one collection per index signature)."""

    # --- Chroma --------------------------------------------------------------------------------
    @property
    def client(self):
        h = self._h
        with h.lock:
            if h.client is None:
                gen = self._stamp()  # read first: a change while Chroma starts
                h.client = self.mode.client()  # is caught on the next call
                h.epoch += 1
                h.loaded = {self.key: gen}
            return h.client

    def start_opening(self) -> None:
        """Start Chroma (its import and client) on a thread if it is not started yet, so that
        a first query's embedding (ONNX Runtime, mostly outside the GIL) runs meanwhile.
        Whatever fails there is left for the caller's own ``client`` call to raise."""
        h = self._h
        if h.client is not None or getattr(self, "_opener", None) is not None:
            return

        def open_client() -> None:
            with contextlib.suppress(Exception), h.lock:
                if h.users > 0 and h.client is None:  # not closed meanwhile
                    _ = self.client

        self._opener = threading.Thread(target=open_client, name="rag-chroma-open", daemon=True)
        self._opener.start()

    @property
    def collection(self):
        if self._collection is not None and self._epoch != self._h.epoch:
            self._collection = None  # the process's Chroma handle was reopened meanwhile
        if self._collection is None:
            gen = self._stamp()
            meta = {
                "hnsw:space": "cosine",
                **{f"rag_{k}": str(v) for k, v in self.signature.items()},
            }
            try:
                self._collection = self.client.get_or_create_collection(
                    self.chroma_name, metadata=meta
                )
            except StoreError:
                raise
            except Exception as e:  # chromadb raises many types; say where it failed
                raise StoreError(
                    f"cannot open the Chroma collection {self.chroma_name}{self._where()}: "
                    f"{type(e).__name__}: {e}"
                ) from None
            stored = self._collection.metadata or {}
            for k, v in self.signature.items():
                if stored.get(f"rag_{k}") not in (None, str(v)):
                    raise StoreIncompatible(
                        f"Chroma collection {self.key} was built with {k}={stored.get(f'rag_{k}')}, "
                        f"not {v}: " + rebuild_hint(self.settings, self.catalogue.sources())
                    )
            self._epoch = self._h.epoch
            self._h.loaded.setdefault(self.key, gen)
            if self._reader:
                self._check_vectors()
        return self._collection

    def _refresh(self) -> None:
        """Reopen embedded Chroma when another process changed the index since it was loaded.

        Chroma's embedded client keeps the vector index it loaded in memory: chunks another
        process writes afterwards are counted but never found by a query. The catalogue's
        generation, bumped by every ingest that changed something, says when to reload: one
        index load, paid by the first call after another process's ingest. A Chroma server
        needs none of this."""
        if not self.mode.reloads or self._h.client is None:
            return
        loaded = self._h.loaded.get(self.key)
        if loaded is not None and loaded != self._stamp():
            self._h.reopen()

    def _stamp(self) -> tuple[int, int]:
        """Which catalogue file, at which generation: what the Chroma handle was loaded for."""
        return (self.catalogue.ino, self.catalogue.generation)

    def chroma_lock(self):
        """Held by every Chroma call of this process on this store (and by reloads)."""
        return self._h.lock

    def mark_current(self) -> None:
        """This process made the index's latest change itself: its Chroma handle is current."""
        with self._h.lock:
            self._h.loaded[self.key] = self._stamp()

    def _where(self) -> str:
        return self.mode.where()

    def _check_vectors(self) -> None:
        """A reader refuses a catalogue whose vectors are gone (a new or wiped Chroma server)."""
        papers = self.catalogue.count()
        if papers and self._collection.count() == 0:
            self._collection = None
            raise StoreError(
                f"the Chroma collection {self.chroma_name}{self._where()} holds no vectors, but "
                f"the catalogue in {self.index_dir} lists {papers} papers: "
                + self.mode.empty_hint()
                + f"run `{self._ingest_cmd()}` (no path needed): it embeds them again from the "
                "catalogue, which keeps every abstract"
            )

    def _ingest_cmd(self) -> str:
        from ..config import _default_store

        cmd = "rag ingest"
        if self.collection_label != DEFAULT:
            cmd += f" --collection {self.collection_label}"
        if Path(self.settings.store).resolve() != _default_store().resolve():
            return f"RAG_STORE={shlex.quote(str(self.settings.store))} {cmd}"
        return cmd

    def _run(self, what: str, fn):
        """One Chroma call. On a server, a failed call reconnects and retries once (a
        restarted server); what still fails becomes a StoreError that says where."""
        attempts = self.mode.attempts
        for attempt in range(attempts):
            try:
                with self._h.lock:
                    self._refresh()
                    return fn(self.collection)
            except StoreError:
                raise
            except Exception as e:  # noqa: BLE001 - chromadb and httpx raise many types
                text = str(e).lower()
                if any(w in text for w in _DISK_FULL + _READ_ONLY):
                    raise write_failure(e, self.root) from None
                if attempt + 1 < attempts:
                    self._h.reopen()  # a restarted server: connect again
                    time.sleep(0.5)
                    continue
                raise StoreError(
                    f"Chroma failed while {what}{self._where()} ({type(e).__name__}: "
                    f"{str(e)[:200]}){self.mode.failure_hint()}"
                ) from None
        raise AssertionError("unreachable")

    def chunk_count(self) -> int:
        """Chunks in Chroma."""
        return self._run("counting chunks", lambda c: c.count())

    def vectors_match(self) -> bool:
        """Whether Chroma holds exactly the chunks the catalogue counts (cheap: two counts)."""
        row = self.catalogue.db.execute(
            "SELECT COALESCE(SUM(MAX(n_chunks, 0)), 0) FROM papers"
        ).fetchone()
        return int(row[0]) == self._run("counting chunks", lambda c: c.count())

    def add_chunks(
        self, ids: list[str], embeddings, documents: list[str], metadatas: list[dict]
    ) -> None:
        limit = self.max_batch()
        for s in range(0, len(ids), limit):
            self._run(
                "writing chunks",
                lambda c, s=s: c.upsert(
                    ids=ids[s : s + limit],
                    embeddings=embeddings[s : s + limit],
                    documents=documents[s : s + limit],
                    metadatas=metadatas[s : s + limit],
                ),
            )

    def max_batch(self) -> int:
        """Records per Chroma write: the client's own limit, at most CHROMA_MAX_BATCH."""
        if self._max_batch is None:
            limit = CHROMA_MAX_BATCH
            with contextlib.suppress(Exception):
                limit = min(limit, int(self.client.get_max_batch_size()))
            self._max_batch = max(limit, 1)
        return self._max_batch

    def delete_papers(self, paper_ids: list[str]) -> None:
        for s in range(0, len(paper_ids), 500):
            chunk = paper_ids[s : s + 500]
            self._run(
                "deleting chunks",
                lambda c, chunk=chunk: c.delete(where={"paper_id": {"$in": chunk}}),
            )

    def chunk_pages(self, include: list[str], step: int = 5000) -> Iterator[dict]:
        """Every chunk in Chroma, a page of ``step`` at a time (``get`` results)."""
        total = self._run("counting chunks", lambda c: c.count())
        for off in range(0, total, step):
            yield self._run(
                "listing chunks",
                lambda c, off=off: c.get(include=include, limit=step, offset=off),
            )

    def chunk_vectors(self, paper_ids: list[str]) -> dict[str, np.ndarray]:
        """paper_id -> matrix of its chunk vectors, read back from Chroma (nothing re-embedded)."""
        out: dict[str, list] = {}
        for s in range(0, len(paper_ids), 200):
            ids = paper_ids[s : s + 200]
            got = self._run(  # retried once on a Chroma server; a failure is a StoreError
                "reading chunk vectors",
                lambda c, ids=ids: c.get(
                    where={"paper_id": {"$in": ids}}, include=["embeddings", "metadatas"]
                ),
            )
            for m, e in zip(got["metadatas"] or [], got["embeddings"], strict=False):
                out.setdefault(m["paper_id"], []).append(np.asarray(e, dtype=np.float32))
        return {pid: np.stack(v) for pid, v in out.items()}

    def chunk_ids(self) -> list[str]:
        return [i for got in self.chunk_pages([]) for i in got["ids"]]

    def chunk_inventory(self) -> dict[str, set[str]]:
        """paper_id -> set of content hashes that have chunks in Chroma."""
        inv: dict[str, set[str]] = {}
        for got in self.chunk_pages(["metadatas"]):
            for m in got["metadatas"] or []:
                inv.setdefault(m["paper_id"], set()).add(m.get("hash", ""))
        return inv

    def query_dense(
        self, vector, n_chunks: int, only: set[str] | None = None
    ) -> list[tuple[str, float, str, int]]:
        """(paper_id, cosine similarity, chunk text, chunk index), best first; ``only``: the
        papers allowed (a filter), applied by Chroma's ``where`` inside the search."""
        # one round trip: Chroma returns what it has when n_results exceeds the count
        kw: dict = {}
        if only is not None:
            if not only:
                return []
            ids = sorted(only)
            kw["where"] = {"paper_id": ids[0]} if len(ids) == 1 else {"paper_id": {"$in": ids}}
        res = self._run(
            "searching",
            lambda c: c.query(
                query_embeddings=[vector],
                n_results=max(1, n_chunks),
                include=["metadatas", "documents", "distances"],
                **kw,
            ),
        )
        out = []
        for m, d, dist in zip(
            res["metadatas"][0], res["documents"][0], res["distances"][0], strict=False
        ):
            out.append((m["paper_id"], 1.0 - float(dist), d, int(m.get("chunk", 0))))
        return out
