"""The UI's handlers and HTML as plain functions: no server, the real engine underneath."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from rag.assistant import Assistant
from rag.config import REPO_DIR, get_settings
from rag.errors import ConfigError
from ui import render
from ui.app import blocked_paths, launch_kwargs, load_auth
from ui.handlers import PAGE_SIZE, Handlers

from .conftest import ASK_KEYS

PAYLOAD = (
    "Quokka fur absorbs 40 percent of midday sunlight <script>window.__pwned=1</script> "
    '<img src=x onerror="window.__pwned=2"> ![x](http://127.0.0.1:9/leak) ${7*7} {{value}} '
    "according to our quokka fur telemetry."
)
# the only tags ui.render writes
ALLOWED_TAGS = {
    "div", "span", "p", "br", "ul", "li", "a", "b", "i", "strong", "code", "mark",
    "blockquote", "details", "summary", "h3", "h4", "table", "tr", "th", "td",
    "button",  # the copy buttons under an answer (no data in them)
}  # fmt: skip


class TagAudit(HTMLParser):
    """Every tag and attribute in a piece of HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data):
        self.text.append(data)


def audit(html: str) -> TagAudit:
    a = TagAudit()
    a.feed(html)
    a.close()
    return a


def assert_inert(html: str) -> None:
    """Only our own tags; no event handlers, no src, links only to cards or http(s) pages."""
    a = audit(html)
    assert set(a.tags) <= ALLOWED_TAGS, set(a.tags) - ALLOWED_TAGS
    for name, value in a.attrs:
        assert not name.startswith("on"), (name, value)
        assert name not in ("src", "srcset", "style", "action", "formaction"), name
        if name == "href":
            assert value.startswith("#src-") or render.safe_url(value), value
    assert "${" not in html and "{{" not in html  # gradio's template syntax never survives


@pytest.fixture(scope="module")
def handlers(seed_store) -> Handlers:
    return Handlers(Assistant(get_settings(store=seed_store)))


@pytest.fixture
def writable(store_copy) -> Handlers:
    return Handlers(Assistant(get_settings(store=store_copy)))


# --- rendering ---------------------------------------------------------------------------------
def test_escape_makes_markup_and_template_syntax_inert():
    out = render.esc(PAYLOAD)
    assert "<" not in out and ">" not in out and "$" not in out and "{" not in out
    # the reader still sees exactly what the abstract says
    assert "".join(audit(f"<p>{out}</p>").text) == PAYLOAD


@pytest.mark.parametrize(
    "url,ok",
    [
        ("https://github.com/org/repo", True),
        ("http://example.org/x?a=1", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>", False),
        ('https://a.b/x"onmouseover=alert(1)', False),
        ("https://user:pw@evil.example/", False),
        ("//evil.example/x", False),
        ("https:///nohost", False),
        (None, False),
    ],
)
def test_only_plain_http_urls_become_links(url, ok):
    assert (render.safe_url(url) is not None) is ok
    html = render.link(url, "code")
    assert ("<a " in html) is ok


def test_markers_link_to_their_cards_and_unknown_numbers_stay_text():
    html = render.cite_links("A [1]. B [2, 3]. C [9].", 4, {1: "t1", 2: "t2", 3: "t3"})
    assert re.findall(r'href="#src-4-(\d)"', html) == ["1", "2", "3"]
    assert "[9]" in html and "#src-4-9" not in html


def test_card_marks_the_supporting_sentence_inside_its_passage():
    abstract = (
        "Background one is here. Context two precedes it. The key finding is that X beats Y by "
        "ten points. Context four follows. Unrelated five. Unrelated six."
    )
    c = {
        "n": 2,
        "paper_id": "p1",
        "title": "T",
        "snippet": "The key finding is that X beats Y by ten points.",
        "support": 0.81,
        "url": "https://github.com/x/y",
    }
    html = render.source_card(0, c, abstract, [], "close match")
    assert 'id="src-0-2"' in html
    passage = re.search(r'<div class="rag-passage">(.*?)</div>', html).group(1)
    assert "<mark>The key finding is that X beats Y by ten points.</mark>" in passage
    assert "Context two precedes it." in passage and "Context four follows." in passage
    assert "Background one" not in passage and passage.endswith("…")
    assert "support 0.81" in html and "close match" in html and "relevance 0." not in html
    assert 'href="https://github.com/x/y"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "Full abstract" in html and "Unrelated six." in html  # the whole abstract, folded


def test_hostile_answer_renders_inert():
    d = {
        "question": "q",
        "answer": PAYLOAD + " [1]",
        "abstained": False,
        "citations": [
            {
                "n": 1,
                "paper_id": "p<1>",
                "title": "<b onmouseover=x>T</b>",
                "snippet": PAYLOAD,
                "support": 1.0,
                "url": "javascript:alert(1)",
            }
        ],
        "sources": [{"paper_id": "p<1>", "title": "<i>x</i>", "score": 1.0}],
        "backend": "<script>",
        "timings_ms": {"retrieve": 3.0, "answer": 5.0},
        "sentences": [{"text": PAYLOAD, "citations": [1], "supported": False}],
    }
    html = render.answer_html(0, d, {"p<1>": "Intro sentence here. " + PAYLOAD})
    assert_inert(html)
    assert "<script" not in html and "<img" not in html
    assert "![x](http://127.0.0.1:9/leak)" in "".join(audit(html).text)


def test_meta_line_names_backend_and_times():
    html = render.meta_line(
        {
            "backend": "extractive",
            "timings_ms": {"embed": 10, "dense": 5, "retrieve": 16.0, "answer": 40.0},
            "sources": [{}] * 5,
        }
    )
    assert "extractive" in html and "retrieval 16 ms" in html and "generation 40 ms" in html


# --- asking and chatting -------------------------------------------------------------------------
def test_ask_returns_the_cli_json_shape(handlers, assistant):
    q = "How can a model forget specific training data without retraining?"
    d = handlers.ask(q)
    assert ASK_KEYS <= set(d)
    assert not d["abstained"] and d["citations"] and d["backend"] == "extractive"
    assert {c["paper_id"] for c in d["citations"]} <= {s["paper_id"] for s in d["sources"]}
    ref = assistant.ask(q).to_dict()
    assert d["answer"] == ref["answer"] and d["citations"] == ref["citations"]
    json.dumps(d)  # serialisable as it goes over the API


def test_ask_errors_are_messages_not_tracebacks(handlers):
    d = handlers.ask("   ")
    assert d["abstained"] and "empty" in d["error"] and d["citations"] == []
    d = handlers.ask("what is unlearning?", backend="llm")  # no LLM configured in tests
    assert d["backend"] == "error" and "OPENAI_API_KEY" in d["error"]


def test_chat_streams_then_shows_cards_and_follow_up_keeps_history(handlers):
    updates = list(handlers.chat("How do multi-agent LLM systems coordinate?", []))
    assert len(updates) >= 2
    _, first_html = updates[0]  # shown at once, before retrieval
    assert "Searching the abstracts" in first_html and "rag-streaming" in first_html
    turns, html = updates[-1]
    d = turns[0]["result"]
    assert not d["abstained"] and d["citations"]
    for c in d["citations"]:
        assert f'id="src-0-{c["n"]}"' in html and f'href="#src-0-{c["n"]}"' in html
    assert "answered by" in html and "retrieval" in html and "generation" in html
    assert_inert(html)

    *_, (turns2, html2) = handlers.chat("and which of them use LoRA?", turns)
    assert len(turns2) == 2 and turns2[0]["result"] == d  # the first turn is kept as it was
    d2 = turns2[1]["result"]
    # the follow-up is searched with the conversation's topic, and says so
    assert d2.get("standalone_question", "").startswith("Which of them use LoRA?")
    assert "multi-agent" in d2["standalone_question"]
    assert "searched for:" in html2 and 'data-turn="1"' in html2
    if d2["citations"]:
        assert f'id="src-1-{d2["citations"][0]["n"]}"' in html2

    empty, welcome = Handlers.new_chat()
    assert empty == [] and "rag-welcome" in welcome


def test_number_of_sources_setting(handlers):
    *_, (turns, html) = handlers.chat("How do multi-agent LLM systems coordinate?", [], k=2)
    d = turns[0]["result"]
    assert len(d["sources"]) == 2 and "2 sources searched" in html
    assert all(c["n"] <= 2 for c in d["citations"])
    one = {**d, "sources": d["sources"][:1]}
    assert "1 source searched" in render.meta_line(one) and "1 sources" not in render.meta_line(one)


def test_chat_ignores_an_empty_message(handlers):
    (turns, html), *rest = handlers.chat("  ", [])
    assert turns == [] and not rest and "rag-welcome" in html


def test_chat_reports_an_engine_error_in_the_page(handlers):
    *_, (turns, html) = handlers.chat("what is unlearning?", [], backend="llm")
    assert turns[0]["result"]["error"] and "rag-error" in html and "Traceback" not in html


def test_a_stopped_answer_is_kept_as_far_as_it_got_and_marked(handlers):
    # the state a Stop (or Esc) leaves: the last turn streamed part of its answer, no result
    stopped = [{"question": "What is PerTA?", "partial": "PerTA rescales the task", "result": None}]
    *_, (turns, html) = handlers.chat("How do multi-agent LLM systems coordinate?", stopped)
    assert len(turns) == 2 and turns[1]["result"]["citations"]
    assert "You stopped this answer" in turns[0]["result"]["error"]
    assert "PerTA rescales the task" in turns[0]["result"]["error"]
    assert "rag-caret" not in html and "rag-streaming" not in html
    assert len(handlers._history(turns)) == 1  # the stopped one is no context for follow-ups


# --- corpus ---------------------------------------------------------------------------------------
def test_browse_pages_through_every_paper(handlers, assistant):
    all_ids = {p.paper_id for p in assistant.papers()}
    p1, p2 = handlers.browse("", 1), handlers.browse("", 2)
    ids = set(re.findall(r"<summary>.*?<code>([0-9a-f]+)</code>", p1 + p2))
    assert ids == all_ids and len(all_ids) == 50
    assert f"{len(all_ids)} papers · page 1 of 2" in p1
    assert p1.count('class="rag-paper"') == PAGE_SIZE
    assert handlers.page_count() == 2
    assert_inert(p1 + p2)


def test_browse_search_and_full_paper_fields(handlers, assistant):
    html = handlers.browse("machine unlearning", 1)
    first = assistant.search("machine unlearning", k=1)[0].paper
    assert "matching “machine unlearning”, closest first" in html
    assert html.index(render.esc(first.title)) < html.index("</details>")  # ranked first
    assert render.esc(first.text) in html  # the full abstract
    assert f"<b>source</b> {render.esc(first.source)}" in html


# --- adding abstracts -----------------------------------------------------------------------------
NEW_ABSTRACT = (
    "We present Glacier-Sense, a method for estimating glacier melt rates from sparse "
    "seismometer readings with graph neural networks. On twelve Alpine glaciers it lowers the "
    "error of melt estimates by 31 percent relative to degree-day models. Code is at "
    "https://github.com/example/glacier-sense."
)


def test_pasted_abstract_is_saved_indexed_and_searchable(writable):
    events: list[tuple[float, str]] = []
    html = writable.add_text(NEW_ABSTRACT, "Glacier-Sense", "", lambda f, d: events.append((f, d)))
    assert "1 added, 0 updated" in html and "51 papers in the index" in html
    assert "Glacier-Sense" in html
    saved = list(writable.uploads_dir.iterdir())
    assert len(saved) == 1 and saved[0].suffix == ".jsonl"
    assert json.loads(saved[0].read_text())["title"] == "Glacier-Sense"
    assert events[0][0] == 0.0 and events[-1] == (1.0, "done")
    assert any(d.startswith("embedding") for _, d in events)
    # searchable at once, through the same handlers
    assert "Glacier-Sense" in writable.browse("glacier melt seismometer", 1).split("</details>")[0]
    d = writable.ask("How can glacier melt rates be estimated from seismometers?")
    assert d["citations"][0]["title"] == "Glacier-Sense"
    assert d["citations"][0]["url"] == "https://github.com/example/glacier-sense"
    # the same abstract pasted again is not indexed twice, and the report says why
    again = writable.add_text(NEW_ABSTRACT, "Glacier-Sense")
    assert "0 added, 0 updated, 0 unchanged, 1 rejected · 51 papers" in again
    assert "already indexed from an earlier upload, pasted.jsonl" in again
    assert len(list(writable.uploads_dir.iterdir())) == 1  # the refused copy is not kept


def test_paste_with_markers_or_json_keeps_its_format(writable):
    two = f"Header line\nAbstract: {NEW_ABSTRACT}\nAbstract: too short"
    name, data = writable.paste_to_file(two)
    assert name == "pasted.txt" and data.decode() == two
    name, _ = writable.paste_to_file(json.dumps([{"abstract": NEW_ABSTRACT}]))
    assert name == "pasted.json"
    name, _ = writable.paste_to_file(json.dumps({"abstract": NEW_ABSTRACT}) + "\n{}")
    assert name == "pasted.jsonl"
    html = writable.add_text(two)
    assert "1 added" in html and "1 rejected" in html
    assert "pasted text, line 3, abstract 2" in html and "word(s)" in html


def test_uploaded_files_report_added_and_rejected_with_reasons(writable, tmp_path):
    csv_file = tmp_path / "mine.csv"
    csv_file.write_text(
        f'title,abstract,url\n"Glacier-Sense","{NEW_ABSTRACT}",\n"Tiny","too short",\n',
        encoding="utf-8",
    )
    bad = tmp_path / "paper.pdf"
    bad.write_bytes(b"%PDF-1.4")
    html = writable.add_files([str(csv_file), str(bad)])
    assert "1 added" in html and "2 rejected" in html
    assert "paper.pdf" in html and "not a format the index reads" in html
    assert "mine.csv, line 3" in html and "word(s)" in html
    saved = [p.name for p in writable.uploads_dir.iterdir()]
    assert len(saved) == 1 and saved[0].endswith("-mine.csv")
    assert_inert(html)


def test_an_upload_of_many_bad_lines_is_counted_in_full_and_listed_in_part(writable, tmp_path):
    """3,000 bad lines: the report counts all of them, lists the first ones of the file and
    says how many more there are, and stays small."""
    from rag.parse.common import REJECTS_LISTED_PER_FILE

    f = tmp_path / "flood.jsonl"
    good = json.dumps({"id": "g1", "title": "Glacier-Sense", "abstract": NEW_ABSTRACT})
    f.write_text(good + "\n" + "{not json\n" * 3000, encoding="utf-8")
    html = writable.add_files([str(f)])
    assert "1 added" in html and "3,000 rejected" in html, html[:300]
    assert html.count("<li><code>flood.jsonl, line") == REJECTS_LISTED_PER_FILE
    more = 3000 - REJECTS_LISTED_PER_FILE
    assert f"<code>flood.jsonl</code>: {more:,} more record(s) rejected, not listed" in html
    assert len(html) < 20_000
    assert_inert(html)


def test_upload_with_nothing_usable_leaves_no_file(writable, tmp_path):
    f = tmp_path / "empty.txt"
    f.write_text("no marker here at all", encoding="utf-8")
    html = writable.add_files([f])
    assert "0 added" in html and "no &#x27;Abstract:&#x27; marker" in html
    assert not any(writable.uploads_dir.iterdir())
    assert "Choose a file" in writable.add_files([])
    assert "Paste an abstract" in writable.add_text("  ")


# --- summaries and status -------------------------------------------------------------------------
def test_summarize_endpoint_and_page(handlers, tmp_path):
    d = handlers.summarize("federated learning")
    assert {"topic", "summary", "abstained", "themes", "citations"} <= set(d)
    assert not d["abstained"] and d["citations"] and d["themes"]
    html, path = handlers.summary_page("federated learning", tmp_path)
    assert_inert(html)
    for c in d["citations"]:
        assert f'id="src-sum-{c["n"]}"' in html and f'href="#src-sum-{c["n"]}"' in html
    for th in d["themes"]:
        assert render.esc(th["label"]) in html
    md = Path(path).read_text(encoding="utf-8")
    assert Path(path).parent == tmp_path and path.endswith("summary-federated-learning.md")
    assert all(c["paper_id"] in md for c in d["citations"])
    off = handlers.summarize("protein folding in marine sponges")
    assert off["abstained"] and not off["citations"]
    assert "empty" in handlers.summarize(" ")["error"]


def test_status_says_which_backend_answers_and_why(handlers):
    s = handlers.status()
    assert s["backend"] == "extractive" and s["papers"] == 50
    assert "no OPENAI_API_KEY" in s["why"] and s["llm_url"] is None
    assert s["embed_model"] == "all-MiniLM-L6-v2"
    assert "extractive" in handlers.status_line() and "50 papers" in handlers.status_line()
    table = handlers.status_html()
    assert "Answers come from" in table and "none configured" in table
    assert not handlers.llm_available and handlers.models() == []


# --- with a model server (the fake OpenAI-compatible one) ---------------------------------------
@pytest.fixture(scope="module")
def fake_llm():
    from tests.fake_openai import FakeOpenAI

    with FakeOpenAI(models=["fake-model", "other-model"]) as f:
        yield f


def llm_handlers(store, url: str) -> Handlers:
    s = get_settings(store=store, llm_base_url=url, llm_model="fake-model", llm_timeout=20.0)
    return Handlers(Assistant(s))


LLM_ANSWER = (
    "PerTA rescales the task vector per parameter to unlearn data without retraining [{n}]. "
    "It beats training-based unlearning methods on forgetting and utility [{n}]."
)


def perta_reply(chunk: int = 6):
    """A reply that cites the PerTA source by the number the prompt gave it."""
    from tests.fake_openai import Reply

    def write(body: dict):
        m = re.search(r'<source id="(\d+)" title="PerTA', body["messages"][-1]["content"])
        return Reply.text(LLM_ANSWER.format(n=m.group(1)), chunk=chunk)

    return Reply.call(write)


def test_llm_answer_streams_into_the_page(seed_store, fake_llm):
    fake_llm.reset()
    fake_llm.script(perta_reply(chunk=6))
    h = llm_handlers(seed_store, fake_llm.url)
    h.repaint_every = 0.0  # every delta repaints, so each step of the stream can be seen
    assert h.llm_available and h.backend() == "llm: fake-model"
    assert "RAG_LLM_BASE_URL is set" in h.status()["why"]
    assert h.models() == ["fake-model", "other-model"]
    updates = [html for _, html in h.chat("How does PerTA unlearn data without retraining?", [])]
    streaming = [
        re.search(r'<div class="rag-answer rag-streaming">(.*?)<span class="rag-pending">', u)
        for u in updates
    ]
    partials = [audit(m.group(1)).text for m in streaming if m and m.group(1)]
    texts = ["".join(t) for t in partials]
    assert len(texts) >= 10  # the answer grew on screen, a few characters at a time
    assert all(len(b) > len(a) and b.startswith(a) for a, b in zip(texts, texts[1:], strict=False))
    final = updates[-1]
    assert "rag-streaming" not in final and 'class="rag-card"' in final
    assert "answered by <b>llm: fake-model</b>" in final
    assert "PerTA rescales the task vector" in final and "support" in final
    assert_inert(final)
    assert fake_llm.count() == 1


def test_session_model_goes_to_the_server(seed_store, fake_llm):
    fake_llm.reset()
    fake_llm.script(perta_reply())
    h = llm_handlers(seed_store, fake_llm.url)
    *_, (turns, html) = h.chat(
        "How does PerTA unlearn data without retraining?", [], model="other-model"
    )
    assert fake_llm.chat_requests()[-1].body["model"] == "other-model"
    assert "answered by <b>llm: other-model</b>" in html
    # one answerer per model, sharing the assistant's index; the configured one is the default
    assert h.assistant.llm_for("other-model") is h.assistant.llm_for("other-model")
    assert h.assistant.llm_for("fake-model") is h.assistant.llm


# --- safe launch defaults -------------------------------------------------------------------------
def test_login_from_environment(monkeypatch, tmp_path):
    assert load_auth(get_settings()) is None
    monkeypatch.setenv("RAG_UI_USER", "ada")
    monkeypatch.setenv("RAG_UI_PASSWORD", "s3cret:x")
    check = load_auth(get_settings())
    assert check("ada", "s3cret:x") and not check("ada", "wrong") and not check("bob", "s3cret:x")
    monkeypatch.delenv("RAG_UI_PASSWORD")
    with pytest.raises(ConfigError, match="RAG_UI_PASSWORD"):
        load_auth(get_settings())


def test_login_from_file(monkeypatch, tmp_path):
    f = tmp_path / "users"
    f.write_text("# team\nada:one\n\nbob:two:three\n", encoding="utf-8")
    monkeypatch.setenv("RAG_UI_AUTH_FILE", str(f))
    check = load_auth(get_settings())
    assert check("ada", "one") and check("bob", "two:three") and not check("ada", "two:three")
    f.write_text("ada\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 1: expected 'user:password'"):
        load_auth(get_settings())
    monkeypatch.setenv("RAG_UI_AUTH_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="cannot read the login file"):
        load_auth(get_settings())


def test_launch_defaults_are_safe(tmp_path):
    s = get_settings(store=tmp_path / "st")
    kw = launch_kwargs(s)
    assert kw["server_name"] == "127.0.0.1" and kw["share"] is False
    assert kw["max_file_size"] == "5mb" and kw["allowed_paths"] == []
    assert kw["auth"] is None and kw["show_error"] is False
    blocked = blocked_paths(s)
    for p in (tmp_path / "st", REPO_DIR, REPO_DIR / ".env", Path("/etc")):
        assert str(p.resolve()) in blocked
    assert launch_kwargs(s, host="0.0.0.0", port=9)["server_port"] == 9


def test_the_ui_goes_through_the_assistant_only():
    """No UI module opens the store's files itself: chats, papers and ingests all go through
    rag.assistant (the only door); and no UI module grows past the size the team keeps."""
    import ast

    ui_dir = Path(__file__).resolve().parents[1] / "ui"
    for path in sorted(ui_dir.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        bad = [m for m in names if m.split(".")[:2] == ["rag", "store"] or m in BARRED]
        assert not bad, f"{path.name} imports {bad}: go through rag.assistant.Assistant"
        lines = path.read_text(encoding="utf-8").count("\n")
        assert lines <= 520, f"{path.name} has {lines} lines: split it along a seam"


BARRED = {"sqlite3", "chromadb", "rag.ingest"}


def test_a_page_without_a_browser_id_never_shares_chats_with_another():
    from ui.conversations import owner_of

    assert owner_of("ada", "b1") == "user:ada" and owner_of(None, "b1") == "browser:b1"
    # no login, no browser id yet: each page its own owner, never one shared "anonymous" one
    assert owner_of(None, "", "s1") == "session:s1" != owner_of(None, "", "s2")
    assert owner_of(None, None) != owner_of(None, None)
