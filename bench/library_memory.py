"""Peak memory of `rag ingest` on N records as BibTeX, MEDLINE and JSON Lines, side by side.

    python bench/library_memory.py [N] [--wire] [--distinct]   (default 20000; fresh stores)

The same synthetic records (title, 3 authors, year, journal, DOI, a ~60-word abstract) are
written in the three formats; each file is ingested by a fresh `rag ingest` under
`/usr/bin/time -v`, and its maximum resident set size and wall time are printed.
By default every record carries the same DOI (as bench/ingest_memory.py does with one ``_id``):
each is read and made a paper exactly as a distinct one would be, then all but the first are
rejected as duplicates, so the run embeds one paper and measures reading, parsing and the
ingest scan of the whole file. ``--distinct``: distinct DOIs, every record embedded.
``--wire``: embeddings come from the OpenAI-wire fake server of the tests (64-dim vectors over
a real socket), so a loaded machine measures the ingest pipeline itself in minutes; without it
the local model embeds (its memory is the same for every format).
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAG = str(Path(sys.executable).with_name("rag"))


def records(n: int, distinct: bool) -> list[dict]:
    words = re.findall(
        r"[a-z]{3,}", " ".join(p.read_text() for p in sorted((ROOT / "store/corpus").glob("*.txt")))
    )
    rng = random.Random(7)
    fams = ["Okafor", "Chen", "Müller", "Fernández", "Nakamura", "Ndlovu", "Kowalczyk", "Şahin"]
    out = []
    for i in range(n):
        text = " ".join(rng.choice(words) for _ in range(60)).capitalize() + "."
        out.append(
            {
                "title": f"Study {i} of " + " ".join(rng.choice(words) for _ in range(6)),
                "authors": [f"{rng.choice(fams)}, A{j}." for j in range(3)],
                "year": 1990 + i % 35,
                "venue": f"Journal of {rng.choice(words).capitalize()}",
                "doi": f"10.5555/bench.{i if distinct else 0}",
                "abstract": text,
            }
        )
    return out


def write(recs: list[dict], d: Path) -> dict[str, Path]:
    jl, bib, med = d / "recs.jsonl", d / "recs.bib", d / "recs.nbib"
    with jl.open("w") as f:
        for r in recs:
            f.write(json.dumps({**r, "id": f"doi:{r['doi']}"}, ensure_ascii=False) + "\n")
    with bib.open("w") as f:
        for i, r in enumerate(recs):
            f.write(
                f"@article{{k{i},\n  title = {{{r['title']}}},\n"
                f"  author = {{{' and '.join(r['authors'])}}},\n  year = {{{r['year']}}},\n"
                f"  journal = {{{r['venue']}}},\n  doi = {{{r['doi']}}},\n"
                f"  abstract = {{{r['abstract']}}}\n}}\n\n"
            )
    with med.open("w") as f:
        for i, r in enumerate(recs):
            ab = r["abstract"]
            lines = [ab[j : j + 80] for j in range(0, len(ab), 80)]
            f.write(f"PMID- {10_000_000 + i}\nTI  - {r['title']}.\n")
            f.write("AB  - " + "\n      ".join(lines) + "\n")
            for a in r["authors"]:
                f.write(f"FAU - {a}\n")
            f.write(f"DP  - {r['year']} Jan\nJT  - {r['venue']}\nLID - {r['doi']} [doi]\n\n")
    return {"JSON Lines": jl, "BibTeX": bib, "MEDLINE": med}


def peak(path: Path, store: Path, env: dict) -> tuple[float, float, str]:
    p = subprocess.run(
        ["/usr/bin/time", "-v", RAG, "--store", str(store), "ingest", str(path)],
        capture_output=True,
        text=True,
        env=env,
    )
    progress = "progress shown" if re.search(r"(chunk|records|it)/s", p.stderr) else "no bar"
    rss = float(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time.*: ([\d:.]+)", p.stderr).group(1)
    parts = [float(x) for x in wall.split(":")]
    secs = sum(x * 60 ** (len(parts) - 1 - i) for i, x in enumerate(parts))
    rep = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else p.stderr[-300:]
    return rss / 1024, secs, f"{rep} [{progress}]"


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 20_000
    env = dict(os.environ)
    fake = None
    if "--wire" in sys.argv:
        sys.path.insert(0, str(ROOT))
        from tests.fake_openai import FakeOpenAI

        fake = FakeOpenAI().start()
        env.update(RAG_EMBED_MODEL="text-embedding-3-small", RAG_EMBED_BASE_URL=fake.url)
        env["RAG_EMBED_API_KEY"] = "bench"
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        files = write(records(n, "--distinct" in sys.argv), d)
        how = "wire-fake embeddings" if fake else "local model"
        print(f"{n:,} records; rag ingest in a fresh store each; {how}")
        print(f"{'format':<12} {'file MB':>8} {'peak RSS MB':>12} {'wall s':>8}  report")
        base = None
        for name, path in files.items():
            rss, secs, rep = peak(path, d / f"store-{path.suffix[1:]}", env)
            base = base or rss
            size = path.stat().st_size / 1e6
            print(f"{name:<12} {size:>8.1f} {rss:>12.0f} {secs:>8.0f}  x{rss / base:.2f}  {rep}")
    if fake is not None:
        fake.stop()


if __name__ == "__main__":
    main()
