"""Lose a store's vectors, ingest one small file, and check every paper is back.

    python bench/lost_vectors.py --corpus ../shared/benchmarks/scifact [--papers 500]
    python bench/lost_vectors.py --corpus ../shared/benchmarks/scifact --all

Builds a store from ``--papers`` SciFact abstracts (those relevant to the first test queries,
then the corpus in order; ``--all``: the whole corpus and every test query), deletes its Chroma
directory, runs `rag ingest one.txt` (timed) and checks: the count it says it re-embedded, the
papers in the index, every paper found by its own title (hybrid, the default search, and dense
only, top 5), and the test queries whose relevant papers are in the store (dense and hybrid,
recall@10), with the dense top 10 compared to the one the store gave before its vectors were
lost. Every step is the real `rag` command in its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ONE = (
    "Abstract: We present Quillfeather, a method for aligning handwritten medieval charters "
    "with their printed editions using stroke-level optical matching, on 1,200 charters.\n"
)


def rag(store: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_STORE": str(store)}
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


CHECK = """
from rag.config import get_settings
from rag.store import Store
st = Store(get_settings())
inv, cat = st.chunk_inventory(), st.paper_hashes()
back = sum(inv.get(p) == {h} for p, (h, _, _) in cat.items())
print(f"{back} / {len(cat)} catalogued papers ({st.chunk_count()} chunks; counts match: "
      f"{st.vectors_match()})")
"""


def chunks_back(store: Path) -> str:
    """How many catalogued papers have Chroma chunks of their content hash (every one read)."""
    env = {**os.environ, "RAG_STORE": str(store)}
    out = subprocess.run(
        [sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, check=False
    )
    return out.stdout.strip() or out.stderr.strip()[-300:]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, required=True, help="a BEIR folder (SciFact)")
    ap.add_argument("--papers", type=int, default=500)
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--all", action="store_true", help="every abstract and every test query")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.mkdtemp(prefix="lost-")))
    args = ap.parse_args()
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)

    qrels: dict[str, set[str]] = {}
    for line in (args.corpus / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        q, d, _ = line.split("\t")
        qrels.setdefault(q, set()).add(d)
    queries = {}
    for line in (args.corpus / "queries.jsonl").read_text().splitlines():
        r = json.loads(line)
        if r["_id"] in qrels:
            queries[r["_id"]] = r["text"]
    if args.all:
        args.papers = args.queries = 10**9
    chosen_q = list(queries)[: args.queries]
    wanted = {d for q in chosen_q for d in qrels[q]}
    docs, rest = [], []
    for line in (args.corpus / "corpus.jsonl").read_text().splitlines():
        (docs if json.loads(line)["_id"] in wanted else rest).append(line)
    docs += rest[: max(0, args.papers - len(docs))]
    subset = work / "subset.jsonl"
    subset.write_text("\n".join(docs) + "\n")
    store = work / "store"
    shutil.rmtree(store, ignore_errors=True)

    t = time.perf_counter()
    built = rag(store, "ingest", str(subset), "--quiet")
    build_s = time.perf_counter() - t
    print(f"built: {built.stdout.strip()} ({build_s:.0f} s)", flush=True)
    papers = json.loads(rag(store, "papers", "--json").stdout)
    print(f"papers in the index: {len(papers)}", flush=True)
    qtext = "\n".join(queries[q] for q in chosen_q) + "\n"
    before = rag(store, "search", "-", "--mode", "dense", "-k", "10", "--json", stdin=qtext)
    before_top = [[h["paper_id"] for h in json.loads(line)] for line in before.stdout.splitlines()]

    shutil.rmtree(store / "chroma")
    refused = rag(store, "search", "cancer", "--json")
    print(f"reader after the deletion: exit {refused.returncode}: {refused.stderr.strip()}")
    one = work / "one.txt"
    one.write_text(ONE)
    t = time.perf_counter()
    fixed = rag(store, "ingest", str(one), "--quiet")
    fix_s = time.perf_counter() - t
    print(f"rag ingest one.txt: exit {fixed.returncode} in {fix_s:.0f} s: {fixed.stdout.strip()}")
    after = json.loads(rag(store, "papers", "--json").stdout)
    print(f"papers in the index after: {len(after)} (before: {len(papers)}, + one.txt)")
    print(f"with their chunks in Chroma: {chunks_back(store)}", flush=True)

    titles = "\n".join(p["title"].replace("\n", " ") for p in papers) + "\n"
    found = {}
    for mode in ("hybrid", "dense"):
        out = rag(store, "search", "-", "--mode", mode, "-k", "5", "--json", stdin=titles)
        found[mode] = sum(
            p["paper_id"] in [h["paper_id"] for h in json.loads(line)]
            for p, line in zip(papers, out.stdout.splitlines(), strict=True)
        )
        print(f"found by their own title ({mode}, top 5): {found[mode]} / {len(papers)}")
    recall = {}
    for mode in ("dense", "hybrid"):
        out = rag(store, "search", "-", "--mode", mode, "-k", "10", "--json", stdin=qtext)
        tops = [[h["paper_id"] for h in json.loads(line)] for line in out.stdout.splitlines()]
        hit = [bool(qrels[q] & set(top)) for q, top in zip(chosen_q, tops, strict=True)]
        recall[mode] = sum(hit)
        print(f"SciFact test queries ({mode}): {sum(hit)} / {len(hit)} find a relevant paper "
              "in the top 10")  # fmt: skip
        if mode == "dense":
            before_hit = sum(
                bool(qrels[q] & set(top)) for q, top in zip(chosen_q, before_top, strict=True)
            )
            same = sum(a == b for a, b in zip(before_top, tops, strict=True))
            print(f"  before the loss: {before_hit} / {len(hit)}; the same top 10 (ids, order) "
                  f"for {same} / {len(hit)} queries")  # fmt: skip
    print(
        json.dumps(
            {
                "papers": len(papers),
                "papers_after": len(after),
                "build_s": round(build_s),
                "reembed_s": round(fix_s),
                "found_by_title_hybrid": found["hybrid"],
                "found_by_title_dense": found["dense"],
                "queries": len(chosen_q),
                "recall10": recall,
            }
        )
    )


if __name__ == "__main__":
    main()
