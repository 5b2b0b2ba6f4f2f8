"""Asking: ask, search, chat, summarize."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .base import REF_FORMATS, _assistant, _dump, _lines, cli, filter_options, write_refs


def byline(paper) -> str:
    from ..export import byline as line

    return line(paper)


@cli.command()
@click.argument("question")
@click.option("-k", "--top-k", type=int, default=None, help="Papers to draw on (default 5).")
@click.option("--backend", type=click.Choice(["auto", "extractive", "llm"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per answer.")
@click.option(
    "--refs",
    type=click.Choice(REF_FORMATS),
    default=None,
    help="Print (or write to -o) the cited papers as BibTeX, RIS or CSL-JSON instead.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File for --refs."
)
@filter_options
@click.pass_context
def ask(ctx, question, top_k, backend, as_json, refs, output, filters):
    """Answer QUESTION from the indexed abstracts, citing each claim [n].

    With '-' as QUESTION, reads one question per line from standard input and writes one
    result per line (the model loads once). With an LLM (OPENAI_API_KEY or RAG_LLM_BASE_URL),
    the answer streams as the model writes it; the citations are checked at the end.
    """
    from ..errors import RagError

    a = _assistant(ctx)
    if refs:
        cited: dict = {}
        for q in _lines(question):
            ans = a.ask(q, k=top_k, backend=backend, filters=filters)
            for c in ans.citations:
                if c.paper is not None:
                    cited.setdefault(c.paper_id, c.paper)
        write_refs(list(cited.values()), refs, output)
        return
    streaming = not as_json and a.backend_name(backend) == "llm"
    batch = question == "-"
    failed = 0
    for q in _lines(question):
        try:
            if streaming:
                ans = _stream_answer(a.ask_stream(q, k=top_k, backend=backend, filters=filters))
                _answer_footer(ans)
            else:
                ans = a.ask(q, k=top_k, backend=backend, filters=filters)
                if as_json:
                    _dump(ans.to_dict())
                    continue
                click.echo(ans.answer)
                _answer_footer(ans)
        except RagError as e:
            if not batch:
                raise
            failed += 1  # one question failed: say so, answer the rest
            if as_json:
                _dump({"question": q[:200], "error": str(e)})
            else:
                click.echo(f"error: {e}", err=True)
        if batch:
            click.echo("")
    if batch and a.usage.calls:
        click.echo(f"run total: {a.usage.summary()}", err=True)
    if failed:
        click.echo(f"{failed} question(s) failed", err=True)
        raise SystemExit(1)


@cli.command()
@click.argument("query")
@click.option("-k", "--top-k", type=int, default=10, show_default=True)
@click.option(
    "--mode", type=click.Choice(["hybrid", "dense", "keyword"]), default="hybrid", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="A JSON array per query.")
@filter_options
@click.pass_context
def search(ctx, query, top_k, mode, as_json, filters):
    """Rank papers for QUERY (dense + BM25, fused). '-' reads queries from standard input."""
    a = _assistant(ctx)
    for q in _lines(query):
        hits = a.search(q, k=top_k, mode=mode, filters=filters)
        if as_json:
            _dump([h.public() for h in hits])
            continue
        for i, h in enumerate(hits, start=1):
            click.echo(f"{i:>3}. {h.score:.3f}  {h.paper.title}  ({h.paper.paper_id})")
            if byline(h.paper):
                click.echo(f"      {byline(h.paper)}")
            click.echo(f"      {h.snippet}")


def _stream_answer(items) -> object:
    """Print the text deltas of ``Assistant.ask_stream`` as they come; return the Answer."""
    from ..records import Answer

    ans = None
    for item in items:
        if isinstance(item, Answer):
            ans = item
        else:
            click.echo(item, nl=False)
    click.echo("")
    return ans


def _answer_footer(ans) -> None:
    """What follows an answer's text: checks, sources with support, usage."""
    llm = ans.backend == "llm"
    if ans.interrupted:
        click.echo(f"[interrupted: {ans.reason or 'the stream ended early'}]", err=True)
    if ans.truncated:
        click.echo(f"[truncated: {ans.reason}]", err=True)
    if ans.removed_citations:
        nums = ", ".join(f"[{n}]" for n in ans.removed_citations)
        click.echo(f"removed citations to sources that were not given: {nums}", err=True)
    for s in ans.sentences:
        if not s.supported:
            why = s.reason or ("no citation" if s.support is None else f"support {s.support:.2f}")
            click.echo(f"{s.verdict or 'unsupported'} ({why}): {s.text}", err=True)
    if ans.citations:
        click.echo("")
        for c in ans.citations:
            sup = f" · support {c.support:.2f}" if llm and c.support is not None else ""
            click.echo(f"[{c.n}] {c.title} ({c.paper_id})" + (f" {c.url}" if c.url else "") + sup)
            if c.paper is not None and byline(c.paper):
                click.echo(f"    {byline(c.paper)}")
            click.echo(f"    “{c.snippet}”")
    if ans.standalone_question:
        click.echo(f"(searched for: {ans.standalone_question})", err=True)
    u = ans.usage
    if llm and u and u.get("calls"):
        cost = f"${u['cost_usd']:.5f}" if u.get("cost_usd") is not None else "cost unknown"
        est = " (estimated)" if u.get("estimated") else ""
        click.echo(
            f"tokens: {u['prompt_tokens']} prompt + {u['completion_tokens']} completion"
            f"{est} · {u['model']} · {cost}",
            err=True,
        )


@cli.command()
@click.option("-k", "--top-k", type=int, default=None, help="Papers to draw on (default 5).")
@click.option("--backend", type=click.Choice(["auto", "extractive", "llm"]), default=None)
@filter_options
@click.pass_context
def chat(ctx, top_k, backend, filters):
    """Chat with the abstracts: follow-up questions build on the conversation.

    Each turn is rewritten into a standalone question (by the LLM; offline by a simple
    heuristic), retrieved and answered on its own, with its own citations. Type /new to start
    over, /exit or Ctrl-D to leave.
    """
    from ..chat import Conversation
    from ..errors import RagError

    a = _assistant(ctx)
    a.filters = filters  # every turn retrieves within them
    name = a.backend_name(backend)
    click.echo(f"rag chat · {name} answers · /new starts over · /exit or Ctrl-D leaves", err=True)
    conv = Conversation(a, k=top_k, backend=backend)
    while True:
        try:
            line = input("you> ")
        except EOFError:
            click.echo("")
            break
        line = line.strip()
        if not line:
            continue
        if line in ("/exit", "/quit", "/q"):
            break
        if line == "/new":
            conv.reset()
            click.echo("(new conversation)", err=True)
            continue
        try:
            ans = _stream_answer(conv.stream(line))
        except RagError as e:  # say it and keep the chat going
            click.echo("")
            click.echo(f"error: {e}", err=True)
            continue
        _answer_footer(ans)
        click.echo("")
    if a.usage.calls:
        click.echo(f"run total: {a.usage.summary()}", err=True)


@cli.command()
@click.argument("topic")
@click.option("--max-papers", type=int, default=None, help="At most this many papers (default 40).")
@click.option("--backend", type=click.Choice(["auto", "extractive", "llm"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default=None,
    help="Output format (default text; markdown when writing to a file).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the summary (or with --refs its references) to this file.",
)
@click.option(
    "--refs",
    type=click.Choice(REF_FORMATS),
    default=None,
    help="The summary's cited papers as BibTeX, RIS or CSL-JSON instead of the summary.",
)
@filter_options
@click.pass_context
def summarize(ctx, topic, max_papers, backend, as_json, fmt, output, refs, filters):
    """Summarize what the collection holds on TOPIC, by theme, every statement cited.

    Retrieves broadly, keeps the papers really on the topic (a calibrated cut), groups them into
    themes and cites each paper's contribution. A topic the collection does not cover gets a
    plain "not covered" answer. `--format markdown -o report.md` saves a report with a
    reference list.
    """
    s = _assistant(ctx).summarize(topic, max_papers=max_papers, backend=backend, filters=filters)
    if refs:
        write_refs([c.paper for c in s.citations if c.paper is not None], refs, output)
        return
    fmt = "json" if as_json else (fmt or ("markdown" if output else "text"))
    if fmt == "json":
        text = json.dumps(s.to_dict(), ensure_ascii=False)
    elif fmt == "markdown":
        text = s.to_markdown()
    else:
        text = s.to_text()
    if output:
        try:
            output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        except OSError as e:
            raise click.ClickException(f"cannot write {output}: {e.strerror or e}") from None
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text)
