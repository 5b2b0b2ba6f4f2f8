"""The web app under real use, in a real browser: an upload in one tab while another tab chats.

Same browser rules as tests/test_ui_browser.py (Debian's chromium, never a download). Set
RAG_SCREENSHOTS=DIR to keep the screenshots somewhere (default: the test's tmp dir).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from pathlib import Path

import pytest

from rag.config import get_settings
from tests.test_ui_browser import TIMEOUT, browser, free_port, open_page, sync_api  # noqa: F401

QUESTIONS = [
    "How can a model forget specific training data without retraining?",
    "Which papers use LoRA or other parameter-efficient fine-tuning?",
    "How do multi-agent LLM systems coordinate?",
]
# enough that the upload outlasts the three questions on a quiet machine too (520 once ended
# before the third question in the whole suite), few enough for a loaded one
N_UPLOAD = 1200


def quiet(question: str) -> str:
    """The same question in other words (so no answer comes from a cache)."""
    return question.replace("How", "In what way").replace("Which", "What")


def shots(tmp_path: Path) -> Path:
    d = Path(os.environ.get("RAG_SCREENSHOTS") or tmp_path)
    d.mkdir(parents=True, exist_ok=True)
    return d


def make_abstracts(path: Path, n: int, seed: int = 7) -> None:
    """n made-up abstracts (JSONL), each with its own marker word, from a fixed seed."""
    rng = random.Random(seed)
    things = "sediment lichen basalt plankton permafrost estuary dune aquifer moraine kelp".split()
    acts = "erosion uptake drift bloom thaw salinity migration recharge retreat growth".split()
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            a, b = rng.sample(things, 2)
            act = rng.choice(acts)
            text = (
                f"We study {act} of {a} near {b} sites using the Quorvex{i} survey. "
                f"Across {rng.randint(3, 90)} field stations, {a} {act} rose by "
                f"{rng.randint(2, 70)} percent when {b} cover fell. "
                f"A simple model of {act} explains most of the variance."
            )
            f.write(
                json.dumps(
                    {"id": f"syn{i:04d}", "title": f"{a} {act} survey {i}", "abstract": text}
                )
            )
            f.write("\n")


@pytest.fixture(scope="module")
def live_url(seed_store, tmp_path_factory):
    from ui.app import build_app, launch_kwargs, warm_up

    root = tmp_path_factory.mktemp("ui-live")
    store = root / "store"
    shutil.copytree(seed_store, store, ignore=shutil.ignore_patterns(".lock"))
    settings = get_settings(store=store)
    app = build_app(settings)
    warm_up(app.rag_handlers)
    port = free_port()
    app.launch(**launch_kwargs(settings, port=port), prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}"
    app.close()


def ask_timed(page, question: str, turn: int) -> float:
    page.fill("#rag-question textarea", question)
    t0 = time.perf_counter()
    page.press("#rag-question textarea", "Enter")
    page.wait_for_selector(f'.rag-turn[data-turn="{turn}"] .rag-meta')
    return time.perf_counter() - t0


def start_upload(page, path: Path) -> None:
    page.get_by_role("tab", name="Corpus").click()
    page.get_by_text("Add abstracts").click()
    page.get_by_role("tab", name="Upload files").click()
    # what the page heard about the upload, said if the file never shows (it did once, after
    # the whole suite in a fresh clone; not reproduced since)
    heard: list = []
    page.on("response", lambda r: heard.append((r.status, r.url)) if "upload" in r.url else None)
    page.on("requestfailed", lambda r: heard.append(("failed", r.url, r.failure)))
    page.on("console", lambda m: heard.append((m.type, m.text)) if m.type == "error" else None)
    page.set_input_files("#rag-upload input[type=file]", str(path))
    try:
        page.wait_for_selector(f"#rag-upload :text('{path.name}')")
    except sync_api.TimeoutError:
        raise AssertionError(f"the chosen file never showed; the page heard {heard}") from None
    # note every value the progress bar takes, in the page itself
    page.evaluate(
        """() => { window.__vals = [];
        new MutationObserver(() => {
          const p = document.querySelector('#rag-report progress');
          if (p && window.__vals[window.__vals.length - 1] !== p.value) window.__vals.push(p.value);
        }).observe(document.querySelector('#rag-report'),
                   {subtree: true, childList: true, attributes: true}); }"""
    )
    page.click("#rag-add-files")


def test_upload_in_one_tab_while_another_asks(browser, live_url, tmp_path):  # noqa: F811
    data = tmp_path / "survey-abstracts.jsonl"
    make_abstracts(data, N_UPLOAD)
    out = shots(tmp_path)
    with open_page(browser, live_url) as chat, open_page(browser, live_url) as up:
        # the same questions' cost on a quiet index, for comparison (other wording: no cache)
        before = [ask_timed(chat, quiet(q), i) for i, q in enumerate(QUESTIONS)]
        chat.click("#rag-new-chat")
        chat.wait_for_selector(".rag-welcome")

        start_upload(up, data)
        up.wait_for_selector("#rag-report progress", timeout=TIMEOUT)
        up.wait_for_selector("#rag-report .rag-job[data-stage='embedding']", timeout=TIMEOUT)
        up.screenshot(path=str(out / "upload-in-progress.png"), full_page=True)

        during = []
        for i, q in enumerate(QUESTIONS):  # each one asked while the upload is still running
            assert up.locator("#rag-report progress").count() == 1, (
                f"the upload ended before question {i + 1} was asked: make it bigger"
            )
            during.append(ask_timed(chat, q, i))
        for i in range(3):  # real answers, with sources, not errors
            assert chat.locator(f'.rag-turn[data-turn="{i}"] .rag-error').count() == 0

        up.wait_for_selector("#rag-report .rag-ok", timeout=600_000)
        values = up.evaluate("window.__vals")
        report = up.locator("#rag-report").inner_text()

        p95 = sorted(during)[max(0, round(0.95 * len(during)) - 1)]
        print(
            f"answer time during the upload: {[round(t, 2) for t in during]} s (p95 {p95:.2f} s); "
            f"quiet index: {[round(t, 2) for t in before]} s; progress values: {len(values)}"
        )
        assert f"{N_UPLOAD} added" in report
        assert len(set(values)) >= 5, values
        assert values == sorted(values), "the progress bar went backwards"
        # the bound of the issue, or twice the quiet-index time on a machine that is that busy
        assert p95 <= max(2.0, 2 * max(before)), (during, before)

        # the new papers are searchable at once, in the other tab too
        chat.get_by_role("tab", name="Corpus").click()
        chat.fill("#rag-corpus-search textarea", "Quorvex17 survey")
        chat.press("#rag-corpus-search textarea", "Enter")
        chat.wait_for_selector("#rag-listing :text('syn0017')")
        # the header and the Settings tab of the other tab follow the write (a timer, 5 s)
        chat.wait_for_selector(f"#rag-status-line :text('{50 + N_UPLOAD} papers')", timeout=TIMEOUT)
        chat.get_by_role("tab", name="Settings").click()
        chat.wait_for_selector(f"#rag-status-table :text('{50 + N_UPLOAD}')")
