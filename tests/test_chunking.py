"""Where the title goes in the embedded text (RAG_CHUNK_TITLE), and that no mode loses text."""

from __future__ import annotations

import json
import re

import pytest

from rag.config import get_settings
from rag.embed.onnx import MAX_SEQ_LENGTH, load_tokenizer
from rag.errors import ConfigError
from rag.ingest import chunk_paper, keyword_tokens
from rag.ingest.chunks import WINDOW, chunk_budget, embed_texts
from rag.records import Paper

TITLE = "Long-term effects of intermittent fasting on hepatic insulin sensitivity in adults"
SENTENCES = [
    f"In cohort {i}, we measured fasting glucose, insulin and liver fat in {40 + i} adults "
    f"over {i + 2} months and compared them with matched controls on a regular diet."
    for i in range(18)
]


def _paper(title: str = TITLE) -> Paper:
    return Paper("p1", title, " ".join(SENTENCES), "f.jsonl", 1, None, 1, title_derived=False)


def _settings(mode: str, size: int = 252, overlap: int = 0):
    return get_settings(chunk_size=size, chunk_overlap=overlap, chunk_title=mode)


def _tokens(text: str) -> int:
    from rag.embed.local import local_model_path

    tok = load_tokenizer(local_model_path(), padding=False)
    tok.no_truncation()
    return len(tok.encode(text).ids)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


@pytest.mark.parametrize("mode", ["all", "fit", "first", "none"])
def test_every_mode_keeps_the_whole_abstract(mode):
    p = _paper()
    chunks = chunk_paper(p, _settings(mode))
    assert len(chunks) > 1
    joined = " ".join(chunks)
    for s in SENTENCES:  # each sentence is in some chunk, in order
        assert s in joined
    texts = embed_texts(p, chunks, _settings(mode))
    assert len(texts) == len(chunks)
    for i, (c, t) in enumerate(zip(chunks, texts, strict=True)):
        titled = mode in ("all", "fit") or (mode == "first" and i == 0)
        assert t == (f"{TITLE}. {c}" if titled else c)


@pytest.mark.parametrize("mode", ["fit", "first", "none"])
def test_the_window_modes_fit_the_model_so_nothing_is_cut_off(mode):
    p = _paper()
    for t in embed_texts(p, chunk_paper(p, _settings(mode)), _settings(mode)):
        assert _tokens(t) <= MAX_SEQ_LENGTH
    # 'all' (the older layout) puts the title on top of chunk_size; the others count it in
    title = _tokens(f"{TITLE}.") - 2  # without [CLS] and [SEP]
    assert chunk_budget(p, _settings("all")) == 252
    assert chunk_budget(p, _settings("fit")) == chunk_budget(p, _settings("first")) == 252 - title
    assert chunk_budget(p, _settings("none")) == 252


def test_a_larger_size_is_capped_at_the_window():
    p = _paper()
    assert chunk_paper(p, _settings("first", size=1024)) == chunk_paper(
        p, _settings("first", WINDOW)
    )


def test_the_title_is_in_bm25_in_every_mode():
    from rag.text import tokenize

    (stem,) = tokenize("hepatic")
    assert stem in keyword_tokens(_paper()).split()
    assert "hepatic" not in _words(" ".join(chunk_paper(_paper(), _settings("none"))))


def test_each_mode_has_its_own_index_and_the_older_layout_keeps_its_name():
    names = {m: _settings(m).collection_name() for m in ("all", "fit", "first", "none")}
    assert len(set(names.values())) == 4
    legacy = get_settings(chunk_size=200, chunk_overlap=40, chunk_title="all")
    assert "chunk_title" not in legacy.index_signature()
    assert json.dumps(legacy.index_signature(), sort_keys=True) == json.dumps(
        {"chunk_overlap": 40, "chunk_size": 200, "embed_model": "all-MiniLM-L6-v2", "format": 1},
        sort_keys=True,
    )
    assert _settings("first").index_signature()["chunk_title"] == "first"


def test_an_unknown_mode_is_a_clear_error():
    with pytest.raises(ConfigError, match="RAG_CHUNK_TITLE.*all, fit, first, none"):
        chunk_paper(_paper(), _settings("sometimes"))
