"""Checking a draft: check."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .base import _assistant, _dump, cli, collection_option


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print {sentences: [...]} as JSON.")
@collection_option
@click.pass_context
def check(ctx, file, as_json):
    """Verify every sentence of a draft (FILE, or '-' for standard input) against the papers
    it cites: [paper_id]; [n] with a numbered reference list ("[1] Title" or "1. Title", matched
    by DOI or title); a DOI (doi:10.1038/..., https://doi.org/...); or author and year ((Smith,
    2024), (Smith et al., 2024), (Smith and Lee, 2024), Smith et al. (2024)), matched by the
    papers' first author and year.

    Per sentence: supported, unsupported or contradicted, the reason and the best evidence
    sentence; an uncited sentence gets the papers that would support it; a citation several
    papers match (ambiguous) or none matches is named on its sentence.
    """
    from ..check import format_report

    if str(file) == "-":
        text = sys.stdin.read()
    else:
        try:
            text = file.read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            raise click.ClickException(f"{file}: cannot read it ({e.strerror})") from None
    report = _assistant(ctx).check(text)
    if as_json:
        _dump(report.to_dict())
    else:
        click.echo(format_report(report))
