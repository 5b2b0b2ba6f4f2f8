"""Start-up import hygiene: each command imports only what it needs (checked in a fresh
process; how long start-up takes is measured by bench/speed.py, not asserted here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # not in `make test-fast`

PROBE = r"""
import json, sys
from rag.cli import cli
try:
    cli(sys.argv[1:], prog_name="rag", standalone_mode=False)
except SystemExit:
    pass
print("\nMODULES " + json.dumps(sorted(m for m in sys.modules if "." not in m)), file=sys.stderr)
"""

NEVER_FOR_HELP = {
    "torch",
    "sentence_transformers",
    "transformers",
    "gradio",
    "llama_index",
    "chromadb",
    "onnxruntime",
    "openai",
    "scipy",
}
NEVER_FOR_QUERIES = {"torch", "sentence_transformers", "transformers", "gradio", "llama_index"}
# a first answer reads the saved BM25 with numpy alone, and needs no LLM client
NEVER_FOR_ASK = NEVER_FOR_QUERIES | {"scipy", "openai"}


def _run(args: list[str], store=None) -> tuple[str, set[str]]:
    env = dict(os.environ)
    env.pop("RAG_EMBED_BACKEND", None)
    if store is not None:
        env["RAG_STORE"] = str(store)
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    line = [x for x in out.stderr.splitlines() if x.startswith("MODULES ")][-1]
    return out.stdout, set(json.loads(line[len("MODULES ") :]))


def test_help_imports_nothing_heavy():
    stdout, mods = _run(["--help"])
    assert "Usage: rag" in stdout
    assert not (mods & NEVER_FOR_HELP), mods & NEVER_FOR_HELP


def test_ask_embeds_with_onnx_without_torch(seed_store):
    stdout, mods = _run(
        ["ask", "What is a multi-agent framework for mood disorders?", "--json"], store=seed_store
    )
    ans = json.loads(stdout)
    assert ans["citations"] and not ans["abstained"]
    assert "onnxruntime" in mods
    assert not (mods & NEVER_FOR_ASK), mods & NEVER_FOR_ASK


def test_search_imports_no_torch(seed_store):
    stdout, mods = _run(["search", "federated learning", "--json", "-k", "3"], store=seed_store)
    assert len(json.loads(stdout)) == 3
    assert not (mods & NEVER_FOR_QUERIES), mods & NEVER_FOR_QUERIES


def test_chroma_starts_on_a_thread_and_a_closed_store_is_not_reopened(seed_store, tmp_path):
    import shutil

    from rag.config import get_settings
    from rag.store import Store

    copy = tmp_path / "store"  # its own Chroma handle: others' open clients are not reused
    shutil.copytree(seed_store, copy, ignore=shutil.ignore_patterns("*.lock"))
    store = Store(get_settings(store=copy))
    try:
        store.start_opening()
        store._opener.join(timeout=120)
        assert store._h.client is not None  # the thread opened it: the query finds it open
        assert store.collection.count() > 0
    finally:
        store.close()
    late = Store(get_settings(store=copy))
    handle = late._h
    late.close()  # closed before its opener runs: the thread must not start a client
    late._opener = None
    late.start_opening()
    late._opener.join(timeout=120)
    assert handle.client is None
