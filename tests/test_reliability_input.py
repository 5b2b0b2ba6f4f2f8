"""Reliability: big and hostile input files, and a store that cannot be written.

Input is read as a stream: a record or field over the limit is rejected without being held
whole, a too-deep record is rejected alone, rejections are listed up to a cap per file; file
names cannot break a line; folder links are not followed outside it; a full disk is said so.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.test_reliability_invariants import check_invariants, expected_papers, rag

pytestmark = pytest.mark.slow  # end to end: not in `make test-fast`

GOOD = [
    "We present Quillfeather, a method for aligning handwritten medieval charters with their "
    "printed editions using stroke-level optical matching, evaluated on 1,200 charters.",
    "Tidewright forecasts coastal flooding from tide gauges and river discharge with a graph "
    "network, cutting the error of the operational model by 31 percent across 40 estuaries.",
    "We study how honeybee colonies allocate foragers between nectar and pollen and show with "
    "a field experiment on 24 hives that allocation follows brood demand within two days.",
]


def _parse(path: Path):
    from rag.parse import parse_paths

    return parse_paths([path])


def _peak_while(fn, tmp: Path) -> tuple[object, int]:
    """fn()'s result and the peak of memory allocated while it ran (after one warm-up parse,
    so that lazy imports and caches are not counted)."""
    warm = tmp / "warm.jsonl"
    warm.write_text(json.dumps({"id": "w", "title": "Warm", "text": GOOD[0]}) + "\n")
    _parse(warm)
    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_jsonl_line_over_the_limit_is_rejected_without_being_read_whole(tmp_path):
    f = tmp_path / "big.jsonl"
    with open(f, "w") as out:
        out.write(json.dumps({"id": "a", "text": GOOD[0]}) + "\n")
        out.write('{"id": "huge", "text": "' + "word " * 6_000_000 + '"}\n')  # 30 MB on a line
        out.write(json.dumps({"id": "b", "text": GOOD[1]}) + "\n")
    res, peak = _peak_while(lambda: _parse(f), tmp_path)
    assert [p.paper_id for p in res.papers] == ["a", "b"]
    (r,) = res.rejects
    assert r.where == "line 2" and "over 1,000,000 characters" in r.reason
    assert peak < 12 * 2**20, f"peak {peak / 2**20:.0f} MiB: the 30 MB line was held whole"


def test_a_csv_field_over_the_limit_is_rejected_alone_without_being_read_whole(tmp_path):
    f = tmp_path / "big.csv"
    with open(f, "w") as out:
        out.write("id,title,abstract\n")
        out.write(f'a,First,"{GOOD[0]}"\n')
        out.write('huge,Huge,"' + "word " * 6_000_000 + '"\n')  # one 30 MB field
        out.write(f'b,Second,"{GOOD[1]}"\n')
        out.write(f"c,Third,{GOOD[2].replace(',', ';')}\n")
    res, peak = _peak_while(lambda: _parse(f), tmp_path)
    assert [p.paper_id for p in res.papers] == ["a", "b", "c"]
    (r,) = res.rejects
    assert r.where == "line 3" and "over 1,000,000 characters" in r.reason
    assert peak < 12 * 2**20, f"peak {peak / 2**20:.0f} MiB: the 30 MB field was held whole"


def test_an_abstract_of_endless_lines_is_rejected_without_being_held(tmp_path):
    f = tmp_path / "endless.txt"
    with open(f, "w") as out:
        out.write(f"Abstract: {GOOD[0]}\n\nAbstract: start of a runaway abstract\n")
        for _ in range(400_000):  # 400,000 wrapped lines of one abstract: 32 MB
            out.write("and it goes on and on and on and on and on and on and on and on\n")
        out.write(f"\nAbstract: {GOOD[1]}\n")
    res, peak = _peak_while(lambda: _parse(f), tmp_path)
    assert len(res.papers) == 2
    (r,) = res.rejects
    assert r.where.endswith("abstract 2") and "over the 20,000 limit" in r.reason
    assert peak < 12 * 2**20


def test_a_record_nested_500_deep_is_rejected_alone(tmp_path):
    f = tmp_path / "deep.jsonl"
    deep = "[" * 600 + '"x"' + "]" * 600
    with open(f, "w") as out:
        out.write(json.dumps({"id": "a", "text": GOOD[0]}) + "\n")
        out.write('{"id": "deep", "text": ' + json.dumps(GOOD[2]) + ', "authors": ' + deep + "}\n")
        out.write(json.dumps({"id": "b", "text": GOOD[1]}) + "\n")
    res = _parse(f)
    assert [p.paper_id for p in res.papers] == ["a", "b"]
    (r,) = res.rejects
    assert r.where == "line 2" and "'authors' is nested more than" in r.reason
    # a JSON array holding it: the same record alone
    arr = tmp_path / "deep.json"
    recs = [{"id": "a", "text": GOOD[0]}, {"id": "deep", "text": GOOD[2], "authors": 0}]
    arr.write_text(json.dumps(recs).replace('"authors": 0', '"authors": ' + deep))
    res = _parse(arr)
    assert [p.paper_id for p in res.papers] == ["a"] and res.rejects[0].where == "record 2"


def test_deep_record_and_a_million_style_flood_in_one_run(tmp_path):
    """Through `rag ingest`: one deep record and 3,000 bad lines in one file, good files beside
    it. The run goes on; each file lists its first 20 rejections and counts the rest."""
    d = tmp_path / "in"
    d.mkdir()
    (d / "good.txt").write_text(f"Abstract: {GOOD[0]}\n\nAbstract: {GOOD[1]}\n")
    deep = "[" * 600 + '"x"' + "]" * 600
    with open(d / "flood.jsonl", "w") as out:
        out.write('{"id": "deep", "text": ' + json.dumps(GOOD[0]) + ', "authors": ' + deep + "}\n")
        for i in range(3000):
            out.write(f"not json {i}\n")
        out.write(json.dumps({"id": "kept", "text": GOOD[2]}) + "\n")
    store = tmp_path / "s"
    run = rag("ingest", str(d), "--quiet", store=store)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr and "RecursionError" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 21, lines[:3]  # 20 listed + one "N more" line
    assert "line 1" in lines[0] and "'authors' is nested more than" in lines[0]
    assert "2,981 more record(s) rejected, not listed (the first 20" in lines[-1]
    assert "3 added" in run.stdout and "3001 rejected" in run.stdout
    check_invariants(store, {k: v for k, v in expected_papers([d]).items()})
    report = json.loads(rag("ingest", str(d), "--json", store=store).stdout)
    assert report["n_rejected"] == 3001 and len(report["rejected"]) == 20
    assert report["rejected_unlisted"] == {str((d / "flood.jsonl").resolve()): 2981}


def test_a_file_name_with_a_newline_never_breaks_a_line(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "evil\nrejected: fake.txt").write_text(f"Abstract: {GOOD[0]}\n\nAbstract: too short\n")
    store = tmp_path / "s"
    run = rag("ingest", str(d), "--quiet", store=store)
    assert run.returncode == 1
    (line,) = run.stderr.strip().splitlines()  # one rejection, on one line
    assert "evil\ufffdrejected: fake.txt" in line and "only 2 word(s)" in line
    papers = json.loads(rag("papers", "--json", store=store).stdout)
    assert len(papers) == 1
    shown = json.loads(rag("show", papers[0]["paper_id"], "--json", store=store).stdout)
    assert "\n" not in shown["source"] and "evil\ufffdrejected" in shown["source"]


def test_links_in_a_folder_are_not_followed_outside_it(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"Abstract: {GOOD[1]}\n")
    (outside / "sub").mkdir()
    (outside / "sub" / "more.txt").write_text(f"Abstract: {GOOD[2]}\n")
    d = tmp_path / "in"
    d.mkdir()
    (d / "mine.txt").write_text(f"Abstract: {GOOD[0]}\n")
    (d / "link.txt").symlink_to(outside / "secret.txt")
    (d / "dirlink").symlink_to(outside / "sub")
    (d / "inside.txt").symlink_to(d / "mine.txt")  # a link inside the folder: read, a duplicate
    store = tmp_path / "s"
    run = rag("ingest", str(d), "--quiet", store=store)
    assert run.returncode == 1
    assert run.stderr.count("symbolic link to a place outside the folder") == 2
    assert "--follow-links" in run.stderr
    assert "1 added" in run.stdout
    run = rag("ingest", str(d), "--quiet", "--follow-links", store=store)
    assert "2 added" in run.stdout and "outside the folder" not in run.stderr


def test_unreadable_file_and_write_failures_are_said_in_plain_words(tmp_path):
    import errno
    import sqlite3

    from rag.parse.common import read_error
    from rag.store import write_failure

    assert "permission denied" in read_error(PermissionError(errno.EACCES, "Permission denied"))
    root = tmp_path / "s"
    cases = {
        "is full": [
            OSError(errno.ENOSPC, "No space left on device"),
            sqlite3.OperationalError("database or disk is full"),
            RuntimeError("Error in compaction: Failed to apply logs to the metadata segment"),
        ],
        "is read-only": [
            OSError(errno.EROFS, "Read-only file system"),
            sqlite3.OperationalError("attempt to write a readonly database"),
        ],
        "permission denied writing": [PermissionError(errno.EACCES, "Permission denied")],
    }
    for words, errors in cases.items():
        for e in errors:
            msg = str(write_failure(e, root))
            assert words in msg and str(root) in msg, (e, msg)
            assert "--rebuild" not in msg


def _can_mount() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"]
    return subprocess.run(probe, capture_output=True).returncode == 0


@pytest.mark.skipif(not _can_mount(), reason="cannot mount a small file system here")
def test_a_full_disk_is_said_plainly_and_the_next_run_finishes(tmp_path):
    """The store on a real 1 MiB file system: the ingest fails saying the disk is full; with
    room made (the same file system grown), the next run finishes and loses nothing."""
    data = tmp_path / "many.jsonl"
    with open(data, "w") as out:
        for i in range(300):
            text = f"{GOOD[i % 3]} This is variant number {i} of the record, for volume."
            out.write(json.dumps({"id": f"p{i}", "title": f"Record {i}", "text": text}) + "\n")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    cmd = [sys.executable, "-m", "rag.cli", "ingest", str(data), "--quiet"]
    rag_cmd = " ".join(shlex.quote(c) for c in cmd)
    m = shlex.quote(str(mnt))
    script = (
        f"mount -t tmpfs -o size=1m tmpfs {m} && {{ {rag_cmd}; echo exit=$?; }} && "
        f"mount -o remount,size=64m {m} && {{ {rag_cmd}; echo exit=$?; }} && "
        f"cp -a {m}/s {shlex.quote(str(tmp_path / 'copy'))}"
    )
    run = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        cwd=REPO,
        env={**os.environ, "RAG_STORE": str(mnt / "s")},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert re.findall(r"exit=(\d+)", run.stdout) == ["1", "0"], run.stdout + run.stderr
    assert "is full: free some space" in run.stderr and "Traceback" not in run.stderr
    assert "300 papers in the index" in run.stdout, run.stdout + run.stderr
    check_invariants(tmp_path / "copy", expected_papers([data]), search=False)
