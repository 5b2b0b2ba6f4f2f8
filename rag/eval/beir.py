"""Retrieval scored alone on a BEIR-format dataset (SciFact) in a temporary store."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from ..config import Settings, get_settings
from ..errors import ConfigError
from .context import _git_commit, settings_record
from .metrics import mean, mrr_at_k, ndcg_at_k, percentile, recall_at_k
from .questions import Log, _stderr, default_runs_dir
from .runs import _bar, _new_run_dir


# --- BEIR ----------------------------------------------------------------------------------------------
def load_qrels(path: Path) -> dict[str, dict[str, float]]:
    """BEIR qrels (query-id, corpus-id, score; tab-separated, with or without a header)."""
    qrels: dict[str, dict[str, float]] = {}
    for no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 3:
            raise ConfigError(f"{path}:{no}: expected query-id<TAB>corpus-id<TAB>score")
        try:
            score = float(parts[-1])
        except ValueError:
            if no == 1:
                continue  # the header
            raise ConfigError(f"{path}:{no}: the score {parts[-1]!r} is not a number") from None
        qrels.setdefault(parts[0], {})[parts[1]] = score
    return qrels


def load_beir_queries(path: Path) -> dict[str, str]:
    out = {}
    for no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out[str(d["_id"])] = str(d["text"])
        except (json.JSONDecodeError, KeyError, TypeError):
            raise ConfigError(f"{path}:{no}: expected a JSON object with _id and text") from None
    return out


def run_beir(
    directory: Path,
    *,
    settings: Settings | None = None,
    split: str = "test",
    mode: str = "hybrid",
    depth: int = 100,
    runs_dir: Path | None = None,
    keep_store: bool = False,
    progress: bool = True,
    log: Log = _stderr,
) -> tuple[Path, dict]:
    """Score retrieval on a BEIR dataset in a temporary store: nDCG@10, Recall@100, MRR@10."""
    from ..assistant import Assistant
    from ..ingest import ingest
    from .report import write_beir_report

    d = Path(directory)
    corpus, queries_f, qrels_f = (
        d / "corpus.jsonl",
        d / "queries.jsonl",
        d / "qrels" / f"{split}.tsv",
    )
    missing = [str(p) for p in (corpus, queries_f, qrels_f) if not p.is_file()]
    if missing:
        raise ConfigError(
            f"{d} is not a BEIR dataset: missing {', '.join(missing)} "
            "(expected corpus.jsonl, queries.jsonl and qrels/<split>.tsv)"
        )
    qrels = load_qrels(qrels_f)
    queries = load_beir_queries(queries_f)
    judged = [qid for qid in queries if qid in qrels]
    if not judged:
        raise ConfigError(f"no query of {queries_f} has judgements in {qrels_f}")
    base = settings or get_settings()
    store = Path(tempfile.mkdtemp(prefix="rag-beir-"))
    s = base.model_copy(update={"store": store})
    try:
        t0 = time.perf_counter()
        rep = ingest([corpus], s, progress=progress)
        ingest_s = time.perf_counter() - t0
        if rep.rejected:
            log(f"{len(rep.rejected)} corpus record(s) rejected, e.g. {rep.rejected[0]}")
        assistant = Assistant(s)
        bar = _bar(len(judged), 0, progress)
        rows = []
        t1 = time.perf_counter()
        lat = []
        for qid in judged:
            text = queries[qid].replace("\n", " ").strip()
            tq = time.perf_counter()
            ranked = [h.paper.paper_id for h in assistant.search(text, k=depth, mode=mode)]
            lat.append((time.perf_counter() - tq) * 1000)
            rel = qrels[qid]
            rows.append(
                {
                    "id": qid,
                    "query": text,
                    "ndcg@10": ndcg_at_k(ranked, rel, 10),
                    f"recall@{depth}": recall_at_k(ranked, rel, depth),
                    "recall@10": recall_at_k(ranked, rel, 10),
                    "mrr@10": mrr_at_k(ranked, rel, 10),
                    "ranking": ranked[:10],
                    "relevant": sorted(d for d, g in rel.items() if g > 0),
                }
            )
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        search_s = time.perf_counter() - t1
        papers = assistant.count()
        assistant.reset()
    finally:
        if keep_store:
            log(f"the BEIR store is kept at {store}")
        else:
            shutil.rmtree(store, ignore_errors=True)
    metrics = {
        f"beir.{key}": round(mean([r[key] for r in rows]), 4)
        for key in ("ndcg@10", f"recall@{depth}", "recall@10", "mrr@10")
    }
    metrics["latency.search.p50_ms"] = round(percentile(lat, 50), 2)
    metrics["latency.search.p95_ms"] = round(percentile(lat, 95), 2)
    run_path = _new_run_dir(Path(runs_dir or default_runs_dir()), f"-beir-{d.name}")
    with open(run_path / "results.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    summary = {
        "run": {
            "id": run_path.name,
            "kind": "beir",
            "dataset": str(d.resolve()),
            "split": split,
            "mode": mode,
            "queries": len(rows),
            "corpus": papers,
            "rejected": len(rep.rejected),
            "store": str(store),
            "store_kept": keep_store,
            "ingest_s": round(ingest_s, 1),
            "search_s": round(search_s, 1),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "git_commit": _git_commit(),
        },
        "settings": {
            "embed_model": s.embed_model,
            "chunk_size": s.chunk_size,
            "chunk_overlap": s.chunk_overlap,
            "chunk_title": s.chunk_title,
            "candidates": s.candidates,
            "rrf_k": s.rrf_k,
            "dense_weight": s.dense_weight,
            "keyword_weight": s.keyword_weight,
            "depth": depth,
            "all": {k: v for k, v in settings_record(s).items() if k != "store"},
        },
        "metrics": metrics,
    }
    (run_path / "run.json").write_text(json.dumps({"kind": "beir", "id": run_path.name}, indent=2))
    (run_path / "summary.json").write_text(json.dumps(summary, indent=2))
    write_beir_report(run_path, summary, rows)
    return run_path, summary
