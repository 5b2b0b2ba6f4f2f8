"""Building the index: ingest, migrate, and reading it back: papers, show."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .base import _assistant, _dump, _settings, cli, collection_option


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--prune", is_flag=True, help="Also remove papers whose source file is gone.")
@click.option("--rebuild", is_flag=True, help="Drop the index (any settings) and build it anew.")
@click.option(
    "--wait", type=float, default=0.0, show_default=True, help="Seconds to wait for another writer."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--follow-links",
    is_flag=True,
    help="Follow symbolic links in a folder that lead outside it (not followed by default).",
)
@collection_option
@click.pass_context
def ingest(ctx, paths, prune, rebuild, wait, as_json, quiet, follow_links):
    """Index abstracts: .txt with 'Abstract:' markers, .jsonl/.json/.csv records, or a library
    export (BibTeX, RIS, CSL-JSON, Zotero CSV, PubMed MEDLINE/XML, OpenAlex, arXiv, Semantic
    Scholar; found by extension and content). Entries without an abstract are skipped (counted,
    first titles shown).

    With no PATH, reads the bundled corpus (store/corpus/) into a store that is empty or was
    built from it; any other store is checked and repaired: papers whose vectors or keyword
    entries are missing are embedded again from the catalogue. Incremental: only new or changed
    abstracts are embedded; a second run over the same files changes nothing. Exits 1 when some
    records were rejected (each is listed with its file, line and what to do); the good records
    are ingested all the same.
    """
    from ..parse.library import Skipped

    report = _assistant(ctx).ingest(
        list(paths),
        prune=prune,
        rebuild=rebuild,
        wait=wait,
        progress=not quiet and not as_json,
        follow_links=follow_links,
    )
    if as_json:
        _dump(report.to_dict())
    else:
        for r in report.rejected:
            click.echo(f"{'skipped' if isinstance(r, Skipped) else 'rejected'}: {r}", err=True)
        for line in report.unlisted_lines():
            click.echo(f"rejected: {line}", err=True)
        click.echo(report.summary())
    if report.failed:
        sys.exit(1)


@cli.command()
@click.option(
    "--wait", type=float, default=0.0, show_default=True, help="Seconds to wait for another writer."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@collection_option
@click.pass_context
def migrate(ctx, wait, as_json, quiet):
    """Copy the embedded index to the Chroma server in RAG_CHROMA_HOST, without re-embedding.
    One collection per run (--collection NAME; the default one otherwise).

    For moving a store built on one machine's embedded Chroma to a shared server (`chroma run
    --path DIR --port PORT`). The catalogue and keyword index stay in the store directory; only
    the vectors move. Safe to run again: what is already on the server is skipped.
    """
    from ..store.migrate import copy_to_server

    report = copy_to_server(_settings(ctx), wait=wait, progress=not quiet and not as_json)
    if as_json:
        _dump(report.to_dict())
    else:
        click.echo(report.summary())


@cli.command()
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="JSON array of {paper_id, title, text, source, url, authors, year, venue, doi}.",
)
@collection_option
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
@collection_option
@click.pass_context
def show(ctx, paper_id, as_json):
    """Show one paper in full."""
    p = _assistant(ctx).paper(paper_id)
    if as_json:
        d = p.public()
        d.update({"position": p.position, "line": p.line, "header": p.header})
        _dump(d)
        return
    click.echo(p.title)
    click.echo(f"id: {p.paper_id}   source: {p.source} (abstract {p.position})")
    if p.header:
        click.echo(f"header: {p.header}")
    if p.authors:
        click.echo(f"authors: {'; '.join(p.authors)}")
    for label, value in (("year", p.year), ("venue", p.venue), ("doi", p.doi), ("url", p.url)):
        if value:
            click.echo(f"{label}: {value}")
    click.echo("")
    click.echo(p.text)
