"""Peak memory of `rag ingest` on a big JSON Lines file, two code versions side by side.

    python bench/ingest_memory.py --records 300000 [--old-src DIR]

Writes a JSONL of ``--records`` records (about 660 bytes each: 300,000 make 198 MB) in which
every record is a full abstract with a title, but all share one ``_id``: each is parsed into a
paper exactly as a distinct record would be, and all but the first are then rejected as
duplicates, so the run ends after embedding one paper (embedding 300,000 would take hours on
a laptop). Each version runs as a real `rag ingest` in its own process, under
``/usr/bin/time -v``; the table gives wall time and peak RSS. ``--old-src``: a checkout of the
version to compare with (e.g. ``git worktree add /tmp/old <commit>``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORDS = (
    "model data learning network training results method performance propose task tasks "
    "language dataset evaluation benchmark accuracy approach show demonstrate framework "
    "features improve existing state art large small graph neural attention transformer "
    "representation retrieval generation question answering reasoning vision image text "
    "robust efficient scalable analysis experiments significant baseline novel"
).split()


def write_file(path: Path, n: int, seed: int = 13) -> None:
    rng = random.Random(seed)
    with open(path, "w") as f:
        for i in range(n):
            text = " ".join(rng.choice(WORDS) for _ in range(80)) + f" (record {i})."
            title = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize()
            f.write(json.dumps({"_id": "same-id", "title": title, "text": text}) + "\n")


def run(label: str, src: Path, data: Path, store: Path) -> dict:
    env = {**os.environ, "RAG_STORE": str(store), "PYTHONPATH": str(src)}
    proc = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "-m", "rag.cli", "ingest", str(data), "--quiet"],
        env=env,
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
    )
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time.*: ([\d:.]+)", proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("rejected:")]
    return {
        "version": label,
        "exit": proc.returncode,
        "peak_rss_mb": int(rss.group(1)) / 1024 if rss else None,
        "wall": wall.group(1) if wall else None,
        "stderr_lines": len(lines),
        "summary": proc.stdout.strip().splitlines()[-1:] or proc.stderr.strip().splitlines()[-1:],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=300_000)
    ap.add_argument("--old-src", type=Path, help="checkout of the version to compare with")
    ap.add_argument("--new-src", type=Path, default=REPO, help="checkout measured (this one)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "rag-memory")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = args.workdir / f"records-{args.records}.jsonl"
    if not data.exists():
        part = data.with_suffix(".part")
        write_file(part, args.records)
        part.rename(data)
    print(f"{data}: {data.stat().st_size / 1e6:,.0f} MB, {args.records:,} records", flush=True)
    versions = [(f"new ({args.new_src})", args.new_src)]
    if args.old_src:
        versions.insert(0, (f"old ({args.old_src})", args.old_src))
    rows = []
    for label, src in versions:
        store = Path(tempfile.mkdtemp(prefix="store-", dir=args.workdir))
        rows.append(run(label, src, data, store))
        print(json.dumps(rows[-1]), flush=True)
    print("\n| version | exit | wall | peak RSS | lines on stderr |\n|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['version']} | {r['exit']} | {r['wall']} | {r['peak_rss_mb']:,.0f} MB "
            f"| {r['stderr_lines']:,} |"
        )


if __name__ == "__main__":
    main()
