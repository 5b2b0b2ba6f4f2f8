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
    report = _assistant(ctx).ingest(
        list(paths),
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
@click.option(
    "--wait", type=float, default=0.0, show_default=True, help="Seconds to wait for another writer."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def migrate(ctx, wait, as_json, quiet):
    """Copy the embedded index to the Chroma server in RAG_CHROMA_HOST, without re-embedding.

    For moving a store built on one machine's embedded Chroma to a shared server (`chroma run
    --path DIR --port PORT`). The catalogue and keyword index stay in the store directory; only
    the vectors move. Safe to run again: what is already on the server is skipped.
    """
    from .store.migrate import copy_to_server

    report = copy_to_server(_settings(ctx), wait=wait, progress=not quiet and not as_json)
    if as_json:
        _dump(report.to_dict())
    else:
        click.echo(report.summary())


@cli.command()
@click.argument("question")
@click.option("-k", "--top-k", type=int, default=None, help="Papers to draw on (default 5).")
@click.option("--backend", type=click.Choice(["auto", "extractive", "llm"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per answer.")
@click.pass_context
def ask(ctx, question, top_k, backend, as_json):
    """Answer QUESTION from the indexed abstracts, citing each claim [n].

    With '-' as QUESTION, reads one question per line from standard input and writes one
    result per line (the model loads once). With an LLM (OPENAI_API_KEY or RAG_LLM_BASE_URL),
    the answer streams as the model writes it; the citations are checked at the end.
    """
    a = _assistant(ctx)
    streaming = not as_json and a.backend_name(backend) == "llm"
    for q in _lines(question):
        if streaming:
            ans = _stream_answer(a.ask_stream(q, k=top_k, backend=backend))
            _answer_footer(ans)
        else:
            ans = a.ask(q, k=top_k, backend=backend)
            if as_json:
                _dump(ans.to_dict())
                continue
            click.echo(ans.answer)
            _answer_footer(ans)
        if question == "-":
            click.echo("")
    if question == "-" and a.usage.calls:
        click.echo(f"run total: {a.usage.summary()}", err=True)


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
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print summary.json instead of a table.")
@click.pass_context
def eval_cmd(
    ctx,
    questions,
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
):
    """Run a question set through the assistant and report retrieval, citation and answer metrics.

    QUESTIONS is a JSON Lines file (default eval/questions.jsonl; format in eval/README.md).
    Each run writes eval/runs/<timestamp>/: results.jsonl (one line per question, appended as
    it finishes), summary.json (metrics and the full settings), report.md and PNG plots. An
    interrupted run is resumed by the next `rag eval` with the same questions and settings.
    """
    from .eval.beir import run_beir
    from .eval.compare import compare_runs, format_comparison, iter_headline
    from .eval.runs import run_eval

    if compare:
        c = compare_runs(compare[0], compare[1], tolerance=tolerance)
        click.echo(format_comparison(c, compare[0], compare[1]))
        if c.regressions:
            sys.exit(1)
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
    if r["errors"]:
        click.echo(f"{r['errors']} question(s) failed: run `rag eval --resume {out.run_dir}`")
        sys.exit(1)
    click.echo(f"report: {out.run_dir / 'report.md'}")


def _stream_answer(items) -> object:
    """Print the text deltas of ``Assistant.ask_stream`` as they come; return the Answer."""
    from .records import Answer

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
    if ans.removed_citations:
        nums = ", ".join(f"[{n}]" for n in ans.removed_citations)
        click.echo(f"removed citations to sources that were not given: {nums}", err=True)
    weak = [s for s in ans.sentences if llm and not s.supported]
    for s in weak:
        why = "no citation" if s.support is None else f"support {s.support:.2f}"
        click.echo(f"unsupported ({why}): {s.text}", err=True)
    if ans.citations:
        click.echo("")
        for c in ans.citations:
            sup = f" · support {c.support:.2f}" if llm and c.support is not None else ""
            click.echo(f"[{c.n}] {c.title} ({c.paper_id})" + (f" {c.url}" if c.url else "") + sup)
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
@click.pass_context
def chat(ctx, top_k, backend):
    """Chat with the abstracts: follow-up questions build on the conversation.

    Each turn is rewritten into a standalone question (by the LLM; offline by a simple
    heuristic), retrieved and answered on its own, with its own citations. Type /new to start
    over, /exit or Ctrl-D to leave.
    """
    from .chat import Conversation
    from .errors import RagError

    a = _assistant(ctx)
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
@click.option("--check", is_flag=True, help="Also ask the model server which models it serves.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status(ctx, check, as_json):
    """Say which answer backend, model, store and embedding are in use, and why.

    No API key is ever printed, only where it comes from. With --check, the model server is
    asked for its models (GET /models) and whether the configured model is among them.
    """
    from .status import status_lines

    info = _assistant(ctx).status(check=check)
    failed = check and not str(info["check"]).startswith("ok")
    if as_json:
        _dump(info)
        sys.exit(1 if failed else 0)
    for line in status_lines(info):
        click.echo(line)
    if failed:
        sys.exit(1)


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
    help="Write the summary to this file instead of the terminal.",
)
@click.pass_context
def summarize(ctx, topic, max_papers, backend, as_json, fmt, output):
    """Summarize what the collection holds on TOPIC, by theme, every statement cited.

    Retrieves broadly, keeps the papers really on the topic (a calibrated cut), groups them into
    themes and cites each paper's contribution. A topic the collection does not cover gets a
    plain "not covered" answer. `--format markdown -o report.md` saves a report with a
    reference list.
    """
    s = _assistant(ctx).summarize(topic, max_papers=max_papers, backend=backend)
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


@cli.command(
    add_help_option=False,
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(args):
    """Speed and scale benchmark (bench/speed.py): ingest vs raw encoder, query latency at
    5k/50k/200k abstracts, cold start, memory. Long: `rag bench --help` lists the sections."""
    import runpy

    from .config import REPO_DIR

    script = REPO_DIR / "bench" / "speed.py"
    if not script.exists():
        raise click.ClickException(f"no {script}: the benchmark runs from a source checkout")
    sys.argv = [str(script), *args]
    runpy.run_path(str(script), run_name="__main__")


def main() -> None:
    cli(prog_name="rag")


if __name__ == "__main__":
    main()
