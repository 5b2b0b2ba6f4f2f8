"""Reliability 4: property-based tests (hypothesis) of ingest and the store.

Random sequences of operations on a handful of small files: add an abstract, edit one in place,
remove one, move one to another file, empty or delete a whole file, and ingest (the folder or a
single file, with or without --prune, or the same ingest again). After every ingest the real
store (Chroma + SQLite catalogue + BM25) must satisfy every invariant of ``check_invariants``
and hold exactly what a plain model of the documented rules says:

* a file read again is authoritative for its papers (a removed abstract is removed);
* a file that cannot be read as a whole (here: emptied) keeps the papers indexed from it;
* a paper already indexed from another file that still holds it stays there (a duplicate);
* a file that is gone loses its papers only with --prune;
* the same ingest twice in a row changes nothing.
"""

from __future__ import annotations

import os
import random
import tempfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_reliability_invariants import check_invariants, make_abstract, write_txt

pytestmark = pytest.mark.slow  # not in `make test-fast`

FILES = ("f0.txt", "f1.txt", "f2.txt")
_rng = random.Random(44)
_used: set[str] = set()
POOL = [make_abstract(_rng, _used) for _ in range(8)]


def variant(text: str, v: int) -> str:
    return f"{text} In a follow-up experiment ({v}) the same holds for noisy inputs."


@cache
def paper_of(text: str) -> tuple[str, str]:
    """(paper_id, content hash) as the parser makes them, from a one-abstract file."""
    from rag.parse import parse_file

    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "one.txt"
        write_txt(f, [text])
        (p,) = parse_file(f).papers
        return p.paper_id, p.content_hash()


class Model:
    """The documented ingest rules over file names, in the plainest form."""

    def __init__(self) -> None:
        self.files: dict[str, list[str]] = {}  # present files -> abstracts, in order
        self.indexed: dict[str, str] = {}  # paper_id -> file it is indexed from
        self.text: dict[str, str] = {}  # paper_id -> its text

    def ids_in(self, name: str) -> set[str]:
        return {paper_of(t)[0] for t in self.files.get(name, [])}

    def ingest(self, target: str, prune: bool) -> None:
        read = sorted(self.files) if target == "dir" else [t for t in [target] if t in self.files]
        parsed: list[tuple[str, str]] = []
        seen: set[str] = set()
        for name in read:
            for text in self.files[name]:
                pid = paper_of(text)[0]
                self.text[pid] = text
                if pid not in seen:  # a duplicate within the run: the first is kept
                    seen.add(pid)
                    parsed.append((pid, name))
        unreadable = {name for name in read if not self.files[name]}  # 0 bytes: rejected
        for pid, name in parsed:
            old = self.indexed.get(pid)
            if old is not None and old != name and old not in read and pid in self.ids_in(old):
                continue  # already indexed from a file that still holds it
            self.indexed[pid] = name
        for pid, src in list(self.indexed.items()):
            if pid in seen:
                continue
            if src in read:
                if src not in unreadable:
                    del self.indexed[pid]
            elif prune and src not in self.files:
                del self.indexed[pid]


ops = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(FILES), st.integers(0, len(POOL) - 1)),
    st.tuples(st.just("edit"), st.sampled_from(FILES), st.integers(0, 9), st.integers(0, 2)),
    st.tuples(st.just("remove"), st.sampled_from(FILES), st.integers(0, 9)),
    st.tuples(st.just("move"), st.sampled_from(FILES), st.sampled_from(FILES), st.integers(0, 9)),
    st.tuples(st.just("empty"), st.sampled_from(FILES)),
    st.tuples(st.just("delete"), st.sampled_from(FILES)),
    st.tuples(st.just("ingest"), st.sampled_from(("dir", *FILES)), st.booleans()),
    st.tuples(st.just("again")),
)


@settings(
    max_examples=int(os.environ.get("RAG_PROPERTY_EXAMPLES", "15")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(ops, min_size=2, max_size=9))
def test_random_edit_and_ingest_sequences_keep_the_invariants(steps):
    from rag.config import get_settings
    from rag.ingest import ingest

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "corpus"
        root.mkdir()
        settings = get_settings(store=Path(tmp) / "store")
        model = Model()
        # start from two files with two papers each, indexed
        model.files = {"f0.txt": POOL[0:2], "f1.txt": POOL[2:4]}
        last: tuple[str, bool] = ("dir", False)

        def sync() -> None:
            for name in FILES:
                path = root / name
                if model.files.get(name):
                    write_txt(path, model.files[name])
                elif name in model.files:
                    path.write_bytes(b"")  # an emptied file: rejected, its papers kept
                elif path.exists():
                    path.unlink()

        def run(target: str, prune: bool):
            path = root if target == "dir" else root / target
            report = ingest([path], settings, prune=prune, progress=False)
            model.ingest(target, prune)
            return report

        def check() -> None:
            from rag.parse.common import display_path
            from rag.store import Store

            store = Store(settings)
            try:
                indexed = {pid: src for pid, (_h, src, _pos) in store.catalogue.hashes().items()}
            finally:
                store.close()
            want = {pid: display_path(root / name) for pid, name in model.indexed.items()}
            assert indexed == want
            # the catalogue holds each paper's current version; then every store invariant
            expected = {pid: paper_of(model.text[pid])[1] for pid in model.indexed}
            figures = check_invariants(settings.store, expected)
            assert figures["papers"] == len(model.indexed)

        sync()
        run("dir", False)
        check()
        for step in [*steps, ("ingest", "dir", True)]:
            kind = step[0]
            files = model.files
            if kind == "add":
                files.setdefault(step[1], []).append(POOL[step[2]])
            elif kind == "edit" and files.get(step[1]):
                texts = files[step[1]]
                i = step[2] % len(texts)
                texts[i] = variant(texts[i], step[3])
            elif kind == "remove" and files.get(step[1]):
                files[step[1]].pop(step[2] % len(files[step[1]]))
            elif kind == "move" and files.get(step[1]) and step[1] != step[2]:
                src = files[step[1]]
                files.setdefault(step[2], []).append(src.pop(step[3] % len(src)))
            elif kind == "empty" and step[1] in files:
                files[step[1]] = []
            elif kind == "delete":
                files.pop(step[1], None)
            elif kind == "ingest":
                sync()
                run(step[1], step[2])
                last = (step[1], step[2])
                check()
            elif kind == "again":
                sync()
                run(*last)
                report = run(*last)
                assert not report.changed, report.summary()
                check()
