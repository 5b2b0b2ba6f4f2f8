"""The app launched for real on a free local port: the public API, uploads, file routes, limits."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from rag.assistant import Assistant
from rag.config import get_settings

pytestmark = pytest.mark.slow  # not in `make test-fast`

QUESTION = "How can a model forget specific training data without retraining?"
GLACIER = (
    "We present Glacier-Sense, a method for estimating glacier melt rates from sparse "
    "seismometer readings with graph neural networks. On twelve Alpine glaciers it lowers the "
    "error of melt estimates by 31 percent relative to degree-day models."
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(settings, tmp: Path):
    """Build and launch the app as `rag ui` does; returns (app, base URL)."""
    from ui.app import build_app, launch_kwargs, start, warm_up

    app = build_app(settings)
    warm_up(app.rag_handlers)
    port = free_port()
    kw = launch_kwargs(settings, port=port)
    return app, start(app, settings, kw)


@pytest.fixture(scope="module")
def gradio_tmp(tmp_path_factory):
    """gradio's upload folder for this module (it reads GRADIO_TEMP_DIR when it needs it)."""
    mp = pytest.MonkeyPatch()
    d = tmp_path_factory.mktemp("gradio-uploads")
    mp.setenv("GRADIO_TEMP_DIR", str(d))
    yield d
    mp.undo()


@pytest.fixture(scope="module")
def server(seed_store, tmp_path_factory, gradio_tmp):
    """One launched app over a private copy of the seeded store, with small limits."""
    store = tmp_path_factory.mktemp("ui-server") / "store"
    shutil.copytree(seed_store, store, ignore=shutil.ignore_patterns(".lock"))
    (store / ".env").write_text("OPENAI_API_KEY=sk-do-not-serve-me\n")
    settings = get_settings(
        store=store, ui_max_file_size="100kb", ui_queue_size=2, ui_concurrency=1
    )
    app, url = launch(settings, store.parent)
    yield {"app": app, "url": url, "store": store, "settings": settings}
    app.close()


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server["url"], verbose=False)


def fn_index(app, name: str) -> int:
    """The index the browser uses for one of the app's (private) handlers."""
    for i, fn in app.fns.items():
        if getattr(fn.fn, "__name__", None) == name:
            return i
    raise AssertionError(f"no handler {name}")


def run_event(url: str, index: int, data: list) -> tuple[dict, list[dict]]:
    """Call a handler the way the browser does: join the queue, read the event stream."""
    session = uuid.uuid4().hex
    with httpx.Client(base_url=url, timeout=120) as h:
        r = h.post(
            "/gradio_api/queue/join",
            json={"data": data, "fn_index": index, "session_hash": session, "event_data": None},
        )
        assert r.status_code == 200, r.text
        messages: list[dict] = []
        with h.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as s:
            for line in s.iter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                messages.append(msg)
                if msg.get("msg") == "process_completed":
                    return msg["output"], messages
    raise AssertionError(f"the event did not complete: {messages}")


def upload(url: str, name: str, content: bytes) -> httpx.Response:
    return httpx.post(f"{url}/gradio_api/upload", files={"files": (name, content)}, timeout=60)


# --- the public API ----------------------------------------------------------------------------
def test_only_ask_summarize_and_check_are_public(client):
    api = client.view_api(return_format="dict", print_info=False)
    # /ask and /summarize take one input; their filtered forms take the filters too, and the
    # _in forms a collection of the store and the filters
    assert set(api["named_endpoints"]) == {
        "/ask",
        "/summarize",
        "/check",
        "/ask_filtered",
        "/summarize_filtered",
        "/ask_in",
        "/summarize_in",
    }
    assert not api["unnamed_endpoints"]
    with pytest.raises(ValueError):
        client.predict("x", api_name="/on_chat")


def test_ask_returns_what_rag_ask_json_prints(client, server):
    got = client.predict(QUESTION, api_name="/ask")
    want = Assistant(server["settings"]).ask(QUESTION).to_dict()  # what `rag ask --json` prints
    assert set(got) == set(want)
    for key in ("question", "answer", "abstained", "citations", "sources", "backend"):
        assert got[key] == want[key], key
    assert got["citations"] and set(got["timings_ms"]) >= {"retrieve", "answer"}


def test_summarize_endpoint(client, server):
    got = client.predict("federated learning", api_name="/summarize")
    assert {"topic", "summary", "abstained", "themes", "citations"} <= set(got)
    want = Assistant(server["settings"]).summarize("federated learning").to_dict()
    for key in ("topic", "summary", "abstained", "themes", "citations"):
        assert got[key] == want[key], key  # what `rag summarize --json` prints
    assert not got["abstained"] and got["citations"] and got["themes"]


# --- uploads ------------------------------------------------------------------------------------
def test_upload_is_indexed_with_progress_and_becomes_searchable(client, server):
    line = json.dumps({"title": "Glacier-Sense", "abstract": GLACIER}) + "\n"
    r = upload(server["url"], "glacier.jsonl", line.encode())
    assert r.status_code == 200, r.text
    (path,) = r.json()
    file_data = {"path": path, "orig_name": "glacier.jsonl", "meta": {"_type": "gradio.FileData"}}
    out, messages = run_event(
        server["url"], fn_index(server["app"], "on_add_files"), [[file_data], "default"]
    )
    assert out.get("error") is None, out
    report = out["data"][0]
    assert "1 added" in report and "51 papers in the index" in report and "Glacier-Sense" in report
    # the page showed the upload's progress bar while indexing
    assert any(
        "<progress" in json.dumps(m) for m in messages if m.get("msg") != "process_completed"
    )
    saved = list((server["store"] / "uploads").iterdir())
    assert [p.name.endswith("-glacier.jsonl") for p in saved] == [True]
    # the same server answers from the new paper at once
    got = client.predict("How are glacier melt rates estimated from seismometers?", api_name="/ask")
    assert got["citations"][0]["title"] == "Glacier-Sense"
    # the corpus tab finds it too
    listing, _ = run_event(
        server["url"],
        fn_index(server["app"], "on_browse"),
        ["glacier", 1, "", "", "", "", "default"],
    )
    assert "Glacier-Sense" in listing["data"][0]


def test_upload_size_is_limited(server):
    r = upload(server["url"], "big.txt", b"Abstract: " + b"word " * 30_000)  # ~150 kB > 100kb
    assert r.status_code == 413


# --- what the file routes serve -------------------------------------------------------------------
def test_file_routes_serve_uploads_and_nothing_else(server, gradio_tmp, tmp_path):
    url = server["url"]
    r = upload(url, "ok.txt", b"Abstract: fine")
    (served,) = r.json()
    assert httpx.get(f"{url}/gradio_api/file={served}").status_code == 200  # the route works

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    rel = Path("..", "..", *secret.relative_to("/").parts)
    store = server["store"]
    targets = [
        "/etc/passwd",
        str(store),
        str(store / ".env"),
        str(next(store.glob("*/papers.sqlite"))),
        str(secret),
        f"{gradio_tmp}/{rel}",  # ../ out of the upload folder
        f"{gradio_tmp}/../../../../etc/passwd",
        "../../../../etc/passwd",
        ".env",
        "../.env",
        str(Path.cwd() / ".env"),
        str(Path(__file__).resolve()),
    ]
    for t in targets:
        for route in (
            f"/gradio_api/file={t}",
            f"/gradio_api/file={quote(t, safe='')}",
            f"/file={t}",
            f"/gradio_api/file/{t}",
        ):
            r = httpx.get(url + route)
            assert r.status_code in (403, 404), (route, r.status_code)
            assert "TOP-SECRET" not in r.text and "sk-do-not-serve-me" not in r.text
            assert "root:" not in r.text


def test_no_remote_fetching_and_security_headers(server):
    url = server["url"]
    for target in ("http://example.org/x.png", "https://127.0.0.1:1/", "//example.org/x"):
        for route in (f"/gradio_api/file={target}", f"/gradio_api/file={quote(target, safe='')}"):
            r = httpx.get(url + route)
            assert r.status_code == 403 and r.text == "Remote files are not served.", route
    page = httpx.get(url + "/")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "img-src 'self' data: blob:" in csp and "connect-src 'self'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"


# --- limits -------------------------------------------------------------------------------------
def test_a_burst_gets_busy_and_the_server_lives_on(client, server):
    index = fn_index(server["app"], "ask")
    start = threading.Barrier(12)
    codes: list[int] = []
    answered: list[bool] = []

    def join(i: int) -> None:
        session = uuid.uuid4().hex
        with httpx.Client(base_url=server["url"], timeout=120) as h:
            start.wait()
            r = h.post(
                "/gradio_api/queue/join",
                json={"data": [f"{QUESTION} ({i})"], "fn_index": index, "session_hash": session},
            )
            codes.append(r.status_code)
            if r.status_code == 503:
                assert "Queue is full" in r.text
                return
            with h.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as s:
                for line in s.iter_lines():
                    if line.startswith("data:") and '"process_completed"' in line:
                        msg = json.loads(line[5:])
                        answered.append(bool(msg["output"]["data"][0]["citations"]))
                        return

    threads = [threading.Thread(target=join, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 503 in codes and 200 in codes and set(codes) <= {200, 503}
    assert answered == [True] * codes.count(200)  # every accepted request was answered
    assert client.predict(QUESTION, api_name="/ask")["citations"]  # still answering


def test_login_when_configured(seed_store, gradio_tmp, tmp_path, monkeypatch):
    from gradio_client import Client

    monkeypatch.setenv("RAG_UI_USER", "ada")
    monkeypatch.setenv("RAG_UI_PASSWORD", "correct horse")
    app, url = launch(get_settings(store=seed_store), tmp_path)
    try:
        assert httpx.get(f"{url}/gradio_api/info").status_code == 401
        assert (
            httpx.post(f"{url}/gradio_api/upload", files={"files": ("a.txt", b"x")}).status_code
            == 401
        )
        bad = httpx.post(f"{url}/login", data={"username": "ada", "password": "nope"})
        assert bad.status_code >= 400
        with pytest.raises(Exception):  # noqa: B017 - any refusal will do, as long as it refuses
            Client(url, verbose=False)
        got = Client(url, auth=("ada", "correct horse"), verbose=False).predict(
            QUESTION, api_name="/ask"
        )
        assert got["citations"]
    finally:
        app.close()
