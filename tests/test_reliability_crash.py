"""Reliability 2: `rag ingest` killed with SIGKILL at random points never corrupts the store.

A small generated corpus (about 25 short abstracts, so embedding is cheap) is changed before
every run (papers added, edited in place, removed, moved between files, whole files deleted and
created), then `rag ingest --prune` runs as a fresh process and is SIGKILLed after a delay drawn
from a seeded RNG over the measured duration of a full run. The run is then repeated to the end
and the store must satisfy every invariant of ``check_invariants``: paper count = corpus, no
duplicates, each paper found by its own title, Chroma chunks and BM25 ids = the catalogue, and
the catalogue = the corpus. Most repeats run in-process (the model is already loaded, which
keeps the test near two minutes); every fifth is a fresh `rag ingest` process as well.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.test_reliability_invariants import (
    check_invariants,
    expected_papers,
    make_abstract,
    rag,
    rag_popen,
    write_txt,
)

pytestmark = pytest.mark.slow  # not in `make test-fast`

RUNS = int(os.environ.get("RAG_KILL_RUNS", "20"))


class Corpus:
    """The files of abstracts on disk, changed at random between runs."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root = root
        self.rng = rng
        self.used: set[str] = set()
        self.files: dict[str, list[str]] = {
            f"part{i}.txt": [make_abstract(rng, self.used) for _ in range(8)] for i in range(3)
        }
        self.created = 3
        root.mkdir(parents=True, exist_ok=True)
        self.write()

    def write(self) -> None:
        for f in self.root.glob("*.txt"):
            if f.name not in self.files:
                f.unlink()
        for name, abstracts in self.files.items():
            write_txt(self.root / name, abstracts)

    def count(self) -> int:
        return sum(len(a) for a in self.files.values())

    def step(self) -> None:
        """The same shape of change every time: 2 added, 1 edited in place, 1 removed, 1 moved."""
        rng, files = self.rng, self.files
        a, b = sorted(files)[:2]
        files[a].append(make_abstract(rng, self.used))
        files[b].append(make_abstract(rng, self.used))
        files[a][0] = make_abstract(rng, self.used)
        files[b].pop(1)
        files[b].append(files[a].pop(1))
        self.write()

    def mutate(self) -> None:
        rng, files = self.rng, self.files
        names = sorted(files)
        for _ in range(rng.randint(2, 4)):  # new papers
            files[rng.choice(names)].append(make_abstract(rng, self.used))
        for _ in range(rng.randint(1, 2)):  # edited in place
            f = rng.choice([n for n in names if files[n]])
            files[f][rng.randrange(len(files[f]))] = make_abstract(rng, self.used)
        for _ in range(rng.randint(1, 2)):  # removed
            f = rng.choice([n for n in names if files[n]])
            files[f].pop(rng.randrange(len(files[f])))
        if rng.random() < 0.4 and len(names) > 1:  # moved to another file
            src, dst = rng.sample(names, 2)
            if files[src]:
                files[dst].append(files[src].pop(rng.randrange(len(files[src]))))
        if rng.random() < 0.15 and len(names) > 2:  # a whole file deleted (--prune removes it)
            del files[rng.choice(names)]
        if rng.random() < 0.2:  # a new file
            files[f"part{self.created}.txt"] = [make_abstract(rng, self.used) for _ in range(3)]
            self.created += 1
        for name in [n for n, a in files.items() if not a]:
            del files[name]  # an empty file would be a rejected input, not an empty corpus
        while self.count() > 30:
            f = max(files, key=lambda n: len(files[n]))
            files[f].pop(0)
        self.write()


def _dirty(store: Path) -> str:
    dbs = list(store.glob("*/papers.sqlite"))
    if not dbs:
        return "no catalogue yet"
    db = sqlite3.connect(f"file:{dbs[0]}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT value FROM meta WHERE key='dirty'").fetchone()
    except sqlite3.Error:
        return "no catalogue yet"
    finally:
        db.close()
    return "dirty" if row and row[0] == "1" else "clean"


def test_sigkill_during_ingest_never_corrupts(tmp_path):
    from rag.config import get_settings
    from rag.ingest import ingest

    rng = random.Random(8_2024)
    corpus = Corpus(tmp_path / "corpus", rng)
    store = tmp_path / "store"
    settings = get_settings(store=store)

    started = time.monotonic()
    first = rag("ingest", str(corpus.root), "--prune", "--quiet", store=store)
    duration = time.monotonic() - started
    assert first.returncode == 0, first.stderr
    check_invariants(store, expected_papers([corpus.root]))

    stats: Counter = Counter()
    for i in range(RUNS):
        corpus.mutate()
        proc = rag_popen(
            "ingest",
            str(corpus.root),
            "--prune",
            "--quiet",
            store=store,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        delay = rng.uniform(0.0, 1.0) * duration
        try:
            proc.wait(timeout=delay)
            stats["finished before the kill"] += 1
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            stats["killed"] += 1
        stats[f"store after the kill: {_dirty(store)}"] += 1

        if i % 5 == 4:  # the repeat as a fresh process too
            again = rag("ingest", str(corpus.root), "--prune", "--quiet", store=store)
            assert again.returncode == 0, again.stderr
            assert "Traceback" not in again.stderr
            stats["repaired by the repeat"] += "repaired" in again.stdout
        else:
            report = ingest([corpus.root], settings, prune=True, progress=False)
            assert not report.rejected, report.rejected
            stats["repaired by the repeat"] += bool(report.repaired)
        expected = expected_papers([corpus.root])
        assert len(expected) == corpus.count()
        figures = check_invariants(store, expected)
        assert figures["papers"] == corpus.count()

    # the test means something only if most runs were really killed mid-ingest, and some kills
    # landed inside a write (the store left marked dirty for the repair to find)
    assert stats["killed"] >= RUNS // 2, stats
    assert stats["store after the kill: dirty"] >= 1, stats
    print(
        f"\nkill test: {RUNS} runs, full run {duration:.1f}s, kill delays uniform in "
        f"[0, {duration:.1f}]s; " + ", ".join(f"{k}: {v}" for k, v in sorted(stats.items()))
    )


class SimulatedCrash(BaseException):
    """Raised right after a chosen write, so the run stops there as if the process died."""


def test_crash_after_every_write_boundary_is_repaired(tmp_path, monkeypatch):
    """Complements the SIGKILL test, whose random delays rarely land in the millisecond windows
    between two writes: here the run stops right after its n-th write (a Chroma delete or upsert,
    a catalogue commit, a BM25 file replace), for every n, and the next run must repair it."""
    from rag import store as store_mod
    from rag.config import get_settings
    from rag.ingest import ingest
    from rag.store import keyword
    from rag.store.catalogue import Catalogue

    calls = {"n": 0, "crash_at": None, "log": []}

    def boundary(name, fn):
        def wrapper(*args, **kwargs):
            result = fn(*args, **kwargs)
            calls["n"] += 1
            calls["log"].append(name)
            if calls["n"] == calls["crash_at"]:
                raise SimulatedCrash(name)
            return result

        return wrapper

    monkeypatch.setattr(
        store_mod.Store, "delete_papers", boundary("chroma delete", store_mod.Store.delete_papers)
    )
    monkeypatch.setattr(
        store_mod.Store, "add_chunks", boundary("chroma upsert", store_mod.Store.add_chunks)
    )
    monkeypatch.setattr(Catalogue, "commit", boundary("catalogue commit", Catalogue.commit))
    real_replace = os.replace
    bm25_replace = boundary("BM25 file replace", real_replace)

    def replace(src, dst, *a, **kw):  # os is shared: count only the BM25 index's files
        fn = bm25_replace if "keyword" in os.fspath(dst) else real_replace
        return fn(src, dst, *a, **kw)

    monkeypatch.setattr(keyword.os, "replace", replace)

    rng = random.Random(77)
    corpus = Corpus(tmp_path / "corpus", rng)
    settings = get_settings(store=tmp_path / "store")
    ingest([corpus.root], settings, prune=True, progress=False)

    seen: list[str] = []
    n = 1
    while True:
        corpus.step()
        calls.update(n=0, crash_at=n, log=[])
        try:
            ingest([corpus.root], settings, prune=True, progress=False)
            finished = True
        except SimulatedCrash as e:
            finished = False
            seen.append(f"{n}: after {e.args[0]}")
        if not finished:
            # a second crash while the next run is still repairing the first
            calls.update(n=0, crash_at=1, log=[])
            try:
                ingest([corpus.root], settings, prune=True, progress=False)
            except SimulatedCrash as e:
                seen.append(f"{n}: then again after {e.args[0]}")
        calls.update(n=0, crash_at=None, log=[])
        report = ingest([corpus.root], settings, prune=True, progress=False)
        assert not report.rejected
        check_invariants(settings.store, expected_papers([corpus.root]))
        if finished:
            break
        n += 1
    print("\nwrite boundaries crashed at:\n  " + "\n  ".join(seen))
    kinds = {s.split("after ")[1] for s in seen}
    assert {"chroma delete", "chroma upsert", "catalogue commit", "BM25 file replace"} <= kinds
