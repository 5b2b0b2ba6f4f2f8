"""The chat's and the uploads' events: gradio components wired to ``ui.handlers`` (all private)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr  # at module level: the handlers' `gr.Request` hints must resolve here

from rag.config import Settings
from rag.errors import RagError

from . import render
from .conversations import Conversations, new_browser_id, owner_of
from .handlers import EXAMPLE_QUESTIONS, Handlers, make_filters

PRIVATE = {"api_visibility": "private"}
# A question sent while this page's previous answer is still running (streaming, or being saved)
# is asked as soon as that one ends. Gradio's default ("once") drops such a send without a word:
# Enter pressed the moment an answer showed, before its event had ended, asked nothing at all.
SEND_WHILE_BUSY = {"trigger_mode": "always_last"}
# the page at once, when an answer is stopped: no caret left blinking (the server marks the turn
# stopped too, for the next repaint and the saved chat). A frame the server had already sent when
# the stop was pressed can still arrive, and gradio patches the page with it node by node (class,
# caret), so the turn would blink again: for a few seconds, such a repaint is marked stopped again. Any other change of the
# chat (a new question, a new chat) ends the watch, so the next answer streams as usual.
STOPPED_JS = """() => {
  const conv = document.querySelector('#rag-conversation');
  const turns = () => (conv ? conv.querySelectorAll('.rag-turn').length : 0);
  const late = '.rag-streaming, .rag-stopped .rag-caret, .rag-stopped .rag-pending';
  const stopAll = () => {
    document.querySelectorAll('#rag-conversation .rag-streaming').forEach((e) => {
      e.classList.remove('rag-streaming');
      e.classList.add('rag-stopped');
    });
    document.querySelectorAll('#rag-conversation .rag-stopped').forEach((e) => {
      e.querySelectorAll('.rag-caret, .rag-pending').forEach((c) => c.remove());
      if (e.querySelector(':scope > .rag-stopped-note')) return;
      const note = document.createElement('div');
      note.className = 'rag-meta rag-stopped-note';
      note.textContent = 'Stopped.';
      e.appendChild(note);
    });
  };
  stopAll();
  if (!conv) return;
  if (window.__ragStopWatch) window.__ragStopWatch.disconnect();
  const n = turns();
  const watch = new MutationObserver(() => {
    if (turns() !== n) { watch.disconnect(); return; }
    if (conv.querySelector(late)) stopAll();
  });
  watch.observe(conv, { childList: true, subtree: true, characterData: true });
  window.__ragStopWatch = watch;
  setTimeout(() => watch.disconnect(), 5000);
}"""


def _owner(request) -> str:
    """Whose upload or chat this is: the login name when there is one, else the browser tab."""
    return getattr(request, "username", None) or getattr(request, "session_hash", None) or ""


def _whose(request, bid: str) -> str:
    """The owner of this page's chats (its login, else its browser's id)."""
    session = getattr(request, "session_hash", None) or ""
    return owner_of(getattr(request, "username", None), bid, session)


def wire_chat(
    app,
    h: Handlers,
    convs: Conversations,
    settings: Settings,
    summary_dir: Path,
    heavy: dict,
    c,
) -> None:
    """Asking (streamed, stoppable), and the saved chats of the sidebar: new, open, rename,
    delete, and the open one back after a reload. ``c`` holds the page's components."""
    private = PRIVATE
    box, send, stop, turns = c.box, c.send, c.stop, c.turns
    conversation, examples_row, example_buttons, chat_refs = (
        c.conversation,
        c.examples_row,
        c.example_buttons,
        c.chat_refs,
    )
    k, backend, model, filter_boxes = c.k, c.backend, c.model, c.filter_boxes
    collection = c.collection
    open_chat, sess_chat, browser_id, sess_browser = (
        c.open_chat,
        c.sess_chat,
        c.browser_id,
        c.sess_browser,
    )
    chat_list, chat_title, new, rename_btn = c.chat_list, c.chat_title, c.new, c.rename_btn
    delete_btn, export_btn = c.delete_btn, c.export_btn

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
        coll_v,
        request: gr.Request,
    ):
        k_int = int(k_value or settings.top_k)
        skip = gr.skip()
        try:
            flt = make_filters(f_year_v, f_author_v, f_venue_v, f_source_v)
            on = h.on(coll_v)  # the chosen collection (gone meanwhile: said in the page)
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
        owner = _whose(request, bid)
        t, html, cleared = state, None, False
        for t, html in on.chat(message, state, k_int, backend_value, model_value, flt):
            if t and t[-1].get("result") is not None:
                continue  # the finished turn is painted once, below, with the chat it is saved in
            # the box is emptied once, as the question is taken: what is typed meanwhile stays
            yield (
                t,
                html,
                skip if cleared else "",
                gr.Row(visible=not t),
                gr.DownloadButton(visible=False),
                *([skip] * 4),
            )
            cleared = True
        path = on.chat_refs(t, "bibtex", summary_dir)
        # the finished turn is saved: the sidebar lists the chat, a reload brings it back. The
        # answer, its saved chat and the sidebar come in this one last update, so that the event
        # ends as the finished answer shows: a question sent the moment it shows is never asked
        # while this event is still running (see ``SEND_WHILE_BUSY``)
        chat_id = convs.save(owner, chat_id, t, on.assistant.collection)
        yield (
            t,
            html,
            skip if cleared else "",
            gr.Row(visible=not t),
            gr.DownloadButton(value=path, visible=bool(path)),
            chat_id,
            chat_id,
            chats_of(owner, chat_id),
            convs.export(owner, chat_id),
        )

    chat_io = {
        "inputs": [box, turns, k, backend, model, sess_chat, sess_browser, *filter_boxes]
        + [collection],
        "outputs": [turns, conversation, box, examples_row, chat_refs, open_chat, sess_chat]
        + [chat_list, export_btn],
    }
    chat_events = [
        box.submit(on_chat, **chat_io, **private, **heavy, **SEND_WHILE_BUSY),
        send.click(on_chat, **chat_io, **private, **heavy, **SEND_WHILE_BUSY),
    ]
    for b, q in zip(example_buttons, EXAMPLE_QUESTIONS, strict=True):
        chat_events.append(
            b.click(lambda q=q: q, None, box, queue=False, **private).then(
                on_chat, **chat_io, **private, **heavy
            )
        )
    # Stop (or Esc in the page) ends a streaming answer where it is
    stop.click(None, None, None, cancels=chat_events, queue=False, js=STOPPED_JS, **private)

    chat_state = [turns, conversation, box, examples_row, open_chat, sess_chat, chat_list]
    chat_state += [chat_title, export_btn, chat_refs]

    def on_new(bid, request: gr.Request):
        owner = _whose(request, bid)
        t, html = h.new_chat()
        hidden = gr.DownloadButton(visible=False)
        return t, html, "", gr.Row(visible=True), "", "", chats_of(owner, ""), "", None, hidden

    c.on_new, c.chat_state = on_new, chat_state  # for the collection tools (wire_collections)
    new.click(on_new, sess_browser, chat_state, queue=False, **private)
    # another collection: a new chat (a follow-up never mixes two collections' papers)
    collection.input(on_new, sess_browser, chat_state, queue=False, **private)

    def on_open(chat_id, bid, request: gr.Request):
        owner = _whose(request, bid)
        cid, t, html = convs.open(owner, chat_id)
        try:  # the chat's cited references, from the collection it was asked in
            refs = h.on(convs.collection(owner, cid) or None).chat_refs(t, "bibtex", summary_dir)
        except RagError:
            refs = None
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
            gr.DownloadButton(value=refs, visible=bool(refs)),
        )

    def on_open_in(chat_id, bid, request: gr.Request):
        """Open a chat and choose the collection it was asked in (follow-ups stay there)."""
        owner = _whose(request, bid)
        where = convs.collection(owner, chat_id)
        pick = gr.Dropdown(value=where) if where in h.collections() else gr.skip()
        return (*on_open(chat_id, bid, request), pick)

    def on_pick(chat_id, current, bid, request: gr.Request):
        """A chat chosen in the sidebar; the one already open is left as it is (a second
        opening of it, delivered late, put back the sidebar and title it had read before a
        rename made meanwhile)."""
        if chat_id and chat_id == current:
            return tuple(gr.skip() for _ in range(len(chat_state) + 1))
        return on_open_in(chat_id, bid, request)

    chat_list.input(
        on_pick, [chat_list, sess_chat, sess_browser], [*chat_state, collection], **private
    )

    def on_rename(chat_id, title, bid, request: gr.Request):
        owner = _whose(request, bid)
        convs.rename(owner, chat_id, title)
        return chats_of(owner, chat_id), convs.export(owner, chat_id)

    rename_io = ([sess_chat, chat_title, sess_browser], [chat_list, export_btn])
    rename_btn.click(on_rename, *rename_io, **private)
    chat_title.submit(on_rename, *rename_io, **private)

    def on_delete(chat_id, bid, request: gr.Request):
        convs.delete(_whose(request, bid), chat_id)
        return on_new(bid, request)

    delete_btn.click(on_delete, [sess_chat, sess_browser], chat_state, **private)

    def on_load(chat_id, bid, request: gr.Request):
        bid = bid or new_browser_id()
        opened = list(on_open_in(chat_id, bid, request))
        # the input opens only now that the page knows whose chats it saves (asked earlier, a
        # chat would be saved for nobody the page can list)
        opened[chat_state.index(box)] = gr.Textbox(value="", interactive=True)
        ready = [gr.Button(interactive=True) for _ in (send, *example_buttons)]
        return (bid, bid, *opened, *ready)

    app.load(
        on_load,
        [open_chat, browser_id],
        [browser_id, sess_browser, *chat_state, collection, send, *example_buttons],
        **private,
    )


def wire_uploads(h: Handlers, c) -> None:
    """Adding abstracts (paste or files): progress in the report area, a place in line, cancel."""
    private = PRIVATE
    report, listing, status, status_table = c.report, c.listing, c.status, c.status_table
    cancel_upload, add_btn, p_text, p_title = c.cancel_upload, c.add_btn, c.p_text, c.p_title
    p_url, upload_btn, files = c.p_url, c.upload_btn, c.files

    # uploads: the report area shows the progress; a second upload waits its turn in line
    def upload_updates(on: Handlers, steps, clear_files: bool = False):
        for done, html in steps:
            more = [gr.skip() if not done else None] if clear_files else []
            if not done:
                yield html, gr.skip(), gr.skip(), gr.skip(), gr.Button(visible=True), *more
            else:
                page = on.browse("", 1)
                yield (
                    html,
                    page,
                    on.status_line(),
                    on.status_html(),
                    gr.Button(visible=False),
                    *more,
                )

    def gone(e: RagError, clear_files: bool = False):
        skip = gr.skip()
        return render.error_html(str(e)), skip, skip, skip, skip, *([skip] if clear_files else [])

    def on_add_text(text, title, url, coll, request: gr.Request):
        try:
            on = h.on(coll)  # into the chosen collection
        except RagError as e:
            yield gone(e)
            return
        yield from upload_updates(on, on.add_text_steps(text, title, url, _owner(request)))

    def on_add_files(paths, coll, request: gr.Request):
        try:
            on = h.on(coll)
        except RagError as e:
            yield gone(e, clear_files=True)
            return
        steps = on.add_files_steps(paths, _owner(request))
        yield from upload_updates(on, steps, clear_files=True)

    # not one at a time here: the handlers keep the line, so each upload can show its place
    ingest_opts = {"concurrency_id": "ingest", "concurrency_limit": 8}
    upload_out = [report, listing, status, status_table, cancel_upload]
    add_btn.click(
        on_add_text,
        [p_text, p_title, p_url, c.collection],
        upload_out,
        show_progress="hidden",
        **private,
        **ingest_opts,
    )
    upload_btn.click(
        on_add_files,
        [files, c.collection],
        [*upload_out, files],
        show_progress="hidden",
        **private,
        **ingest_opts,
    )

    def on_cancel_upload(request: gr.Request):
        h.cancel_upload(_owner(request))

    cancel_upload.click(on_cancel_upload, None, None, queue=False, **private)


# the page asks before a collection is deleted; its answer is the third input ("yes" or "")
CONFIRM_DELETE_JS = """(name, bid, _) => [name, bid, window.confirm(
  'Delete the collection \u201c' + name + '\u201d and every paper indexed in it? ' +
  'This cannot be undone.') ? 'yes' : '']"""


def wire_collections(h: Handlers, c) -> None:
    """The sidebar's collection tools: make a new collection (it is chosen, a new chat starts),
    delete the chosen one after the page asked (the default one is chosen again)."""
    chat_state, on_new = c.chat_state, c.on_new
    outputs = [c.collection, c.coll_msg, c.coll_name, *chat_state]

    def picked(result, bid, request):
        names, chosen, msg = result
        # refused, or not confirmed: the choice, the typed name and the chat stay
        if chosen is None:
            return gr.Dropdown(choices=names), msg, gr.skip(), *([gr.skip()] * len(chat_state))
        return gr.Dropdown(choices=names, value=chosen), msg, "", *on_new(bid, request)

    def on_create(name, bid, request: gr.Request):
        return picked(h.create_collection(name), bid, request)

    def on_delete(name, bid, sure, request: gr.Request):
        return picked(h.delete_collection(name if sure == "yes" else ""), bid, request)

    c.coll_create.click(on_create, [c.coll_name, c.sess_browser], outputs, **PRIVATE)
    c.coll_name.submit(on_create, [c.coll_name, c.sess_browser], outputs, **PRIVATE)
    c.coll_delete.click(
        on_delete,
        [c.collection, c.sess_browser, c.coll_confirm],
        outputs,
        js=CONFIRM_DELETE_JS,
        **PRIVATE,
    )
