"""Named collections in one store: each its own papers, and a question in one never cites another's.

Real Chroma, the real embedding model, the real `rag` command. Collection "b" holds exact copies
(same title and abstract, other ids) of bundled papers that answer the questions below, plus one
paper the default collection lacks: only the isolation of the collections keeps their citations
apart, never a difference of content.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import QUESTIONS

RAG = str(Path(sys.executable).with_name("rag"))

# questions the bundled abstracts answer (each paper is copied into "b")
QS = [
    "Which paper distills multi-agent debate into one model?",
    "Which work unlearns private facts from multimodal LLMs?",
    "Is there a multi-agent approach for diagnosing mood disorders?",
]
BREAD = "How long should a sourdough starter ferment before baking bread?"
BREAD_PAPER = {
    "id": "b-sourdough",
    "title": "Fermentation time of sourdough starters and the rise of wheat bread",
    "abstract": (
        "We measured how long a sourdough starter must ferment before baking. Starters "
        "fermented for 8 to 12 hours at 24 degrees gave bread with the highest rise and the "
        "most open crumb; starters fermented for 4 hours gave dense bread. Lactic acid bacteria "
        "counts rose with fermentation time, and wheat bread baked from a 12-hour starter kept "
        "its volume best."
    ),
    "year": 2021,
}


def _ids(d: dict) -> set[str]:
    return {c["paper_id"] for c in d.get("citations") or []} | {
        s["paper_id"] for s in d.get("sources") or []
    }


@pytest.fixture(scope="module")
def two(seed_store, tmp_path_factory):
    """A store whose default collection holds the 50 bundled papers and whose collection "b"
    holds copies of the papers that answer QS (ids "b-...") and a sourdough paper."""
    from rag.assistant import Assistant
    from rag.config import get_settings

    root = tmp_path_factory.mktemp("collections")
    store = root / "store"
    shutil.copytree(seed_store, store, ignore=shutil.ignore_patterns(".lock"))
    a = Assistant(get_settings(store=store))
    copied: dict[str, dict] = {}
    for q in QS:
        for c in a.ask(q).to_dict()["citations"][:1]:
            p = a.paper(c["paper_id"])
            copied[p.paper_id] = {"id": "b-" + p.paper_id, "title": p.title, "abstract": p.text}
    assert len(copied) == len(QS)
    src = root / "b.jsonl"
    rows = [*copied.values(), BREAD_PAPER]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = a.ingest([src], progress=False, collection="b")
    assert len(report.added) == len(rows) and not report.rejected
    a_ids = {p.paper_id for p in a.papers()}
    b_ids = {p.paper_id for p in a.papers(collection="b")}
    assert b_ids == {r["id"] for r in rows} and not a_ids & b_ids
    yield {"store": store, "assistant": a, "a": a_ids, "b": b_ids, "copied": copied}
    a.reset()
    a.in_collection("b").reset()


def _questions() -> list[str]:
    qs = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines()[:8]]
    return [*QS, BREAD, *qs]


def test_library_questions_stay_in_their_collection(two):
    a = two["assistant"]
    for q in _questions():
        in_a = a.ask(q).to_dict()
        in_b = a.ask(q, collection="b").to_dict()
        assert _ids(in_a) <= two["a"], q
        assert _ids(in_b) <= two["b"], q
    # the copies answer in "b" as their originals do in the default collection
    for q in QS:
        cited = {c["paper_id"] for c in a.ask(q, collection="b").to_dict()["citations"]}
        assert cited & {"b-" + pid for pid in two["copied"]}, q
    bread_a, bread_b = a.ask(BREAD).to_dict(), a.ask(BREAD, collection="b").to_dict()
    assert "b-sourdough" not in _ids(bread_a)
    assert [c["paper_id"] for c in bread_b["citations"]][:1] == ["b-sourdough"]
    # search, summaries and the paper list are per collection too
    assert {h.paper.paper_id for h in a.search(BREAD, k=10, collection="b")} <= two["b"]
    assert {h.paper.paper_id for h in a.search(BREAD, k=10)} <= two["a"]
    s = a.summarize("multi-agent debate", collection="b").to_dict()
    assert {c["paper_id"] for c in s["citations"]} <= two["b"]
    assert a.count() == 50 and a.count(collection="b") == len(two["b"])
    # each collection's vectors are its own Chroma collection: its chunks, no other's
    assert a.store.vectors_match() and a.in_collection("b").store.vectors_match()
    assert a.store.chroma_name != a.in_collection("b").store.chroma_name


def _run(args, store, stdin=None, check=True, env=None):
    e = {**os.environ, "RAG_STORE": str(store), **(env or {})}
    p = subprocess.run(
        [RAG, *args], input=stdin, capture_output=True, text=True, env=e, timeout=300
    )
    if check:
        assert p.returncode == 0, p.stderr
    return p


@pytest.mark.slow
def test_cli_questions_stay_in_their_collection(two):
    store = two["store"]
    qs = "".join(q + "\n" for q in _questions())
    for args, allowed in (
        (["ask", "-", "--json"], "a"),
        (["ask", "-", "--json", "--collection", "b"], "b"),
    ):
        lines = _run(args, store, stdin=qs).stdout.strip().splitlines()
        assert len(lines) == len(_questions())
        for line in lines:
            d = json.loads(line)
            assert _ids(d) <= two[allowed], (allowed, d["question"])
    bread = json.loads(_run(["ask", BREAD, "--json", "--collection", "b"], store).stdout)
    assert bread["citations"][0]["paper_id"] == "b-sourdough"
    # RAG_COLLECTION chooses it too
    env_b = json.loads(_run(["ask", BREAD, "--json"], store, env={"RAG_COLLECTION": "b"}).stdout)
    assert env_b["citations"][0]["paper_id"] == "b-sourdough"
    papers = json.loads(_run(["papers", "--json", "--collection", "b"], store).stdout)
    assert {p["paper_id"] for p in papers} == two["b"]
    listed = json.loads(_run(["collections", "--json"], store).stdout)
    assert listed == [{"name": "default", "papers": 50}, {"name": "b", "papers": len(two["b"])}]
    status = json.loads(_run(["status", "--json", "--collection", "b"], store).stdout)
    assert status["collection"] == "b" and status["papers"] == len(two["b"])


@pytest.mark.slow
def test_cli_bad_and_unknown_names_say_what_to_do(two):
    store = two["store"]
    bad = _run(["ask", "x", "--collection", "Bad Name!"], store, check=False)
    assert bad.returncode == 2 and "lower-case letters" in bad.stderr
    upper = _run(["papers", "--collection", "Bio"], store, check=False)
    assert upper.returncode == 2 and "use 'bio'" in upper.stderr
    missing = _run(["ask", "x", "--collection", "nope"], store, check=False)
    assert missing.returncode == 1 and "no collection 'nope'" in missing.stderr
    assert "rag collections" in missing.stderr and "Traceback" not in missing.stderr


def test_default_collection_is_the_store_as_it_was(seed_store):
    """A store made before collections is its default collection: same folder, same Chroma
    collection, nothing re-embedded."""
    from rag.config import get_settings
    from rag.store import Store

    s = get_settings(store=seed_store)
    st = Store(s)
    try:
        assert st.index_dir == seed_store / s.collection_name()
        assert st.chroma_name == s.collection_name()
        assert st.count() == 50 and st.vectors_match()
    finally:
        st.close()


def test_names_are_checked():
    from rag.errors import ConfigError
    from rag.store.collections import check_name

    assert check_name(None) == check_name("") == check_name(" default ") == "default"
    assert check_name("sleep-2024") == "sleep-2024"
    for bad in ("Bio", "a b", "../x", "x.y", "-x", "x-", "a" * 33, "é"):
        with pytest.raises(ConfigError, match="lower-case letters"):
            check_name(bad)


def test_create_rebuild_and_delete_leave_other_collections_alone(store_copy, tmp_path):
    from rag.assistant import Assistant
    from rag.config import get_settings
    from rag.errors import ConfigError, NotFound, StoreError

    a = Assistant(get_settings(store=store_copy))
    with pytest.raises(NotFound, match="no collection 'empty'"):
        a.ask("anything", collection="empty")
    a.create_collection("empty")
    assert [(i.name, i.papers) for i in a.collections()] == [("default", 50), ("empty", 0)]
    ans = a.ask(BREAD, collection="empty")
    assert ans.abstained and not ans.citations
    # a named collection is never filled from the bundled corpus by an ingest without paths
    assert a.ingest(progress=False, collection="empty").total == 0
    src = tmp_path / "bread.jsonl"
    src.write_text(json.dumps(BREAD_PAPER) + "\n")
    a.ingest([src], progress=False, collection="empty")
    a.ingest([src], progress=False, rebuild=True, collection="empty")
    assert a.count(collection="empty") == 1 and a.count() == 50  # rebuild: this one only
    with pytest.raises(ConfigError, match="cannot be deleted"):
        a.delete_collection("default")
    assert a.delete_collection("empty") == 1
    assert [i.name for i in a.collections()] == ["default"]
    assert a.count() == 50 and a.ask(QS[0]).citations
    with pytest.raises((NotFound, StoreError)):
        a.count(collection="empty")
    # its vectors are gone from Chroma, the default collection's are whole
    import chromadb

    client = chromadb.PersistentClient(path=str(store_copy / "chroma"))
    assert [c.name for c in client.list_collections()] == [get_settings().collection_name()]
    a.reset()


@pytest.mark.slow
def test_cli_create_and_delete_with_confirmation(store_copy):
    out = _run(["collections", "create", "notes"], store_copy).stdout
    assert "created the collection 'notes'" in out
    no = _run(["collections", "delete", "notes"], store_copy, stdin="n\n", check=False)
    assert no.returncode == 1 and "Aborted" in no.stderr
    assert "notes" in _run(["collections"], store_copy).stdout
    yes = _run(["collections", "delete", "notes"], store_copy, stdin="y\n")
    assert "deleted the collection 'notes'" in yes.stdout
    assert "notes" not in _run(["collections"], store_copy).stdout
    gone = _run(["collections", "delete", "notes", "--yes"], store_copy, check=False)
    assert gone.returncode == 1 and "no collection 'notes'" in gone.stderr


def test_ui_handlers_stay_in_the_chosen_collection(two):
    from ui.handlers import Handlers

    h = Handlers(two["assistant"])
    assert h.collections() == ["default", "b"]
    for name, allowed in (("", "a"), ("default", "a"), ("b", "b")):
        on = h.on(name)
        for q in [*QS, BREAD]:
            turns, _html = list(on.chat(q, [], k=5))[-1]
            d = turns[-1]["result"]
            assert _ids(d) <= two[allowed], (name, q)
            assert set(turns[-1]["abstracts"]) <= two[allowed]
            assert _ids(on.ask(q)) <= two[allowed]
        assert "b-sourdough" in h.on("b").browse("sourdough starter")
        assert "b-sourdough" not in h.on(name).browse("sourdough starter") or allowed == "b"
        assert f"collection <b>{name or 'default'}</b>" in on.status_line()
    summary = h.on("b").summarize("multi-agent debate")
    assert {c["paper_id"] for c in summary["citations"]} <= two["b"]
    with pytest.raises(Exception, match="no collection 'nope'"):
        h.on("nope")


@pytest.mark.slow
def test_http_ask_and_summarize_take_a_collection(two, tmp_path_factory, monkeypatch):
    import httpx
    from gradio_client import Client

    from rag.config import get_settings

    from .test_ui_server import fn_index, launch, run_event

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path_factory.mktemp("gradio-coll")))
    settings = get_settings(store=two["store"])
    app, url = launch(settings, two["store"].parent)
    try:
        client = Client(url, verbose=False)
        for q in [*QS, BREAD]:
            in_a = client.predict(q, api_name="/ask")  # the server's own: the default one
            in_b = client.predict(q, "b", api_name="/ask_in")
            assert _ids(in_a) <= two["a"] and _ids(in_b) <= two["b"], q
            in_default = client.predict(q, "default", api_name="/ask_in")
            assert _ids(in_default) <= two["a"], q
            filtered = client.predict(q, "b", "2000-2030", "", "", "", api_name="/ask_in")
            assert _ids(filtered) <= two["b"], q
        bread = client.predict(BREAD, "b", api_name="/ask_in")
        assert bread["citations"][0]["paper_id"] == "b-sourdough"
        s = client.predict("multi-agent debate", "b", api_name="/summarize_in")
        assert s["citations"] and {c["paper_id"] for c in s["citations"]} <= two["b"]
        bad = client.predict(BREAD, "nope", api_name="/ask_in")
        assert bad["abstained"] and "no collection 'nope'" in bad["error"]
        assert "lower-case" in client.predict(BREAD, "No!", api_name="/ask_in")["error"]
        # over plain HTTP, as curl would (every input given: "" for no filter)
        data = [BREAD, "b", "", "", "", ""]
        r = httpx.post(f"{url}/gradio_api/call/ask_in", json={"data": data}, timeout=60)
        assert r.status_code == 200, r.text
        with httpx.stream(
            "GET", f"{url}/gradio_api/call/ask_in/{r.json()['event_id']}", timeout=120
        ) as got:
            body = "".join(got.iter_text())
        assert "b-sourdough" in body, body[:500]
        # the browser's chat event, with the collection picker's value as its last input; the
        # page it returns shows each cited (and other) paper's id
        chat = fn_index(app, "on_chat")
        for coll, allowed in (("default", "a"), ("b", "b")):
            for q in (*QS, BREAD):
                data = [q, [], 5, "auto", "", "", "", "", "", "", "", coll]
                out, _ = run_event(url, chat, data)
                shown = set(re.findall(r"<code>([^<]+)</code>", out["data"][1]))
                shown &= two["a"] | two["b"]
                assert shown <= two[allowed], (coll, q, shown)
                assert shown or (q, coll) == (BREAD, "default"), (coll, q)  # abstains there
    finally:
        app.close()


def test_eval_runs_in_the_chosen_collection(two, tmp_path):
    from rag.config import get_settings
    from rag.eval.runs import run_eval

    qfile = tmp_path / "q.jsonl"
    rows = [
        {"id": f"c{i}", "type": "single", "kind": "method", "split": "test", "question": q}
        | {"gold": ["b-" + pid], "facts": []}
        for i, (q, pid) in enumerate(zip(QS, two["copied"], strict=True))
    ]
    qfile.write_text("".join(json.dumps(r) + "\n" for r in rows))
    settings = get_settings(store=two["store"], collection="b")
    out = run_eval(
        qfile, settings=settings, runs_dir=tmp_path / "runs", progress=False, log=lambda m: None
    )
    text = (out.run_dir / "results.jsonl").read_text()
    assert "b-" in text
    for pid in two["a"]:  # no paper id of the default collection (the copies are "b-<id>")
        assert not re.search(rf"(?<![\w-]){re.escape(pid)}", text), pid
    meta = json.loads((out.run_dir / "run.json").read_text())
    assert meta["settings_overrides"]["collection"] == "b"


@pytest.mark.slow
def test_listing_collections_imports_nothing_heavy(two):
    from .test_startup import NEVER_FOR_HELP
    from .test_startup import _run as probe

    stdout, mods = probe(["collections"], store=two["store"])
    assert stdout.split() == ["default", "50", "papers", "b", str(len(two["b"])), "papers"]
    assert not (mods & NEVER_FOR_HELP), mods & NEVER_FOR_HELP


def test_a_collection_built_with_other_settings_names_itself_in_the_fix(tmp_path):
    from rag.assistant import Assistant
    from rag.config import get_settings
    from rag.errors import StoreIncompatible

    src = tmp_path / "bread.jsonl"
    src.write_text(json.dumps(BREAD_PAPER) + "\n")
    store = tmp_path / "store"
    a = Assistant(get_settings(store=store))
    a.ingest([src], progress=False, collection="baking")
    a.reset()
    other = Assistant(get_settings(store=store, chunk_size=128, collection="baking"))
    with pytest.raises(StoreIncompatible, match=r"rag ingest --collection baking --rebuild"):
        other.count()
    infos = {i.name: i for i in other.collections()}
    assert infos["baking"].papers is None and "other settings" in infos["baking"].note
    a.in_collection("baking").reset()


def test_the_browser_handlers_make_and_delete_collections(store_copy):
    """The sidebar's New / Delete: a bad name and the default collection are refused in browser
    words, a writer holding the store is waited for, and a deleted collection is gone whole."""
    from rag.assistant import Assistant
    from rag.config import get_settings
    from rag.store import collections as colls
    from rag.store.lock import write_lock
    from ui.handlers import Handlers

    settings = get_settings(store=store_copy)
    h = Handlers(Assistant(settings))
    names, chosen, msg = h.create_collection("Bad Name!")
    assert (names, chosen) == (["default"], None) and "not allowed" in msg
    assert h.create_collection("  ")[1] is None
    names, chosen, msg = h.create_collection("notes")
    assert (names, chosen) == (["default", "notes"], "notes") and "rag-ok" in msg
    assert h.create_collection("notes")[:2] == (["default", "notes"], "notes")  # just chosen
    notes = h.on("notes")
    assert "1 added" in notes.add_text(BREAD_PAPER["abstract"], title=BREAD_PAPER["title"])
    assert notes.assistant.count() == 1 and h.assistant.count() == 50

    names, chosen, msg = h.delete_collection("default")
    assert chosen is None and "cannot be deleted here" in msg and h.assistant.count() == 50
    _, chosen, msg = h.delete_collection("")  # the page's confirm was dismissed
    assert chosen is None and "Nothing was deleted" in msg
    with write_lock(store_copy):  # an upload (or `rag ingest`) is writing meanwhile
        names, chosen, msg = h.delete_collection("notes")
    assert chosen is None and "writing to this store" in msg and "notes" in names
    assert "--wait" not in msg and "`rag" not in msg
    names, chosen, msg = h.delete_collection("notes")
    assert (names, chosen) == (["default"], "default") and "its 1 paper." in msg
    assert not colls.exists(settings, "notes") and h.assistant.count() == 50
    # a tab that still shows the deleted collection is told so, in browser words
    names, chosen, msg = h.delete_collection("notes")
    assert chosen is None and "`rag" not in msg
