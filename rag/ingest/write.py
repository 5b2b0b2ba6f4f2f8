"""The batch write loop: chunk, embed (in a worker thread) and write Chroma and the catalogue."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from ..config import Settings
from ..embed import get_embedder
from ..records import Paper
from ..store import Store
from ..store.lock import READERS
from .chunks import chunk_paper, embed_texts, keyword_tokens

BATCH_PAPERS = 256


class _Progress:
    """A tqdm bar on stderr for long runs; silent when not wanted."""

    def __init__(self, total: int, enabled: bool, desc: str) -> None:
        self.bar = None
        if enabled and total > 0:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, unit="chunk", file=sys.stderr, leave=False)

    def __call__(self, n: int, total: int | None = None) -> None:
        if self.bar is not None:
            if total is not None and total != self.bar.total:
                self.bar.total = total
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _embed_and_write(
    store: Store,
    batches: Iterable[list[Paper]],
    n_papers: int,
    settings: Settings,
    progress: bool,
    on_event,
    replace: set[str] | None = None,
    desc: str = "embedding",
) -> None:
    """Chunk, embed and write ``n_papers`` papers, given in batches, as a pipeline.

    While a worker thread embeds batch i (ONNX Runtime and torch release the GIL), this thread
    writes batch i-1 (one Chroma upsert, one catalogue commit) and chunks batch i+1. Writes stay
    in this thread and in order, so an interrupted run leaves what the sequential one would.
    ``replace``: the papers that already have chunks (updates); None means any may have. New
    papers skip the delete round trip."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    embedder = get_embedder(settings, bulk=n_papers)
    batches = iter(batches)
    first = next(batches, None)
    if first is None:
        return
    lock = threading.Lock()
    state = {"done": 0, "chunks": 0, "papers": 0, "cancelled": False, "written": 0}
    # abstracts embedded so far: papers of finished batches + those of the batch in hand whose
    # last chunk is done (the embedder reports chunk counts)
    embedded = {"base": 0, "ends": [], "chunks": 0}

    def chunk(batch: list[Paper]) -> list[tuple[Paper, list[str]]]:
        out = []
        for p in batch:
            READERS.yield_to_readers()  # pure Python (the GIL): a question goes first
            out.append((p, chunk_paper(p, settings)))
        with lock:
            state["papers"] += len(batch)
            state["chunks"] += sum(len(c) for _, c in out)
        return out

    def total() -> int:
        """Chunks to embed: exact once all are chunked, extrapolated until then."""
        if state["papers"] >= n_papers:
            return state["chunks"]
        return max(state["chunks"], round(state["chunks"] / state["papers"] * n_papers))

    def rows(batch: list[tuple[Paper, list[str]]]):
        ids, docs, metas, texts = [], [], [], []
        for p, chunks in batch:
            h = p.content_hash()
            texts.extend(embed_texts(p, chunks, settings))
            for i, c in enumerate(chunks):
                ids.append(f"{p.paper_id}:{h}:{i}")
                docs.append(c)
                metas.append(
                    {"paper_id": p.paper_id, "hash": h, "chunk": i, "title": p.title[:200]}
                )
        return ids, docs, metas, texts

    def write(batch, ids, docs, metas, vecs) -> None:
        READERS.yield_to_readers()
        old = [p.paper_id for p, _ in batch if replace is None or p.paper_id in replace]
        if old:
            store.delete_papers(old)  # old chunks of updated papers
        store.add_chunks(ids, vecs, docs, metas)
        store.record_papers([(p, len(chunks), keyword_tokens(p)) for p, chunks in batch])
        state["written"] += len(batch)
        if on_event:
            on_event("writing", state["written"], n_papers)

    current = chunk(first)
    bar = _Progress(total(), progress and total() >= 64, desc)

    def tick(n: int) -> None:  # called by the worker after each model batch
        if state["cancelled"]:
            raise _Cancelled
        READERS.yield_to_readers()  # a question being answered goes first
        with lock:
            state["done"] += n
            t = total()
            embedded["chunks"] += n
            whole = sum(1 for e in embedded["ends"] if e <= embedded["chunks"])
            abstracts = embedded["base"] + whole
        bar(n, t)
        if on_event:
            on_event(desc, abstracts, n_papers)

    pool = ThreadPoolExecutor(1, thread_name_prefix="rag-embed")
    try:
        pending = None  # the batch embedded last round, waiting to be written
        while current is not None:
            ids, docs, metas, texts = rows(current)
            with lock:
                embedded["base"] += len(embedded["ends"])
                ends, acc = [], 0
                for _, c in current:
                    acc += len(c)
                    ends.append(acc)
                embedded["ends"], embedded["chunks"] = ends, 0
            fut = pool.submit(store_embeddings, embedder, texts, settings, tick)
            if pending is not None:
                write(*pending)
            nxt = next(batches, None)
            following = chunk(nxt) if nxt is not None else None
            pending = (current, ids, docs, metas, fut.result())
            current = following
        write(*pending)
    finally:
        state["cancelled"] = True  # an error or Ctrl-C: the worker stops after its model batch
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()


class _Cancelled(Exception):
    """Stops the embedding worker when the ingest it serves has failed."""


def store_embeddings(embedder, texts: list[str], settings: Settings, tick) -> list[list[float]]:
    # small model batches: a question waits for at most one of them (see READERS); bf16 runs
    # 32 texts in less time than ONNX Runtime fp32 runs 16
    cap = getattr(embedder, "max_batch", 16)
    vecs = embedder.embed(texts, batch_size=min(settings.embed_batch_size, cap), progress=tick)
    return vecs.tolist()
