"""`rag eval`: a question set (or a BEIR dataset) through the Assistant, scored."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .base import _assistant, _dump, _settings, cli, filter_options


@cli.command("eval")
@click.argument("questions", required=False, type=click.Path(path_type=Path))
@click.option(
    "--resume",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Finish this interrupted run (default: the latest unfinished run with the same settings).",
)
@click.option("--fresh", is_flag=True, help="Start a new run even if an unfinished one matches.")
@click.option(
    "--compare",
    nargs=2,
    type=click.Path(exists=True, path_type=Path),
    metavar="RUN_A RUN_B",
    help="Print how RUN_B differs from RUN_A and flag regressions (exit 1 if any).",
)
@click.option(
    "--tolerance",
    type=float,
    default=0.02,
    show_default=True,
    help="With --compare: a quality metric falling by more than this is a regression.",
)
@click.option(
    "--beir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Score retrieval on a BEIR dataset (corpus.jsonl, queries.jsonl, qrels/) instead.",
)
@click.option("--split", default="test", show_default=True, help="With --beir: the qrels split.")
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "dense", "keyword"]),
    default="hybrid",
    show_default=True,
    help="With --beir: the retrieval scored.",
)
@click.option("--keep-store", is_flag=True, help="With --beir: keep the temporary store.")
@click.option("-k", "--top-k", type=int, default=None, help="Sources per answer (default 5).")
@click.option("--backend", type=click.Choice(["auto", "extractive", "llm"]), default=None)
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Questions in parallel (default: 4 with an LLM, else 1).",
)
@click.option("--limit", type=int, default=None, help="Only the first N questions.")
@click.option(
    "--judge/--no-judge", default=None, help="LLM judge (default: on when an LLM is set)."
)
@click.option("--judge-model", default=None, help="Model of the LLM judge (default RAG_LLM_MODEL).")
@click.option(
    "--runs-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="RAG_EVAL_RUNS",
    help="Where runs are written (env RAG_EVAL_RUNS; default eval/runs/).",
)
@click.option(
    "--claims",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Score the claim checker on a claim set (e.g. eval/claims.jsonl) instead.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print summary.json instead of a table.")
@filter_options
@click.pass_context
def eval_cmd(
    ctx,
    questions,
    claims,
    resume,
    fresh,
    compare,
    tolerance,
    beir,
    split,
    mode,
    keep_store,
    top_k,
    backend,
    workers,
    limit,
    judge,
    judge_model,
    runs_dir,
    quiet,
    as_json,
    filters,
):
    """Run a question set through the assistant and report retrieval, citation and answer metrics.

    QUESTIONS is a JSON Lines file (default eval/questions.jsonl; format in eval/README.md).
    Each run writes eval/runs/<timestamp>/: results.jsonl (one line per question, appended as
    it finishes), summary.json (metrics and the full settings), report.md and PNG plots. An
    interrupted run is resumed by the next `rag eval` with the same questions and settings.
    """
    from ..eval.beir import run_beir
    from ..eval.compare import compare_runs, format_comparison, iter_headline
    from ..eval.runs import run_eval

    if compare:
        c = compare_runs(compare[0], compare[1], tolerance=tolerance)
        click.echo(format_comparison(c, compare[0], compare[1]))
        if c.regressions:
            sys.exit(1)
        return
    if claims:
        _claims(ctx, claims, runs_dir, quiet, as_json)
        return
    if beir:
        path, summary = run_beir(
            beir,
            settings=_settings(ctx),
            split=split,
            mode=mode,
            runs_dir=runs_dir,
            keep_store=keep_store,
            progress=not quiet and not as_json,
        )
        if as_json:
            _dump(summary)
            return
        r = summary["run"]
        click.echo(f"BEIR {beir.name}: {r['queries']} queries, {r['corpus']} documents, {mode}")
        for key, v in summary["metrics"].items():
            click.echo(f"  {key:<28} {v:.4f}" if v < 10 else f"  {key:<28} {v:.1f}")
        click.echo(f"report: {path / 'report.md'}")
        return
    out = run_eval(
        questions,
        settings=_settings(ctx),
        runs_dir=runs_dir,
        resume=resume,
        fresh=fresh,
        workers=workers,
        backend=backend,
        k=top_k,
        limit=limit,
        judge=judge,
        judge_model=judge_model,
        progress=not quiet and not as_json,
        filters=filters,
    )
    s = out.summary
    if as_json:
        _dump(s)
        return
    r = s["run"]
    click.echo(
        f"{r['answered']} of {r['questions']} questions ({out.asked} asked now, {out.resumed} "
        f"from before), backend {s['settings']['backend']}, {r['seconds']:.1f} s"
    )
    for key, v in iter_headline(s):
        click.echo(
            f"  {key:<34} {v:.3f}" if isinstance(v, float) and v < 10 else f"  {key:<34} {v}"
        )
    from ..eval.halves import halves_lines

    for line in halves_lines(s):
        click.echo(line)
    if r["errors"]:
        click.echo(f"{r['errors']} question(s) failed: run `rag eval --resume {out.run_dir}`")
        sys.exit(1)
    click.echo(f"report: {out.run_dir / 'report.md'}")


def _claims(ctx, claims: Path, runs_dir, quiet: bool, as_json: bool) -> None:
    """`rag eval --claims FILE`: the claim checker's flag rate by kind, dev and test apart."""
    from ..eval.claims import render_claims_table, run_claims_eval

    path, summary = run_claims_eval(
        claims, _assistant(ctx), runs_dir, progress=not quiet and not as_json
    )
    if as_json:
        _dump(summary)
    else:
        click.echo(f"{summary['n']} claims from {claims}, {summary['seconds']:.1f} s")
        click.echo(render_claims_table(summary))
        click.echo(f"report: {path / 'claims.md'} (plot: {path / 'claims.png'})")
    if summary["errors"]:
        click.echo(f"{len(summary['errors'])} claim(s) cite unknown papers", err=True)
        sys.exit(1)
