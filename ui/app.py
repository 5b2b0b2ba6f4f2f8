"""The browser chat (Gradio): chat with cited answers, research-area summaries, the corpus, settings.

A thin layer over ``rag.assistant.Assistant``. This module lays out the page; the behaviour lives
in ``ui.handlers`` and ``ui.adding`` (plain functions, tested without a server), the HTML in
``ui.render`` and ``ui.pages`` (escaped text only), the chat's and the uploads' events in
``ui.events``, the public API in ``ui.api``, and the safe launch defaults (127.0.0.1, no share
link, optional login, upload and queue limits, the store and the checkout never served) in
``ui.launch``.

Public API endpoints (stable names): ``/ask`` (question -> the ``rag ask --json`` dictionary) and
``/summarize`` (topic -> the ``rag summarize --json`` dictionary). Every other handler is private.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import SimpleNamespace

import gradio as gr  # at module level: handlers' `gr.Request` hints must resolve here

from rag.assistant import Assistant
from rag.config import Settings, get_settings
from rag.errors import RagError
from rag.parse.common import SUPPORTED

from . import render
from .api import add_api
from .conversations import Conversations
from .events import wire_chat, wire_collections, wire_uploads
from .guard import CSP, Guard
from .handlers import EXAMPLE_QUESTIONS, EXAMPLE_TOPICS, MAX_DRAFT_CHARS, Handlers, make_filters
from .launch import blocked_paths, launch_kwargs, load_auth, start, warm_up
from .scripts import CITE_JS

__all__ = [
    "CSP",
    "Guard",
    "blocked_paths",
    "build_app",
    "launch_kwargs",
    "load_auth",
    "serve",
    "start",
    "warm_up",
]

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

UPLOAD_TYPES = list(SUPPORTED)  # what the parser reads, from rag.parse


def _on(h: Handlers, collection: str | None) -> Handlers:
    """The handlers over ``collection``; this app's own when it is gone (deleted meanwhile)."""
    try:
        return h.on(collection)
    except RagError:
        return h


def build_app(settings: Settings | None = None, assistant: Assistant | None = None):
    """The gradio Blocks app over one assistant (not launched)."""
    settings = settings or (assistant.settings if assistant else get_settings())
    h = Handlers(assistant or Assistant(settings))
    convs = Conversations(h.assistant)
    summary_dir = Path(tempfile.mkdtemp(prefix="rag-ui-summaries-"))
    private = {"api_visibility": "private"}
    heavy = {"concurrency_id": "rag", "concurrency_limit": settings.ui_concurrency}

    with gr.Blocks(title="Research abstracts · cited answers", analytics_enabled=False) as app:
        gr.Markdown("## Research abstracts · cited answers", elem_id="rag-title")
        status = gr.HTML(h.status_line(), elem_id="rag-status-line")
        # saved chats: the open one and this browser's own id survive a reload
        open_chat = gr.BrowserState("", storage_key="rag-open-chat")
        browser_id = gr.BrowserState("", storage_key="rag-browser-id")
        # the same two for this page's session (a BrowserState input keeps its first value)
        sess_chat, sess_browser = gr.State(""), gr.State("")
        with gr.Sidebar(open=True, elem_id="rag-sidebar", width=290):
            # the collection of the store that chat, summaries, corpus and uploads work on
            collection = gr.Dropdown(
                choices=h.collections(),
                value=h.assistant.collection,
                label="Collection",
                interactive=True,
                elem_id="rag-collection",
            )
            with gr.Accordion("New or delete a collection", open=False, elem_id="rag-coll-tools"):
                coll_name = gr.Textbox(
                    label="Name of a new collection",
                    placeholder="e.g. sleep-2024",
                    max_length=32,
                    lines=1,
                    elem_id="rag-coll-name",
                )
                coll_create = gr.Button("Create", size="sm", elem_id="rag-coll-create")
                coll_delete = gr.Button(
                    "Delete the chosen collection",
                    size="sm",
                    variant="stop",
                    elem_id="rag-coll-delete",
                )
                coll_msg = gr.HTML("", elem_id="rag-coll-msg")
                coll_confirm = gr.Textbox("", visible=False)  # the page's "sure?" answer
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
                    # the input and the examples open once the page has loaded (ui.events)
                    example_buttons = [
                        gr.Button(q, size="sm", variant="secondary", interactive=False)
                        for q in EXAMPLE_QUESTIONS
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
                        interactive=False,
                    )
                    send = gr.Button(
                        "Ask", variant="primary", scale=1, elem_id="rag-ask", interactive=False
                    )
                    stop = gr.Button("Stop (Esc)", scale=1, elem_id="rag-stop", variant="secondary")
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

        # --- events (all private; the public API is in ui.api) ----------------------------------
        c = SimpleNamespace(
            box=box,
            send=send,
            stop=stop,
            turns=turns,
            conversation=conversation,
            examples_row=examples_row,
            example_buttons=example_buttons,
            chat_refs=chat_refs,
            k=k,
            backend=backend,
            model=model,
            filter_boxes=filter_boxes,
            collection=collection,
            coll_name=coll_name,
            coll_create=coll_create,
            coll_delete=coll_delete,
            coll_msg=coll_msg,
            coll_confirm=coll_confirm,
            open_chat=open_chat,
            sess_chat=sess_chat,
            browser_id=browser_id,
            sess_browser=sess_browser,
            chat_list=chat_list,
            chat_title=chat_title,
            new=new,
            rename_btn=rename_btn,
            delete_btn=delete_btn,
            export_btn=export_btn,
            report=report,
            listing=listing,
            status=status,
            status_table=status_table,
            cancel_upload=cancel_upload,
            add_btn=add_btn,
            p_text=p_text,
            p_title=p_title,
            p_url=p_url,
            upload_btn=upload_btn,
            files=files,
        )
        wire_chat(app, h, convs, settings, summary_dir, heavy, c)
        wire_uploads(h, c)
        wire_collections(h, c)

        def on_summary(topic_value, *fvalues):
            *fvalues, coll = fvalues
            try:
                flt = make_filters(*fvalues)
                on = h.on(coll)
            except RagError as e:
                hidden = gr.DownloadButton(visible=False)
                return render.error_html(str(e)), hidden, hidden
            html, path, refs = on.summary_page_refs(topic_value, summary_dir, flt)
            return (
                html,
                gr.DownloadButton(value=path, visible=bool(path)),
                gr.DownloadButton(value=refs, visible=bool(refs)),
            )

        summary_io = {
            "inputs": [topic, *filter_boxes, collection],
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
            *fvalues, coll = fvalues
            try:
                flt = make_filters(*fvalues)
                on = h.on(coll)
            except RagError as e:
                return render.error_html(str(e))
            return on.browse(q, int(p or 1), flt)

        browse_in = [query, page, *filter_boxes, collection]
        query.submit(on_browse, browse_in, listing, **private, **heavy)
        search_btn.click(on_browse, browse_in, listing, **private, **heavy)
        page.submit(on_browse, browse_in, listing, **private, **heavy)

        def on_refresh(current, coll):
            listed = h.models()
            choices = sorted({*listed, settings.llm_model, *([current] if current else [])})
            on = _on(h, coll)
            return on.status_html(), on.status_line(), gr.Dropdown(choices=choices, value=current)

        refresh.click(on_refresh, [model, collection], [status_table, status, model], **private)

        def on_page(coll):
            """Status and corpus of the chosen collection."""
            on = _on(h, coll)
            return on.status_line(), on.status_html(), on.browse("", 1)

        def on_collections(coll):
            """The picker's list brought up to date (collections made or deleted meanwhile)."""
            names = h.collections()
            if coll in names:  # the value is left alone: a chat reopened on load may set it
                return gr.Dropdown(choices=names)
            return gr.Dropdown(choices=names, value=names[0])

        app.load(on_collections, collection, collection, **private)
        # a collection chosen, or set by a chat opened in it: the page follows
        app.load(on_page, collection, [status, status_table, listing], **private)
        collection.change(on_page, collection, [status, status_table, listing], **private)
        # writes from other tabs or processes: the paper count follows within seconds
        gr.Timer(5.0).tick(
            lambda coll: (_on(h, coll).status_line(), _on(h, coll).status_html()),
            collection,
            [status, status_table],
            queue=False,
            show_progress="hidden",
            **private,
        )

        add_api(h, heavy)

    app.queue(default_concurrency_limit=settings.ui_concurrency, max_size=settings.ui_queue_size)
    app.rag_handlers = h  # for tests and embedding
    return app


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


if __name__ == "__main__":  # pragma: no cover
    serve()
