"""The browser chat (Gradio): chat with cited answers, research-area summaries, the corpus, settings.

A thin layer over ``rag.assistant.Assistant``: the behaviour lives in ``ui.handlers`` (plain
functions, tested without a server) and the HTML in ``ui.render`` (escaped text only). This
module wires them into gradio and launches with safe defaults: 127.0.0.1, no share link, optional
login, an upload size limit, queue limits, and the store and the checkout never served.

Public API endpoints (stable names): ``/ask`` (question -> the ``rag ask --json`` dictionary) and
``/summarize`` (topic -> the ``rag summarize --json`` dictionary). Every other handler is private.
"""

from __future__ import annotations

import hmac
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import gradio as gr  # at module level: handlers' `gr.Request` hints must resolve here

from rag.assistant import Assistant
from rag.config import REPO_DIR, Settings, get_settings
from rag.errors import ConfigError, RagError
from rag.parse.common import SUPPORTED

from . import render
from .conversations import Conversations, new_browser_id, owner_of
from .guard import CSP, Guard, allowed_hosts, guard_first, harden_server, host_name
from .handlers import (
    EXAMPLE_QUESTIONS,
    EXAMPLE_TOPICS,
    MAX_DRAFT_CHARS,
    Handlers,
    error_dict,
    make_filters,
    parse_size,
)

__all__ = ["CSP", "Guard", "build_app", "launch_kwargs", "serve", "start"]

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

CSS = (Path(__file__).with_name("style.css")).read_text(encoding="utf-8")
UPLOAD_TYPES = list(SUPPORTED)  # what the parser reads, from rag.parse

# Clicking a citation marker scrolls to its source card and makes it flash (plain anchors work too).
CITE_JS = """
element.addEventListener('click', (ev) => {
  const a = ev.target.closest && ev.target.closest('a.rag-cite');
  if (!a) return;
  const card = element.querySelector('#' + CSS.escape(a.dataset.target || ''));
  if (!card) return;
  ev.preventDefault();
  card.classList.remove('rag-flash'); void card.offsetWidth; card.classList.add('rag-flash');
  card.scrollIntoView({behavior: 'smooth', block: 'center'});
  setTimeout(() => card.classList.remove('rag-flash'), 2500);
});
// Copy an answer, with or without its references (plain text)
element.addEventListener('click', (ev) => {
  const b = ev.target.closest && ev.target.closest('button.rag-copy');
  if (!b) return;
  const turn = b.closest('.rag-turn');
  const ans = turn && turn.querySelector('.rag-answer');
  if (!ans) return;
  let text = ans.innerText.trim();
  if (b.dataset.refs === '1') {
    const refs = [...turn.querySelectorAll('.rag-card')].map((c) => {
      const n = c.querySelector('.rag-n'), t = c.querySelector('.rag-title');
      const id = c.querySelector('code'), url = c.querySelector('a.ext');
      return `${n ? n.innerText : ''} ${t ? t.innerText : ''} (${id ? id.innerText : ''})` +
        (url ? ` ${url.href}` : '');
    });
    if (refs.length) text += '\\n\\nReferences\\n' + refs.join('\\n');
  }
  const done = () => { const o = b.innerText; b.innerText = 'Copied'; setTimeout(() => { b.innerText = o; }, 1500); };
  const fallback = () => {
    const ta = document.createElement('textarea'); ta.value = text; document.body.appendChild(ta);
    ta.select(); try { document.execCommand('copy'); } catch (e) {} ta.remove(); done();
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, fallback);
  } else { fallback(); }
  window.__ragCopied = text;
});
// Keyboard: Esc stops a streaming answer (Enter sends, Shift+Enter is a new line: the textbox)
if (!window.__ragKeys) {
  window.__ragKeys = true;
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape') return;
    const stop = document.querySelector('#rag-stop');
    if (stop && document.querySelector('.rag-streaming')) { ev.preventDefault(); stop.click(); }
  });
}
"""


# --- safe defaults -------------------------------------------------------------------------------
def load_auth(settings: Settings) -> Callable[[str, str], bool] | None:
    """The login check from RAG_UI_USER/RAG_UI_PASSWORD or RAG_UI_AUTH_FILE, or None for no login."""
    pairs: list[tuple[str, str]] = []
    pw = settings.ui_password.get_secret_value() if settings.ui_password else None
    if settings.ui_user or pw:
        if not (settings.ui_user and pw):
            raise ConfigError(
                "set both RAG_UI_USER and RAG_UI_PASSWORD for the web UI login (or neither)"
            )
        pairs.append((settings.ui_user, pw))
    if settings.ui_auth_file:
        path = Path(settings.ui_auth_file).expanduser()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as e:
            raise ConfigError(
                f"cannot read the login file {path} ({e.strerror}); check RAG_UI_AUTH_FILE"
            ) from None
        for i, line in enumerate(lines, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            user, sep, password = line.partition(":")
            if not sep or not user.strip() or not password:
                raise ConfigError(
                    f"{path}, line {i}: expected 'user:password'; fix the line or remove it"
                )
            pairs.append((user.strip(), password))
        if not pairs:
            raise ConfigError(f"the login file {path} holds no 'user:password' line")
    if not pairs:
        return None
    encoded = [(u.encode(), p.encode()) for u, p in pairs]

    def check(username: str, password: str) -> bool:
        u, p = (username or "").encode(), (password or "").encode()
        ok = False
        for eu, ep in encoded:  # compare against every pair, in constant time
            ok |= hmac.compare_digest(u, eu) & hmac.compare_digest(p, ep)
        return ok

    return check


def blocked_paths(settings: Settings) -> list[str]:
    """What the file routes must never serve: the store, the checkout (and its .env), secrets."""
    upload_dir = Path(
        os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio"
    ).resolve()
    candidates = [
        Path(settings.store),
        REPO_DIR / ".env",
        Path.cwd() / ".env",
        REPO_DIR,
        Path.cwd(),
        Path.home() / ".env",
        Path.home() / ".ssh",
        Path("/etc"),
        Path("/proc"),
        Path("/root"),
    ]
    if settings.ui_auth_file:
        candidates.append(Path(settings.ui_auth_file))
    out: list[str] = []
    for p in candidates:
        rp = p.expanduser().resolve()
        # never block the folder gradio keeps uploads and outputs in (it would break uploads)
        if upload_dir == rp or rp in upload_dir.parents:
            continue
        if str(rp) not in out:
            out.append(str(rp))
    return out


def launch_kwargs(settings: Settings, host: str | None = None, port: int | None = None) -> dict:
    """Everything ``launch`` is given: safe by default, the same for ``rag ui`` and the tests."""
    import gradio as gr
    from starlette.middleware import Middleware

    bind = host or settings.ui_host
    hosts, any_ip = allowed_hosts(bind, settings.ui_allowed_hosts)
    guard = Middleware(
        Guard,
        hosts=hosts,
        any_ip=any_ip,
        upload_limit=parse_size(settings.ui_max_upload_total),
        proxied=frozenset(
            host_name(n) for n in settings.ui_allowed_hosts.split(",") if n.strip() not in ("", "*")
        ),
    )
    return {
        "server_name": bind,
        "server_port": port or settings.ui_port,
        "share": False,
        "show_error": False,
        "auth": load_auth(settings),
        "auth_message": "Log in to the research-abstracts assistant.",
        "max_file_size": settings.ui_max_file_size,
        "allowed_paths": [],
        "blocked_paths": blocked_paths(settings),
        "strict_cors": True,
        "ssr_mode": False,
        "pwa": False,
        "mcp_server": False,
        "enable_monitoring": False,
        "run_history": False,
        "footer_links": [],
        "app_kwargs": {"middleware": [guard], "lifespan": guard_first()},
        "theme": gr.themes.Default(),
        "css": CSS,
    }


# --- the app -------------------------------------------------------------------------------------
def _owner(request) -> str:
    """Whose upload or chat this is: the login name when there is one, else the browser tab."""
    return getattr(request, "username", None) or getattr(request, "session_hash", None) or ""


def build_app(settings: Settings | None = None, assistant: Assistant | None = None):
    """The gradio Blocks app over one assistant (not launched)."""
    import gradio as gr

    settings = settings or (assistant.settings if assistant else get_settings())
    h = Handlers(assistant or Assistant(settings))
    convs = Conversations(Path(settings.store))
    summary_dir = Path(tempfile.mkdtemp(prefix="rag-ui-summaries-"))
    private = {"api_visibility": "private"}
    heavy = {"concurrency_id": "rag", "concurrency_limit": settings.ui_concurrency}

    with gr.Blocks(title="Research abstracts · cited answers", analytics_enabled=False) as app:
        gr.Markdown("## Research abstracts · cited answers")
        status = gr.HTML(h.status_line(), elem_id="rag-status-line")
        # saved chats: the open one and this browser's own id survive a reload
        open_chat = gr.BrowserState("", storage_key="rag-open-chat")
        browser_id = gr.BrowserState("", storage_key="rag-browser-id")
        # the same two for this page's session (a BrowserState input keeps its first value)
        sess_chat, sess_browser = gr.State(""), gr.State("")
        with gr.Sidebar(open=True, elem_id="rag-sidebar", width=290):
            new = gr.Button("New chat", variant="primary", elem_id="rag-new-chat")
            chat_list = gr.Radio(
                choices=[], label="Your chats", elem_id="rag-chats", interactive=True
            )
            with gr.Accordion("Rename, delete, export", open=False, elem_id="rag-chat-tools"):
                chat_title = gr.Textbox(
                    label="Title", max_length=80, elem_id="rag-chat-title", lines=1
                )
                rename_btn = gr.Button("Rename", size="sm", elem_id="rag-rename-chat")
                delete_btn = gr.Button(
                    "Delete this chat", size="sm", variant="stop", elem_id="rag-delete-chat"
                )
                export_btn = gr.DownloadButton(
                    "Export as Markdown", size="sm", elem_id="rag-export-chat", value=None
                )
        with gr.Accordion(
            "Filter papers (year, author, venue, file)", open=False, elem_id="rag-filters"
        ):
            with gr.Row():
                f_year = gr.Textbox(
                    label="Years", placeholder="2019-2023", max_length=20, elem_id="rag-f-year"
                )
                f_author = gr.Textbox(label="Author", max_length=200, elem_id="rag-f-author")
                f_venue = gr.Textbox(label="Journal / venue", max_length=200, elem_id="rag-f-venue")
                f_source = gr.Textbox(label="Source file", max_length=200, elem_id="rag-f-source")
            gr.Markdown(
                "Answers, summaries and the corpus search draw only on the papers that match.",
                elem_classes=["rag-meta"],
            )
        filter_boxes = [f_year, f_author, f_venue, f_source]
        with gr.Tabs():
            # --- chat ------------------------------------------------------------------------
            with gr.Tab("Chat", id="chat"):
                conversation = gr.HTML(
                    render.conversation_html([]),
                    elem_id="rag-conversation",
                    js_on_load=CITE_JS,
                    autoscroll=True,
                    min_height=260,
                )
                turns = gr.State([])
                with gr.Row(elem_id="rag-examples") as examples_row:
                    example_buttons = [
                        gr.Button(q, size="sm", variant="secondary") for q in EXAMPLE_QUESTIONS
                    ]
                with gr.Row(equal_height=True, elem_id="rag-input-row"):
                    box = gr.Textbox(
                        placeholder="Ask a question about the papers… (Enter to send)",
                        show_label=False,
                        lines=1,
                        max_lines=5,
                        max_length=settings.max_question_chars,
                        autofocus=True,
                        scale=8,
                        elem_id="rag-question",
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="rag-ask")
                    stop = gr.Button("Stop (Esc)", scale=1, elem_id="rag-stop", variant="stop")
                with gr.Row():
                    chat_refs = gr.DownloadButton(
                        "Download cited references (BibTeX)",
                        visible=False,
                        size="sm",
                        elem_id="rag-chat-refs",
                    )
            # --- summary ---------------------------------------------------------------------
            with gr.Tab("Research-area summary", id="summary"):
                gr.Markdown(
                    "A topic in, an overview by theme out; every statement cites its papers."
                )
                with gr.Row(equal_height=True):
                    topic = gr.Textbox(
                        placeholder="e.g. federated learning",
                        show_label=False,
                        scale=8,
                        max_length=300,
                        elem_id="rag-topic",
                    )
                    go = gr.Button("Summarize", variant="primary", scale=1, elem_id="rag-summarize")
                with gr.Row():
                    topic_buttons = [
                        gr.Button(t, size="sm", variant="secondary") for t in EXAMPLE_TOPICS
                    ]
                with gr.Row():
                    download = gr.DownloadButton(
                        "Download as Markdown", visible=False, size="sm", elem_id="rag-download"
                    )
                    download_refs = gr.DownloadButton(
                        "Download references (BibTeX)",
                        visible=False,
                        size="sm",
                        elem_id="rag-download-refs",
                    )
                summary = gr.HTML(
                    "",
                    elem_id="rag-summary",
                    js_on_load=CITE_JS,
                    min_height=80,
                )
            # --- check a draft -----------------------------------------------------------------
            with gr.Tab("Check a draft", id="check"):
                gr.Markdown(
                    "Paste a draft: each sentence is checked against the papers it cites, as "
                    "`[paper_id]` or `[n]` with a numbered reference list at the end."
                )
                draft = gr.Textbox(
                    placeholder="Sentences with citations [1] …\n\nReferences\n[1] Title …",
                    show_label=False,
                    lines=8,
                    max_lines=30,
                    max_length=MAX_DRAFT_CHARS,
                    elem_id="rag-draft",
                )
                check_btn = gr.Button("Check", variant="primary", elem_id="rag-check")
                checked = gr.HTML("", elem_id="rag-check-out", min_height=60)
            # --- corpus ----------------------------------------------------------------------
            with gr.Tab("Corpus", id="corpus"):
                with gr.Row(equal_height=True):
                    query = gr.Textbox(
                        placeholder="Search the papers (words or a description)…",
                        show_label=False,
                        scale=6,
                        max_length=500,
                        elem_id="rag-corpus-search",
                    )
                    page = gr.Number(
                        value=1, precision=0, minimum=1, label="Page", scale=1, min_width=90
                    )
                    search_btn = gr.Button("Search", scale=1)
                with gr.Accordion("Add abstracts", open=False, elem_id="rag-add"):
                    gr.Markdown(
                        "Paste one abstract (title and URL optional), or several each after "
                        "`Abstract:`, or BibTeX / RIS / MEDLINE entries (read as such), or "
                        "JSON records. Or upload files of abstracts: "
                        "`.txt` with `Abstract:` markers, `.jsonl`, `.json`, `.csv`, or a library "
                        "export (BibTeX, RIS, CSL JSON, Zotero CSV, PubMed .nbib/.xml, OpenAlex, "
                        "arXiv, Semantic Scholar) "
                        f"(up to {settings.ui_max_file_size} each)."
                    )
                    with gr.Tab("Paste"):
                        with gr.Row():
                            p_title = gr.Textbox(label="Title (optional)", max_length=300)
                            p_url = gr.Textbox(
                                label="Code or project URL (optional)", max_length=500
                            )
                        p_text = gr.Textbox(
                            label="Abstract", lines=6, max_lines=20, elem_id="rag-paste"
                        )
                        add_btn = gr.Button(
                            "Add to the index", variant="primary", elem_id="rag-add-text"
                        )
                    with gr.Tab("Upload files"):
                        files = gr.File(
                            file_count="multiple",
                            file_types=UPLOAD_TYPES,
                            type="filepath",
                            label="Files of abstracts",
                            elem_id="rag-upload",
                        )
                        upload_btn = gr.Button(
                            "Index these files", variant="primary", elem_id="rag-add-files"
                        )
                    cancel_upload = gr.Button(
                        "Cancel upload", visible=False, size="sm", elem_id="rag-cancel-upload"
                    )
                    report = gr.HTML(elem_id="rag-report")
                listing = gr.HTML(elem_id="rag-listing")
            # --- settings --------------------------------------------------------------------
            with gr.Tab("Settings", id="settings"):
                k = gr.Slider(
                    1, 10, value=settings.top_k, step=1, label="Number of sources per answer"
                )
                backend = gr.Radio(
                    ["auto", "extractive", "llm"],
                    value="auto",
                    label="Answers from",
                    info="auto: the LLM when one is configured, else quotes from the abstracts",
                )
                model = gr.Dropdown(
                    choices=[settings.llm_model],
                    value=settings.llm_model,
                    allow_custom_value=True,
                    label="Model (LLM backend)",
                    info=(
                        "for your session; Refresh status asks the server which models it has"
                        if h.llm_available
                        else "no LLM is configured: set OPENAI_API_KEY or RAG_LLM_BASE_URL"
                    ),
                    interactive=h.llm_available,
                    elem_id="rag-model",
                )
                gr.Markdown("#### Backend status")
                status_table = gr.HTML(h.status_html(), elem_id="rag-status-table")
                refresh = gr.Button("Refresh status", size="sm")

        # --- events (all private; the public API is below) -------------------------------------
        def filters_of(*values):
            return make_filters(*values)

        def chats_of(owner: str, chat_id: str):
            return gr.Radio(choices=convs.choices(owner), value=chat_id or None)

        def on_chat(
            message,
            state,
            k_value,
            backend_value,
            model_value,
            chat_id,
            bid,
            f_year_v,
            f_author_v,
            f_venue_v,
            f_source_v,
            request: gr.Request,
        ):
            k_int = int(k_value or settings.top_k)
            skip = gr.skip()
            try:
                flt = filters_of(f_year_v, f_author_v, f_venue_v, f_source_v)
            except RagError as e:
                yield (
                    state,
                    render.error_html(str(e)),
                    message,
                    gr.Row(visible=not state),
                    None,
                    *([skip] * 4),
                )
                return
            owner = owner_of(getattr(request, "username", None), bid)
            t, html = state, None
            for t, html in h.chat(message, state, k_int, backend_value, model_value, flt):
                yield (
                    t,
                    html,
                    "",
                    gr.Row(visible=not t),
                    gr.DownloadButton(visible=False),
                    *([skip] * 4),
                )
            path = h.chat_refs(t, "bibtex", summary_dir)
            # the finished turn is saved: the sidebar lists the chat, a reload brings it back
            chat_id = convs.save(owner, chat_id, t)
            yield (
                t,
                html,
                "",
                gr.Row(visible=not t),
                gr.DownloadButton(value=path, visible=bool(path)),
                chat_id,
                chat_id,
                chats_of(owner, chat_id),
                convs.export(owner, chat_id),
            )

        chat_io = {
            "inputs": [box, turns, k, backend, model, sess_chat, sess_browser, *filter_boxes],
            "outputs": [turns, conversation, box, examples_row, chat_refs, open_chat, sess_chat]
            + [chat_list, export_btn],
        }
        chat_events = [
            box.submit(on_chat, **chat_io, **private, **heavy),
            send.click(on_chat, **chat_io, **private, **heavy),
        ]
        for b, q in zip(example_buttons, EXAMPLE_QUESTIONS, strict=True):
            chat_events.append(
                b.click(lambda q=q: q, None, box, queue=False, **private).then(
                    on_chat, **chat_io, **private, **heavy
                )
            )
        # Stop (or Esc in the page) ends a streaming answer where it is
        stop.click(None, None, None, cancels=chat_events, queue=False, **private)

        chat_state = [turns, conversation, box, examples_row, open_chat, sess_chat, chat_list]
        chat_state += [chat_title, export_btn]

        def on_new(bid, request: gr.Request):
            owner = owner_of(getattr(request, "username", None), bid)
            t, html = h.new_chat()
            return t, html, "", gr.Row(visible=True), "", "", chats_of(owner, ""), "", None

        new.click(on_new, sess_browser, chat_state, queue=False, **private)

        def on_open(chat_id, bid, request: gr.Request):
            owner = owner_of(getattr(request, "username", None), bid)
            cid, t, html = convs.open(owner, chat_id)
            return (
                t,
                html,
                "",
                gr.Row(visible=not t),
                cid,
                cid,
                chats_of(owner, cid),
                convs.title(owner, cid),
                convs.export(owner, cid),
            )

        chat_list.input(on_open, [chat_list, sess_browser], chat_state, **private)

        def on_rename(chat_id, title, bid, request: gr.Request):
            owner = owner_of(getattr(request, "username", None), bid)
            convs.rename(owner, chat_id, title)
            return chats_of(owner, chat_id), convs.export(owner, chat_id)

        rename_io = ([sess_chat, chat_title, sess_browser], [chat_list, export_btn])
        rename_btn.click(on_rename, *rename_io, **private)
        chat_title.submit(on_rename, *rename_io, **private)

        def on_delete(chat_id, bid, request: gr.Request):
            convs.delete(owner_of(getattr(request, "username", None), bid), chat_id)
            return on_new(bid, request)

        delete_btn.click(on_delete, [sess_chat, sess_browser], chat_state, **private)

        def on_load(chat_id, bid, request: gr.Request):
            bid = bid or new_browser_id()
            return (bid, bid, *on_open(chat_id, bid, request))

        app.load(
            on_load, [open_chat, browser_id], [browser_id, sess_browser, *chat_state], **private
        )

        def on_summary(topic_value, *fvalues):
            try:
                flt = filters_of(*fvalues)
            except RagError as e:
                hidden = gr.DownloadButton(visible=False)
                return render.error_html(str(e)), hidden, hidden
            html, path, refs = h.summary_page_refs(topic_value, summary_dir, flt)
            return (
                html,
                gr.DownloadButton(value=path, visible=bool(path)),
                gr.DownloadButton(value=refs, visible=bool(refs)),
            )

        summary_io = {
            "inputs": [topic, *filter_boxes],
            "outputs": [summary, download, download_refs],
        }
        go.click(on_summary, **summary_io, **private, **heavy)
        topic.submit(on_summary, **summary_io, **private, **heavy)
        for b, t in zip(topic_buttons, EXAMPLE_TOPICS, strict=True):
            b.click(lambda t=t: t, None, topic, queue=False, **private).then(
                on_summary, **summary_io, **private, **heavy
            )

        check_btn.click(h.check_page, draft, checked, **private, **heavy)

        def on_browse(q, p, *fvalues):
            try:
                flt = filters_of(*fvalues)
            except RagError as e:
                return render.error_html(str(e))
            return h.browse(q, int(p or 1), flt)

        browse_in = [query, page, *filter_boxes]
        query.submit(on_browse, browse_in, listing, **private, **heavy)
        search_btn.click(on_browse, browse_in, listing, **private, **heavy)
        page.submit(on_browse, browse_in, listing, **private, **heavy)

        # uploads: the report area shows the progress; a second upload waits its turn in line
        def upload_updates(steps, clear_files: bool = False):
            for done, html in steps:
                more = [gr.skip() if not done else None] if clear_files else []
                if not done:
                    yield html, gr.skip(), gr.skip(), gr.skip(), gr.Button(visible=True), *more
                else:
                    page = h.browse("", 1)
                    yield (
                        html,
                        page,
                        h.status_line(),
                        h.status_html(),
                        gr.Button(visible=False),
                        *more,
                    )

        def on_add_text(text, title, url, request: gr.Request):
            yield from upload_updates(h.add_text_steps(text, title, url, _owner(request)))

        def on_add_files(paths, request: gr.Request):
            yield from upload_updates(h.add_files_steps(paths, _owner(request)), clear_files=True)

        # not one at a time here: the handlers keep the line, so each upload can show its place
        ingest_opts = {"concurrency_id": "ingest", "concurrency_limit": 8}
        upload_out = [report, listing, status, status_table, cancel_upload]
        add_btn.click(
            on_add_text,
            [p_text, p_title, p_url],
            upload_out,
            show_progress="hidden",
            **private,
            **ingest_opts,
        )
        upload_btn.click(
            on_add_files,
            files,
            [*upload_out, files],
            show_progress="hidden",
            **private,
            **ingest_opts,
        )

        def on_cancel_upload(request: gr.Request):
            h.cancel_upload(_owner(request))

        cancel_upload.click(on_cancel_upload, None, None, queue=False, **private)

        def on_refresh(current):
            listed = h.models()
            choices = sorted({*listed, settings.llm_model, *([current] if current else [])})
            return h.status_html(), h.status_line(), gr.Dropdown(choices=choices, value=current)

        refresh.click(on_refresh, model, [status_table, status, model], **private)
        app.load(
            lambda: (h.status_line(), h.status_html(), h.browse("", 1)),
            None,
            [status, status_table, listing],
            **private,
        )
        # writes from other tabs or processes: the paper count follows within seconds
        gr.Timer(5.0).tick(
            lambda: (h.status_line(), h.status_html()),
            None,
            [status, status_table],
            queue=False,
            show_progress="hidden",
            **private,
        )

        # --- the public API --------------------------------------------------------------------
        def ask(question: str) -> dict:
            """Answer a question from the indexed abstracts; returns the same dictionary as `rag ask --json`."""
            return h.ask(question)

        def summarize(topic: str) -> dict:
            """A cited, themed summary of a research area; returns the same dictionary as `rag summarize --json`."""
            return h.summarize(topic)

        def check(text: str) -> dict:
            """Check each sentence of a draft against the papers it cites; returns the same dictionary as `rag check --json`."""
            return h.check(text)

        def ask_filtered(question: str, year: str, author: str, venue: str, source: str) -> dict:
            """/ask within filters: year ("2019-2023"), author, venue, source ("" for none)."""
            try:
                flt = make_filters(year, author, venue, source)
            except RagError as e:
                return error_dict(question, str(e))
            return h.ask(question, filters=flt)

        def summarize_filtered(topic: str, year: str, author: str, venue: str, source: str) -> dict:
            """/summarize within the same filters as /ask_filtered."""
            try:
                flt = make_filters(year, author, venue, source)
            except RagError as e:
                return {"topic": topic, "summary": "", "abstained": True, "error": str(e)}
            return h.summarize(topic, filters=flt)

        gr.api(ask, api_name="ask", **heavy)
        gr.api(check, api_name="check", **heavy)
        gr.api(summarize, api_name="summarize", **heavy)
        gr.api(ask_filtered, api_name="ask_filtered", **heavy)
        gr.api(summarize_filtered, api_name="summarize_filtered", **heavy)

    app.queue(default_concurrency_limit=settings.ui_concurrency, max_size=settings.ui_queue_size)
    app.rag_handlers = h  # for tests and embedding
    return app


def warm_up(h: Handlers) -> None:
    """Load the embedding model and open the index before the first question (best effort)."""
    try:
        h.assistant.search("warm up", k=1)
    except Exception:  # noqa: BLE001 - an empty or missing index is reported in the page instead
        pass


def serve(
    settings: Settings | None = None, host: str | None = None, port: int | None = None
) -> None:
    """Launch the app (blocking) with the safe defaults of ``launch_kwargs``."""
    settings = settings or get_settings()
    kwargs = launch_kwargs(settings, host, port)  # validates the login settings first
    app = build_app(settings)
    warm_up(app.rag_handlers)
    if kwargs["server_name"] not in ("127.0.0.1", "localhost", "::1") and not kwargs["auth"]:
        print(
            f"warning: serving on {kwargs['server_name']} without a login; "
            "set RAG_UI_USER and RAG_UI_PASSWORD to require one"
        )
    shown = kwargs["server_name"]
    print(
        f"Serving the web UI on http://{'[' + shown + ']' if ':' in shown else shown}:"
        f"{kwargs['server_port']}"
        + (" (login required)" if kwargs["auth"] else "")
        + " · Ctrl+C to stop",
        flush=True,
    )
    start(app, settings, kwargs)
    app.block_thread()


def start(app, settings: Settings, kwargs: dict) -> str:
    """Launch ``app`` in the background with ``kwargs`` (``launch_kwargs``), cap its
    connections, and return its local URL."""
    app.launch(**kwargs, quiet=True, prevent_thread_lock=True)
    harden_server(
        getattr(app, "server", None),
        settings.ui_max_connections,
        settings.ui_max_connections_per_client,
    )
    shown = kwargs["server_name"]
    if shown in ("0.0.0.0", "::", ""):
        shown = "127.0.0.1"
    host = f"[{shown}]" if ":" in shown else shown
    return f"http://{host}:{kwargs['server_port']}"


if __name__ == "__main__":  # pragma: no cover
    serve()
