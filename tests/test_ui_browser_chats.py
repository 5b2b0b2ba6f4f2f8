"""Saved chats in a real browser: back after a reload, an older one reopened, one deleted,
and two logged-in users who never see each other's chats. Also: copy, dark mode, a phone.

Same browser rules as tests/test_ui_browser.py. RAG_SCREENSHOTS=DIR keeps the screenshots.
"""

from __future__ import annotations

import shutil

import pytest

from rag.config import get_settings
from tests.test_ui_browser import ARGS, CHROMIUM, TIMEOUT, browser, free_port, open_page  # noqa: F401
from tests.test_ui_browser_live import shots

Q1 = "How can a model forget specific training data without retraining?"
Q2 = "Which papers use LoRA or other parameter-efficient fine-tuning?"


def _serve(settings):
    from ui.app import build_app, launch_kwargs, warm_up

    app = build_app(settings)
    warm_up(app.rag_handlers)
    port = free_port()
    app.launch(**launch_kwargs(settings, port=port), prevent_thread_lock=True, quiet=True)
    return app, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def chats_url(seed_store, tmp_path_factory):
    store = tmp_path_factory.mktemp("ui-chats") / "store"
    shutil.copytree(seed_store, store, ignore=shutil.ignore_patterns(".lock"))
    app, url = _serve(get_settings(store=store))
    yield url
    app.close()


def ask(page, question: str, turn: int) -> None:
    page.fill("#rag-question textarea", question)
    page.press("#rag-question textarea", "Enter")
    page.wait_for_selector(f'.rag-turn[data-turn="{turn}"] .rag-meta')


def loaded(page) -> None:
    """The page's load events have run: the input opens only then (with the sidebar filled)."""
    page.wait_for_selector("#rag-question textarea:not([disabled])")


def rename(page, title: str, new: str) -> None:
    """Rename the open chat as a user does, once its title shows in the box (the box is filled
    by the event that opened the chat); a rename that does not reach the sidebar fails with
    what the page showed."""
    box = "#rag-chat-title textarea"
    page.wait_for_function(
        "([sel, t]) => (document.querySelector(sel)?.value || '').startsWith(t)", arg=[box, title]
    )
    page.fill(box, new)
    assert page.input_value(box) == new
    page.click("#rag-rename-chat")
    try:
        page.wait_for_selector(f"#rag-chats label:has-text('{new}')")
    except Exception as e:  # what the page shows, for the failure's message
        shown = {"sidebar": listed(page), "title box": page.input_value(box)}
        raise AssertionError(f"the rename to {new!r} never reached the sidebar: {shown}") from e


def listed(page) -> list[str]:
    return [t.strip() for t in page.locator("#rag-chats label").all_inner_texts()]


def test_chats_survive_a_reload_reopen_and_delete(browser, chats_url, tmp_path):  # noqa: F811
    out = shots(tmp_path)
    with open_page(browser, chats_url) as page:
        loaded(page)
        before = page.evaluate("localStorage.getItem('rag-open-chat')")
        ask(page, Q1, 0)
        page.wait_for_selector('.rag-turn[data-turn="0"] .rag-card')
        cards = page.locator('.rag-turn[data-turn="0"] .rag-card').count()
        answer = page.locator('.rag-turn[data-turn="0"] .rag-answer').inner_text()
        page.wait_for_function("() => document.querySelectorAll('#rag-chats label').length == 1")
        assert listed(page)[0].startswith("How can a model forget")

        # copy: the answer alone, and with its references
        page.locator('.rag-turn[data-turn="0"] button.rag-copy[data-refs="1"]').click()
        copied = page.evaluate("window.__ragCopied")
        assert copied.startswith(answer.strip()[:40]) and "References" in copied

        # a reload: the same chat, its citations and cards are back (once the browser noted it)
        page.wait_for_function("v => localStorage.getItem('rag-open-chat') !== v", arg=before)
        page.reload()
        page.wait_for_selector("#rag-question textarea")
        page.wait_for_selector('.rag-turn[data-turn="0"] .rag-card')
        assert page.locator('.rag-turn[data-turn="0"] .rag-card').count() == cards
        assert page.locator('.rag-turn[data-turn="0"] .rag-answer').inner_text() == answer
        assert page.locator('.rag-turn[data-turn="0"] a.rag-cite').count() >= 1
        page.wait_for_selector("#rag-chat-refs", state="visible")  # its references, to download
        page.screenshot(path=str(out / "chat-with-sidebar.png"), full_page=True)

        # a second chat; then the first one reopened from the sidebar
        page.click("#rag-new-chat")
        page.wait_for_selector(".rag-welcome")
        ask(page, Q2, 0)
        page.wait_for_function("() => document.querySelectorAll('#rag-chats label').length == 2")
        assert listed(page)[0].startswith("Which papers use LoRA")  # the latest first
        page.locator("#rag-chats label", has_text="How can a model forget").click()
        page.wait_for_selector(".rag-bubble:has-text('How can a model forget')")
        assert page.locator('.rag-turn[data-turn="0"] .rag-card').count() == cards

        # rename it, export it, then delete it: one chat is left
        page.get_by_text("Rename, delete, export").click()
        rename(page, "How can a model forget", "Unlearning")
        with page.expect_download() as dl:
            page.click("#rag-export-chat")
        md = open(dl.value.path(), encoding="utf-8").read()
        assert md.startswith("# Unlearning") and Q1 in md and "[1]" in md
        page.click("#rag-delete-chat")
        page.wait_for_function("() => document.querySelectorAll('#rag-chats label').length == 1")
        assert not any("Unlearning" in x for x in listed(page))
        page.wait_for_selector(".rag-welcome")

    # dark mode and a phone-sized window, with a chat open
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.goto(chats_url + "/?__theme=dark")
    pg.wait_for_selector("#rag-question textarea")
    ask(pg, Q1, 0)
    pg.wait_for_selector('.rag-turn[data-turn="0"] .rag-card')
    pg.screenshot(path=str(out / "dark-390px.png"), full_page=False)
    assert pg.evaluate("document.body.scrollWidth") <= 400  # nothing wider than the phone
    ctx.close()
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.goto(chats_url + "/?__theme=dark")
    pg.wait_for_selector("#rag-question textarea")
    ask(pg, Q2, 0)
    pg.wait_for_selector('.rag-turn[data-turn="0"] .rag-card')
    pg.screenshot(path=str(out / "dark-mode.png"), full_page=False)
    ctx.close()


IN_VIEW = """sel => { const e = document.querySelector(sel); const r = e.getBoundingClientRect();
        const top = Math.max(r.top, 0), bottom = Math.min(r.bottom, innerHeight);
        const x = r.left + r.width / 2, y = (top + bottom) / 2;  // the middle of what is shown
        if (bottom <= top || x < 0 || x > innerWidth) return false;
        const hit = document.elementFromPoint(x, y); return !!hit && e.contains(hit); }"""


def in_view(page, selector: str) -> bool:
    """Is the middle of the element's part on screen uncovered (by the sidebar, say)?"""
    return page.evaluate(IN_VIEW, selector)


def wait_in_view(page, selector: str, shown: bool = True) -> None:
    """Wait until ``selector`` is in view (or out of it): the sidebar slides, it does not jump."""
    page.wait_for_function(
        f"sel => ({IN_VIEW})(sel) === {'true' if shown else 'false'}", arg=selector
    )


def test_on_a_phone_the_sidebar_starts_closed_and_the_chat_stays_usable(browser, chats_url):  # noqa: F811
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.goto(chats_url)
    pg.wait_for_selector("#rag-question textarea")
    # closed, once the page has settled (the sidebar opens itself when mounted, then closes)
    pg.wait_for_selector("#rag-sidebar .toggle-button")
    loaded(pg)
    pg.wait_for_function("() => !document.querySelector('#rag-sidebar').classList.contains('open')")
    # once its slide has ended, the closed sidebar covers nothing and shows none of its buttons
    wait_in_view(pg, "#rag-new-chat", shown=False)
    wait_in_view(pg, "#rag-question textarea")
    assert not in_view(pg, "#rag-new-chat") and in_view(pg, "#rag-question textarea")
    ask(pg, Q2, 0)
    assert in_view(pg, "#rag-conversation")  # nothing covers the chat
    # a long page, and the input still pinned at the bottom of the screen
    assert pg.evaluate("document.documentElement.scrollHeight > innerHeight + 200")
    assert in_view(pg, "#rag-question textarea") and in_view(pg, "#rag-ask")
    assert pg.evaluate("document.body.scrollWidth") <= 400  # nothing wider than the phone
    # the toggle opens the sidebar; choosing a chat closes it again, the chat in view
    pg.click("#rag-sidebar .toggle-button")
    pg.wait_for_function("() => document.querySelector('#rag-sidebar').classList.contains('open')")
    pg.wait_for_timeout(500)  # it slides in
    assert in_view(pg, "#rag-new-chat")
    pg.click("#rag-new-chat")
    pg.wait_for_selector(".rag-welcome")
    pg.wait_for_function("() => !document.querySelector('#rag-sidebar').classList.contains('open')")
    ctx.close()


@pytest.fixture(scope="module")
def login_url(seed_store, tmp_path_factory):
    root = tmp_path_factory.mktemp("ui-login")
    store = root / "store"
    shutil.copytree(seed_store, store, ignore=shutil.ignore_patterns(".lock"))
    auth = root / "users.txt"
    auth.write_text("ada:pw-ada-123\nbob:pw-bob-456\n", encoding="utf-8")
    app, url = _serve(get_settings(store=store, ui_auth_file=auth))
    yield url
    app.close()


def login(browser, url: str, user: str, password: str):  # noqa: F811
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    page.wait_for_selector("input[type=password]")
    page.locator("input[type=text]").first.fill(user)
    page.fill("input[type=password]", password)
    page.get_by_role("button", name="Login").click()
    page.wait_for_selector("#rag-question textarea")
    return ctx, page


def test_two_logged_in_users_never_see_each_others_chats(browser, login_url):  # noqa: F811
    ctx_a, ada = login(browser, login_url, "ada", "pw-ada-123")
    ask(ada, Q1, 0)
    ada.wait_for_function("() => document.querySelectorAll('#rag-chats label').length == 1")
    ctx_b, bob = login(browser, login_url, "bob", "pw-bob-456")
    loaded(bob)  # the sidebar is filled on load: by now it lists all bob has
    assert listed(bob) == []
    ask(bob, Q2, 0)
    bob.wait_for_function("() => document.querySelectorAll('#rag-chats label').length == 1")
    assert listed(bob)[0].startswith("Which papers use LoRA")
    ada.reload()
    ada.wait_for_selector('.rag-turn[data-turn="0"] .rag-card')
    assert len(listed(ada)) == 1 and listed(ada)[0].startswith("How can a model forget")
    # ada in another browser (no shared local storage) still finds her chat
    ctx_c, ada2 = login(browser, login_url, "ada", "pw-ada-123")
    ada2.wait_for_function("() => document.querySelectorAll('#rag-chats label').length == 1")
    assert listed(ada2)[0].startswith("How can a model forget")
    for c in (ctx_a, ctx_b, ctx_c):
        c.close()
