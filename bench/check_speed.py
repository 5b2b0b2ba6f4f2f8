"""How long checking a 6-sentence answer takes, offline (prints figures; no assertion).

Answers are built from eval/claims.jsonl: six claims at a time, each citing its paper among five
sources (its paper and four others, as a retrieved answer has). The sources' sentence vectors are
warm, as they are after answering (the answerer embedded them). Per answer it times, side by side,
wall-clock and CPU time of this process (the machine may be shared: CPU time is what the check
itself costs, wall time what a user waits):

* ``check_answer`` cold: none of the six sentences seen before, all embedded in one batch (a
  non-streamed LLM answer);
* ``check_answer`` after streaming: the sentences were embedded while the reply streamed (what
  ``rag ask`` and the UI do), so the check itself embeds nothing;
* the embedding of the six sentences alone, and the verifier's checks alone given the vectors.

    .venv/bin/python bench/check_speed.py [--answers 60] [--store DIR]
"""

from __future__ import annotations

import argparse
import json
import os
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

    cold, streamed, embed, checks = [], [], [], []
    cold_cpu, streamed_cpu = [], []
    for text, hits in answers:
        scorer.forget_claims()
        t, c = time.perf_counter(), time.process_time()
        sents, _ = check_answer(text, hits, scorer, thr, cache)
        cold.append((time.perf_counter() - t) * 1000)
        cold_cpu.append((time.process_time() - c) * 1000)

        t, c = time.perf_counter(), time.process_time()
        check_answer(text, hits, scorer, thr, cache)  # the vectors are remembered now
        streamed.append((time.perf_counter() - t) * 1000)
        streamed_cpu.append((time.process_time() - c) * 1000)

        claims_txt = [s.text for s in sents]
        scorer.forget_claims()
        t = time.perf_counter()
        vecs = scorer.embed_claims(claims_txt)
        embed.append((time.perf_counter() - t) * 1000)

        srcs = [[Source(f"[{n}]", hits[n - 1].paper) for n in s.citations] for s in sents]
        sup = [s.support for s in sents]
        t = time.perf_counter()
        verifier.verify(claims_txt, srcs, support=sup, claim_vectors=vecs)
        checks.append((time.perf_counter() - t) * 1000)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{len(answers)} answers of 6 sentences, 5 sources each, warm source vectors; "
        f"{os.cpu_count()} cores, load average {load:.1f}"
    )
    print(f"{'':40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, xs in (
        ("check_answer cold, wall", cold),
        ("check_answer cold, CPU", cold_cpu),
        ("check_answer after streaming, wall", streamed),
        ("check_answer after streaming, CPU", streamed_cpu),
        ("embedding 6 sentences (one batch), wall", embed),
        ("verifier checks only, wall", checks),
    ):
        print(f"{name:40} {pct(xs, 50):8.1f} {pct(xs, 95):8.1f} {max(xs):8.1f}")


if __name__ == "__main__":
    main()
