"""A real browser (Debian's chromium, headless, driven by Playwright) using the launched app.

Never downloads a browser: it runs /usr/bin/chromium (`make browser` installs it with apt-get).
Without it the tests skip, except in CI (RAG_REQUIRE_BROWSER=1), where they fail.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from rag.config import get_settings
from rag.ingest import ingest

CHROMIUM = Path(os.environ.get("RAG_CHROMIUM", "/usr/bin/chromium"))  # Debian's, never a download
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
QUESTION = "How can a model forget specific training data without retraining?"
TIMEOUT = 90_000  # ms; generous for a loaded 2-core machine, never a speed assertion


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: install it with `make browser` (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install -e '.[dev]'"
    return None


if (_why := _missing()) is not None:
    if os.environ.get("RAG_REQUIRE_BROWSER") == "1":  # CI: the browser test must run
        pytest.fail(f"RAG_REQUIRE_BROWSER=1 but {_why}", pytrace=False)
    pytest.skip(_why, allow_module_level=True)

from playwright import sync_api  # noqa: E402 - only once it is known to be there

pytestmark = [pytest.mark.slow, pytest.mark.browser]  # not in `make test-fast`


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder(http.server.BaseHTTPRequestHandler):
    """A listening port that notes every request it gets (it must get none)."""

    seen: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        Recorder.seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    do_POST = do_HEAD = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def leak_port():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Recorder)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()


@pytest.fixture(scope="module")
def app_url(seed_store, tmp_path_factory, leak_port):
    """The app over a private store copy that also holds one hostile abstract."""
    from ui.app import build_app, launch_kwargs, warm_up

    root = tmp_path_factory.mktemp("ui-browser")
    store = root / "store"
    shutil.copytree(seed_store, store, ignore=shutil.ignore_patterns(".lock"))
    hostile = root / "hostile.txt"
    hostile.write_text(
        "Abstract: Island mammals are studied with field sensors. Quokka fur absorbs 40 percent "
        "of midday sunlight <script>window.__pwned=1</script> "
        '<img src=x onerror="window.__pwned=2"> '
        f"![x](http://127.0.0.1:{leak_port}/leak) according to our quokka fur telemetry. "
        "Conservation planning for islands may benefit from these measurements.\n",
        encoding="utf-8",
    )
    settings = get_settings(store=store)
    report = ingest([hostile], settings, progress=False)
    assert len(report.added) == 1
    app = build_app(settings)
    warm_up(app.rag_handlers)
    port = free_port()
    app.launch(**launch_kwargs(settings, port=port), prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}"
    app.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@contextlib.contextmanager
def open_page(browser, url: str):
    """A fresh browser tab on the app; afterwards, check it fetched nothing from elsewhere."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT)
    hosts: list[str] = []
    pg.on(
        "request",
        lambda r: None if "/csp-probe" in r.url else hosts.append(urlsplit(r.url).netloc),
    )
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.goto(url)
    pg.wait_for_selector("#rag-question textarea")
    yield pg
    ctx.close()
    app_host = urlsplit(url).netloc
    assert set(hosts) <= {app_host}, f"the page fetched from elsewhere: {set(hosts) - {app_host}}"
    blocked = [e for e in errors if "Content Security Policy" in e and "csp-probe" not in e]
    assert not blocked, blocked  # the policy never gets in the app's own way


@pytest.fixture
def page(browser, app_url):
    with open_page(browser, app_url) as pg:
        yield pg


def ask(page, question: str, turn: int) -> None:
    page.fill("#rag-question textarea", question)
    page.press("#rag-question textarea", "Enter")
    page.wait_for_selector(f'.rag-turn[data-turn="{turn}"] .rag-meta')


def test_ask_open_a_source_follow_up_and_start_over(page, tmp_path):
    # a first visit: a welcome and example questions
    assert page.is_visible(".rag-welcome")
    assert page.get_by_role("button", name="Which papers use LoRA").is_visible()

    page.fill("#rag-question textarea", QUESTION)
    page.press("#rag-question textarea", "Enter")
    # the question shows at once, the answer streams in, then the cards
    page.wait_for_selector('.rag-turn[data-turn="0"] .rag-bubble')
    page.wait_for_selector('.rag-turn[data-turn="0"] .rag-card')
    turn = page.locator('.rag-turn[data-turn="0"]')
    assert "answered by extractive" in turn.locator(".rag-meta").inner_text()
    assert "retrieval" in turn.locator(".rag-meta").inner_text()
    markers = turn.locator("a.rag-cite")
    cards = turn.locator(".rag-card")
    assert markers.count() >= 1 and cards.count() >= 1
    assert cards.first.locator("mark").count() >= 1  # the supporting sentence is highlighted
    assert page.is_hidden(".rag-welcome")

    # open a cited source: the marker leads to its card, the card opens the full abstract
    target = markers.first.get_attribute("data-target")
    # the flash lasts 2.5 s: noted by the page itself, so a busy machine cannot miss it
    page.evaluate(
        """id => { window.__flashed = false; const c = document.getElementById(id);
        new MutationObserver(() => { if (c.classList.contains('rag-flash')) window.__flashed = true; })
          .observe(c, {attributes: true, attributeFilter: ['class']}); }""",
        target,
    )
    markers.first.click()
    card = page.locator(f"#{target}")
    page.wait_for_function("() => window.__flashed === true")
    card.locator("summary", has_text="Full abstract").click()
    assert card.locator(".rag-abstract").is_visible()
    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)

    # a follow-up keeps the conversation and is searched with its topic
    ask(page, "and which of them evaluate on MLLMs?", 1)
    assert page.locator(".rag-turn").count() == 2
    assert "searched for:" in page.locator('.rag-turn[data-turn="1"]').inner_text()
    page.screenshot(path=str(tmp_path / "follow-up.png"), full_page=True)
    print(f"screenshots: {tmp_path}")

    page.click("#rag-new-chat")
    page.wait_for_selector(".rag-welcome")
    assert page.locator(".rag-turn").count() == 0


def test_hostile_answer_is_inert_and_fetches_nothing(page, leak_port, tmp_path):
    Recorder.seen.clear()
    ask(page, "What fraction of midday sunlight does quokka fur absorb?", 0)
    conv = page.locator("#rag-conversation")
    text = conv.inner_text()
    # the answer quotes the abstract, markup and all, as text
    assert "<script>window.__pwned=1</script>" in text
    assert 'onerror="window.__pwned=2"' in text
    assert f"![x](http://127.0.0.1:{leak_port}/leak)" in text
    assert conv.locator("script, img, iframe, object, embed").count() == 0
    assert page.evaluate("window.__pwned") is None
    page.locator(".rag-card summary", has_text="Full abstract").first.click()
    page.wait_for_timeout(500)  # give any stray fetch the chance to happen
    page.screenshot(path=str(tmp_path / "hostile.png"), full_page=True)
    assert Recorder.seen == []
    # defence in depth: even an image made by script is refused by the page's policy
    page.evaluate(
        "port => { const i = new Image(); i.src = `http://127.0.0.1:${port}/csp-probe`;"
        " document.body.appendChild(i); }",
        leak_port,
    )
    page.wait_for_timeout(500)
    assert Recorder.seen == []


def test_summary_and_adding_an_abstract(page, tmp_path):
    page.get_by_role("tab", name="Research-area summary").click()
    page.get_by_role("button", name="federated learning").click()
    summary = page.locator("#rag-summary")
    page.wait_for_function(
        "() => document.querySelector('#rag-summary').innerText.trim().length > 20"
    )
    page.wait_for_selector("#rag-summary .rag-card")
    page.wait_for_selector("#rag-download", state="visible")
    assert "themes" in summary.inner_text() and "References" in summary.inner_text()
    with page.expect_download() as dl:
        page.click("#rag-download")
    md = Path(dl.value.path()).read_text(encoding="utf-8")
    assert md.startswith("# Research summary: federated learning")

    page.get_by_role("tab", name="Corpus").click()
    page.wait_for_selector(".rag-paper")
    page.get_by_text("Add abstracts").click()
    page.fill(
        "#rag-paste textarea",
        "We present Glacier-Sense, a method for estimating glacier melt rates from sparse "
        "seismometer readings with graph neural networks; it lowers the error of melt "
        "estimates by 31 percent on twelve Alpine glaciers.",
    )
    page.click("#rag-add-text")
    page.wait_for_selector("#rag-report .rag-ok")
    assert "1 added" in page.locator("#rag-report").inner_text()
    page.fill("#rag-corpus-search textarea", "glacier melt")
    page.press("#rag-corpus-search textarea", "Enter")
    page.wait_for_selector("#rag-listing :text('matching “glacier melt”')")
    first = page.locator("#rag-listing .rag-paper").first
    assert "Glacier-Sense" in first.locator("summary").inner_text()
    first.locator("summary").click()  # the full record: id, source, abstract
    assert "source" in first.inner_text() and "twelve Alpine glaciers" in first.inner_text()
    page.screenshot(path=str(tmp_path / "corpus.png"), full_page=True)


def test_check_a_draft_marks_sentences_and_opens_evidence(page, tmp_path):
    from tests.test_check import DRAFT_REFS

    page.get_by_role("tab", name="Check a draft").click()
    page.fill("#rag-draft textarea", DRAFT_REFS + "\n<script>window.__pwned=3</script>")
    page.click("#rag-check")
    page.wait_for_selector("#rag-check-out .rag-check-counts")
    items = page.locator("#rag-check-out .rag-check-item")
    verdicts = [items.nth(i).get_attribute("data-verdict") for i in range(items.count())]
    assert verdicts[:3] == ["supported", "contradicted", "unsupported"], verdicts
    second = items.nth(1)
    assert "ThanoRA underperforms" in second.inner_text()
    assert second.locator(".rag-mark").inner_text() == "✗"
    evidence = second.locator("details.rag-evidence")
    assert not evidence.evaluate("e => e.open")
    evidence.locator("summary").click()  # open the evidence
    assert evidence.evaluate("e => e.open")
    assert "superior performance" in evidence.inner_text()
    assert (
        "References not found in the collection: [3]" in page.locator("#rag-check-out").inner_text()
    )
    assert page.evaluate("() => window.__pwned") is None
    page.screenshot(path=str(tmp_path / "check.png"), full_page=True)


# --- with a model server (the fake OpenAI-compatible one) -----------------------------------------
LLM_ANSWER = (
    "PerTA rescales the task vector per parameter to unlearn data without retraining [{n}]. "
    "It beats training-based unlearning methods on forgetting and utility [{n}]."
)


@pytest.fixture(scope="module")
def fake_llm():
    from tests.fake_openai import FakeOpenAI

    with FakeOpenAI(models=["fake-model"]) as f:
        yield f


@pytest.fixture(scope="module")
def llm_app_url(seed_store, fake_llm):
    from ui.app import build_app, launch_kwargs, warm_up

    settings = get_settings(
        store=seed_store, llm_base_url=fake_llm.url, llm_model="fake-model", llm_timeout=20.0
    )
    app = build_app(settings)
    warm_up(app.rag_handlers)
    port = free_port()
    app.launch(**launch_kwargs(settings, port=port), prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}"
    app.close()


def test_llm_answer_streams_in_the_browser(browser, llm_app_url, fake_llm, tmp_path):
    from tests.fake_openai import Reply

    def write(body: dict):
        n = re.search(r'<source id="(\d+)" title="PerTA', body["messages"][-1]["content"]).group(1)
        # the first sentence, then the model falls silent for 12 s (time enough for a loaded
        # machine to show the text so far) and the connection drops
        return Reply.stall(LLM_ANSWER.format(n=n), after=90, seconds=12.0)

    fake_llm.reset()
    fake_llm.script(Reply.call(write))
    with open_page(browser, llm_app_url) as page:
        assert "llm: fake-model" in page.locator("#rag-status-line").inner_text()
        page.fill("#rag-question textarea", "How does PerTA unlearn data without retraining?")
        page.press("#rag-question textarea", "Enter")
        # while the model is still writing: the text so far, no cards yet
        try:
            page.wait_for_selector(".rag-streaming:has-text('PerTA rescales the task vector')")
        except sync_api.TimeoutError:
            conv = page.locator("#rag-conversation").inner_text()
            seen = f"no text so far; the page: {conv!r}; {fake_llm.requests!r}"[:3000]
            raise AssertionError(seen) from None
        assert page.locator(".rag-card").count() == 0
        page.screenshot(path=str(tmp_path / "streaming.png"), full_page=True)
        # the end of the stream: the partial answer kept and marked, its source card shown
        page.wait_for_selector('.rag-turn[data-turn="0"] .rag-meta')
        turn = page.locator('.rag-turn[data-turn="0"]')
        assert "cut off" in turn.inner_text()
        assert "answered by llm: fake-model" in turn.locator(".rag-meta").inner_text()
        assert turn.locator(".rag-card").count() == 1
        assert "PerTA" in turn.locator(".rag-card .rag-title").inner_text()
        page.screenshot(path=str(tmp_path / "streamed.png"), full_page=True)
    assert fake_llm.count() == 1


def _source_of(body: dict) -> str:
    return re.search(r'<source id="(\d+)" title="PerTA', body["messages"][-1]["content"]).group(1)


def test_a_question_sent_while_an_answer_streams_is_asked_when_it_ends(
    browser, llm_app_url, fake_llm
):
    """Enter pressed before the answer on screen has finished (streaming, or being saved) is
    never lost: gradio used to drop such a send without a word (its event was still running),
    and each repaint emptied the box, so what had been typed was gone too."""
    from tests.fake_openai import Reply

    follow_up = "Which method rescales task vectors to unlearn?"

    def quick(body: dict) -> Reply:  # the follow-up is first rewritten (no sources), then answered
        if '<source id="' not in body["messages"][-1]["content"]:
            return Reply.text(follow_up)
        return Reply.text(LLM_ANSWER.format(n=_source_of(body)))

    fake_llm.reset()
    # a slow model (6 characters every 0.25 s: about 7 s), then a quick one
    fake_llm.script(
        Reply.call(lambda b: Reply.slow(LLM_ANSWER.format(n=_source_of(b)), interval=0.25)),
        Reply.call(quick),
        Reply.call(quick),
    )
    stop_colour = "() => getComputedStyle(document.querySelector('#rag-stop')).backgroundColor"
    with open_page(browser, llm_app_url) as page:
        idle = page.evaluate(stop_colour)
        page.fill("#rag-question textarea", "How does PerTA unlearn data without retraining?")
        page.press("#rag-question textarea", "Enter")
        page.wait_for_selector(".rag-streaming:has-text('PerTA rescales')")
        assert page.evaluate(stop_colour) != idle  # Stop stands out only while one streams
        page.fill("#rag-question textarea", follow_up)
        page.press("#rag-question textarea", "Enter")
        # the stream goes on (more repaints come) and what was typed stays in the box
        grown = len(page.locator('.rag-turn[data-turn="0"] .rag-answer').inner_text()) + 12
        page.wait_for_function(
            "n => document.querySelector('.rag-turn[data-turn=\"0\"] .rag-answer')"
            ".innerText.length >= n",
            arg=grown,
        )
        assert page.locator(".rag-streaming").count() == 1, "the model wrote too fast for the test"
        assert page.input_value("#rag-question textarea") == follow_up
        # the first answer ends whole; then the follow-up is asked and answered
        page.wait_for_selector('.rag-turn[data-turn="0"] .rag-meta')
        assert "It beats training-based" in page.locator('.rag-turn[data-turn="0"]').inner_text()
        page.wait_for_selector('.rag-turn[data-turn="1"] .rag-meta')
        second = page.locator('.rag-turn[data-turn="1"]')
        assert follow_up in second.locator(".rag-bubble").inner_text()
        assert "answered by llm: fake-model" in second.inner_text()
        assert page.input_value("#rag-question textarea") == ""
        page.wait_for_function(f"() => ({stop_colour})() === {json.dumps(idle)}")
        assert page.locator(".rag-turn").count() == 2
    assert fake_llm.count() in (2, 3)  # the answers, and the follow-up's rewrite if one was asked


def test_shift_enter_is_a_new_line_and_esc_stops_a_streaming_answer(
    browser, llm_app_url, fake_llm, tmp_path
):
    from tests.fake_openai import Reply

    def source_of(body: dict) -> str:
        return re.search(r'<source id="(\d+)" title="PerTA', body["messages"][-1]["content"]).group(
            1
        )

    fake_llm.reset()
    # a slow model: 6 characters every 0.25 s (the whole answer: about 7 s)
    fake_llm.script(
        Reply.call(lambda b: Reply.slow(LLM_ANSWER.format(n=source_of(b)), interval=0.25)),
        Reply.call(lambda b: Reply.text(LLM_ANSWER.format(n=source_of(b)))),
    )
    with open_page(browser, llm_app_url) as page:
        page.fill("#rag-question textarea", "How does PerTA unlearn data without retraining?")
        page.press("#rag-question textarea", "Enter")
        t0 = time.monotonic()
        page.wait_for_selector(".rag-streaming:has-text('PerTA rescales')")
        shown = page.locator('.rag-turn[data-turn="0"] .rag-answer').inner_text()
        assert "It beats training-based" not in shown, "the model wrote too fast for the test"
        page.keyboard.press("Escape")
        # stopped where it was, long before the model would have finished
        page.wait_for_selector(".rag-streaming", state="detached", timeout=10_000)
        turn = page.locator('.rag-turn[data-turn="0"]')
        assert "Stopped" in turn.inner_text() and turn.locator(".rag-caret").count() == 0
        assert shown.strip()[:20] in turn.inner_text()  # what had come stays
        # past the time the model would have finished: nothing more came
        page.wait_for_timeout(max(0.0, t0 + 9.0 - time.monotonic()) * 1000)
        assert "It beats training-based" not in turn.inner_text()
        page.screenshot(path=str(tmp_path / "stopped.png"), full_page=True)

        # the chat goes on: the next question is answered, the stopped one is kept and marked
        page.fill("#rag-question textarea", "Which method rescales task vectors to unlearn?")
        page.press("#rag-question textarea", "Enter")
        page.wait_for_selector('.rag-turn[data-turn="1"] .rag-meta')
        assert (
            "answered by llm: fake-model" in page.locator('.rag-turn[data-turn="1"]').inner_text()
        )
        assert "You stopped this answer" in page.locator('.rag-turn[data-turn="0"]').inner_text()
        assert page.locator(".rag-caret").count() == 0

        # Shift+Enter is a new line, not a send
        page.fill("#rag-question textarea", "first line")
        page.press("#rag-question textarea", "Shift+Enter")
        page.keyboard.type("second line")
        page.wait_for_timeout(1000)
        assert page.input_value("#rag-question textarea") == "first line\nsecond line"
        assert page.locator(".rag-turn").count() == 2
    assert fake_llm.count() in (2, 3)  # the answers, and the follow-up's rewrite if one was asked
