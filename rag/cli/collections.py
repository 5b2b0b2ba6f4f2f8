"""Named collections of one store: collections (list), create, delete."""

from __future__ import annotations

import click

from .base import _assistant, _dump, _settings, cli


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="JSON array of {name, papers, note}.")
@click.pass_context
def collections(ctx, as_json):
    """List the store's collections and how many papers each holds.

    A store holds any number of named collections, each with its own papers, vectors and
    keyword index: a question in one never draws on another. 'default' holds the bundled
    abstracts. `rag ingest --collection NAME PATH...` makes a collection on first use; every
    reading command (ask, search, chat, summarize, eval, papers, status) takes --collection.
    """
    if ctx.invoked_subcommand is not None:
        return
    from ..store.collections import describe

    infos = describe(_settings(ctx))  # read from the catalogues: no model, no Chroma
    if as_json:
        _dump([i.to_dict() for i in infos])
        return
    for i in infos:
        papers = f"{i.papers} paper{'' if i.papers == 1 else 's'}" if i.papers is not None else ""
        note = f"({i.note})" if i.note else ""
        click.echo(f"{i.name:<34} " + " ".join(x for x in (papers, note) if x))


@collections.command("create")
@click.argument("name")
@click.pass_context
def create(ctx, name):
    """Make an empty collection NAME (letters, digits, '-', '_'; lower case)."""
    a = _assistant(ctx)
    from ..store.collections import check_name, exists

    name = check_name(name)
    if exists(a.settings, name):
        click.echo(f"the collection {name!r} exists already")
        return
    a.create_collection(name)
    click.echo(
        f"created the collection {name!r}: add papers with `rag ingest --collection {name} PATH...`"
    )


@collections.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--wait", type=float, default=0.0, show_default=True, help="Seconds to wait for another writer."
)
@click.pass_context
def delete(ctx, name, yes, wait):
    """Delete the collection NAME: its papers, vectors and keyword index (the files the papers
    came from are not touched). Asks first unless --yes."""
    from ..store import collections as colls

    settings = _settings(ctx)
    name = colls.check_name(name)
    if name != colls.DEFAULT and not colls.exists(settings, name):
        raise click.ClickException(
            f"no collection {name!r} in {settings.store}: `rag collections` lists them"
        )
    held = next((i.papers for i in colls.describe(settings) if i.name == name), None)
    if not yes and name != colls.DEFAULT:
        what = f"its {held} papers" if held else "it"
        click.confirm(
            f"Delete the collection {name!r} and {what} from {settings.store}?", abort=True
        )
    n = colls.delete(settings, name, wait=wait)
    click.echo(f"deleted the collection {name!r} ({n} papers)")
