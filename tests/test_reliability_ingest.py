"""Reliability 1: bad input at ingest, through the real `rag ingest` command.

One directory holds every kind of bad input next to good records; it is ingested in ONE call
into a store that already has the 50 seed papers. Each unusable record must be skipped with a
reason that names the file, the line or record, and what to do; the good records (also those in
the same files) must be indexed; the exit code must say something was rejected; nothing already
in the store may be lost, and nothing Chroma cannot take may reach its metadata.
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.test_reliability_invariants import (
    check_invariants,
    expected_papers,
    make_abstract,
    rag,
)

pytestmark = pytest.mark.slow  # not in `make test-fast`

INVISIBLE = re.compile(
    "[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)


def _build_mess(root: Path, rng: random.Random) -> tuple[Path, dict, list[tuple[str, str, str]]]:
    """Write the bad-input directory. Returns (dir, good records by key, expected rejects)."""
    mess = root / "mess"
    mess.mkdir()
    used: set[str] = set()
    g = {f"G{i}": make_abstract(rng, used) for i in range(1, 27)}
    rejects: list[tuple[str, str, str]] = []  # (file, where, words of the reason)

    # non-UTF-8 bytes inside one abstract: only that record goes
    (mess / "non_utf8.txt").write_bytes(
        f"Abstract: {g['G1']}\n\nAbstract: ".encode()
        + g["G2"][:40].encode()
        + b" caf\xe9 \xff\xfe "
        + g["G2"][40:].encode()
        + f"\n\nAbstract: {g['G3']}\n".encode()
    )
    rejects.append(("non_utf8.txt", "line 3, abstract 2", "not valid UTF-8"))
    # a Latin-1 header line: the header is left out, the abstract is kept
    (mess / "latin1_header.txt").write_bytes(
        b"Universit\xe9 de Gen\xe8ve\nAbstract: " + g["G4"].encode() + b"\n"
    )
    rejects.append(("latin1_header.txt", "line 1", "header line contains bytes"))
    # binary files, an unsupported format, a 0-byte file, a file with no marker
    (mess / "figure.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(512))
    rejects.append(("figure.txt", "file", "binary file"))
    (mess / "paper.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    rejects.append(("paper.pdf", "file", "not a supported format (.pdf)"))
    (mess / "empty.txt").write_bytes(b"")
    rejects.append(("empty.txt", "file", "the file is empty"))
    (mess / "notes.txt").write_text("Some notes about papers I should read.\nNothing else.\n")
    rejects.append(("notes.txt", "file", "no 'Abstract:' marker"))
    # empty and whitespace-only abstracts between good ones
    (mess / "blanks.txt").write_text(f"Abstract:    \n\nAbstract:\t\t\n\nAbstract: {g['G23']}\n")
    rejects.append(("blanks.txt", "line 1, abstract 1", "the abstract is empty"))
    rejects.append(("blanks.txt", "line 3, abstract 2", "the abstract is empty"))
    # an enormous single abstract (several run together without markers) next to a good one
    huge = " ".join([g["G20"]] * 120)
    (mess / "enormous.txt").write_text(f"Abstract: {huge}\n\nAbstract: {g['G21']}\n")
    rejects.append(("enormous.txt", "line 1, abstract 1", "over the 20,000 limit"))
    # duplicates: across two files of the run, and of a seed paper already in the store
    (mess / "dup_a.txt").write_text(f"Abstract: {g['G22']}\n")
    (mess / "dup_b.jsonl").write_text(json.dumps({"text": g["G22"]}) + "\n")
    rejects.append(("dup_b.jsonl", "line 1", "duplicate of paper"))
    seed_file = sorted(CORPUS.glob("*.txt"))[0]
    seed_text = seed_file.read_text().split("Abstract:")[1].strip().splitlines()[0]
    (mess / "seed_copy.txt").write_text(f"A copied header\nAbstract: {seed_text}\n")
    rejects.append(
        ("seed_copy.txt", "line 2", f"already indexed from store/corpus/{seed_file.name}")
    )
    # UTF-16 with a byte-order mark, and one pretty-printed JSON object: both readable
    (mess / "utf16.txt").write_bytes(f"Abstract: {g['G24']}\n".encode("utf-16"))
    (mess / "one.json").write_text(
        json.dumps({"title": "A single record", "abstract": g["G25"]}, indent=2)
    )

    # JSON Lines: malformed lines, missing fields, values Chroma would reject, invisible text
    deep = "[" * 50_000 + "]" * 50_000
    zw_text = g["G11"].replace("propose", "pro\u200bpose").replace("method", "me\u2060thod")
    zw_text += " \U000e0049\U000e0067\U000e006e\U000e006f\U000e0072\U000e0065"  # hidden tag text
    lines = [
        {
            "id": "rec-5",
            "title": "A title of its own",
            "authors": ["Ada Lovelace", "Alan Turing"],
            "year": 2021,
            "url": "https://example.org/rec5",
            "abstract": g["G5"],
        },
        '{"id": "rec-6", "text": "' + g["G6"][:50],  # cut off mid-string
        [1, 2, 3],
        {"id": "rec-7", "title": "Only a title"},
        {"id": "rec-8", "abstract": ""},
        {"id": "rec-9", "abstract": "   \n\t  "},
        {
            "id": None,
            "title": None,
            "authors": [{"name": "Grace Hopper"}, "Edsger Dijkstra", None, {"affil": "x"}],
            "year": [2020],
            "url": {"href": "https://example.org"},
            "venue": {"name": "X", "pages": [1, 2]},
            "keywords": ["a", {"b": None}],
            "extra": None,
            "abstract": g["G10"],
        },
        {
            "_id": "rec-\u200b11",
            "title": "\u202eEvil\u202c title\u200b with \U000e0041\U000e0042tags",
            "text": zw_text,
        },
        {"id": "rec-12", "text": "\u200b\u200b\u2060 \U000e0020\u202e"},
        {"id": "rec-13", "text": g["G13"], "url": "javascript:alert(document.cookie)"},
        '{"id": "rec-14", "title": "bad \\ud83d half", "text": "' + g["G14"] + '"}',
        deep,
        {"paper_id": "rec-15", "text": 12345},
    ]
    (mess / "records.jsonl").write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    )
    rejects += [
        ("records.jsonl", "line 2", "invalid JSON"),
        ("records.jsonl", "line 3", "expected a JSON object"),
        ("records.jsonl", "line 4", "no 'abstract' or 'text' field"),
        ("records.jsonl", "line 5", "the abstract is empty"),
        ("records.jsonl", "line 6", "the abstract is empty"),
        ("records.jsonl", "line 9", "the abstract is empty"),
        ("records.jsonl", "line 11", "the title field contains bytes that are not valid UTF-8"),
        ("records.jsonl", "line 12", "nested too deeply"),
        ("records.jsonl", "line 13", "only 1 word(s)"),
    ]
    # CSV: a good row, too many fields, an empty abstract, a short row, an enormous field
    (mess / "table.csv").write_text(
        "id,title,abstract,year\n"
        f'rec-16,"Row sixteen","{g["G16"]}",2019\n'
        f"rec-17,Row seventeen,{g['G17']},2019\n"  # unquoted commas: too many fields
        'rec-18,"Row eighteen","",2019\n'
        "rec-19,Only a title\n"
        f'rec-26,"Too big","{" ".join([g["G26"]] * 200)}",2020\n'
        f'rec-18b,"Row after","{g["G18"]}",2020\n'
    )
    rejects += [
        ("table.csv", "line 3", "more fields than the header names"),
        ("table.csv", "line 4", "the abstract is empty"),
        ("table.csv", "line 5", "only 2 of the 4 fields"),
        ("table.csv", "line 6", "over the 20,000 limit"),
    ]
    # a file whose name is not UTF-8
    fd = os.open(os.fsencode(mess) + b"/bad\xffname.txt", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, f"Abstract: {g['G19']}\n".encode())
    os.close(fd)
    rejects.append(("bad", "file", "the file name is not valid UTF-8"))
    good = {k: g[k] for k in "G1 G3 G4 G5 G10 G11 G13 G16 G18 G21 G22 G23 G24 G25".split()}
    return mess, good, rejects


def _rejected_lines(stderr: str) -> list[str]:
    return [ln[len("rejected: ") :] for ln in stderr.splitlines() if ln.startswith("rejected: ")]


def test_bad_input_directory_in_one_ingest(store_copy, tmp_path):
    from rag.config import get_settings
    from rag.parse.common import text_id
    from rag.store import Store

    mess, good, expected_rejects = _build_mess(tmp_path, random.Random(8))
    missing = tmp_path / "no-such-dir"
    before = Store(get_settings(store=store_copy))
    seed = before.catalogue.hashes()
    before.close()
    assert len(seed) == 50

    run = rag("ingest", str(mess), str(missing), "--quiet", store=store_copy)
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 1, (run.returncode, run.stdout, run.stderr)
    lines = _rejected_lines(run.stderr)
    expected_rejects.append(("no-such-dir", "path", "does not exist"))
    for file, where, words in expected_rejects:
        hits = [ln for ln in lines if file in ln and f": {where}: " in ln and words in ln]
        assert len(hits) == 1, f"no reject for {file} {where} ({words}) in:\n" + "\n".join(lines)
    assert len(lines) == len(expected_rejects), "\n".join(lines)
    # the summary counts match
    assert f"{len(good)} added, 0 updated, 0 removed" in run.stdout, run.stdout
    assert f"{len(expected_rejects)} rejected" in run.stdout

    store = Store(get_settings(store=store_copy))
    try:
        cat = store.catalogue
        now = cat.hashes()
        # nothing already in the store was lost or changed (the seed copy did not take it over)
        assert {pid: now[pid] for pid in seed} == seed
        # every good record is indexed, under its own id when it has one
        ids = {k: text_id(v) for k, v in good.items()}
        ids.update({"G5": "rec-5", "G11": "rec-11", "G13": "rec-13", "G16": "rec-16"})
        ids["G18"] = "rec-18b"
        assert set(ids.values()) <= set(now), sorted(set(ids.values()) - set(now))
        assert len(now) == 50 + len(good)

        # metadata values were made plain strings (authors a list of names); unsafe URLs dropped
        p10 = cat.get(ids["G10"])
        assert p10.authors == ["Grace Hopper", "Edsger Dijkstra"] and p10.url is None
        assert p10.title_derived and p10.title
        p5 = cat.get("rec-5")
        assert (p5.authors, p5.year, p5.url) == (
            ["Ada Lovelace", "Alan Turing"],
            2021,
            "https://example.org/rec5",
        )
        assert cat.get("rec-13").url is None
        assert cat.get(ids["G4"]).header is None  # the undecodable header was left out
        # invisible characters are gone from everything stored
        p11 = cat.get("rec-11")
        assert p11.title == "Evil title with tags" and "propose" in p11.text
        for p in cat.all():
            for value in (p.paper_id, p.title, p.text, "; ".join(p.authors), p.header or ""):
                assert not INVISIBLE.search(value), (p.paper_id, value)
        # Chroma holds only plain scalar metadata, of our four keys
        got = store.collection.get(include=["metadatas", "documents"])
        for m, doc in zip(got["metadatas"], got["documents"], strict=True):
            assert set(m) == {"paper_id", "hash", "chunk", "title"}
            assert all(isinstance(v, str | int) and v is not None for v in m.values()), m
            assert not INVISIBLE.search(doc) and not INVISIBLE.search(m["title"])
    finally:
        store.close()

    # the store as a whole is consistent and every paper is findable by its title
    check_invariants(store_copy, expected_papers([CORPUS, mess]))

    # a file that was good and turns bad never deletes what was indexed from it
    (mess / "non_utf8.txt").write_bytes(b"")
    recs = (mess / "records.jsonl").read_text().splitlines()
    recs[0] = json.dumps({"id": "rec-5", "abstract": "  "})
    (mess / "records.jsonl").write_text("\n".join(recs) + "\n")
    again = rag("ingest", str(mess), "--quiet", store=store_copy)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    lines = _rejected_lines(again.stderr)
    assert any(
        "non_utf8.txt: file: the file is empty" in ln and "kept the 2 paper(s)" in ln
        for ln in lines
    ), lines
    assert any(
        "records.jsonl: line 1: the abstract is empty" in ln
        and "version indexed earlier was kept" in ln
        for ln in lines
    ), lines
    assert "0 removed" in again.stdout, again.stdout
    store = Store(get_settings(store=store_copy))
    try:
        assert store.catalogue.count() == 50 + len(good)
        assert store.catalogue.get("rec-5").authors == ["Ada Lovelace", "Alan Turing"]
    finally:
        store.close()
