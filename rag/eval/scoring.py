"""Scoring: one answer against its gold question, and the aggregation of a run's records."""

from __future__ import annotations

from datetime import UTC, datetime

from ..answer.cite import sentences_of
from ..config import Settings
from .context import _git_commit, followup_mode, settings_record
from .metrics import hit_at_k, mean, mrr_at_k, ndcg_at_k, percentile, precision_recall, recall_at_k
from .questions import QUESTION_TYPES, RANK_DEPTH, Question

# --- scoring one answer ----------------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def score_support(
    sentences: list[tuple[str, list[int]]], passages: dict[int, str], scorer, threshold: float
) -> dict:
    """ALCE-style support: is each sentence backed by what it cites, and is each citation needed.

    A sentence is supported when its cited passages together score at least ``threshold`` with
    the local support scorer (no citation: unsupported); a sentence quoted verbatim from a cited
    passage is supported without scoring (support 1.0). A citation is relevant when its passage
    alone supports the sentence, or when leaving it out makes the sentence unsupported.
    """
    from ..answer.support import clean_claim

    claims = [clean_claim(text) for text, _ in sentences]
    cites_of = [[n for n in dict.fromkeys(c) if n in passages] for _, c in sentences]
    normed = {n: _norm(p) for n, p in passages.items()}
    quoted = {
        (i, n): bool(claims[i]) and _norm(claims[i]) in normed[n]
        for i, cs in enumerate(cites_of)
        for n in cs
    }
    # one scorer call for every (sentence, passage) pair that is not a verbatim quote
    rows = sorted({i for (i, n), q in quoted.items() if not q})
    cols = sorted({n for (i, n), q in quoted.items() if not q})
    matrix = (
        scorer.score_matrix([claims[i] for i in rows], [passages[n] for n in cols])
        if rows
        else None
    )

    def alone(i: int, n: int) -> float:
        if quoted[(i, n)]:
            return 1.0
        return float(matrix[rows.index(i), cols.index(n)])

    def together(i: int, ns: list[int]) -> float:
        if not ns:
            return 0.0
        if len(ns) == 1 or any(quoted[(i, n)] for n in ns):
            return max(alone(i, n) for n in ns)
        return scorer.score(claims[i], ["\n".join(passages[n] for n in ns)])

    per_sentence = []
    relevant = total = 0
    for i, (text, _) in enumerate(sentences):
        cites = cites_of[i]
        joint = together(i, cites)
        supported = bool(cites) and joint >= threshold
        for n in cites:
            total += 1
            if alone(i, n) >= threshold:
                relevant += 1
            elif supported and together(i, [m for m in cites if m != n]) < threshold:
                relevant += 1
        per_sentence.append(
            {
                "text": text,
                "citations": cites,
                "support": round(joint, 4),
                "supported": supported,
                "verbatim": any(quoted[(i, n)] for n in cites),
            }
        )
    n = len(per_sentence)
    return {
        "sentences": per_sentence,
        "sentence_support": sum(s["supported"] for s in per_sentence) / n if n else None,
        "support_precision": relevant / total if total else None,
    }


def score_answer(q: Question, ans, ranking: list[str], k: int, scorer, threshold: float) -> dict:
    """The metrics of one answered question (None where a metric does not apply)."""
    m: dict[str, float | None] = {}
    if q.gold:
        qrels = {g: 1.0 for g in q.gold}
        m["hit@1"] = hit_at_k(ranking, qrels, 1)
        m[f"hit@{k}"] = hit_at_k(ranking, qrels, k)
        m["mrr@10"] = mrr_at_k(ranking, qrels, RANK_DEPTH)
        m["ndcg@10"] = ndcg_at_k(ranking, qrels, RANK_DEPTH)
        m[f"recall@{k}"] = recall_at_k(ranking, qrels, k)
        m["recall@10"] = recall_at_k(ranking, qrels, RANK_DEPTH)
    sources = [h.paper.paper_id for h in ans.sources]
    support = {"sentences": [], "sentence_support": None, "support_precision": None}
    if ans.abstained:
        m["citation_validity"] = None
        m["citation_precision"] = None
        m["citation_recall"] = 0.0 if q.gold else None
        m["fact_recall"] = 0.0 if q.facts and q.answerable else None
        if q.part_facts:
            m["part_fact_recall"] = 0.0
            m["parts_answered"] = 0.0
    else:
        numbers = {c.n: c.paper_id for c in ans.citations}
        for _, cites in sentences_of(ans):
            for n in cites:
                numbers.setdefault(n, None)
        valid = [
            1 <= n <= len(sources) and (pid is None or sources[n - 1] == pid)
            for n, pid in numbers.items()
        ]
        m["citation_validity"] = sum(valid) / len(valid) if valid else None
        cited = [c.paper_id for c in ans.citations]
        prec, rec = precision_recall(cited, q.gold)
        m["citation_precision"] = prec
        m["citation_recall"] = rec
        text = ans.answer.lower()
        m["fact_recall"] = (
            sum(f.lower() in text for f in q.facts) / len(q.facts) if q.facts else None
        )
        if q.part_facts:  # per part: the share of its facts; a part counts when one is found
            shares = [sum(f.lower() in text for f in fs) / len(fs) for fs in q.part_facts if fs]
            if shares:
                m["part_fact_recall"] = sum(shares) / len(shares)
                m["parts_answered"] = sum(x > 0 for x in shares) / len(shares)
        passages = {
            i: f"{h.paper.title}. {h.paper.text}" for i, h in enumerate(ans.sources, start=1)
        }
        support = score_support(sentences_of(ans), passages, scorer, threshold)
    if q.none_expected:  # nothing answers it: right when the answer cites nothing
        m["none_correct"] = 1.0 if not ans.citations else 0.0
    m["sentence_support"] = support["sentence_support"]
    m["support_precision"] = support["support_precision"]
    return {"metrics": m, "sentences": support["sentences"]}


def quality(record: dict) -> float:
    """One number per question for ranking the worst: 0 (bad) .. 1 (good)."""
    if record.get("error"):
        return 0.0
    if record["type"] == "unanswerable":
        return 1.0 if record["abstained"] else 0.0
    if record["abstained"]:
        return 0.0
    m = record["metrics"]
    k = record.get("k", 5)
    parts = [
        m.get(f"hit@{k}"),
        m.get("fact_recall"),
        m.get("citation_recall"),
        m.get("sentence_support"),
    ]
    parts = [p for p in parts if p is not None]
    return mean(parts) if parts else 1.0


# --- aggregation ---------------------------------------------------------------------------------------
LOWER_IS_BETTER_PREFIXES = ("latency.", "cost.", "answers.false_abstention_rate", "errors")


def _avg(records: list[dict], key: str) -> float | None:
    xs = [r["metrics"].get(key) for r in records if not r.get("error")]
    xs = [x for x in xs if x is not None]
    return round(mean(xs), 4) if xs else None


def _metric_block(records: list[dict], k: int, overall: bool = True) -> dict:
    ok = [r for r in records if not r.get("error")]
    block = {
        "retrieval.hit@1": _avg(ok, "hit@1"),
        f"retrieval.hit@{k}": _avg(ok, f"hit@{k}"),
        "retrieval.mrr@10": _avg(ok, "mrr@10"),
        "retrieval.ndcg@10": _avg(ok, "ndcg@10"),
        f"retrieval.recall@{k}": _avg(ok, f"recall@{k}"),
        "retrieval.recall@10": _avg(ok, "recall@10"),
        "citations.validity": _avg(ok, "citation_validity"),
        "citations.precision": _avg(ok, "citation_precision"),
        "citations.recall": _avg(ok, "citation_recall"),
        "citations.sentence_support": _avg(ok, "sentence_support"),
        "citations.support_precision": _avg(ok, "support_precision"),
        "answers.fact_recall": _avg(ok, "fact_recall"),
        "answers.part_fact_recall": _avg(ok, "part_fact_recall"),
        "answers.parts_answered": _avg(ok, "parts_answered"),
        "answers.none_expected_correct": _avg(ok, "none_correct"),
    }
    unans = [r for r in ok if r["type"] == "unanswerable"]
    ans = [r for r in ok if r["type"] != "unanswerable"]
    abstained = [r for r in ok if r["abstained"]]
    tp = sum(r["type"] == "unanswerable" for r in abstained)
    if overall:  # within one question type, precision of abstaining says nothing
        block["answers.abstention_precision"] = round(tp / len(abstained), 4) if abstained else None
    block["answers.abstention_recall"] = round(tp / len(unans), 4) if unans else None
    block["answers.false_abstention_rate"] = (
        round(sum(r["abstained"] for r in ans) / len(ans), 4) if ans else None
    )
    judged = [
        r["judge"] for r in ok if isinstance(r.get("judge"), dict) and "correct" in r["judge"]
    ]
    if judged:
        block["judge.supported"] = round(mean([j["supported"] for j in judged]), 4)
        block["judge.correct"] = round(mean([j["correct"] for j in judged]), 4)
    return block


KIND_METRICS = ("fact_recall", "part_fact_recall", "citation_precision", "citation_recall")


def by_kind(records: list[dict]) -> dict:
    """Per half (dev, test, all) and per kind of question: n and the answer metrics.

    Besides the kinds of the question file, two groups the targets are stated for:
    ``single-paper`` (type single) and ``list`` (kind list, multi and follow-up)."""
    groups: dict[str, list[dict]] = {}
    for r in records:
        if r.get("kind"):
            groups.setdefault(r["kind"], []).append(r)
        if r["type"] == "single":
            groups.setdefault("single-paper", []).append(r)
    out: dict = {}
    for sp in ("dev", "test", "all"):
        block = {}
        for kind, rs in sorted(groups.items()):
            rs = [r for r in rs if sp == "all" or r.get("split") == sp]
            if not rs:
                continue
            row = {"n": len(rs)}
            for key in KIND_METRICS:
                v = _avg(rs, key)
                if v is not None:
                    row[key] = v
            row["abstained"] = sum(bool(r.get("abstained")) for r in rs)
            block[kind] = row
        if block:
            out[sp] = block
    return out if any(r.get("split") for r in records) or out else {}


def latency_table(records: list[dict]) -> dict[str, dict[str, float]]:
    """Per stage of timings_ms: n, mean, p50 and p95 in milliseconds."""
    stages: dict[str, list[float]] = {}
    for r in records:
        for stage, ms in (r.get("timings_ms") or {}).items():
            stages.setdefault(stage, []).append(float(ms))
    return {
        stage: {
            "n": len(xs),
            "mean": round(mean(xs), 2),
            "p50": round(percentile(xs, 50), 2),
            "p95": round(percentile(xs, 95), 2),
        }
        for stage, xs in stages.items()
    }


def summarize(
    records: list[dict],
    *,
    questions: list[Question],
    meta: dict,
    settings: Settings,
    backend: str,
    k: int,
    judge_model: str | None = None,
) -> dict:
    """summary.json: settings, headline metrics, metrics by question type, latency, cost."""
    ok = [r for r in records if not r.get("error")]
    metrics = _metric_block(records, k)
    lat = latency_table(ok)
    for stage, row in lat.items():
        metrics[f"latency.{stage}.p50_ms"] = row["p50"]
        metrics[f"latency.{stage}.p95_ms"] = row["p95"]
    usage: dict[str, float] = {}
    for r in ok:
        for key, v in (r.get("usage") or {}).items():
            usage[key] = usage.get(key, 0) + v
    judge_usage: dict[str, float] = {}
    for r in ok:
        for key, v in ((r.get("judge") or {}).get("usage") or {}).items():
            if isinstance(v, int | float):
                judge_usage[key] = judge_usage.get(key, 0) + v
    if usage.get("calls"):  # per question of the set, abstentions (no model call) included
        for key, v in usage.items():
            metrics[f"cost.{key}_per_question"] = round(v / len(ok), 6 if "usd" in key else 2)
    metrics["errors"] = len(records) - len(ok)
    by_type = {
        t: {
            key: v
            for key, v in _metric_block([r for r in records if r["type"] == t], k, False).items()
            if v is not None
        }
        for t in QUESTION_TYPES
        if any(r["type"] == t for r in records)
    }
    splits = {
        sp: {
            key: v
            for key, v in _metric_block([r for r in ok if r.get("split") == sp], k).items()
            if v is not None
        }
        for sp in ("dev", "test")
        if any(r.get("split") == sp for r in ok)
    }
    sessions = meta.get("sessions", [])
    return {
        "run": {
            "id": meta.get("id"),
            "kind": "questions",
            "created": meta.get("created"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "questions_file": meta.get("questions_file"),
            "questions_sha256": meta.get("questions_sha256"),
            "questions": len(questions),
            "answered": len(records),
            "abstained": sum(1 for r in ok if r["abstained"]),
            "errors": len(records) - len(ok),
            "sessions": len(sessions),
            "seconds": round(sum(s.get("seconds", 0) for s in sessions), 2),
            "workers": sessions[-1]["workers"] if sessions else None,
            "git_commit": _git_commit(),
            "followup_mode": meta.get("fingerprint", {}).get("followup_mode") or followup_mode(),
            "support_scorer": "rag.answer.support (0.6 dense + 0.4 lexical)",
            "support_threshold": settings.support_threshold,
            "judge_model": judge_model,
        },
        "settings": {
            "backend": backend,
            "llm_model": settings.llm_model if backend == "llm" else None,
            "embed_model": settings.embed_model,
            "chunk_size": settings.chunk_size,
            "chunk_overlap": settings.chunk_overlap,
            "chunk_title": settings.chunk_title,
            "top_k": k,
            "candidates": settings.candidates,
            "rrf_k": settings.rrf_k,
            "dense_weight": settings.dense_weight,
            "keyword_weight": settings.keyword_weight,
            "abstain_dense": settings.abstain_dense,
            "abstain_sentence": settings.abstain_sentence,
            "store_papers": meta.get("fingerprint", {}).get("store_papers"),
            "all": settings_record(settings),
        },
        "metrics": metrics,
        "by_type": by_type,
        "by_split": splits,
        "by_kind": by_kind(ok),
        "latency_ms": lat,
        "usage": {"answers": usage or None, "judge": judge_usage or None},
    }
