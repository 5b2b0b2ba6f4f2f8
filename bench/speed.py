"""Speed and scale: ingest throughput beside the raw encoder, warm query latency at 5k/50k/200k
abstracts, cold start, and peak memory. Prints tables and writes bench/results/speed.json.

    python bench/speed.py                          # everything (long: run it in the background)
    python bench/speed.py --sections ingest --backends onnx,int8
    python bench/speed.py --sections scale --sizes 5000,50000
    python bench/speed.py --sections cold
    python bench/speed.py --sections peer          # the llama-index starter beside ours

Sections:
  ingest  SciFact (5,183 abstracts) ingested by `rag.ingest` in a worker process, then the same
          texts (title + chunk, exactly what ingest embeds) encoded by the same model in the same
          process: the ratio is what the pipeline (parse, chunk, Chroma, SQLite, BM25) costs on
          top of the model. Also nDCG@10 on the SciFact test queries from that store (the int8
          quality gate) and the worker's peak RSS.
  scale   Warm query latency (p50/p95) of `search` and of a full offline `ask`, one query at a
          time, in one process that stays up, at 5k (SciFact itself), 50k and 200k abstracts.
          The larger corpora are SciFact plus SYNTHETIC abstracts made by recombining SciFact
          sentences (seeded, 3-6 sentences each); they are embedded with --scale-backend (default
          int8, the fastest).
  server  The same warm queries through a real `chroma run` server on this machine: the scale
          store (--server-size, default 50k) is moved there with `rag migrate` (no re-embedding),
          then queried with RAG_CHROMA_HOST set; app and server peak RSS are reported.
  peer    The llama-index starter pipeline and `rag ingest` on the same SciFact slices, ABBA,
          each in its own child process: abstracts/s, CPU s per abstract, nDCG@10 (both query
          halves), peak RSS and the ratio (bench/peer.py; needs the bench extra).
  cold    Wall time of fresh processes: `python -c "import rag"`, `rag --help`, and
          `rag ask "..." --json` on the built 5k store (onnx and torch backends).

Every figure is measured on this machine while it runs; the load average is recorded beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from bench.data import scifact_dir  # noqa: E402

SCIFACT = scifact_dir()
RESULTS = Path(os.environ.get("RAG_BENCH_RESULTS", HERE / "results" / "speed.json"))
DEFAULT_WORK = Path(os.environ.get("RAG_BENCH_WORK", "/tmp/rag-bench"))
DEFAULT_SECTIONS = "ingest,peer,scale,server,cold"
COLD_QUESTION = "Does vitamin D supplementation reduce the risk of fractures?"


# --- helpers -------------------------------------------------------------------------------------
def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    versions = {}
    for mod in ("onnxruntime", "torch", "chromadb"):
        try:
            from importlib.metadata import version

            versions[mod] = version(mod)
        except Exception:  # noqa: BLE001
            versions[mod] = "?"
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        **versions,
    }


def load() -> float:
    return round(os.getloadavg()[0], 2)


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q / 100 * len(s) + 0.5)) - 1))
    return s[k]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(args: list[str], env: dict | None = None, log: Path | None = None) -> dict:
    """Run this script's worker in a fresh process; its JSON result plus wall time and peak RSS."""
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    t0 = time.perf_counter()
    with open(log, "a") if log else open(os.devnull, "w") as err:
        proc = subprocess.Popen(
            cmd, env=env or os.environ.copy(), stdout=subprocess.PIPE, stderr=err, text=True
        )
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"worker failed: {' '.join(args)} (see {log})")
    res = json.loads(out.strip().splitlines()[-1])
    res["process_wall_s"] = round(wall, 2)
    res["process_peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    return res


def timed_process(cmd: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}: {proc.stderr.read().decode()[-500:]}")
    return wall, usage.ru_maxrss / 1024


def scifact_queries() -> tuple[list[dict], dict]:
    from bench_scifact import load_qrels

    qrels = load_qrels(SCIFACT / "qrels" / "test.tsv")
    queries = [
        json.loads(line) for line in (SCIFACT / "queries.jsonl").read_text().splitlines() if line
    ]
    return [q for q in queries if q["_id"] in qrels], qrels


def _import_scifact_helpers() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_scifact", HERE / "scifact.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    sys.modules["bench_scifact"] = mod


def results() -> dict:
    try:
        return json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        return {}


def save(section: str, value) -> None:
    data = results()
    data["machine"] = machine()
    data[section] = value
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=2))


# --- synthetic corpora ---------------------------------------------------------------------------
def synth_parts(work: Path, size: int, seed: int = 7) -> list[Path]:
    """SciFact itself plus synthetic abstracts up to ``size`` papers, as files that nest:
    part 1 takes the corpus to 50k, part 2 to 200k (so the 200k store extends the 50k one).

    A synthetic abstract is 3-6 sentences drawn from three random SciFact abstracts (seeded),
    titled with halves of two of their titles: shorter than SciFact's (mostly one chunk), so
    that the 200k build stays feasible on 2 cores; chunk counts are reported beside latency."""
    from rag.text import split_sentences

    real = SCIFACT / "corpus.jsonl"
    docs = [json.loads(line) for line in real.read_text().splitlines() if line.strip()]
    bounds = [len(docs), 50_000, 200_000]
    parts = [real]
    sents = None
    for i in range(1, len(bounds)):
        if size <= bounds[i - 1]:
            break
        lo, hi = bounds[i - 1], bounds[i]
        path = work / f"synthetic-{lo}-{hi}.jsonl"
        if not path.exists():
            if sents is None:
                sents = [split_sentences(d["text"]) or [d["text"]] for d in docs]
            rng = random.Random(seed + i)
            tmp = path.with_suffix(".tmp")
            with open(tmp, "w") as f:
                for n in range(lo, hi):
                    a, b, c = rng.sample(range(len(docs)), 3)
                    k = rng.randint(3, 6)  # shorter than SciFact's: mostly one chunk each
                    pool = sents[a] + sents[b] + sents[c]
                    text = " ".join(rng.sample(pool, min(k, len(pool))))
                    ta, tb = docs[a]["title"].split(), docs[b]["title"].split()
                    title = " ".join(ta[: max(1, len(ta) // 2)] + tb[len(tb) // 2 :])
                    f.write(json.dumps({"_id": f"syn-{n}", "title": title, "text": text}) + "\n")
            os.replace(tmp, path)
        parts.append(path)
    return parts


# --- workers (run in their own process) ------------------------------------------------------------
def cpu_s() -> float:
    """CPU seconds of this process, all threads (less sensitive to other load than wall time)."""
    t = os.times()
    return t.user + t.system


def worker_ingest(args) -> dict:
    """Ingest the corpus in parts, and encode each part's texts raw in the same process.

    The corpus is cut into ``--parts`` slices; each slice is ingested (incrementally, into one
    store) and its texts (title + chunk, exactly what ingest embeds) encoded raw, in ABBA order
    (raw first on even slices, ingest first on odd ones) so that load from other processes on a
    shared machine falls on both sides alike. Wall and CPU seconds are summed per side."""
    from rag.config import get_settings
    from rag.embed import get_embedder
    from rag.ingest import chunk_paper, embed_text, ingest
    from rag.parse import parse_paths

    # each row is its named backend, ingest included (bf16 is a row of its own: --backends bf16)
    settings = get_settings(store=args.store, embed_backend=args.backend, embed_ingest="query")
    corpus = Path(args.corpus)
    lines = [line for line in corpus.read_text().splitlines() if line.strip()]
    n = max(1, args.parts)
    step = -(-len(lines) // n)
    parts = []
    for k in range(n):
        part = Path(args.store).parent / f"{corpus.stem}-part{k + 1}of{n}.jsonl"
        part.write_text("\n".join(lines[k * step : (k + 1) * step]) + "\n")
        parts.append(part)
    papers = {part: parse_paths([part]).papers for part in parts}
    texts = {
        part: [embed_text(p, c) for p in ps for c in chunk_paper(p, settings)]
        for part, ps in papers.items()
    }
    emb = get_embedder(settings, bulk=len(lines))  # the one ingest embeds with
    emb.load()
    emb.embed(texts[parts[0]][:16], batch_size=16)  # warm: both sides start with a used model
    wall = {"ingest": 0.0, "raw": 0.0}
    cpu = {"ingest": 0.0, "raw": 0.0}
    loads, added, rss_ingest = [], 0, 0.0
    for k, part in enumerate(parts):
        for side in ("raw", "ingest") if k % 2 == 0 else ("ingest", "raw"):
            loads.append(load())
            w0, c0 = time.perf_counter(), cpu_s()
            if side == "ingest":
                added += len(ingest([part], settings, progress=False).added)
            else:
                emb.embed(texts[part], batch_size=settings.embed_batch_size)
            wall[side] += time.perf_counter() - w0
            cpu[side] += cpu_s() - c0
            if side == "ingest":
                rss_ingest = peak_rss_mb()
    n_papers = sum(len(v) for v in papers.values())
    n_chunks = sum(len(v) for v in texts.values())
    out = {
        "backend": args.backend,
        "papers": n_papers,
        "chunks": n_chunks,
        "added": added,
        "parts": n,
        "ingest_s": round(wall["ingest"], 2),
        "raw_s": round(wall["raw"], 2),
        "ingest_cpu_s": round(cpu["ingest"], 2),
        "raw_cpu_s": round(cpu["raw"], 2),
        "ingest_papers_per_s": round(n_papers / wall["ingest"], 2),
        "raw_papers_per_s": round(n_papers / wall["raw"], 2),
        "raw_chunks_per_s": round(n_chunks / wall["raw"], 2),
        "ratio_ingest_to_raw": round(wall["raw"] / wall["ingest"], 3),
        "ratio_ingest_to_raw_cpu": round(cpu["raw"] / cpu["ingest"], 3),
        "peak_rss_after_ingest_mb": round(rss_ingest, 1),
        "load_avg": loads,
    }
    if args.quality:
        out.update(quality(settings))
    return out


def quality(settings) -> dict:
    """nDCG@10 on the SciFact test queries, hybrid and dense, from the store just built."""
    from rag.assistant import Assistant
    from rag.eval.metrics import mean, ndcg_at_k

    _import_scifact_helpers()
    queries, qrels = scifact_queries()
    a = Assistant(settings)
    out = {}
    for mode in ("hybrid", "dense"):
        runs = [[h.paper.paper_id for h in a.search(q["text"], k=10, mode=mode)] for q in queries]
        out[f"ndcg@10_{mode}"] = round(
            mean([ndcg_at_k(r, qrels[q["_id"]], 10) for r, q in zip(runs, queries, strict=True)]),
            4,
        )
    return out


def worker_build(args) -> dict:
    """Ingest corpus files into a store (the scale section's builds)."""
    from rag.config import get_settings
    from rag.ingest import ingest

    settings = get_settings(store=args.store, embed_backend=args.backend)
    t0 = time.perf_counter()
    report = ingest([Path(p) for p in args.paths], settings, progress=False)
    secs = time.perf_counter() - t0
    return {
        "added": len(report.added),
        "total": report.total,
        "seconds": round(secs, 1),
        "papers_per_s": round(len(report.added) / secs, 2) if secs else None,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "load_avg": load(),
    }


def worker_query(args) -> dict:
    """Warm latency of search and ask, one query at a time, in this long-lived process."""
    from rag.assistant import Assistant
    from rag.config import get_settings

    _import_scifact_helpers()
    queries, _ = scifact_queries()
    texts = [q["text"] for q in queries][: args.queries]
    settings = get_settings(store=args.store, embed_backend=args.backend)
    a = Assistant(settings)
    t0 = time.perf_counter()
    a.search("warm up", k=10)  # opens Chroma, loads the model, BM25 and the HNSW index
    first_s = time.perf_counter() - t0
    for q in texts[:10]:
        a.search(q, k=10)
    load0 = load()
    search_ms, parts = [], {"embed": [], "dense": [], "keyword": [], "fuse": []}
    for q in texts:
        t = time.perf_counter()
        r = a.retrieve(q, 10)
        search_ms.append((time.perf_counter() - t) * 1000)
        for k in parts:
            parts[k].append(r.timings_ms.get(k, 0.0))
    ask_ms, abstained = [], 0
    for q in texts:
        t = time.perf_counter()
        ans = a.ask(q)
        ask_ms.append((time.perf_counter() - t) * 1000)
        abstained += ans.abstained
    return {
        "papers": len(a.papers()),
        "chunks": a.store.chunk_count(),
        "queries": len(texts),
        "first_query_s": round(first_s, 2),
        "search_p50_ms": round(pct(search_ms, 50), 1),
        "search_p95_ms": round(pct(search_ms, 95), 1),
        "search_parts_p50_ms": {k: round(pct(v, 50), 1) for k, v in parts.items()},
        "ask_p50_ms": round(pct(ask_ms, 50), 1),
        "ask_p95_ms": round(pct(ask_ms, 95), 1),
        "ask_abstained": abstained,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "load_avg": [load0, load()],
    }


# --- sections ------------------------------------------------------------------------------------
def section_ingest(args) -> list[dict]:
    corpus = SCIFACT / "corpus.jsonl"
    if args.limit:
        lines = corpus.read_text().splitlines()[: args.limit]
        corpus = args.work / f"scifact-{args.limit}.jsonl"
        corpus.write_text("\n".join(lines) + "\n")
    rows = []
    for backend in args.backends:
        store = args.work / f"ingest-{backend}-{args.limit or 'all'}"
        shutil.rmtree(store, ignore_errors=True)
        print(f"[ingest] {backend}: {corpus.name} -> {store}", file=sys.stderr, flush=True)
        wargs = ["_ingest", "--backend", backend, "--store", str(store), "--corpus", str(corpus)]
        row = run_child(wargs + (["--quality"] if not args.limit else []), log=args.log)
        (store / "bench-built.json").write_text(
            json.dumps(
                {
                    "added": row["added"],
                    "total": row["papers"],
                    "seconds": row["ingest_s"],
                    "papers_per_s": row["ingest_papers_per_s"],
                    "load_avg": row["load_avg"][0],
                }
            )
        )
        rows.append(row)
        print(f"[ingest] {json.dumps(row)}", file=sys.stderr, flush=True)
    base = next((r for r in rows if r["backend"] == "torch"), None)
    for r in rows:
        if base:
            r["ingest_vs_raw_torch"] = round(base["raw_s"] / r["ingest_s"], 3)
    print_ingest(rows, corpus.name)
    return rows


def print_ingest(rows: list[dict], name: str) -> None:
    print(
        f"\nIngest throughput, {name} ({rows[0]['papers']} abstracts, {rows[0]['chunks']} chunks)"
    )
    head = (
        f"{'backend':<8} {'raw enc/s':>9} {'ingest/s':>9} {'ingest/raw':>10} {'(by CPU s)':>10} "
        f"{'vs torch raw':>12} {'peak RSS':>9} {'nDCG hyb':>8} {'nDCG dense':>10}"
    )
    print(head)
    for r in rows:
        print(
            f"{r['backend']:<8} {r['raw_papers_per_s']:>9.1f} {r['ingest_papers_per_s']:>9.1f} "
            f"{r['ratio_ingest_to_raw']:>10.2f} {r.get('ratio_ingest_to_raw_cpu', float('nan')):>10.2f} "
            f"{r.get('ingest_vs_raw_torch', float('nan')):>12.2f} "
            f"{r['peak_rss_after_ingest_mb']:>7.0f}MB {r.get('ndcg@10_hybrid', float('nan')):>8.3f} "
            f"{r.get('ndcg@10_dense', float('nan')):>10.3f}"
        )
    print(
        "(abstracts per second, wall time; raw = the same model encoding the same texts in the same"
        " process, interleaved with the ingest in ABBA order over 4 slices; 'by CPU s' = raw CPU"
        " seconds / ingest CPU seconds)"
    )


def section_scale(args) -> list[dict]:
    rows = []
    prev_store, prev_parts = None, []
    for size in args.sizes:
        if size <= 5183:
            store = args.work / f"scale-{args.scale_backend}-5k"
            built = args.work / f"ingest-{args.scale_backend}-all"  # the ingest section's store
            if not (store / "bench-built.json").exists() and (built / "bench-built.json").exists():
                store = built
            parts = [SCIFACT / "corpus.jsonl"]
            label = "5k (SciFact)"
        else:
            store = args.work / f"scale-{args.scale_backend}-{size // 1000}k"
            parts = synth_parts(args.work, size)
            label = f"{size // 1000}k (SciFact + synthetic)"
        build = None
        marker = store / "bench-built.json"
        if not marker.exists():
            shutil.rmtree(store, ignore_errors=True)
            todo = parts
            if prev_store is not None and (prev_store / "bench-built.json").exists():
                # extend the previous size's store: only the new synthetic part is embedded
                print(f"[scale] copying {prev_store} -> {store}", file=sys.stderr, flush=True)
                shutil.copytree(prev_store, store, ignore=shutil.ignore_patterns(".lock"))
                (store / "bench-built.json").unlink()
                todo = [p for p in parts if p not in prev_parts]
            print(f"[scale] building {label} in {store}", file=sys.stderr, flush=True)
            build = run_child(
                ["_build", "--backend", args.scale_backend, "--store", str(store)]
                + ["--paths", *map(str, todo)],
                log=args.log,
            )
            marker.write_text(json.dumps(build))
        else:
            build = json.loads(marker.read_text())
        prev_store, prev_parts = store, parts
        print(f"[scale] querying {label}", file=sys.stderr, flush=True)
        q = run_child(
            ["_query", "--backend", args.scale_backend, "--store", str(store)]
            + ["--queries", str(args.queries)],
            log=args.log,
        )
        q.update({"size": size, "label": label, "backend": args.scale_backend, "build": build})
        q["store_mb"] = round(
            sum(f.stat().st_size for f in store.rglob("*") if f.is_file()) / 2**20
        )
        rows.append(q)
        print(f"[scale] {json.dumps(q)}", file=sys.stderr, flush=True)
    print_scale(rows)
    return rows


def print_scale(rows: list[dict]) -> None:
    print(
        "\nWarm query latency (one process, one query at a time, SciFact test queries; "
        "the 50k/200k corpora add SYNTHETIC abstracts recombined from SciFact sentences)"
    )
    print(
        f"{'corpus':<28} {'papers':>7} {'chunks':>7} {'search p50':>10} {'p95':>6} "
        f"{'ask p50':>8} {'p95':>6} {'RSS':>7} {'store':>7} {'build/s':>7}"
    )
    for r in rows:
        b = r.get("build") or {}
        print(
            f"{r['label']:<28} {r['papers']:>7} {r['chunks']:>7} {r['search_p50_ms']:>8.1f}ms "
            f"{r['search_p95_ms']:>4.0f}ms {r['ask_p50_ms']:>6.0f}ms {r['ask_p95_ms']:>4.0f}ms "
            f"{r['peak_rss_mb']:>5.0f}MB {r['store_mb']:>5}MB {b.get('papers_per_s') or 0:>7.1f}"
        )
    print(f"(embedded with {rows[0]['backend']}; search = hybrid k=10; ask = extractive, offline)")


def _peer_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_peer", HERE / "peer.py")
    peer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peer)
    return peer


def section_peer(args) -> dict | None:
    """bench/peer.py's run: the llama-index starter beside ours, interleaved slice by slice."""
    peer = _peer_module()
    missing = peer.missing_extra()
    if missing:
        print(
            "[peer] NOT RUN: the peer section needs the bench extra, which is not installed "
            f"(missing: {', '.join(missing)}). Install it with: pip install -e '.[bench]'",
            file=sys.stderr,
            flush=True,
        )
        if args.sections_given:
            raise SystemExit(1)
        return None
    out = peer.run(
        args.work / "peer",
        limit=args.limit,
        slices=args.peer_slices,
        pipelines=tuple(p for p in args.peer_pipelines.split(",") if p),
        log_path=args.log,
        say=lambda m: print(m, file=sys.stderr, flush=True),
    )
    peer.print_table(out)
    return out


def section_cold(args) -> dict:
    store = args.cold_store or args.work / "ingest-onnx-all"
    if not (store.is_dir() and any(store.glob("*/papers.sqlite"))):
        raise SystemExit(f"no built store at {store}: run --sections ingest first or --cold-store")
    env = {**os.environ, "RAG_STORE": str(store)}
    env.pop("RAG_EMBED_BACKEND", None)
    rag = str(Path(sys.executable).with_name("rag"))
    cases = {
        'python -c "import rag"': ([sys.executable, "-c", "import rag"], env),
        "rag --help": ([rag, "--help"], env),
        'rag ask "..." --json (onnx, default)': ([rag, "ask", COLD_QUESTION, "--json"], env),
        'rag search "..." --json (onnx)': ([rag, "search", COLD_QUESTION, "--json"], env),
        'rag ask "..." --json (torch)': (
            [rag, "ask", COLD_QUESTION, "--json"],
            {**env, "RAG_EMBED_BACKEND": "torch"},
        ),
    }
    out = {"store": str(store), "runs": args.cold_runs, "cases": {}}
    for name, (cmd, e) in cases.items():
        timed_process(cmd, e)  # one untimed run: the OS file cache is warm for all of them
        walls, rss = [], []
        for _ in range(args.cold_runs):
            w, r = timed_process(cmd, e)
            walls.append(w)
            rss.append(r)
        out["cases"][name] = {
            "median_s": round(statistics.median(walls), 3),
            "min_s": round(min(walls), 3),
            "max_s": round(max(walls), 3),
            "peak_rss_mb": round(max(rss), 1),
            "load_avg": load(),
        }
        print(f"[cold] {name}: {out['cases'][name]}", file=sys.stderr, flush=True)
    print_cold(out)
    return out


def print_cold(out: dict) -> None:
    print(
        f"\nCold start (fresh process, {out['runs']} runs after one warm-up, store {out['store']})"
    )
    print(f"{'command':<40} {'median':>8} {'min':>7} {'max':>7} {'peak RSS':>9}")
    for name, c in out["cases"].items():
        print(
            f"{name:<40} {c['median_s']:>7.2f}s {c['min_s']:>6.2f}s {c['max_s']:>6.2f}s "
            f"{c['peak_rss_mb']:>7.0f}MB"
        )


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _vm_hwm_mb(pid: int) -> float:
    """Peak resident memory of another live process (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return float("nan")


def section_server(args) -> dict:
    """The same warm queries through a real `chroma run` server, beside the embedded store.

    Starts `chroma run` on a fresh directory, moves the scale store's vectors there with
    `rag migrate` (no re-embedding), then runs the query worker with RAG_CHROMA_HOST set."""
    import urllib.request

    size = args.server_size
    store = args.work / f"scale-{args.scale_backend}-{size // 1000 if size > 5183 else 5}k"
    if size <= 5183 and not (store / "bench-built.json").exists():
        store = args.work / f"ingest-{args.scale_backend}-all"
    if not (store / "bench-built.json").exists():
        raise SystemExit(f"no built store at {store}: run --sections scale first")
    data = args.work / f"chroma-server-{size // 1000}k"
    shutil.rmtree(data, ignore_errors=True)
    port = _free_port()
    chroma = str(Path(sys.executable).with_name("chroma"))
    log = open(args.work / "chroma-server.log", "ab")
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("chroma run did not start (see chroma-server.log)") from None
                time.sleep(0.3)
        env = {
            **os.environ,
            "RAG_STORE": str(store),
            "RAG_CHROMA_HOST": "127.0.0.1",
            "RAG_CHROMA_PORT": str(port),
            "RAG_EMBED_BACKEND": args.scale_backend,
        }
        rag = str(Path(sys.executable).with_name("rag"))
        print(f"[server] rag migrate {store} -> 127.0.0.1:{port}", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        out = subprocess.run(
            [rag, "migrate", "--json", "--quiet"], env=env, capture_output=True, text=True
        )
        if out.returncode != 0:
            raise SystemExit(f"rag migrate failed: {out.stderr[-1000:]}")
        migrate = json.loads(out.stdout)
        migrate["wall_s"] = round(time.perf_counter() - t0, 1)
        print(f"[server] querying {size // 1000}k through the server", file=sys.stderr, flush=True)
        q = run_child(
            ["_query", "--backend", args.scale_backend, "--store", str(store)]
            + ["--queries", str(args.queries)],
            env=env,
            log=args.log,
        )
        q.update(
            {
                "size": size,
                "migrate": migrate,
                "server_peak_rss_mb": _vm_hwm_mb(proc.pid),
                "server_data_mb": round(
                    sum(f.stat().st_size for f in data.rglob("*") if f.is_file()) / 2**20
                ),
            }
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    print(f"[server] {json.dumps(q)}", file=sys.stderr, flush=True)
    print_server(q)
    return q


def print_server(q: dict) -> None:
    m = q["migrate"]
    print(
        f"\nChroma server (`chroma run` on 127.0.0.1, same machine), {q['papers']} papers / "
        f"{q['chunks']} chunks moved by `rag migrate` in {m['wall_s']:.0f} s (nothing re-embedded)"
    )
    print(
        f"search p50 {q['search_p50_ms']:.1f} ms, p95 {q['search_p95_ms']:.1f} ms; "
        f"ask p50 {q['ask_p50_ms']:.0f} ms, p95 {q['ask_p95_ms']:.0f} ms; "
        f"app process peak RSS {q['peak_rss_mb']:.0f} MB, server peak RSS "
        f"{q['server_peak_rss_mb']:.0f} MB, server data {q['server_data_mb']} MB"
    )


def print_report(data: dict) -> None:
    if not data:
        raise SystemExit(f"no results in {RESULTS}: run the benchmark first")
    print(f"machine: {json.dumps(data.get('machine', {}))}")
    if data.get("ingest"):
        print_ingest(data["ingest"], "corpus.jsonl")
    if data.get("peer"):
        _peer_module().print_table(data["peer"])
    if data.get("scale"):
        print_scale(data["scale"])
    if data.get("server"):
        print_server(data["server"])
    if data.get("cold"):
        print_cold(data["cold"])


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0].startswith("_"):
        return worker_main(argv)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sections", default=None, help=f"default {DEFAULT_SECTIONS}")
    ap.add_argument("--backends", default="torch,onnx,int8", help="for the ingest section")
    ap.add_argument("--scale-backend", default="int8", help="embeds the scale corpora")
    ap.add_argument("--sizes", default="5000,50000,200000")
    ap.add_argument("--queries", type=int, default=300, help="SciFact test queries per size")
    ap.add_argument("--limit", type=int, default=0, help="ingest only the first N abstracts")
    ap.add_argument("--cold-runs", type=int, default=5)
    ap.add_argument("--cold-store", type=Path, default=None)
    ap.add_argument("--peer-slices", type=int, default=4, help="peer: slices interleaved ABBA")
    ap.add_argument(
        "--peer-pipelines",
        default="starter,ours",
        help="peer: starter, ours, ours-spin, ours-1thread (comma-separated)",
    )
    ap.add_argument("--server-size", type=int, default=50000, help="corpus of the server section")
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK, help="stores and corpora")
    ap.add_argument(
        "--report", action="store_true", help="print the tables of the last results, run nothing"
    )
    args = ap.parse_args(argv)
    args.sections_given = args.sections is not None
    args.sections = args.sections or DEFAULT_SECTIONS
    if args.report:
        return print_report(results())
    if not (SCIFACT / "corpus.jsonl").exists():
        raise SystemExit(f"SciFact is not at {SCIFACT}")
    args.backends = [b for b in args.backends.split(",") if b]
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    args.work.mkdir(parents=True, exist_ok=True)
    args.log = args.work / "workers.log"
    print(f"machine: {json.dumps(machine())}; work dir {args.work}", file=sys.stderr)
    for section in args.sections.split(","):
        if section == "ingest":
            save("ingest", section_ingest(args))
        elif section == "scale":
            save("scale", section_scale(args))
        elif section == "cold":
            save("cold", section_cold(args))
        elif section == "server":
            save("server", section_server(args))
        elif section == "peer":
            out = section_peer(args)
            if out is not None:
                save("peer", out)
        else:
            raise SystemExit(f"unknown section {section!r}")
    print(f"\nwrote {RESULTS}")


def worker_main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("worker")
    ap.add_argument("--backend", required=True)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--corpus", default=None)
    ap.add_argument("--paths", nargs="*", default=[])
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--parts", type=int, default=4)
    args = ap.parse_args(argv)
    fn = {"_ingest": worker_ingest, "_build": worker_build, "_query": worker_query}[args.worker]
    print(json.dumps(fn(args)), flush=True)


if __name__ == "__main__":
    main()
