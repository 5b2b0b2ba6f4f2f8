"""How long checking a 6-sentence answer takes, offline (prints figures; no assertion).

Answers are built from eval/claims.jsonl: six claims at a time, each citing its paper among five
sources (its paper and four others, as a retrieved answer has). The sources' sentence vectors are
warm, as they are after answering (the answerer embedded them). Per answer it times, side by side:

* ``check_answer`` end to end: embedding the six sentences, closeness, every verifier check;
* the closeness score alone (the check before the verifier: embedding + support matrix);
* the verifier's checks alone, given the vectors (quantities, names, direction, overclaim).

    .venv/bin/python bench/check_speed.py [--answers 60] [--store DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--answers", type=int, default=60)
    ap.add_argument("--store", type=Path, default=None)
    args = ap.parse_args()

    from rag.answer.cite import check_answer, verifier_for
    from rag.answer.support import scorer_for
    from rag.answer.verify import Source
    from rag.assistant import Assistant
    from rag.config import get_settings
    from rag.records import Hit

    a = Assistant(get_settings(store=args.store) if args.store else get_settings())
    papers = {p.paper_id: p for p in a.papers()}
    if not papers:
        sys.exit("the store is empty: run `rag ingest` first")
    claims = [json.loads(x) for x in (REPO / "eval" / "claims.jsonl").open(encoding="utf-8")]
    claims = [c for c in claims if c["cites"][0] in papers]
    rng = random.Random(0)
    scorer, cache = scorer_for(a.embedder), a.extractive.cache
    thr = a.settings.support_threshold
    verifier = verifier_for(scorer, thr, cache)
    ids = list(papers)

    answers = []
    for _ in range(args.answers):
        six = rng.sample(claims, 6)
        cited = list(dict.fromkeys(c["cites"][0] for c in six))[:5]
        others = [p for p in rng.sample(ids, 10) if p not in cited][: 5 - len(cited)]
        hits = [Hit(papers[p], 1.0) for p in cited + others]
        num = {p: i for i, p in enumerate(cited + others, start=1)}
        text = " ".join(
            f"{c['claim'].rstrip('.')} [{num[c['cites'][0]]}]." for c in six if c["cites"][0] in num
        )
        answers.append((text, hits))
    for _, hits in answers:  # warm: the answerer has embedded the sources' sentences
        cache.get(hits)
        for h in hits:
            scorer.score("warm", [h.paper.text])
    check_answer(answers[0][0], answers[0][1], scorer, thr, cache)

    full, closeness, checks = [], [], []
    for text, hits in answers:
        t = time.perf_counter()
        sents, _ = check_answer(text, hits, scorer, thr, cache)
        full.append((time.perf_counter() - t) * 1000)

        claims_txt = [s.text for s in sents]
        t = time.perf_counter()
        vecs = scorer.embed_claims(claims_txt)
        known = cache.get(hits)
        scorer.score_matrix(
            claims_txt,
            [h.paper.text for h in hits],
            sentence_vectors=vecs,
            passage_sentences=[known.get(h.paper.paper_id) for h in hits],
        )
        closeness.append((time.perf_counter() - t) * 1000)

        srcs = [[Source(f"[{n}]", hits[n - 1].paper) for n in s.citations] for s in sents]
        sup = [s.support for s in sents]
        t = time.perf_counter()
        verifier.verify(claims_txt, srcs, support=sup, claim_vectors=vecs)
        checks.append((time.perf_counter() - t) * 1000)

    print(f"{len(answers)} answers of 6 sentences, 5 sources each, warm source vectors")
    print(f"{'':34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, xs in (
        ("check_answer (everything)", full),
        ("closeness only (embed + support)", closeness),
        ("verifier checks only", checks),
    ):
        print(f"{name:34} {pct(xs, 50):8.1f} {pct(xs, 95):8.1f} {max(xs):8.1f}")


if __name__ == "__main__":
    main()
