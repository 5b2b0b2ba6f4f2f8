"""The `rag` command. Each command's docstring is its --help; heavy imports happen inside."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import click

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class RagGroup(click.Group):
    """Turns the library's errors into one clear line and a non-zero exit, never a traceback."""

    def invoke(self, ctx):
        from .errors import RagError

        try:
            return super().invoke(ctx)
        except RagError as e:
            raise click.ClickException(str(e)) from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            sys.exit(0)


def _settings(ctx: click.Context, **overrides):
    from .config import get_settings

    return get_settings(store=ctx.obj.get("store"), **overrides)


def _assistant(ctx: click.Context, **overrides):
    from .assistant import Assistant

    if "assistant" not in ctx.obj:
        ctx.obj["assistant"] = Assistant(_settings(ctx, **overrides))
    return ctx.obj["assistant"]


def _lines(arg: str) -> Iterator[str]:
    """The argument itself, or with '-' one item per non-empty line of standard input."""
    if arg == "-":
        for line in sys.stdin:
            if line.strip():
                yield line.strip()
    else:
        yield arg


def _dump(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


@click.group(cls=RagGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="RAG_STORE",
    help="Directory the index lives in (env RAG_STORE; default: store/ of this checkout).",
)
@click.version_option(package_name="rag")
@click.pass_context
def cli(ctx: click.Context, store: Path | None) -> None:
    """Cited answers from a collection of research-paper abstracts.

    Start with `rag ingest` (the bundled abstracts), then `rag ask "..."`.
    """
    ctx.ensure_object(dict)
    ctx.obj["store"] = store


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--prune", is_flag=True, help="Also remove papers whose source file is gone.")
@click.option("--rebuild", is_flag=True, help="Drop the index (any settings) and build it anew.")
@click.option(
    "--wait", type=float, default=0.0, show_default=True, help="Seconds to wait for another writer."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def ingest(ctx, paths, prune, rebuild, wait, as_json, quiet):
    """Index abstracts (.txt with 'Abstract:' markers, .jsonl, .json, .csv).

    With no PATH, reads the bundled corpus (store/corpus/). Incremental: only new or changed
    abstracts are embedded; a second run over the same files changes nothing. Exits 1 when some
    records were rejected (each is listed with its file, line and what to do); the good records
    are ingested all the same.
    """
    from .ingest import ingest as run_ingest

    settings = _settings(ctx)
    targets = list(paths) or [settings.corpus]
    report = run_ingest(
        targets,
        settings,
        prune=prune,
        rebuild=rebuild,
        wait=wait,
        progress=not quiet and not as_json,
    )
    if as_json:
        _dump(report.to_dict())
    else:
        for r in report.rejected:
            click.echo(f"rejected: {r}", err=True)
        click.echo(report.summary())
    if report.rejected:
        sys.exit(1)


@cli.command()
@click.argument("question")
@click.option("-k", "--top-k", type=int, default=None, help="Papers to draw on (default 5).")
@click.option("--backend", type=click.Choice(["auto", "extractive", "llm"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per answer.")
@click.pass_context
def ask(ctx, question, top_k, backend, as_json):
    """Answer QUESTION from the indexed abstracts, citing each claim [n].

    With '-' as QUESTION, reads one question per line from standard input and writes one
    result per line (the model loads once).
    """
    a = _assistant(ctx)
    for q in _lines(question):
        ans = a.ask(q, k=top_k, backend=backend)
        if as_json:
            _dump(ans.to_dict())
            continue
        click.echo(ans.answer)
        if ans.citations:
            click.echo("")
            for c in ans.citations:
                click.echo(f"[{c.n}] {c.title} ({c.paper_id})" + (f" {c.url}" if c.url else ""))
                click.echo(f"    “{c.snippet}”")
        if question == "-":
            click.echo("")


@cli.command()
@click.argument("query")
@click.option("-k", "--top-k", type=int, default=10, show_default=True)
@click.option(
    "--mode", type=click.Choice(["hybrid", "dense", "keyword"]), default="hybrid", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="A JSON array per query.")
@click.pass_context
def search(ctx, query, top_k, mode, as_json):
    """Rank papers for QUERY (dense + BM25, fused). '-' reads queries from standard input."""
    a = _assistant(ctx)
    for q in _lines(query):
        hits = a.search(q, k=top_k, mode=mode)
        if as_json:
            _dump([h.public() for h in hits])
            continue
        for i, h in enumerate(hits, start=1):
            click.echo(f"{i:>3}. {h.score:.3f}  {h.paper.title}  ({h.paper.paper_id})")
            click.echo(f"      {h.snippet}")


@cli.command()
@click.option(
    "--json", "as_json", is_flag=True, help="JSON array of {paper_id, title, text, source, url}."
)
@click.pass_context
def papers(ctx, as_json):
    """List the indexed papers."""
    ps = _assistant(ctx).papers()
    if as_json:
        _dump([p.public() for p in ps])
        return
    for p in ps:
        click.echo(f"{p.paper_id}  {p.title}")
    click.echo(f"{len(ps)} papers", err=True)


@cli.command()
@click.argument("paper_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx, paper_id, as_json):
    """Show one paper in full."""
    p = _assistant(ctx).paper(paper_id)
    if as_json:
        d = p.public()
        d.update(
            {
                "position": p.position,
                "line": p.line,
                "header": p.header,
                "authors": p.authors,
                "year": p.year,
            }
        )
        _dump(d)
        return
    click.echo(p.title)
    click.echo(f"id: {p.paper_id}   source: {p.source} (abstract {p.position})")
    if p.header:
        click.echo(f"header: {p.header}")
    if p.url:
        click.echo(f"url: {p.url}")
    click.echo("")
    click.echo(p.text)


@cli.command()
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1, env RAG_UI_HOST).")
@click.option("--port", type=int, default=None, help="Port (default 7860, env RAG_UI_PORT).")
@click.pass_context
def ui(ctx, host, port):
    """Serve the browser chat (Gradio) on 127.0.0.1:7860."""
    from ui.app import serve

    serve(_settings(ctx), host=host, port=port)


def main() -> None:
    cli(prog_name="rag")


if __name__ == "__main__":
    main()
