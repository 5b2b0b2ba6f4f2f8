"""Cold start: `rag ask` as a fresh process on built stores, this checkout beside another commit.

    python bench/cold.py --store seeds=store --store scifact=/tmp/rag-bench/peer/ours/store
    python bench/cold.py --store seeds=store --baseline main --runs 5

Each case is a fresh interpreter running ``python -m rag.cli ask QUESTION --json`` with RAG_STORE
set; wall seconds, CPU seconds (user + system of the process, all threads) and peak RSS come from
``wait4``. With ``--baseline REF`` the same command runs from a copy of commit REF (``git archive``
into a temporary directory, put first on PYTHONPATH; same interpreter and packages), alternating
with this checkout run by run (AB, BA, ...) so that load from other processes falls on both alike.
One untimed run of each comes first (the OS file cache is warm for both). The median of
``--runs`` is printed side by side, with the load average seen.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
QUESTION = "Does vitamin D supplementation reduce the risk of fractures?"


def load() -> float:
    return round(os.getloadavg()[0], 2)


def run_case(code: Path | None, store: Path, question: str) -> dict:
    """One fresh `rag ask`: wall s, CPU s and peak RSS MB of that process (``wait4``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env["RAG_STORE"] = str(store)
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(x for x in (str(code), env.get("PYTHONPATH")) if x)
    cmd = [sys.executable, "-m", "rag.cli", "ask", question, "--json"]
    with tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=code or REPO, stdout=subprocess.PIPE, stderr=err)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise SystemExit(f"failed: {' '.join(cmd)} (RAG_STORE={store})\n{err.read()[-800:]}")
    json.loads(out.decode().strip().splitlines()[-1])  # a real answer came back
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--store",
        action="append",
        required=True,
        metavar="NAME=DIR",
        help="a built store (repeatable), e.g. seeds=store",
    )
    ap.add_argument("--baseline", default=None, help="a git commit to run beside this checkout")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--question", default=QUESTION)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "cold.json")
    args = ap.parse_args(argv)
    stores = {}
    for item in args.store:
        name, _, path = item.partition("=")
        if not path or not Path(path).is_dir():
            raise SystemExit(f"--store {item}: expected NAME=DIR of a built store")
        stores[name] = Path(path).resolve()
    tmp = None
    sides: dict[str, Path | None] = {"this checkout": None}
    try:
        if args.baseline:
            tmp = Path(tempfile.mkdtemp(prefix="rag-cold-"))
            rev = subprocess.run(
                ["git", "-C", str(REPO), "rev-parse", "--short", args.baseline],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            archive = subprocess.run(
                ["git", "-C", str(REPO), "archive", rev], capture_output=True, check=True
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
            sides[f"{args.baseline} ({rev})"] = tmp
        out = {"runs": args.runs, "question": args.question, "cases": []}
        for sname, store in stores.items():
            names = list(sides)
            for name in names:  # untimed: warm file cache, compiled bytecode
                run_case(sides[name], store, args.question)
            res: dict[str, list[dict]] = {n: [] for n in names}
            loads = []
            for i in range(args.runs):
                for name in names if i % 2 == 0 else names[::-1]:
                    loads.append(load())
                    res[name].append(run_case(sides[name], store, args.question))
            for name in names:
                walls = [r["wall_s"] for r in res[name]]
                out["cases"].append(
                    {
                        "store": sname,
                        "path": str(store),
                        "code": name,
                        "median_s": round(statistics.median(walls), 3),
                        "min_s": round(min(walls), 3),
                        "max_s": round(max(walls), 3),
                        "cpu_median_s": round(statistics.median(r["cpu_s"] for r in res[name]), 3),
                        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in res[name]), 1),
                        "load_avg": [min(loads), max(loads)],
                    }
                )
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nCold `rag ask ... --json` (fresh process, median of {args.runs}, after one warm-up)")
    print(
        f"{'store':<10} {'code':<26} {'median':>7} {'min':>6} {'max':>6} {'CPU s':>6} "
        f"{'RSS':>6} {'load avg':>10}"
    )
    for c in out["cases"]:
        print(
            f"{c['store']:<10} {c['code']:<26} {c['median_s']:>6.2f}s {c['min_s']:>5.2f}s "
            f"{c['max_s']:>5.2f}s {c['cpu_median_s']:>6.2f} {c['peak_rss_mb']:>4.0f}MB "
            f"{c['load_avg'][0]:>4.1f}-{c['load_avg'][1]:<4.1f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
