"""Multi-turn chat: follow-up rewriting (heuristic offline, LLM through the fake server),
per-turn retrieval and citations, the `rag chat` REPL."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from rag.assistant import Assistant
from rag.chat import Conversation, Turn, as_turns, heuristic_rewrite, is_followup
from rag.cli import cli
from rag.config import get_settings
from rag.records import Answer
from tests.fake_openai import FakeOpenAI, Reply

FL = "Which papers study federated learning?"
FOLLOW = "and which of them use LoRA?"


@pytest.fixture(scope="module")
def fake():
    with FakeOpenAI() as f:
        yield f


def test_followups_are_detected():
    for q in (FOLLOW, "What about vision-language models?", "How big are they?", "And its cost?"):
        assert is_followup(q), q
    for q in (FL, "Which papers use LoRA?", "How is backdoor data filtered in multimodal models?"):
        assert not is_followup(q), q


def test_heuristic_rewrite_keeps_the_topic():
    turns = [Turn(FL, "…", FL)]
    assert heuristic_rewrite(FOLLOW, turns) == f"Which of them use LoRA? ({FL})"
    assert heuristic_rewrite("Which papers use LoRA?", turns) == "Which papers use LoRA?"
    assert heuristic_rewrite(FOLLOW, []) == FOLLOW
    # a follow-up of a follow-up keeps the original topic too
    t2 = Turn(FOLLOW, "…", heuristic_rewrite(FOLLOW, turns))
    third = heuristic_rewrite("And how do they handle non-IID data?", [turns[0], t2])
    assert third == f"How do they handle non-IID data? ({FOLLOW}; {FL})"


def test_history_shapes():
    msgs = [
        {"role": "user", "content": FL},
        {"role": "assistant", "content": "<p>RAHFL &amp; more [1]</p>"},
        {"role": "user", "content": FOLLOW},
    ]
    turns = as_turns(msgs)
    assert [t.question for t in turns] == [FL, FOLLOW]
    assert turns[0].answer == "RAHFL & more"
    assert as_turns([(FL, "an answer")])[0] == Turn(FL, "an answer")
    a = Answer(FOLLOW, "x", False, [], [], "extractive", standalone_question="std")
    assert as_turns([a])[0].standalone == "std"


def test_offline_chat_rewrites_and_cites_per_turn(assistant):
    conv = Conversation(assistant)
    a1 = conv.ask(FL)
    a2 = conv.ask(FOLLOW)
    assert a1.standalone_question is None and a1.citations
    assert a2.question == FOLLOW
    assert "LoRA" in a2.standalone_question and "federated learning" in a2.standalone_question
    assert a2.to_dict()["standalone_question"] == a2.standalone_question
    # each turn has its own, valid citations: numbers point into its own sources
    for a in (a1, a2):
        assert all(a.sources[c.n - 1].paper.paper_id == c.paper_id for c in a.citations)
    assert any("LoRA" in a2.sources[c.n - 1].paper.text for c in a2.citations)
    assert len(conv.turns) == 2 and conv.turns[1].standalone == a2.standalone_question
    # the same through the streaming API with Gradio-style history
    items = list(
        assistant.ask_stream(
            FOLLOW,
            history=[{"role": "user", "content": FL}, {"role": "assistant", "content": a1.answer}],
        )
    )
    assert items[-1].standalone_question == a2.standalone_question
    assert "".join(items[:-1]) == items[-1].answer


@pytest.mark.slow
def test_llm_rewrites_the_followup(seed_store, fake):
    fake.reset()
    a = Assistant(get_settings(store=seed_store, llm_base_url=fake.url, llm_retry_backoff=0.01))
    rewritten = "Which federated learning papers use LoRA?"
    fake.script(
        Reply.text("RAHFL is a robust heterogeneous federated learning framework [1]."),
        Reply.text(rewritten),
        Reply.text("FedGaLore improves federated LoRA baselines [1]."),
    )
    conv = Conversation(a)
    list(conv.stream(FL))
    items = list(conv.stream(FOLLOW))
    ans = items[-1]
    reqs = fake.chat_requests()
    assert len(reqs) == 3
    rewrite = reqs[1].body
    assert not rewrite.get("stream") and rewrite["max_tokens"] == 120
    convo = rewrite["messages"][1]["content"]
    assert f"User: {FL}" in convo and "Assistant: RAHFL is a robust" in convo
    assert f"Latest message: {FOLLOW}" in convo
    assert ans.standalone_question == rewritten and ans.question == FOLLOW
    assert f"Question: {rewritten}" in reqs[2].body["messages"][1]["content"]
    assert ans.usage["calls"] == 2  # the rewrite is counted in the turn's usage
    assert a.usage.calls == 3


def test_unusable_llm_rewrite_falls_back_to_the_heuristic(seed_store, fake):
    fake.reset()
    a = Assistant(get_settings(store=seed_store, llm_base_url=fake.url))
    fake.script(Reply.text("   "), Reply.text("NOT_IN_SOURCES"))
    ans = a.chat(FOLLOW, history=[Turn(FL, "RAHFL [1]")])
    assert ans.standalone_question == f"Which of them use LoRA? ({FL})"
    assert fake.count() == 2


@pytest.mark.slow
def test_rag_chat_repl(seed_store):
    lines = "\n".join([FL, FOLLOW, "/new", FOLLOW, "/exit", "never read"]) + "\n"
    r = CliRunner().invoke(cli, ["chat"], input=lines, env={"RAG_STORE": str(seed_store)})
    assert r.exit_code == 0, r.output
    assert r.output.count("you> ") == 5
    assert r.output.count(f"(searched for: Which of them use LoRA? ({FL}))") == 1
    assert "(new conversation)" in r.output and "[1] " in r.output


@pytest.mark.slow
def test_rag_chat_keeps_going_after_a_model_error(seed_store, fake):
    fake.reset()
    fake.script(Reply.error(401, "bad key"), Reply.text("RAHFL handles corrupted clients [1]."))
    env = {"RAG_STORE": str(seed_store), "RAG_LLM_BASE_URL": fake.url}
    r = CliRunner().invoke(cli, ["chat"], input=f"{FL}\n{FL}\n", env=env)
    assert r.exit_code == 0, r.output
    assert "error: the model server at" in r.output and "HTTP 401" in r.output
    assert "RAHFL handles corrupted clients [1]." in r.output
    assert "run total: 1 answers" in r.output
    assert fake.count() == 2
