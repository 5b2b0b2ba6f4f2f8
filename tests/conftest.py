"""Shared fixtures. No test touches the real store: RAG_STORE points at a temporary directory."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# never let a developer's LLM configuration leak into the offline tests
for var in (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "RAG_LLM_BASE_URL",
    "RAG_LLM_API_KEY",
    "RAG_LLM_MODEL",
    "RAG_EMBED_BASE_URL",
    "RAG_EMBED_API_KEY",
    "RAG_EMBED_MODEL",
    "RAG_CHROMA_HOST",
    "RAG_BACKEND",
    "RAG_COLLECTION",
):
    os.environ.pop(var, None)

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "store" / "corpus"
QUESTIONS = REPO / "eval" / "questions.jsonl"
# the keys `rag ask --json` (and the UI's /ask endpoint) promise, per DESIGN.md
ASK_KEYS = {
    "question",
    "answer",
    "abstained",
    "citations",
    "sources",
    "backend",
    "timings_ms",
}


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_STORE", str(tmp_path / "store"))


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory) -> Path:
    """The bundled corpus ingested once for the session (read-only for tests)."""
    from rag.config import get_settings
    from rag.ingest import ingest

    store = tmp_path_factory.mktemp("seed") / "store"
    report = ingest([CORPUS], get_settings(store=store), progress=False)
    assert len(report.added) == 50 and not report.rejected
    return store


@pytest.fixture(scope="session")
def assistant(seed_store):
    from rag.assistant import Assistant
    from rag.config import get_settings

    return Assistant(get_settings(store=seed_store))


@pytest.fixture
def store_copy(seed_store, tmp_path) -> Path:
    """A private, writable copy of the seeded store."""
    dst = tmp_path / "store-copy"
    shutil.copytree(seed_store, dst, ignore=shutil.ignore_patterns(".lock"))
    return dst


@pytest.fixture(scope="session")
def questions() -> list[dict]:
    return [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]


def pytest_collection_modifyitems(config, items) -> None:
    """A test that drives a browser is a browser test and a slow one, wherever it lives."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)
