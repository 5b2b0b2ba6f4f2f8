"""Serving and describing: ui, status, bench."""

from __future__ import annotations

import sys

import click

from .base import _assistant, _dump, _settings, cli, collection_option


@cli.command()
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1, env RAG_UI_HOST).")
@click.option("--port", type=int, default=None, help="Port (default 7860, env RAG_UI_PORT).")
@collection_option
@click.pass_context
def ui(ctx, host, port):
    """Serve the browser chat (Gradio) on 127.0.0.1:7860."""
    from ui.app import serve

    serve(_settings(ctx), host=host, port=port)


@cli.command()
@click.option("--check", is_flag=True, help="Also ask the model server which models it serves.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option(
    "--settings", "show_settings", is_flag=True, help="Every setting by group: value, meaning."
)
@collection_option
@click.pass_context
def status(ctx, check, as_json, show_settings):
    """Say which answer backend, model, store and embedding are in use, and why.

    No API key is ever printed, only where it comes from. With --check, the model server is
    asked for its models (GET /models) and whether the configured model is among them.
    """
    from ..status import settings_table, status_lines

    if show_settings:
        table = settings_table(_settings(ctx))
        if as_json:
            _dump(table)
            return
        for group, rows in table.items():
            click.echo(f"[{group}]")
            for r in rows:
                click.echo(f"  {r['env']:<28} {r['value']!s:<24} {r['description']}")
        return
    info = _assistant(ctx).status(check=check)
    failed = check and not str(info["check"]).startswith("ok")
    if as_json:
        _dump(info)
        sys.exit(1 if failed else 0)
    for line in status_lines(info):
        click.echo(line)
    if failed:
        sys.exit(1)


@cli.command(
    add_help_option=False,
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(args):
    """Speed and scale benchmark (bench/speed.py): ingest vs raw encoder, the llama-index starter
    beside ours (`--sections peer`), query latency at 5k/50k/200k abstracts, cold start,
    memory. Long: `rag bench --help` lists the sections."""
    import runpy

    from ..config import REPO_DIR

    script = REPO_DIR / "bench" / "speed.py"
    if not script.exists():
        raise click.ClickException(f"no {script}: the benchmark runs from a source checkout")
    sys.argv = [str(script), *args]
    runpy.run_path(str(script), run_name="__main__")
