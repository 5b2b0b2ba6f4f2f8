"""Claim verdicts on answers the model writes (the OpenAI-wire fake server scripts them): the
local checks through `rag ask --json` and the stream, and the model's second opinion
(RAG_VERIFY=llm): one call, local checks authoritative for numbers and names, fallback, tokens."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from rag.assistant import Assistant
from rag.cli import cli
from rag.records import Answer
from tests.fake_openai import FakeOpenAI, Reply
from tests.test_llm import MOOD_Q, cites_mood, llm_settings, source_number

MIXED = (
    "MoodAngels is a multi-agent framework for diagnosing mood disorders [{n}]. "
    "Its baseline agent is 21.3% more accurate than GPT-4o on real-world cases [{n}]. "
    "MoodAngels underperforms conventional methods [{n}]. "
    "Its baseline agent beats Claude 3 on real-world cases [{n}]."
)
EXPECTED = ["supported", "contradicted", "contradicted", "unsupported"]


@pytest.fixture(scope="module")
def fake():
    with FakeOpenAI(models=["fake-model"]) as f:
        yield f


def verdicts(sentences) -> list[str]:
    return [s["verdict"] if isinstance(s, dict) else s.verdict for s in sentences]


def test_ask_json_marks_wrong_numbers_reversals_and_names(seed_store, fake):
    fake.reset()
    env = {
        "RAG_STORE": str(seed_store),
        "RAG_LLM_BASE_URL": fake.url,
        "RAG_LLM_MODEL": "fake-model",
    }
    fake.script(cites_mood(MIXED))
    r = CliRunner().invoke(cli, ["ask", MOOD_Q, "--json"], env=env)
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert verdicts(d["sentences"]) == EXPECTED
    assert [s["supported"] for s in d["sentences"]] == [True, False, False, False]
    wrong = d["sentences"][1]
    assert re.fullmatch(r"21\.3% is not in \[\d\]; \[\d\] says 12\.3%", wrong["reason"])
    assert "12.3% higher accuracy than GPT-4o" in wrong["evidence"]
    assert "outperforms conventional methods" in d["sentences"][2]["evidence"]
    assert fake.count() == 1


@pytest.mark.slow
def test_streamed_answer_gets_the_same_verdicts_and_shows_them(seed_store, fake):
    fake.reset()
    a = Assistant(llm_settings(seed_store, fake.url))
    fake.script(cites_mood(MIXED))
    items = list(a.ask_stream(MOOD_Q))
    ans = items[-1]
    assert isinstance(ans, Answer) and "".join(items[:-1]) == ans.answer
    assert verdicts(ans.sentences) == EXPECTED
    # the terminal shows each flagged sentence with its reason
    fake.script(cites_mood(MIXED))
    env = {"RAG_STORE": str(seed_store), "RAG_LLM_BASE_URL": fake.url}
    r = CliRunner().invoke(cli, ["ask", MOOD_Q], env=env)
    assert r.exit_code == 0, r.output
    assert re.search(r"contradicted \(21\.3% is not in \[\d\]; \[\d\] says 12\.3%\)", r.output)
    assert "unsupported ('Claude' is not named in" in r.output
    assert fake.chat_requests()[-1].stream


def _opinion(body: dict) -> Reply:
    """The model's verdicts: it (wrongly) accepts the number and calls the faithful one wrong."""
    user = body["messages"][-1]["content"]
    assert "Claims:" in user and "21.3%" in user
    out = [
        {"claim": 1, "verdict": "contradicted", "reason": "the source says something else"},
        {"claim": 2, "verdict": "supported", "reason": "matches"},
        {"claim": 3, "verdict": "contradicted", "reason": "the source says it outperforms"},
        {"claim": 4, "verdict": "supported", "reason": "fine"},
    ]
    return Reply.text("Here you go: " + json.dumps({"verdicts": out}))


def test_second_opinion_one_call_local_numbers_and_names_stand(seed_store, fake):
    fake.reset()
    a = Assistant(llm_settings(seed_store, fake.url, verify="llm"))
    fake.script(cites_mood(MIXED), Reply.call(_opinion))
    ans = a.ask(MOOD_Q)
    assert fake.count() == 2  # the answer, then one call for all its sentences
    req = fake.chat_requests()[1].body
    n = source_number(fake.chat_requests()[0].body, "MoodAngels")
    assert f'<source id="{n}"' in req["messages"][-1]["content"]
    v = verdicts(ans.sentences)
    # 1: the model overrules the local check; 2 and 4: the local number/name checks stand
    assert v == ["contradicted", "contradicted", "contradicted", "unsupported"]
    assert ans.sentences[0].reason == "model: the source says something else"
    assert "12.3%" in ans.sentences[1].reason
    assert "model agrees" in ans.sentences[2].reason
    assert ans.usage["calls"] == 2 and ans.usage["completion_tokens"] > 0


def test_second_opinion_that_fails_falls_back_to_local(seed_store, fake):
    fake.reset()
    a = Assistant(llm_settings(seed_store, fake.url, verify="llm", llm_max_retries=0))
    fake.script(cites_mood(MIXED), Reply.error(500, "boom"))
    ans = a.ask(MOOD_Q)
    assert verdicts(ans.sentences) == EXPECTED
    assert all("second opinion failed" in s.reason for s in ans.sentences)
    fake.reset()
    fake.script(cites_mood(MIXED), Reply.text("I think they are all fine."))
    ans = a.ask(MOOD_Q)
    assert verdicts(ans.sentences) == EXPECTED
    assert "holds no JSON" in ans.sentences[0].reason
    assert ans.usage["calls"] == 2  # the unreadable reply's tokens are counted too


def test_unknown_verify_setting_is_a_clear_error(seed_store, fake):
    from rag.errors import ConfigError

    fake.reset()
    a = Assistant(llm_settings(seed_store, fake.url, verify="nli"))
    fake.script(cites_mood(MIXED))
    with pytest.raises(ConfigError, match="RAG_VERIFY='nli'"):
        a.ask(MOOD_Q)
