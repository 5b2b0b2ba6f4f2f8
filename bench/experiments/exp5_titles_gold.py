"""Experiment 5 (issue 12): does the derived title help on the bundled gold set? `rag eval`
(eval/questions.jsonl, the 50 bundled abstracts, offline extractive answers) on two fresh
stores: today's (title + '. ' + chunk embedded, title + abstract in BM25) and one with the
title taken out of both (the embedded text is the chunk, BM25 the abstract). rag/ is not
edited: the second store is built with rag.ingest's two text functions replaced in-process.
Figures: hit@1, hit@5, MRR@10, nDCG@10, citation recall and the rest of the summary."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from common import REPO, WORK, save_json

KEYS = (
    "retrieval.hit@1",
    "retrieval.hit@5",
    "retrieval.mrr@10",
    "retrieval.ndcg@10",
    "citations.recall",
    "citations.precision",
    "citations.sentence_support",
    "answers.fact_recall",
    "answers.abstention_recall",
    "answers.false_abstention_rate",
)


def one(label: str, no_title: bool) -> dict:
    import rag.ingest as ing
    import rag.ingest.write as ing_write
    from rag.config import get_settings
    from rag.embed import _EMBEDDERS
    from rag.eval.runs import run_eval
    from rag.text import tokenize

    orig = (ing_write.embed_text, ing_write.keyword_tokens)
    if no_title:
        ing_write.embed_text = lambda paper, chunk: chunk
        ing_write.keyword_tokens = lambda paper: " ".join(tokenize(paper.text))
    store = Path(tempfile.mkdtemp(prefix=f"gold-{label}-", dir=WORK))
    try:
        s = get_settings(store=store, embed_cache=WORK / "onnx", backend="extractive")
        _EMBEDDERS.clear()
        ing.ingest([REPO / "store" / "corpus"], s, progress=False)
        out = run_eval(
            REPO / "eval" / "questions.jsonl", settings=s, runs_dir=store / "runs", progress=False
        )
        summ = out.summary
        flat = summ["metrics"]
        return {"summary": summ, **{k: flat.get(k) for k in KEYS}}
    finally:
        ing_write.embed_text, ing_write.keyword_tokens = orig
        shutil.rmtree(store, ignore_errors=True)


def main() -> None:
    res = {"with_title": one("title", False), "no_title": one("notitle", True)}
    for k in KEYS:
        print(f"{k:<28} {res['with_title'][k]!s:>8} {res['no_title'][k]!s:>8}")
    save_json("exp5_titles_gold.json", res)
    print(json.dumps({k: {kk: v[kk] for kk in KEYS} for k, v in res.items()}, indent=1))


if __name__ == "__main__":
    main()
