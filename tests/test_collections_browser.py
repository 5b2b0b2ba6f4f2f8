"""The collection picker in a real browser: the chat, the corpus and the status follow the chosen
collection; a reload keeps the chat and its collection.

Same browser rules as tests/test_ui_browser.py. RAG_SCREENSHOTS=DIR keeps the screenshots.
"""

from __future__ import annotations

import json
import shutil

import pytest

from rag.config import get_settings
from tests.test_collections import BREAD, BREAD_PAPER
from tests.test_ui_browser import browser, open_page  # noqa: F401
from tests.test_ui_browser_chats import _serve, ask
from tests.test_ui_browser_live import shots

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def picker_url(seed_store, tmp_path_factory):
    from rag.assistant import Assistant

    root = tmp_path_factory.mktemp("ui-collections")
    store = root / "store"
    shutil.copytree(seed_store, store, ignore=shutil.ignore_patterns(".lock"))
    src = root / "bread.jsonl"
    src.write_text(json.dumps(BREAD_PAPER) + "\n")
    a = Assistant(get_settings(store=store))
    a.ingest([src], progress=False, collection="baking")
    a.reset()
    app, url = _serve(get_settings(store=store))
    yield url
    app.close()


def choose(page, name: str) -> None:
    page.click("#rag-collection input")
    page.locator("ul[role=listbox] li", has_text=name).first.click()
    page.wait_for_selector(f"#rag-status-line:has-text('collection {name}')")


def shown_ids(page) -> set[str]:
    return {t.strip() for t in page.locator("#rag-conversation .rag-card code").all_inner_texts()}


def test_the_picker_chooses_what_is_answered_and_listed(browser, picker_url, tmp_path):  # noqa: F811
    out = shots(tmp_path)
    with open_page(browser, picker_url) as page:
        page.wait_for_selector("#rag-status-line:has-text('collection default')")
        ask(page, BREAD, 0)  # the bundled papers have nothing on bread: no sourdough card
        assert "b-sourdough" not in shown_ids(page)

        choose(page, "baking")
        page.wait_for_selector(".rag-welcome")  # another collection: a new chat
        assert "1 paper ·" in page.locator("#rag-status-line").inner_text()
        before = page.evaluate("localStorage.getItem('rag-open-chat')")
        ask(page, BREAD, 0)
        page.wait_for_selector('.rag-turn[data-turn="0"] .rag-card')
        assert shown_ids(page) == {"b-sourdough"}
        page.screenshot(path=str(out / "collection-picker.png"), full_page=True)
        page.get_by_role("tab", name="Corpus").click()
        page.wait_for_selector("#rag-listing:has-text('Fermentation time of sourdough')")
        assert "AgentArk" not in page.locator("#rag-listing").inner_text()
        page.get_by_role("tab", name="Chat").click()

        # a reload brings the chat back in its collection (once the browser noted it)
        page.wait_for_function("v => localStorage.getItem('rag-open-chat') !== v", arg=before)
        page.reload()
        page.wait_for_selector('.rag-turn[data-turn="0"] .rag-card')
        page.wait_for_selector("#rag-status-line:has-text('collection baking')")
        assert page.locator("#rag-collection input").input_value() == "baking"
        assert shown_ids(page) == {"b-sourdough"}

        choose(page, "default")
        page.wait_for_selector(".rag-welcome")
        ask(page, BREAD, 0)
        assert "b-sourdough" not in shown_ids(page)


def test_a_collection_is_made_filled_and_deleted_from_the_sidebar(browser, picker_url):  # noqa: F811
    with open_page(browser, picker_url) as page:
        page.wait_for_selector("#rag-question textarea:not([disabled])")
        page.get_by_text("New or delete a collection").click()
        page.fill("#rag-coll-name textarea", "Field Notes")  # refused: upper case and a space
        page.click("#rag-coll-create")
        page.wait_for_selector("#rag-coll-msg .rag-error:has-text('not allowed')")
        page.fill("#rag-coll-name textarea", "field-notes")
        page.click("#rag-coll-create")
        page.wait_for_selector("#rag-coll-msg .rag-ok")
        page.wait_for_selector("#rag-status-line:has-text('collection field-notes')")
        assert page.locator("#rag-collection input").input_value() == "field-notes"
        assert page.input_value("#rag-coll-name textarea") == ""

        # a paper added now goes into it, and a question there is answered from it
        page.get_by_role("tab", name="Corpus").click()
        page.get_by_role("button", name="Add abstracts").click()
        page.fill("#rag-paste textarea", BREAD_PAPER["abstract"])
        page.click("#rag-add-text")
        page.wait_for_selector("#rag-report .rag-ok")
        page.wait_for_selector("#rag-status-line:has-text('1 paper ·')")
        page.get_by_role("tab", name="Chat").click()
        ask(page, BREAD, 0)
        page.wait_for_selector('.rag-turn[data-turn="0"] .rag-card')
        assert "starter" in page.locator('.rag-turn[data-turn="0"] .rag-card').first.inner_text()

        # Delete asks first: dismissed, nothing happens; accepted, it is gone with its paper
        asked: list[str] = []
        page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
        page.click("#rag-coll-delete")
        page.wait_for_selector("#rag-coll-msg:has-text('Nothing was deleted')")
        page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
        page.click("#rag-coll-delete")
        page.wait_for_selector("#rag-coll-msg .rag-ok:has-text('Deleted the collection')")
        assert len(asked) == 2 and all("field-notes" in m for m in asked)
        # its paper was still there for the second (the dismissed one deleted nothing)
        assert "its 1 paper" in page.locator("#rag-coll-msg").inner_text()
        page.wait_for_selector("#rag-status-line:has-text('collection default')")
        page.wait_for_selector(".rag-welcome")  # a new chat, in the default collection
        page.click("#rag-collection input")
        options = page.locator("ul[role=listbox] li").all_inner_texts()
        assert "field-notes" not in [o.strip() for o in options] and "baking" in "".join(options)
