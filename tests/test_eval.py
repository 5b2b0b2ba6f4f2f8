"""Batch evaluation: metric functions by hand, the runner on a tiny question set, resume, compare,
the LLM judge through a local OpenAI-compatible server, and BEIR mode on a tiny dataset."""

from __future__ import annotations

import json
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag.answer.question import analyze
from rag.errors import ConfigError, RagError
from rag.eval.beir import load_qrels, run_beir
from rag.eval.compare import compare_runs
from rag.eval.metrics import (
    hit_at_k,
    mrr_at_k,
    ndcg_at_k,
    percentile,
    precision_recall,
    recall_at_k,
)
from rag.eval.questions import load_questions
from rag.eval.runs import run_eval

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --- metric functions against hand-computed cases ------------------------------------------------
def test_ndcg_binary_by_hand():
    # relevant a (rank 2) and b (rank 4): DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3)
    got = ndcg_at_k(["x", "a", "y", "b"], {"a": 1, "b": 1}, 10)
    assert got == pytest.approx((0.630930 + 0.430677) / (1 + 0.630930), abs=1e-5)
    assert got == pytest.approx(0.650920, abs=1e-5)
    assert ndcg_at_k(["a", "b", "x"], {"a": 1, "b": 1}, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], {"a": 1}, 10) == 0.0
    assert ndcg_at_k(["a"], {}, 10) == 0.0


def test_ndcg_graded_beir_case_by_hand():
    # BEIR (pytrec_eval) uses the grade as the gain and every judged-relevant doc for the ideal.
    qrels = {"d1": 2, "d2": 1, "d3": 1, "d4": 2, "d5": 0}
    ranked = ["d3", "d1", "d9", "d2", "d5"]
    # @3: gains [1, 2, 0] -> 1 + 2/log2(3) = 2.261860; ideal [2, 2, 1] -> 2 + 2/log2(3) + 1/2
    assert ndcg_at_k(ranked, qrels, 3) == pytest.approx(2.261860 / 3.761860, abs=1e-5)
    assert ndcg_at_k(ranked, qrels, 3) == pytest.approx(0.601264, abs=1e-5)
    # @10: gains [1, 2, 0, 1, 0] -> + 1/log2(5); ideal [2, 2, 1, 1] -> + 1/log2(5)
    dcg = 1 + 2 / math.log2(3) + 1 / math.log2(5)
    idcg = 2 + 2 / math.log2(3) + 1 / 2 + 1 / math.log2(5)
    assert ndcg_at_k(ranked, qrels, 10) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(ranked, qrels, 10) == pytest.approx(2.692536 / 4.192536, abs=1e-5)
    # a repeated id counts once (a BEIR run is a dict and cannot repeat one)
    assert ndcg_at_k(["d1", "d1", "d4"], {"d1": 1, "d4": 1}, 10) == pytest.approx(1.0)


def test_recall_mrr_hit_by_hand():
    qrels = {"a": 1, "b": 2, "c": 1, "z": 0}
    ranked = ["x", "b", "z", "a", "y"]
    assert recall_at_k(ranked, qrels, 3) == pytest.approx(1 / 3)  # only b; z is not relevant
    assert recall_at_k(ranked, qrels, 5) == pytest.approx(2 / 3)
    assert recall_at_k(ranked, {}, 5) == 0.0
    assert mrr_at_k(ranked, qrels, 10) == pytest.approx(1 / 2)
    assert mrr_at_k(["x", "y", "a"], qrels, 2) == 0.0  # first relevant beyond the cut
    assert mrr_at_k(["x", "y", "a"], qrels, 3) == pytest.approx(1 / 3)
    assert hit_at_k(ranked, qrels, 1) == 0.0
    assert hit_at_k(ranked, qrels, 2) == 1.0
    assert hit_at_k(["z"], qrels, 1) == 0.0  # grade 0 is not a hit


def test_percentile_and_precision_recall_by_hand():
    assert percentile([4, 1, 3, 2], 50) == pytest.approx(2.5)
    assert percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)  # 1 + 0.95*3 = rank 3.85
    assert percentile([7], 95) == 7
    assert percentile([], 50) == 0.0
    assert precision_recall(["a", "b", "c"], ["a", "d"]) == (pytest.approx(1 / 3), 0.5)
    assert precision_recall([], ["a"]) == (None, 0.0)
    assert precision_recall(["a"], []) == (0.0, None)


def test_load_qrels_with_header_and_grades(tmp_path):
    f = tmp_path / "test.tsv"
    f.write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t1\nq2\td3\t0\n")
    assert load_qrels(f) == {"q1": {"d1": 2.0, "d2": 1.0}, "q2": {"d3": 0.0}}


def test_load_questions_rejects_bad_lines_with_where(tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text(
        '{"id": "a", "type": "single", "question": "x?", "gold": ["p"]}\n{"id": "b", "type": "odd", "question": "y?"}\n'
    )
    with pytest.raises(ConfigError, match=r"q.jsonl:2: type 'odd'"):
        load_questions(f)
    f.write_text('{"id": "a", "type": "followup", "question": "and?"}\n')
    with pytest.raises(ConfigError, match="needs 'history'"):
        load_questions(f)
    f.write_text('{"id": "a", "question": "x?"}\n{"id": "a", "question": "y?"}\n')
    with pytest.raises(ConfigError, match="used twice"):
        load_questions(f)


def test_bundled_gold_set_meets_its_format(questions):
    qs = load_questions(Path(__file__).resolve().parents[1] / "eval" / "questions.jsonl")
    assert len(qs) == len(questions) >= 40
    kinds = {q.type for q in qs}
    assert kinds == {"single", "multi", "followup", "unanswerable"}


def test_sentence_support_alce_style(assistant):
    from rag.answer.support import scorer_for
    from rag.eval.scoring import score_support

    mood, gnn = assistant.paper("f18d22164350"), assistant.paper("2d28ec161687")
    passages = {1: f"{mood.title}. {mood.text}", 2: f"{gnn.title}. {gnn.text}"}
    claim = "A team of cooperating language-model agents diagnoses mood disorders more accurately than GPT-4o on real patients"
    quote = "To address these issues, we present MoodAngels, the first specialized multi-agent framework for mood disorder diagnosis."
    assert quote in mood.text
    sentences = [
        (f"{claim} [1].", [1]),  # a paraphrase of what it cites
        (f"{claim} [2].", [2]),  # the same claim citing the wrong paper
        (
            "Knowledge of a graph neural network can be distilled without real training graphs [1][2].",
            [1, 2],
        ),
        ("This sentence cites nothing.", []),
        (quote, [1]),  # a verbatim quote
    ]
    r = score_support(sentences, passages, scorer_for(assistant.embedder), 0.5)
    assert [x["supported"] for x in r["sentences"]] == [True, False, True, False, True]
    assert [x["verbatim"] for x in r["sentences"]] == [False, False, False, False, True]
    assert r["sentence_support"] == pytest.approx(3 / 5)
    # citations: 5 in all; [2] on the mood claim and [1] on the graph claim are not needed
    assert r["support_precision"] == pytest.approx(3 / 5)


# --- the runner on a tiny question file ------------------------------------------------------------
TINY_IDS = ("q001", "q052", "q069", "q077")  # single, multi, followup, unanswerable (off-topic)


@pytest.fixture(scope="module")
def tiny_questions(questions, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "tiny.jsonl"
    chosen = [q for q in questions if q["id"] in TINY_IDS]
    assert [q["id"] for q in chosen] == list(TINY_IDS)
    path.write_text("".join(json.dumps(q) + "\n" for q in chosen))
    return path


@pytest.fixture(scope="module")
def tiny_run(assistant, tiny_questions, tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    return run_eval(
        tiny_questions, assistant=assistant, runs_dir=runs, progress=False, log=lambda m: None
    )


@pytest.mark.slow
def test_runner_writes_every_report_file(tiny_run):
    d = tiny_run.run_dir
    for name in (
        "results.jsonl",
        "summary.json",
        "report.md",
        "metrics.png",
        "latency.png",
        "run.json",
    ):
        assert (d / name).is_file(), name
    for png in ("metrics.png", "latency.png"):
        data = (d / png).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 20_000
    lines = (d / "results.jsonl").read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines] == list(TINY_IDS)
    report = (d / "report.md").read_text()
    assert "## Metrics" in report and "## Worst questions" in report and "| nDCG@10 |" in report
    assert "![metrics](metrics.png)" in report


def test_summary_records_settings_and_sane_metrics(tiny_run):
    s = json.loads((tiny_run.run_dir / "summary.json").read_text())
    st = s["settings"]
    for key in (
        "backend",
        "embed_model",
        "chunk_size",
        "chunk_overlap",
        "chunk_title",
        "top_k",
        "dense_weight",
        "keyword_weight",
        "rrf_k",
    ):
        assert key in st
    assert st["backend"] == "extractive" and st["top_k"] == 5 and st["store_papers"] == 50
    assert "openai_api_key" in st["all"] and st["all"]["openai_api_key"] in (None, "<set>")
    m = s["metrics"]
    assert m["answers.abstention_recall"] == 1.0  # the AlphaFold question abstains
    assert m["answers.abstention_precision"] == 1.0
    assert s["by_type"]["single"]["retrieval.hit@5"] == 1.0
    assert s["by_type"]["single"]["citations.validity"] == 1.0
    for key, v in m.items():
        if v is not None and not key.startswith(("latency.", "errors")):
            assert 0.0 <= v <= 1.0, key
    assert m["latency.total.p95_ms"] >= m["latency.total.p50_ms"] > 0
    assert s["run"]["answered"] == 4 and s["run"]["errors"] == 0


def test_per_question_metrics_agree_with_what_was_answered(tiny_run):
    recs = [json.loads(x) for x in (tiny_run.run_dir / "results.jsonl").read_text().splitlines()]
    for r in recs:
        m = r["metrics"]
        if r["type"] == "unanswerable":
            assert r["abstained"] and not r["citations"] and "hit@5" not in m
            continue
        gold = set(r["gold"])
        assert m["hit@5"] == float(bool(gold & set(r["ranking"][:5])))
        # the ranking scored is the one answered from (a list question's is deeper: its
        # sources are the retrieved papers that pass the on-topic test)
        assert r["ranking"][: len(r["sources"])] == r["sources"]
        if not analyze(r["asked"]).is_list:
            assert len(r["sources"]) == 5
        cited = {c["paper_id"] for c in r["citations"]}
        assert m["citation_recall"] == pytest.approx(len(cited & gold) / len(gold))
        if r["facts"]:
            want = sum(f.lower() in r["answer"].lower() for f in r["facts"]) / len(r["facts"])
            assert m["fact_recall"] == pytest.approx(want)
        for c in r["citations"]:
            assert r["sources"][c["n"] - 1] == c["paper_id"]
        # extractive sentences are quotes: every one is supported by what it cites
        assert r["sentences"] and all(s["supported"] for s in r["sentences"])
    follow = next(r for r in recs if r["type"] == "followup")
    s = json.loads((tiny_run.run_dir / "summary.json").read_text())
    if s["run"]["followup_mode"].startswith("chat"):  # the chat API rewrote it from its history
        assert follow["asked"] != follow["question"]
        assert follow["history"][0] in follow["asked"]
    else:
        assert follow["asked"] == follow["question"]
    multi = next(r for r in recs if r["type"] == "multi")
    assert multi["metrics"]["recall@10"] == pytest.approx(
        len(set(multi["gold"]) & set(multi["ranking"])) / len(multi["gold"])
    )


@pytest.mark.slow
def test_cli_eval_runs_and_prints_the_headline(seed_store, tiny_questions, tmp_path):
    from rag.cli import cli

    args = ["--store", str(seed_store), "eval", str(tiny_questions), "--limit", "2"]
    res = CliRunner().invoke(cli, [*args, "--runs-dir", str(tmp_path), "--quiet"])
    assert res.exit_code == 0, res.output
    assert "2 of 2 questions" in res.output and "retrieval.hit@5" in res.output
    (run_dir,) = list(tmp_path.iterdir())
    assert f"report: {run_dir / 'report.md'}" in res.output
    bad = CliRunner().invoke(
        cli, ["eval", str(tmp_path / "nope.jsonl"), "--runs-dir", str(tmp_path)]
    )
    assert bad.exit_code == 1 and "no question file" in bad.output and "Traceback" not in bad.output


# --- resume ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_interrupted_run_resumes_without_redoing_finished_questions(
    assistant, tiny_questions, tmp_path
):
    runs = tmp_path / "runs"
    seen: list[str] = []

    def stop_after_two(rec):
        seen.append(rec["id"])
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_eval(
            tiny_questions,
            assistant=assistant,
            runs_dir=runs,
            progress=False,
            on_result=stop_after_two,
        )
    (run_dir,) = list(runs.iterdir())
    assert not (run_dir / "summary.json").exists()
    results = run_dir / "results.jsonl"
    assert len(results.read_text().splitlines()) == 2
    with open(results, "a") as f:  # a crash in the middle of writing the third record
        f.write('{"id": "q069", "type": "foll')

    logs: list[str] = []
    out = run_eval(
        tiny_questions, assistant=assistant, runs_dir=runs, progress=False, log=logs.append
    )
    assert out.run_dir == run_dir  # picked up the unfinished run by itself
    assert (out.resumed, out.asked) == (2, 2)
    assert any("resuming run" in m for m in logs)
    recs = [json.loads(x) for x in results.read_text().splitlines()]
    assert [r["id"] for r in recs] == list(TINY_IDS)  # each once, the broken line gone
    assert [r["session"] for r in recs] == [1, 1, 2, 2]
    assert json.loads((run_dir / "summary.json").read_text())["run"]["answered"] == 4

    again = run_eval(resume=run_dir, assistant=assistant, progress=False)
    assert (again.resumed, again.asked) == (4, 0)


def test_resume_refuses_other_settings(assistant, tiny_questions, tmp_path):
    runs = tmp_path / "runs"

    def stop_at_once(rec):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_eval(
            tiny_questions,
            assistant=assistant,
            runs_dir=runs,
            progress=False,
            on_result=stop_at_once,
        )
    (run_dir,) = list(runs.iterdir())
    other = assistant.settings.model_copy(update={"keyword_weight": 0.5})
    with pytest.raises(ConfigError, match="other settings"):
        run_eval(resume=run_dir, settings=other, progress=False)
    # another setting does not auto-resume it either, and --fresh never does
    fresh = run_eval(tiny_questions, assistant=assistant, runs_dir=runs, progress=False, fresh=True)
    assert fresh.run_dir != run_dir and (fresh.resumed, fresh.asked) == (0, 4)
    assert len((run_dir / "results.jsonl").read_text().splitlines()) == 1


# --- compare -----------------------------------------------------------------------------------------------
def _copy_run(src: Path, dst: Path, change) -> Path:
    dst.mkdir()
    for f in ("results.jsonl", "run.json"):
        (dst / f).write_text((src / f).read_text())
    s = json.loads((src / "summary.json").read_text())
    change(s)
    (dst / "summary.json").write_text(json.dumps(s))
    return dst


def test_compare_flags_regressions_and_not_noise(tiny_run, tmp_path):
    a = tiny_run.run_dir

    def worse(s):
        s["metrics"]["citations.recall"] -= 0.2
        s["metrics"]["retrieval.mrr@10"] -= 0.01  # within tolerance: not a regression
        s["metrics"]["latency.total.p95_ms"] = s["metrics"]["latency.total.p95_ms"] * 2 + 100
        s["settings"]["top_k"] = 7

    b = _copy_run(a, tmp_path / "b", worse)
    c = compare_runs(a, b)
    assert set(c.regressions) == {"citations.recall", "latency.total.p95_ms"}
    assert ("top_k", 5, 7) in c.settings_diff
    same = compare_runs(a, a)
    assert same.regressions == [] and same.settings_diff == []

    from rag.cli import cli

    res = CliRunner().invoke(cli, ["eval", "--compare", str(a), str(b)])
    assert res.exit_code == 1, res.output
    assert "REGRESSION" in res.output and "citations.recall" in res.output
    assert "top_k: 5 -> 7" in res.output
    ok = CliRunner().invoke(cli, ["eval", "--compare", str(a), str(a)])
    assert ok.exit_code == 0 and "no regressions" in ok.output


def test_compare_unfinished_run_says_how_to_finish(tiny_run, tmp_path):
    (tmp_path / "half").mkdir()
    with pytest.raises(RagError, match="--resume"):
        compare_runs(tiny_run.run_dir, tmp_path / "half")


# --- the LLM judge through a local OpenAI-compatible server -----------------------------------------------
class _JudgeServer(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        reply = {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {
                        "role": "assistant",
                        "content": 'Here: {"supported": 0.75, "correct": 0.5, "explanation": "partly"}',
                    },
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


def test_llm_judge_scores_answers_through_a_real_http_server(assistant, tiny_questions, tmp_path):
    _JudgeServer.requests = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _JudgeServer)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
        settings = assistant.settings.model_copy(update={"llm_base_url": url})
        out = run_eval(
            tiny_questions,
            assistant=assistant,
            settings=settings,
            backend="extractive",
            runs_dir=tmp_path,
            progress=False,
            judge_model="judge-x",
        )
    finally:
        srv.shutdown()
    recs = [json.loads(x) for x in (out.run_dir / "results.jsonl").read_text().splitlines()]
    answered = [r for r in recs if not r["abstained"]]
    assert len(_JudgeServer.requests) == len(answered) == 3  # the abstention is not judged
    first = _JudgeServer.requests[0]
    assert first["model"] == "judge-x"
    user = first["messages"][1]["content"]
    assert "<source n=1>" in user and "<answer>" in user
    m = out.summary["metrics"]
    assert m["judge.supported"] == 0.75 and m["judge.correct"] == 0.5
    assert out.summary["usage"]["judge"]["prompt_tokens"] == 300
    assert out.summary["run"]["judge_model"] == "judge-x"


# --- BEIR mode on a tiny BEIR dataset ---------------------------------------------------------------------
BEIR_DOCS = {
    "d1": (
        "Sourdough bread",
        "Sourdough bread is leavened by a culture of wild yeast and lactic acid bacteria; the dough ferments for many hours before baking.",
    ),
    "d2": (
        "Yeast in baking",
        "Baker's yeast produces carbon dioxide that makes bread dough rise; proofing temperature controls fermentation speed.",
    ),
    "d3": (
        "Rocket engines",
        "Liquid-fuel rocket engines burn kerosene or hydrogen with liquid oxygen to produce thrust for spacecraft launches.",
    ),
    "d4": (
        "Honeybee colonies",
        "Honeybee colonies collapse when mites and pesticides weaken the workers that forage for nectar and pollen.",
    ),
    "d5": (
        "Coral reefs",
        "Coral reefs bleach when ocean temperatures rise and the corals expel the algae living in their tissues.",
    ),
    "d6": (
        "Chess openings",
        "The Sicilian Defence is a chess opening in which Black answers 1.e4 with c5 to fight for the centre.",
    ),
}


def _write_beir(d: Path) -> None:
    (d / "qrels").mkdir(parents=True)
    with open(d / "corpus.jsonl", "w") as f:
        for i, (t, x) in BEIR_DOCS.items():
            f.write(json.dumps({"_id": i, "title": t, "text": x, "metadata": {}}) + "\n")
    queries = {
        "1": "How does wild yeast ferment sourdough before baking?",
        "2": "What fuel and oxidizer do rocket engines burn for thrust?",
        "3": "Why do coral reefs bleach in warm water?",
        "4": "a query without judgements",
    }
    with open(d / "queries.jsonl", "w") as f:
        for i, t in queries.items():
            f.write(json.dumps({"_id": i, "text": t}) + "\n")
    (d / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n1\td1\t2\n1\td2\t1\n2\td3\t1\n3\td5\t1\n"
    )


def test_beir_mode_on_a_tiny_dataset(tmp_path):
    d = tmp_path / "tinybeir"
    _write_beir(d)
    from rag.cli import cli

    res = CliRunner().invoke(
        cli, ["eval", "--beir", str(d), "--runs-dir", str(tmp_path / "runs"), "--json", "--quiet"]
    )
    assert res.exit_code == 0, res.output
    s = json.loads(res.output.strip().splitlines()[-1])
    assert s["run"]["queries"] == 3 and s["run"]["corpus"] == 6  # the unjudged query is skipped
    (run_dir,) = list((tmp_path / "runs").iterdir())
    rows = [json.loads(x) for x in (run_dir / "results.jsonl").read_text().splitlines()]
    by_id = {r["id"]: r for r in rows}
    # the easy queries find their document first
    assert by_id["2"]["ranking"][0] == "d3" and by_id["3"]["ranking"][0] == "d5"
    assert by_id["2"]["mrr@10"] == 1.0 and by_id["3"]["ndcg@10"] == 1.0
    # query 1 has graded judgements: recompute its nDCG@10 by hand from the ranking
    rank = by_id["1"]["ranking"]
    gain = {"d1": 2, "d2": 1}
    dcg = sum(gain.get(x, 0) / math.log2(i + 2) for i, x in enumerate(rank[:10]))
    assert by_id["1"]["ndcg@10"] == pytest.approx(dcg / (2 + 1 / math.log2(3)))
    m = s["metrics"]
    assert m["beir.ndcg@10"] == pytest.approx(sum(r["ndcg@10"] for r in rows) / 3, abs=1e-4)
    assert m["beir.recall@100"] == 1.0  # 6 documents: everything is within the first 100
    assert m["beir.mrr@10"] == pytest.approx(sum(r["mrr@10"] for r in rows) / 3, abs=1e-4)
    assert (run_dir / "report.md").read_text().startswith("# BEIR retrieval run")
    assert not s["run"]["store_kept"] and not Path(s["run"]["store"]).exists()  # removed


def test_beir_mode_says_what_is_missing(tmp_path):
    with pytest.raises(ConfigError, match="not a BEIR dataset"):
        run_beir(tmp_path, runs_dir=tmp_path / "runs", progress=False)


# --- an LLM backend: parallel questions, tokens, support of written sentences ------------------------
@pytest.mark.slow
def test_llm_backend_run_in_parallel_with_usage_support_and_judge(
    seed_store, tiny_questions, tmp_path
):
    import re

    from rag.assistant import Assistant
    from rag.config import get_settings
    from rag.text import split_sentences
    from tests.fake_openai import FakeOpenAI, Reply

    def reply(body):
        system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
        if system.startswith("You grade an answer"):
            return Reply.text('{"supported": 0.5, "correct": 1, "explanation": "fine"}')
        if "standalone" in system:
            return Reply.text("Which federated learning papers use low-rank adapters?")
        m = re.search(r'<source id="1" title="[^"]*">\n(.*?)\n</source>', user, re.S)
        first = split_sentences(m.group(1))[0].rstrip(".")
        return Reply.text(f"{first} [1]. Penguins invented the steam engine in 1802 [2].")

    with FakeOpenAI() as fake:
        fake.script(*[Reply.call(reply) for _ in range(40)])
        settings = get_settings(store=seed_store, llm_base_url=fake.url, llm_model="fake-model")
        out = run_eval(
            tiny_questions,
            assistant=Assistant(settings),
            workers=2,
            runs_dir=tmp_path,
            progress=False,
            log=lambda m: None,
        )
    s = out.summary
    assert s["settings"]["backend"] == "llm" and s["settings"]["llm_model"] == "fake-model"
    assert s["run"]["workers"] == 2 and s["run"]["errors"] == 0
    recs = {
        r["id"]: r
        for r in map(json.loads, (out.run_dir / "results.jsonl").read_text().splitlines())
    }
    assert recs["q077"]["abstained"]
    assert not (recs["q077"]["usage"] or {}).get("calls")  # the model was not called
    answered = [r for r in recs.values() if not r["abstained"]]
    assert len(answered) == 3
    for r in answered:
        assert r["usage"]["prompt_tokens"] > 0 and r["judge"]["correct"] == 1.0
        support = [x["supported"] for x in r["sentences"]]
        assert support == [True, False]  # the quote is backed by [1]; the penguins are not by [2]
    assert recs["q069"]["asked"] == "Which federated learning papers use low-rank adapters?"
    m = s["metrics"]
    assert m["citations.sentence_support"] == 0.5 and m["citations.validity"] == 1.0
    assert m["cost.prompt_tokens_per_question"] > 0 and m["judge.correct"] == 1.0
    assert s["usage"]["answers"]["total_tokens"] > 0 and s["usage"]["judge"]["prompt_tokens"] > 0
