"""Library exports end to end: every format through `rag ingest` and the UI upload, the metadata
in `rag papers --json` and `rag ask --json`, filters inside retrieval, exports that re-import."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag.assistant import Assistant
from rag.cli import cli
from rag.config import get_settings
from rag.filters import Filters
from rag.parse import parse_file

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "library"
EXPECTED = {
    k: v for k, v in json.loads((DATA / "expected.json").read_text()).items() if k[0] != "_"
}


def rag(store: Path, *args: str):
    return CliRunner().invoke(cli, ["--store", str(store), *args], catch_exceptions=False)


def with_abstract(name: str) -> list[dict]:
    return [r for r in EXPECTED[name]["records"] if r.get("abstract_prefix") is not None]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_format_through_rag_ingest(name, tmp_path):
    store = tmp_path / "store"
    exp = EXPECTED[name]
    res = rag(store, "ingest", "--quiet", str(DATA / name))
    # a broken entry is an error of the file (exit 1, its line named); the rest is indexed
    assert res.exit_code == (1 if exp["errors"] else 0), res.output
    for err in exp["errors"]:
        assert f"line {err['line']}" in res.stderr and err["contains"] in res.stderr
    # entries without an abstract: skipped with a count and their titles, not an error
    n_skipped = exp["skipped_without_abstract"]
    if n_skipped:
        assert f"{n_skipped} without an abstract skipped" in res.stdout
        first = next(r for r in exp["records"] if r.get("abstract_prefix") is None)
        assert first["title"][:30] in res.stderr
    papers = {p["title"]: p for p in json.loads(rag(store, "papers", "--json").stdout)}
    want = with_abstract(name)
    assert len(papers) == len(want)
    for r in want:
        p = papers[r["title"]]
        assert p["text"].startswith(r["abstract_prefix"])
        assert p["year"] == r["year"] and isinstance(p["year"], int)
        assert p["venue"] == r.get("venue")
        assert p["doi"] == r.get("doi")
        if "authors" in r:
            assert p["authors"] == r["authors"]
        # paper_id from the DOI, else the PMID, else the arXiv id
        if r.get("doi"):
            assert p["paper_id"] == f"doi:{r['doi']}"
        elif r.get("pmid"):
            assert p["paper_id"] == f"pmid:{r['pmid']}"
        elif r.get("arxiv_id"):
            assert p["paper_id"] == f"arxiv:{r['arxiv_id']}"
        shown = json.loads(rag(store, "show", p["paper_id"], "--json").stdout)
        assert shown["authors"] == p["authors"] and shown["year"] == p["year"]


def test_a_file_of_no_format_names_what_is_accepted(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("Some notes without any marker.\nAnother line.\n")
    res = rag(tmp_path / "store", "ingest", "--quiet", str(f))
    assert res.exit_code == 1
    assert "BibTeX (.bib" in res.stderr and "PubMed MEDLINE" in res.stderr


@pytest.fixture(scope="module")
def library_store(tmp_path_factory) -> Path:
    """Every fixture uploaded at once through the UI handler (the real upload path)."""
    from ui.handlers import Handlers

    store = tmp_path_factory.mktemp("lib") / "store"
    h = Handlers(Assistant(get_settings(store=store)))
    html = h.add_files([str(DATA / n) for n in sorted(EXPECTED)])
    assert "Skipped" in html and "without an abstract skipped" in html
    # copies of one paper in several exports: the later ones reported as duplicates
    assert "duplicate of paper doi:10.1038/s41591-023-02417-x" in html
    assert "Rejected" in html and "line 38" in html  # zotero.bib's broken entry
    return store


def test_upload_indexes_each_paper_once_with_its_metadata(library_store):
    from rag.parse.library import dedupe_keys
    from rag.records import Paper

    papers = json.loads(rag(library_store, "papers", "--json").stdout)
    held = [Paper.from_dict({**p, "position": 0, "title_derived": False}) for p in papers]
    keys = [k for p in held for k in dedupe_keys(p)]
    assert sorted(set(keys)) == sorted(keys)  # no paper twice: by DOI or title + first author
    for n in EXPECTED:  # every paper of every file is there, once
        for r in with_abstract(n):
            names = r.get("authors") or [r["first_author"]] if r.get("first_author") else []
            names = r.get("authors") or names
            p = Paper("x", r["title"], "", "", 0, authors=names, doi=r.get("doi"))
            p.title_derived = False
            assert set(dedupe_keys(p)) & set(keys), (n, r["title"])
    okafor = next(p for p in papers if p["doi"] == "10.1038/s41591-023-02417-x")
    assert okafor["authors"][:2] == ["Okafor, Ngozi A.", "Chen, Wei"]
    assert okafor["year"] == 2023 and okafor["venue"] == "Nature Medicine"


def test_ask_json_citations_carry_authors_year_doi(library_store):
    res = rag(
        library_store,
        "ask",
        "How does speculative decoding affect clinical note summaries?",
        "--json",
    )
    d = json.loads(res.stdout)
    assert not d["abstained"] and d["citations"]
    c = next(c for c in d["citations"] if c["paper_id"] == "doi:10.1038/s41591-023-02417-x")
    assert c["authors"][0] == "Okafor, Ngozi A." and c["year"] == 2023
    assert c["doi"] == "10.1038/s41591-023-02417-x"
    # and the text form shows the byline
    text = rag(
        library_store, "ask", "How does speculative decoding affect clinical note summaries?"
    ).stdout
    assert "Okafor, Chen et al. 2023 · Nature Medicine · doi:10.1038/s41591-023-02417-x" in text


def test_authors_and_years_are_searchable(library_store):
    hits = json.loads(
        rag(library_store, "search", "Kowalczyk", "--json", "--mode", "keyword").stdout
    )
    assert hits and "Sleep fragmentation" in hits[0]["title"]


def _cited_years(d: dict) -> set:
    return {c["year"] for c in d["citations"]}


@pytest.fixture(scope="module")
def dated_store(assistant, tmp_path_factory) -> Path:
    """The bundled papers exported as BibTeX with a year and authors each (paper i: year
    2000 + i, author Author{i % 3}), re-imported: a collection where filters have choices."""
    from dataclasses import replace

    from rag.export import to_bibtex

    papers = sorted(assistant.papers(), key=lambda p: p.paper_id)
    dated = [
        replace(p, year=2000 + i, authors=[f"Author{i % 3}, Ann"], venue=f"Venue {i % 2}")
        for i, p in enumerate(papers)
    ]
    root = tmp_path_factory.mktemp("dated")
    (root / "dated.bib").write_text(to_bibtex(dated))
    store = root / "store"
    assert rag(store, "ingest", "--quiet", str(root / "dated.bib")).exit_code == 0
    return store


def test_filters_cite_only_matching_papers_and_still_answer(dated_store):
    a = Assistant(get_settings(store=dated_store))
    q = "How can a model forget specific training data without retraining from scratch?"
    plain = a.ask(q, k=2)
    assert not plain.abstained
    top = {h.paper.year for h in plain.sources}
    # exclude the years of the unfiltered top 2: the answer still comes, from the rest only
    allowed = sorted({p.year for p in a.papers()} - top)
    lo, hi = allowed[0], allowed[-1]
    excluded = [y for y in top if lo <= y <= hi]
    for y in excluded:  # a range would let them back in: filter on one side of each
        hi = min(hi, y - 1) if y > lo else hi
    flt = Filters(year_from=lo, year_to=hi) if not excluded else Filters(year_from=max(top) + 1)
    matching = [p for p in a.papers() if flt.matches(p)]
    assert matching and not any(h.paper.year in top for h in [])
    ans = a.ask(q, k=2, filters=flt)
    assert ans.sources and all(flt.matches(h.paper) for h in ans.sources)
    assert all(flt.matches(c.paper) for c in ans.citations)
    hits = a.search(q, k=5, filters=flt)
    assert len(hits) == min(5, len(matching))  # the filter is inside retrieval: k come back
    # an author filter through the CLI: every citation is that author's
    d = json.loads(rag(dated_store, "ask", q, "--author", "author1", "--json").stdout)
    assert d["citations"] and all(c["authors"] == ["Author1, Ann"] for c in d["citations"])
    assert not d["abstained"]
    # venue and year range on search, summarize
    hits = json.loads(
        rag(
            dated_store, "search", "learning", "--venue", "venue 1", "--year", "2010-2030", "--json"
        ).stdout
    )
    assert hits
    for h in hits:
        p = a.paper(h["paper_id"])
        assert p.venue == "Venue 1" and 2010 <= p.year <= 2030
    s = json.loads(
        rag(dated_store, "summarize", "federated learning", "--year", "2020-", "--json").stdout
    )
    assert all(a.paper(c["paper_id"]).year >= 2020 for c in s["citations"])


def test_source_filter_on_the_library(library_store):
    a = Assistant(get_settings(store=library_store))
    hits = json.loads(
        rag(library_store, "search", "attention", "--source", "arxiv.jsonl", "--json").stdout
    )
    assert hits and all("arxiv.jsonl" in a.paper(h["paper_id"]).source for h in hits)
    d = json.loads(
        rag(
            library_store,
            "ask",
            "What affects crop yield under drought?",
            "--venue",
            "global change",
            "--json",
        ).stdout
    )
    assert not d["abstained"] and {c["paper_id"] for c in d["citations"]} == {
        "doi:10.1111/gcb.15822"
    }


def test_a_bad_year_filter_is_a_clear_error(library_store):
    res = CliRunner().invoke(cli, ["--store", str(library_store), "search", "x", "--year", "20x"])
    assert res.exit_code != 0 and "--year" in res.output


def test_summary_references_round_trip_as_bibtex(assistant, tmp_path):
    """A summary's references exported as BibTeX, re-imported: the same papers."""
    from rag.export import to_bibtex

    s = assistant.summarize("federated learning")
    assert not s.abstained and len(s.citations) >= 2
    cited = [c.paper for c in s.citations]
    path = tmp_path / "refs.bib"
    seed = assistant.settings.store
    res = rag(Path(seed), "summarize", "federated learning", "--refs", "bibtex", "-o", str(path))
    assert res.exit_code == 0
    assert path.read_text() == to_bibtex(cited)
    store = tmp_path / "re"
    assert rag(store, "ingest", "--quiet", str(path)).exit_code == 0
    back = {p["title"]: p for p in json.loads(rag(store, "papers", "--json").stdout)}
    assert set(back) == {p.title for p in cited}
    for p in cited:
        b = back[p.title]
        assert b["text"] == p.text
        assert (b["authors"], b["year"], b["venue"], b["doi"]) == (
            p.authors,
            p.year,
            p.venue,
            p.doi,
        )


def test_library_exports_round_trip_in_every_format(tmp_path):
    from rag.export import export_refs

    papers = [p for n in sorted(EXPECTED) for p in parse_file(DATA / n).papers]
    fields = ("paper_id", "title", "text", "authors", "year", "venue", "doi", "pmid", "arxiv_id")
    for fmt, ext in (("bibtex", ".bib"), ("ris", ".ris"), ("csl-json", ".json")):
        f = tmp_path / f"out{ext}"
        f.write_text(export_refs(papers, fmt))
        back = parse_file(f)
        assert not back.rejects, fmt
        assert [[getattr(p, k) for k in fields] for p in back.papers] == [
            [getattr(p, k) for k in fields] for p in papers
        ], fmt


def test_ask_refs_writes_the_cited_papers(library_store, tmp_path):
    out = tmp_path / "refs.ris"
    res = rag(
        library_store, "ask", "speculative decoding clinical notes", "--refs", "ris", "-o", str(out)
    )
    assert res.exit_code == 0
    text = out.read_text()
    assert "TY  - JOUR" in text and "DO  - 10.1038/s41591-023-02417-x" in text


def test_pasted_bibtex_ris_medline_are_read_as_such(tmp_path):
    from ui.handlers import Handlers

    store = tmp_path / "store"
    h = Handlers(Assistant(get_settings(store=store)))
    bib = "@" + (DATA / "zotero.bib").read_text().split("\n@")[1]  # the first entry
    assert h.paste_to_file(bib)[0] == "pasted.bib"
    assert h.paste_to_file((DATA / "library.ris").read_text())[0] == "pasted.ris"
    assert h.paste_to_file((DATA / "pubmed.nbib").read_text())[0] == "pasted.nbib"
    html = h.add_text(bib)
    assert "1 added" in html
    (p,) = h.assistant.papers()
    assert p.paper_id == "doi:10.1038/s41591-023-02417-x" and p.authors[0] == "Okafor, Ngozi A."
    assert "@article" not in p.text and "title =" not in p.text
    # a broken entry is reported, never indexed as an abstract
    html = h.add_text(
        "@article{broken, title = {Unclosed, abstract = {We show that the thing works well in all the cases we tried}"
    )
    assert "Rejected" in html and len(h.assistant.papers()) == 1


def test_ui_filters_and_reference_download(library_store, tmp_path):
    from ui.handlers import Handlers, make_filters

    store = tmp_path / "store"
    shutil.copytree(library_store, store, ignore=shutil.ignore_patterns(".lock"))
    h = Handlers(Assistant(get_settings(store=store)))
    d = h.ask("What affects crop yield under drought?", filters=make_filters(venue="Global Change"))
    assert {c["paper_id"] for c in d["citations"]} == {"doi:10.1111/gcb.15822"}
    turns: list = []
    for got, _html in h.chat(
        "speculative decoding in clinical notes", [], filters=make_filters(year="2023")
    ):
        turns = got
    path = h.chat_refs(turns, "bibtex", tmp_path)
    assert path and "okafor" in Path(path).read_text().lower()
    # the file is an extra: where it cannot be written (its folder is a file), no file and no
    # error, so the answer is still shown and its chat saved
    (tmp_path / "not-a-folder").write_text("x")
    assert h.chat_refs(turns, "bibtex", tmp_path / "not-a-folder") is None
    listing = h.browse("", 1, make_filters(author="Kowalczyk"))
    assert "Sleep fragmentation" in listing and "Speculative decoding" not in listing


def test_old_catalogue_rows_read_and_hash_as_before():
    """A store written before the bibliographic fields: authors a string, no venue/doi keys."""
    import hashlib

    from rag.records import Paper

    # a record with its own title (a derived title is display-only and not hashed at all)
    old = {
        "paper_id": "x1",
        "title": "T",
        "text": "Some abstract text here.",
        "source": "a.jsonl",
        "title_derived": False,
    }
    for authors in (None, "Ada Lovelace, Alan Turing", "Lovelace, Ada; Turing, Alan"):
        p = Paper.from_dict({**old, "position": 1, "authors": authors, "year": 2020})
        before = json.dumps(
            [p.title, p.text, p.url, authors, 2020, p.header], ensure_ascii=False
        ).encode()
        assert p.content_hash() == hashlib.sha1(before).hexdigest()[:16]  # nothing re-embedded
    p = Paper.from_dict({**old, "position": 1, "authors": "Lovelace, Ada; Turing, Alan"})
    assert p.authors == ["Lovelace, Ada", "Turing, Alan"]
    assert p.public()["authors"] == ["Lovelace, Ada", "Turing, Alan"] and p.public()["doi"] is None
