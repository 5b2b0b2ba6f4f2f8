"""Settings: named groups, a description for every field, environment names unchanged."""

from __future__ import annotations

import json

from click.testing import CliRunner

from rag.cli import cli
from rag.config import Settings, get_settings


def test_every_setting_is_in_exactly_one_group_with_a_description():
    groups = Settings.groups()
    assert set(groups) == {"store", "embedding", "retrieval", "answer", "summary", "llm", "ui"}
    seen = [name for names in groups.values() for name in names]
    assert sorted(seen) == sorted(Settings.model_fields)  # each field once
    for name, field in Settings.model_fields.items():
        assert field.description, name


def test_environment_names_are_unchanged(monkeypatch):
    monkeypatch.setenv("RAG_TOP_K", "7")
    monkeypatch.setenv("RAG_LLM_TIMEOUT", "12.5")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    s = get_settings()
    assert (s.top_k, s.llm_timeout, s.openai_base_url) == (7, 12.5, "http://127.0.0.1:9/v1")


def test_status_settings_lists_groups_and_never_a_secret(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-do-not-print-1234")
    out = CliRunner().invoke(cli, ["status", "--settings", "--json"])
    assert out.exit_code == 0, out.output
    table = json.loads(out.output)
    assert "sk-test" not in out.output
    llm = {r["env"]: r for r in table["llm"]}
    assert llm["OPENAI_API_KEY"]["value"] == "set"
    assert {r["env"] for r in table["retrieval"]} >= {"RAG_TOP_K", "RAG_RRF_K"}
