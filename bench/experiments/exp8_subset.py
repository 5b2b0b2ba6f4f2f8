"""Experiment 8's corpus: a SciFact subset that keeps every abstract judged for a test query.

The chunking variants of issue 18 (round 3) were screened on 1,500 abstracts instead of 5,183
(each variant is a full ingest): the 283 abstracts the test qrels judge relevant plus the first
1,217 others of corpus.jsonl, shuffled (seed 0). nDCG@10 on it is higher than on the full corpus
(fewer distractors) and is only compared between variants of one run.

    python exp8_subset.py OUT_DIR [--size 1500]
    python ../peer.py --scifact OUT_DIR --slices 3 --pipelines ours-200-40-all,ours-252-0-first
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from common import SCIFACT


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--size", type=int, default=1500)
    args = ap.parse_args()
    qrels = (SCIFACT / "qrels" / "test.tsv").read_text().splitlines()[1:]
    judged = {line.split("\t")[1] for line in qrels if line.strip()}
    lines = [x for x in (SCIFACT / "corpus.jsonl").read_text().splitlines() if x.strip()]
    keep = [x for x in lines if json.loads(x)["_id"] in judged]
    other = [x for x in lines if json.loads(x)["_id"] not in judged]
    subset = keep + other[: max(0, args.size - len(keep))]
    random.Random(0).shuffle(subset)
    (args.out / "qrels").mkdir(parents=True, exist_ok=True)
    (args.out / "corpus.jsonl").write_text("\n".join(subset) + "\n")
    (args.out / "queries.jsonl").write_text((SCIFACT / "queries.jsonl").read_text())
    (args.out / "qrels" / "test.tsv").write_text((SCIFACT / "qrels" / "test.tsv").read_text())
    print(f"{len(subset)} abstracts ({len(keep)} judged) -> {args.out}")


if __name__ == "__main__":
    main()
