"""Reliability 3: concurrent use of one store by real `rag` processes.

* Two `rag ingest` at once: the second is refused with a clear message naming the writer (or,
  with --wait, queues behind it and says so); `--rebuild` is refused too instead of dropping
  the index under the writer. Nothing is corrupted: every invariant holds afterwards.
* Queries keep answering while an ingest runs, also while the writer is frozen mid-write with
  the store marked dirty, from a fresh process and from a long-running `rag search -`.

The writer is frozen with SIGSTOP at a known point (holding the lock, or with the store dirty)
so the overlap is certain, not a matter of timing.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.test_reliability_invariants import (
    check_invariants,
    expected_papers,
    make_abstract,
    rag,
    rag_popen,
    write_txt,
)

pytestmark = pytest.mark.slow  # not in `make test-fast`


def _wait_for(cond, proc, what: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the writer ended before {what}: rc={proc.returncode}\n{out}\n{err}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def _lock_holder(store: Path) -> str:
    try:
        return (store / ".lock").read_text().strip()
    except OSError:
        return ""


def _dirty(store: Path) -> bool:
    for db_path in store.glob("*/papers.sqlite"):
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT value FROM meta WHERE key='dirty'").fetchone()
            return bool(row and row[0] == "1")
        except sqlite3.Error:
            return False
        finally:
            db.close()
    return False


def _corpus(path: Path, n: int, rng: random.Random, used: set[str]) -> list[str]:
    path.mkdir(parents=True)
    abstracts = [make_abstract(rng, used) for _ in range(n)]
    write_txt(path / "new.txt", abstracts)
    return abstracts


def test_two_ingests_refuse_or_queue_and_never_corrupt(store_copy, tmp_path):
    rng, used = random.Random(3), set()
    dir_a = tmp_path / "a"
    dir_b = tmp_path / "b"
    _corpus(dir_a, 30, rng, used)
    _corpus(dir_b, 5, rng, used)

    writer = rag_popen("ingest", str(dir_a), "--quiet", store=store_copy)
    try:
        _wait_for(lambda: _lock_holder(store_copy) == str(writer.pid), writer, "it took the lock")
        os.kill(writer.pid, signal.SIGSTOP)  # holds the lock, mid-run, for as long as we like

        second = rag("ingest", str(dir_b), "--quiet", store=store_copy)
        assert second.returncode == 1 and "Traceback" not in second.stderr
        assert (
            f"another process (pid {writer.pid}) is writing to the store {store_copy}"
            in second.stderr
        ), second.stderr
        assert "--wait SECONDS" in second.stderr and not second.stdout

        rebuild = rag("ingest", "--rebuild", str(dir_b), "--quiet", store=store_copy)
        assert rebuild.returncode == 1 and "is writing to the store" in rebuild.stderr

        # a fresh reader answers while the writer is frozen inside its run
        search = rag(
            "search", "federated learning with non-IID clients", "--json", store=store_copy
        )
        assert search.returncode == 0, search.stderr
        hits = json.loads(search.stdout)
        assert hits and {"paper_id", "title", "score", "snippet"} <= set(hits[0])

        # a third writer queues behind the first and says so
        queued = rag_popen("ingest", str(dir_b), "--wait", "600", "--quiet", store=store_copy)
        line = queued.stderr.readline()
        assert f"waiting for another process (pid {writer.pid})" in line, line
    finally:
        os.kill(writer.pid, signal.SIGCONT)
    out, err = writer.communicate(timeout=600)
    assert writer.returncode == 0, err
    assert "30 added" in out
    q_out, q_err = queued.communicate(timeout=600)
    assert queued.returncode == 0, q_err
    # it ran after the first had finished: it saw the first one's papers
    assert "5 added" in q_out and "(1 file(s); 85 papers in the index)" in q_out, q_out

    check_invariants(store_copy, expected_papers([CORPUS, dir_a, dir_b]))


def test_queries_keep_answering_while_an_ingest_runs(store_copy, tmp_path):
    rng, used = random.Random(4), set()
    new_dir = tmp_path / "new"
    new = _corpus(new_dir, 40, rng, used)
    name = new[0].split()[2].rstrip(",")  # "We propose <Name>, ..."
    assert name.isalpha()

    reader = rag_popen("search", "-", "--json", "-k", "5", store=store_copy, stdin=-1)
    queries = [
        "privacy-preserving federated learning",
        "multi-agent framework for mood disorder diagnosis",
        "benchmark for code generation",
        "retrieval-augmented generation",
    ]

    def ask(q: str) -> list[dict]:
        reader.stdin.write(q + "\n")
        reader.stdin.flush()
        line = reader.stdout.readline()
        assert line, reader.stderr.read()
        return json.loads(line)

    answered = 0
    try:
        assert ask(queries[0])  # the reader is up (model loaded) before the writer starts
        writer = rag_popen("ingest", str(new_dir), "--quiet", store=store_copy)
        try:
            # freeze the writer once it has marked the store dirty (a write is under way)
            _wait_for(lambda: _dirty(store_copy), writer, "it marked the store dirty", 300)
            os.kill(writer.pid, signal.SIGSTOP)
            for q in queries:
                hits = ask(q)
                assert hits and all(h["paper_id"] and h["title"] for h in hits), (q, hits)
                answered += 1
            fresh = rag("ask", queries[1], "--json", store=store_copy)
            assert fresh.returncode == 0, fresh.stderr
            assert json.loads(fresh.stdout)["citations"]
        finally:
            os.kill(writer.pid, signal.SIGCONT)
        while writer.poll() is None:  # and keep asking until the writer is done
            assert ask(queries[answered % len(queries)])
            answered += 1
        assert writer.returncode == 0, writer.stderr.read()
        # the long-running reader sees the new papers without a restart
        hits = ask(f"{name} method")
        assert hits[0]["title"].startswith(name), hits[:2]
    finally:
        reader.stdin.close()
        reader.wait(timeout=60)
    assert reader.returncode == 0
    print(f"\n{answered} queries answered by a running reader during the ingest")
    check_invariants(store_copy, expected_papers([CORPUS, new_dir]), search=False)


def test_a_running_process_finds_by_meaning_what_another_process_ingested(store_copy, tmp_path):
    """Chroma's embedded client keeps the vector index it loaded in memory. Without a reload a
    long-running process (the web UI, `rag ask -`) counts another process's new chunks but never
    finds them by meaning (this test failed so before the reload was added)."""
    from rag.assistant import Assistant
    from rag.config import get_settings

    settings = get_settings(store=store_copy)
    one, two = Assistant(settings), Assistant(settings)  # two handles in one process
    q1 = "questions about medieval falconry that small language models answer poorly"
    q2 = "forecasting volcanic ash dispersal with graph neural networks"
    for a in (one, two):
        assert "Quarkle" not in a.search(q1, k=3, mode="dense")[0].paper.text

    first = tmp_path / "first"
    first.mkdir()
    write_txt(
        first / "q.txt",
        [
            "We introduce Quarkle, a benchmark of 3,000 questions about medieval falconry, and "
            "show that small language models answer fewer than half of them correctly."
        ],
    )
    out = rag("ingest", str(first), "--quiet", store=store_copy)
    assert out.returncode == 0, out.stderr
    for a in (one, two):  # found by meaning, by both, with no restart and no reset
        hits = a.search(q1, k=3, mode="dense")
        assert "Quarkle" in hits[0].paper.text, [h.paper.title for h in hits]

    # this process then ingests too (as an upload in the web UI does)
    second = tmp_path / "second"
    second.mkdir()
    write_txt(
        second / "v.txt",
        [
            "We present Ashcast, a graph neural network that forecasts the dispersal of volcanic "
            "ash clouds six hours ahead and halves the error of operational dispersion models."
        ],
    )
    one.ingest([second], progress=False)
    assert "Ashcast" in two.search(q2, k=3, mode="dense")[0].paper.text
    # a fresh process finds both by meaning: nothing was lost by writing through this process
    for q, name in ((q1, "Quarkle"), (q2, "Ashcast")):
        out = rag("search", q, "--mode", "dense", "-k", "1", "--json", store=store_copy)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)[0]["title"].startswith(name), out.stdout[:300]
    check_invariants(store_copy, expected_papers([CORPUS, first, second]), search=False)


def test_a_running_process_keeps_answering_after_another_process_rebuilds(store_copy):
    """`rag ingest --rebuild` replaces the catalogue file and the Chroma collection: a running
    process (the web UI) used to fail every query after it ("Collection ... does not exist")."""
    from rag.assistant import Assistant
    from rag.config import get_settings

    a = Assistant(get_settings(store=store_copy))
    q = "multi-agent framework for mood disorder diagnosis"
    assert "MoodAngels" in a.search(q, k=3)[0].paper.text
    out = rag("ingest", "--rebuild", "--quiet", str(CORPUS), store=store_copy)
    assert out.returncode == 0, out.stderr
    for mode in ("dense", "hybrid"):
        assert "MoodAngels" in a.search(q, k=3, mode=mode)[0].paper.text
    assert len(a.papers()) == 50
