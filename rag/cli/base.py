"""The `rag` group, its error handling and the helpers every command shares."""

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
        from ..errors import RagError

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
    from ..config import get_settings

    return get_settings(
        store=ctx.obj.get("store"), collection=ctx.obj.get("collection"), **overrides
    )


def _assistant(ctx: click.Context, **overrides):
    from ..assistant import Assistant

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


def _choose_collection(ctx: click.Context, _param, value: str | None) -> None:
    if value is not None:
        from ..errors import ConfigError
        from ..store.collections import check_name

        try:
            ctx.ensure_object(dict)["collection"] = check_name(value)
        except ConfigError as e:
            raise click.BadParameter(str(e)) from None


def collection_option(fn):
    """--collection NAME: the command reads (or writes) that collection of the store."""
    return click.option(
        "--collection",
        default=None,
        metavar="NAME",
        expose_value=False,
        is_eager=True,
        callback=_choose_collection,
        help="The collection of the store to use (env RAG_COLLECTION; default: 'default').",
    )(fn)


def filter_options(fn):
    """--year, --author, --venue, --source: passed on as ``filters`` (a rag.filters.Filters);
    and --collection."""
    import functools

    @click.option(
        "--year", default=None, help="Only papers of these years: 2021, 2019-2023, 2019-."
    )
    @click.option("--author", default=None, help="Only papers with an author of this name.")
    @click.option("--venue", default=None, help="Only papers whose journal/venue contains this.")
    @click.option("--source", default=None, help="Only papers from files whose path contains this.")
    @collection_option
    @functools.wraps(fn)
    def wrapper(*args, year=None, author=None, venue=None, source=None, **kw):
        from ..filters import Filters

        kw["filters"] = Filters.make(year, author, venue, source) or None
        return fn(*args, **kw)

    return wrapper


REF_FORMATS = ("bibtex", "ris", "csl-json")


def write_refs(papers, fmt: str, output: Path | None) -> None:
    """The papers as BibTeX / RIS / CSL-JSON, to ``output`` or standard output."""
    from ..export import export_refs

    text = export_refs(papers, fmt)
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as e:
        raise click.ClickException(f"cannot write {output}: {e.strerror or e}") from None
    click.echo(f"wrote {len(papers)} reference(s) to {output}", err=True)


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
