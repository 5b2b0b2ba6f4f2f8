"""Move an embedded index to a Chroma server without embedding anything again.

The catalogue and the BM25 index stay where they are (under RAG_STORE); only the vectors move:
they are read from the embedded Chroma (``RAG_STORE/chroma``) and written, in batches, to the
collection this store uses on the server. Resumable: a batch already on the server is skipped,
so a run that was cut short is finished by running it again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..errors import ConfigError, StoreError
from . import Store
from .chroma import server_address

READ_BATCH = 1000


@dataclass
class MigrateReport:
    papers: int
    chunks: int
    copied: int
    already: int
    removed: int
    seconds: float
    server: str
    collection: str

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    def summary(self) -> str:
        return (
            f"{self.copied} chunk(s) copied, {self.already} already on the server, "
            f"{self.removed} stale removed: {self.chunks} chunks of {self.papers} papers in "
            f"collection {self.collection} on {self.server} ({self.seconds:.1f} s, nothing "
            "re-embedded)"
        )


def copy_to_server(
    settings: Settings, *, wait: float = 0.0, progress: bool = True
) -> MigrateReport:
    """Copy this store's embedded vectors to the Chroma server that ``settings`` names."""
    if not settings.chroma_host:
        raise ConfigError(
            "no Chroma server to copy to: set RAG_CHROMA_HOST (and RAG_CHROMA_PORT, "
            "RAG_CHROMA_TOKEN if it wants one) to the server started with `chroma run`"
        )
    if not (Path(settings.store) / "chroma").is_dir():
        raise StoreError(
            f"no embedded index in {settings.store} to copy (no {settings.store}/chroma); "
            "with RAG_CHROMA_HOST set, `rag ingest` builds the index on the server directly"
        )
    local = settings.model_copy(update={"chroma_host": None})
    src = Store(local, create=False)
    dst = None
    t0 = time.perf_counter()
    try:
        with src.write_lock(wait=wait):
            cat = src.catalogue
            if cat.get_meta("dirty") == "1" or not src.vectors_match():
                raise StoreError(
                    f"the embedded index in {settings.store} is not consistent (an ingest was "
                    "cut short): run `rag ingest` once without RAG_CHROMA_HOST to repair it, "
                    "then copy"
                )
            ids = src.chunk_ids()
            dst = Store(settings, create=True)
            cat.set_meta("dirty", "1")  # until the server holds exactly these chunks
            cat.commit()
            copied = already = 0
            from ..ingest.write import _Progress

            bar = _Progress(len(ids), progress and len(ids) >= 64, "copying")
            try:
                for s in range(0, len(ids), READ_BATCH):
                    batch = ids[s : s + READ_BATCH]
                    there = set(
                        dst._run(
                            "checking chunks",
                            lambda c, b=batch: c.get(ids=b, include=[])["ids"],
                        )
                    )
                    todo = [i for i in batch if i not in there]
                    already += len(batch) - len(todo)
                    if todo:
                        got = src._run(
                            "reading chunks",
                            lambda c, t=todo: c.get(
                                ids=t, include=["embeddings", "documents", "metadatas"]
                            ),
                        )
                        dst.add_chunks(
                            got["ids"], got["embeddings"], got["documents"], got["metadatas"]
                        )
                        copied += len(got["ids"])
                    bar(len(batch))
            finally:
                bar.close()
            removed = _remove_stale(dst, set(ids))
            on_server = dst._run("counting chunks", lambda c: c.count())
            if on_server != len(ids):
                raise StoreError(
                    f"the server collection {dst.chroma_name} holds {on_server} chunks after the "
                    f"copy, not {len(ids)}: run `rag migrate` again"
                )
            cat.set_meta("dirty", "0")
            cat.commit()
            return MigrateReport(
                papers=cat.count(),
                chunks=len(ids),
                copied=copied,
                already=already,
                removed=removed,
                seconds=round(time.perf_counter() - t0, 1),
                server=server_address(settings),
                collection=dst.chroma_name,
            )
    finally:
        if dst is not None:
            dst.close()
        src.close()


def _remove_stale(dst: Store, keep: set[str]) -> int:
    """Chunks on the server this store's catalogue does not know (an older server-side index)."""
    stale = [i for i in dst.chunk_ids() if i not in keep]
    for s in range(0, len(stale), 500):
        part = stale[s : s + 500]
        dst._run("deleting chunks", lambda c, p=part: c.delete(ids=p))
    return len(stale)
