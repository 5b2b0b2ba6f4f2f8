"""Chroma server mode: a real `chroma run` (the binary shipped with chromadb), never a fake.

The catalogue and BM25 stay under RAG_STORE; only the vectors live on the server. Covered:
ingest and query through the server, a server restart under a live process, a wiped server
(readers refuse clearly, ingest repairs), an unreachable server, and two reader processes
querying while a third ingests.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from rag.assistant import Assistant
from rag.config import get_settings
from rag.errors import StoreError
from rag.ingest import ingest

from .conftest import CORPUS

CHROMA = Path(sys.executable).with_name("chroma")
RAG = Path(sys.executable).with_name("rag")
REPO = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.skipif(not CHROMA.exists(), reason="the chroma binary is not installed"),
    pytest.mark.slow,  # not in `make test-fast`
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    """`chroma run --path DIR --port PORT` as a child process."""

    def __init__(self, path: Path, log: Path) -> None:
        self.path = path
        self.port = _free_port()
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1"]
                + ["--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 60
        url = f"http://127.0.0.1:{self.port}/api/v2/heartbeat"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("chroma run did not answer its heartbeat within 60 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def env(self, store: Path) -> dict[str, str]:
        return {
            **os.environ,
            "RAG_STORE": str(store),
            "RAG_CHROMA_HOST": "127.0.0.1",
            "RAG_CHROMA_PORT": str(self.port),
        }


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("chroma-server")
    srv = ChromaServer(root / "data", root / "chroma.log")
    srv.start()
    yield srv
    srv.stop()


def _settings(server: ChromaServer, store: Path, **kw):
    return get_settings(
        store=store, chroma_host="127.0.0.1", chroma_port=server.port, embed_backend="onnx", **kw
    )


def _server_counts(server: ChromaServer) -> dict[str, int]:
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=server.port)
    return {c.name: c.count() for c in client.list_collections()}


QUERY = "multi-agent framework for diagnosing mood disorders"


def _cli_search_ids(server: ChromaServer, store: Path) -> list[str]:
    """`rag search QUERY` in a fresh process through the server: the top-5 paper ids."""
    out = subprocess.run(
        [str(RAG), "search", QUERY, "-k", "5", "--json"],
        env=server.env(store),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return [h["paper_id"] for h in json.loads(out.stdout)]


def test_ingest_query_restart_and_wipe(server, tmp_path):
    store = tmp_path / "store"
    settings = _settings(server, store)
    report = ingest([CORPUS], settings, progress=False)
    assert len(report.added) == 50 and not report.rejected
    assert not (store / "chroma").exists(), "vectors must go to the server, not the store dir"
    counts = _server_counts(server)
    mine = [n for n in counts if n.startswith(settings.collection_name())]
    assert len(mine) == 1 and counts[mine[0]] >= 50

    a = Assistant(settings)
    before = [h.paper.paper_id for h in a.search(QUERY, k=5)]
    assert "MoodAngels" in a.paper(before[0]).text

    # a restart of the server under a live process: the next query reconnects
    server.stop()
    with pytest.raises(StoreError) as err:
        a.search(QUERY, k=5)
    assert "Chroma server" in str(err.value) and str(server.port) in str(err.value)
    server.start()
    assert [h.paper.paper_id for h in a.search(QUERY, k=5)] == before

    # and a fresh process through the CLI, after the restart
    assert _cli_search_ids(server, store) == before

    # a second ingest changes nothing: catalogue and server agree
    again = ingest([CORPUS], settings, progress=False)
    assert not again.changed and again.repaired == 0

    # the server loses its data: readers refuse with what to do, ingest repairs
    server.stop()
    shutil.rmtree(server.path)
    server.start()
    a.reset()
    with pytest.raises(StoreError, match="holds no vectors.*rag ingest"):
        a.search(QUERY, k=5)
    fixed = ingest([CORPUS], settings, progress=False)
    assert fixed.reembedded == 50 and fixed.total == 50
    a.reset()
    assert [h.paper.paper_id for h in a.search(QUERY, k=5)] == before


def test_stores_sharing_a_server_keep_their_own_collections(server, tmp_path):
    one = tmp_path / "one"
    two = tmp_path / "two"
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "x.txt").write_text(
        "Abstract:We introduce Quarkle, a benchmark of 3,000 questions about medieval "
        "falconry, and show that small language models answer fewer than half correctly.\n"
    )
    s1, s2 = _settings(server, one), _settings(server, two)
    ingest([corpus], s1, progress=False)
    ingest([CORPUS], s2, progress=False)
    a1, a2 = Assistant(s1), Assistant(s2)
    assert a1.store.chroma_name != a2.store.chroma_name  # same settings, different stores
    counts = _server_counts(server)
    assert counts[a1.store.chroma_name] == 1 and counts[a2.store.chroma_name] >= 50
    hits = a1.search("medieval falconry questions", k=5)
    assert len(hits) == 1 and "Quarkle" in hits[0].paper.text
    assert len(a2.papers()) == 50


def test_collections_of_one_store_on_a_server_stay_apart(server, tmp_path):
    """Two collections of one store, each its own collection on the server: a question in one
    never cites the other's paper (the same abstract under another id in each), and deleting
    one leaves the other's vectors on the server."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    text = (
        "We introduce Quarkle, a benchmark of 3,000 questions about medieval falconry, and "
        "show that small language models answer fewer than half correctly."
    )
    (corpus / "a.jsonl").write_text(json.dumps({"id": "in-a", "abstract": text}) + "\n")
    (corpus / "b.jsonl").write_text(json.dumps({"id": "in-b", "abstract": text}) + "\n")
    store = tmp_path / "store"
    ingest([corpus / "a.jsonl"], _settings(server, store), progress=False)
    ingest([corpus / "b.jsonl"], _settings(server, store, collection="b"), progress=False)
    a = Assistant(_settings(server, store))
    q = "How well do small language models answer questions about medieval falconry?"
    in_a, in_b = a.ask(q).to_dict(), a.ask(q, collection="b").to_dict()
    assert [c["paper_id"] for c in in_a["citations"]] == ["in-a"]
    assert [c["paper_id"] for c in in_b["citations"]] == ["in-b"]
    names = (a.store.chroma_name, a.in_collection("b").store.chroma_name)
    uid = (store / "chroma-server-id").read_text().strip()
    assert names[0].endswith(uid) and names[1].endswith(uid) and names[0] != names[1]
    counts = _server_counts(server)
    assert counts[names[0]] == 1 and counts[names[1]] == 1
    assert a.delete_collection("b") == 1
    counts = _server_counts(server)
    assert names[1] not in counts and counts[names[0]] == 1
    assert [c["paper_id"] for c in a.ask(q).to_dict()["citations"]] == ["in-a"]
    a.reset()


def test_unreachable_server_is_one_clear_line_without_the_token(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "RAG_STORE": str(tmp_path / "s"),
        "RAG_CHROMA_HOST": "127.0.0.1",
        "RAG_CHROMA_PORT": str(port),
        "RAG_CHROMA_TOKEN": "sekrit-token-123",
    }
    out = subprocess.run(
        [str(RAG), "ingest", "--quiet"], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert f"cannot reach the Chroma server at http://127.0.0.1:{port}" in out.stderr
    assert "sekrit" not in out.stderr + out.stdout


class TokenProxy:
    """An HTTP proxy in front of the server that wants `Authorization: Bearer TOKEN` (how a
    Chroma 1.x server is secured: a proxy such as Envoy checks a static token)."""

    def __init__(self, upstream_port: int, token: str) -> None:
        import http.client
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        proxy = self
        self.seen: list[str | None] = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):  # quiet
                pass

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                auth = self.headers.get("Authorization")
                proxy.seen.append(auth)
                if auth != f"Bearer {token}":
                    msg = b"RBAC: access denied"
                    self.send_response(403)
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    self.wfile.write(msg)
                    return
                conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_token_reaches_the_server_and_a_wrong_one_is_refused_clearly(server, tmp_path):
    proxy = TokenProxy(server.port, "right-token-456")
    try:
        corpus = tmp_path / "c"
        corpus.mkdir()
        (corpus / "x.txt").write_text(
            "Abstract:We introduce Quarkle, a benchmark of 3,000 questions about medieval "
            "falconry, and show that small language models answer fewer than half correctly.\n"
        )
        store = tmp_path / "s"
        good = get_settings(
            store=store,
            chroma_host="127.0.0.1",
            chroma_port=proxy.port,
            chroma_token="right-token-456",
            embed_backend="onnx",
        )
        assert ingest([corpus], good, progress=False).total == 1
        assert Assistant(good).search("medieval falconry", k=1)[0].paper.text.startswith("We")
        assert proxy.seen and set(proxy.seen) == {"Bearer right-token-456"}

        env = {
            **os.environ,
            "RAG_STORE": str(store),
            "RAG_CHROMA_HOST": "127.0.0.1",
            "RAG_CHROMA_PORT": str(proxy.port),
            "RAG_CHROMA_TOKEN": "wrong-token-789",
        }
        out = subprocess.run(
            [str(RAG), "search", "falconry", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 1 and "Traceback" not in out.stderr
        assert "refused the request" in out.stderr and "RAG_CHROMA_TOKEN" in out.stderr
        assert "wrong-token" not in out.stderr + out.stdout
    finally:
        proxy.close()


READER = r"""
import json, os, sys, time
from pathlib import Path
from rag.assistant import Assistant
stop = Path(sys.argv[1])
a = Assistant()
queries = ["mood disorder diagnosis", "federated learning", "zorblaxian protein folding"]
n = 0
while True:
    done = stop.exists()
    for q in queries:
        try:
            hits = a.search(q, k=5)
            print(json.dumps({"q": q, "ok": True, "ids": [h.paper.paper_id for h in hits],
                              "titles": [h.paper.title for h in hits]}), flush=True)
        except Exception as e:
            print(json.dumps({"q": q, "ok": False, "error": f"{type(e).__name__}: {e}"}),
                  flush=True)
        n += 1
    if done:
        break
    time.sleep(0.05)
"""


def _extra_corpus(path: Path, n: int) -> None:
    """n new abstracts, each naming a made-up protein so readers can tell when they appear."""
    recs = []
    for i in range(n):
        recs.append(
            {
                "id": f"zorb-{i}",
                "title": f"Zorblaxian protein folding study {i}",
                "text": f"We study the folding of the zorblaxian protein variant Z{i} with "
                "molecular dynamics, and find that two salt bridges stabilise the native state "
                f"across {i + 3} temperatures; mutating either one unfolds the protein.",
            }
        )
    path.write_text("\n".join(json.dumps(r) for r in recs) + "\n")


def test_two_readers_while_a_third_process_ingests(server, tmp_path):
    store = tmp_path / "store"
    ingest([CORPUS], _settings(server, store), progress=False)
    extra = tmp_path / "extra.jsonl"
    _extra_corpus(extra, 40)
    env = {**server.env(store), "RAG_EMBED_BACKEND": "onnx"}
    stop = tmp_path / "stop"
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(stop)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for _ in range(2)
    ]
    try:
        writer = subprocess.run(
            [str(RAG), "ingest", str(extra), "--quiet", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert writer.returncode == 0, writer.stderr
        assert len(json.loads(writer.stdout)["added"]) == 40
    finally:
        stop.touch()
        outs = [r.communicate(timeout=120) for r in readers]
    for (stdout, stderr), r in zip(outs, readers, strict=True):
        assert r.returncode == 0, stderr
        rows = [json.loads(line) for line in stdout.splitlines()]
        errors = [row["error"] for row in rows if not row["ok"]]
        assert not errors, errors[:3]
        mood = [row for row in rows if row["q"] == "mood disorder diagnosis"]
        assert mood and all(row["ids"] for row in mood)
        # the last round, after the writer finished, sees the new papers
        last = [row for row in rows if row["q"] == "zorblaxian protein folding"][-1]
        assert last["titles"] and all(t.startswith("Zorblaxian") for t in last["titles"])
    final = Assistant(_settings(server, store))
    assert len(final.papers()) == 90
    assert final.store.vectors_match()


def test_migrate_copies_an_embedded_index_to_the_server_without_re_embedding(
    server, store_copy, monkeypatch
):
    import rag.embed
    import rag.ingest.write
    from rag.store.migrate import copy_to_server

    local = Assistant(get_settings(store=store_copy))
    expected = [h.paper.paper_id for h in local.search(QUERY, k=5)]
    n_chunks = local.store.collection.count()
    local.store.close()
    settings = _settings(server, store_copy)

    # before: a server-mode reader refuses and names the command that fixes it
    with pytest.raises(StoreError, match="rag migrate"):
        Assistant(settings).search(QUERY, k=5)

    def refuse(*args, **kwargs):
        raise AssertionError("migrate must not embed anything")

    with monkeypatch.context() as m:  # no embedding model reachable during the copy
        m.setattr(rag.embed, "get_embedder", refuse)
        m.setattr(rag.ingest.write, "get_embedder", refuse)
        report = copy_to_server(settings, progress=False)
    assert (report.papers, report.chunks, report.copied, report.already) == (
        50,
        n_chunks,
        n_chunks,
        0,
    )
    assert _server_counts(server)[report.collection] == n_chunks

    # a fresh process reads through the server and finds what the embedded index found
    assert _cli_search_ids(server, store_copy) == expected

    # a copy cut short (half the chunks missing) plus a stray chunk: running it again finishes
    import chromadb

    coll = chromadb.HttpClient(host="127.0.0.1", port=server.port).get_collection(report.collection)
    ids = sorted(coll.get(include=[])["ids"])
    coll.delete(ids=ids[::2])
    coll.add(ids=["stray:0"], embeddings=[[0.1] * 384], documents=["x"], metadatas=[{"a": 1}])
    out = subprocess.run(
        [str(RAG), "migrate", "--json"],
        env=server.env(store_copy),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    again = json.loads(out.stdout)
    assert (again["copied"], again["already"], again["removed"]) == (
        len(ids[::2]),
        n_chunks - len(ids[::2]),
        1,
    )
    assert coll.count() == n_chunks
    # and the index is consistent for a server-mode ingest: nothing to repair or embed
    rerun = ingest([CORPUS], settings, progress=False)
    assert not rerun.changed and rerun.repaired == 0


def test_migrate_without_a_server_or_an_embedded_index_says_what_to_do(tmp_path, store_copy):
    env = {**os.environ, "RAG_STORE": str(store_copy)}
    env.pop("RAG_CHROMA_HOST", None)
    out = subprocess.run([str(RAG), "migrate"], env=env, capture_output=True, text=True)
    assert out.returncode == 1 and "set RAG_CHROMA_HOST" in out.stderr
    env = {**env, "RAG_STORE": str(tmp_path / "empty"), "RAG_CHROMA_HOST": "127.0.0.1"}
    out = subprocess.run([str(RAG), "migrate"], env=env, capture_output=True, text=True)
    assert out.returncode == 1 and "no embedded index" in out.stderr
