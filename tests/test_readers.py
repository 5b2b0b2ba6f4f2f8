"""rag.readers: every fixture export read and compared with expected.json, format detection,
pasted text, streaming memory, and per-entry errors with their line numbers."""

from __future__ import annotations

import io
import json
import shutil
import tracemalloc
from itertools import islice
from pathlib import Path

import pytest

from rag.errors import IngestError
from rag.readers import (
    FORMATS,
    Record,
    RecordError,
    accepted_formats,
    detect_format,
    detect_text_format,
    display_name,
    family_name,
    read_file,
    read_stream,
    read_text,
)
from rag.readers.base import name_from_display, normalize_doi, parse_year
from rag.readers.detect import HEAD_BYTES
from rag.readers.jsonformats import rebuild_inverted_index

LIBRARY = Path(__file__).parent / "data" / "library"
EXPECTED = json.loads((LIBRARY / "expected.json").read_text(encoding="utf-8"))
FIXTURES = sorted(k for k in EXPECTED if not k.startswith("_"))


def _items(path: Path) -> tuple[list[Record], list[RecordError]]:
    items = list(read_file(path))
    assert all(isinstance(i, Record | RecordError) for i in items)
    return [i for i in items if isinstance(i, Record)], [
        i for i in items if isinstance(i, RecordError)
    ]


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(HEAD_BYTES)


def test_every_fixture_has_expectations():
    files = {p.name for p in LIBRARY.iterdir() if p.name != "expected.json"}
    assert files == set(FIXTURES)


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_is_detected(name):
    path = LIBRARY / name
    assert detect_format(path, _head(path)) == EXPECTED[name]["format"]


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_records(name):
    exp = EXPECTED[name]
    records, errors = _items(LIBRARY / name)
    assert [r.title for r in records] == [e["title"] for e in exp["records"]]
    for rec, want in zip(records, exp["records"], strict=True):
        assert rec.format == exp["format"]
        for key in (
            "line",
            "year",
            "venue",
            "doi",
            "pmid",
            "arxiv_id",
            "url",
            "raw_id",
            "entry_type",
            "authors",
            "keywords",
        ):
            if key in want:
                assert getattr(rec, key) == want[key], (rec.title, key)
        if "first_author" in want:
            assert rec.authors and rec.authors[0] == want["first_author"], rec.title
        prefix = want["abstract_prefix"]
        if prefix is None:
            assert rec.abstract is None, rec.title
        else:
            assert rec.abstract and rec.abstract.startswith(prefix), (rec.title, rec.abstract)
            # nothing of the markup survives in the text
            assert not any(c in rec.abstract for c in "{}\\"), rec.abstract
            assert "  " not in rec.abstract and "\n" not in rec.abstract
        for part in want.get("abstract_contains", []):
            assert part in rec.abstract, (rec.title, part)
        for part in want.get("abstract_excludes", []):
            assert part not in rec.abstract, (rec.title, part)
        assert rec.title and not any(c in rec.title for c in "{}\\$")
    assert sum(r.abstract is None for r in records) == exp["skipped_without_abstract"]
    assert [e.line for e in errors] == [e["line"] for e in exp["errors"]]
    for err, want in zip(errors, exp["errors"], strict=True):
        assert want["contains"] in err.message, err.message


def test_the_same_paper_reads_the_same_from_every_format():
    """The Neurology paper is in nine fixtures: DOI, year and family names agree."""
    seen = []
    for name in FIXTURES:
        records, _ = _items(LIBRARY / name)
        for r in records:
            if r.doi == "10.1212/wnl.0000000000010345":
                seen.append((name, r.year, [family_name(a) for a in r.authors]))
    assert len(seen) >= 8, seen
    assert {s[1] for s in seen} == {2020}
    assert {tuple(s[2]) for s in seen} == {("Kowalczyk", "Dubois")}


# --- detection --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fixture", "new_name", "fmt"),
    [
        ("pubmed.nbib", "pubmed_result.txt", "medline"),  # a .txt that is MEDLINE
        ("zotero-csl.json", "My Library.json", "csl-json"),
        ("openalex-page.json", "works.json", "openalex"),
        ("openalex.jsonl", "works.json", "openalex"),
        ("s2.json", "papers.json", "s2"),
        ("arxiv.jsonl", "arxiv-metadata-oai-snapshot.json", "arxiv"),
        ("zotero.csv", "Exported Items.csv", "zotero-csv"),
        ("library.ris", "refs.txt", "ris"),
        ("jabref.bib", "refs.txt", "bibtex"),
        ("pubmed.xml", "efetch.dat", "pubmed-xml"),
        ("library.ris", "mislabelled.bib", "ris"),  # content wins over the extension
    ],
)
def test_detect_by_content(tmp_path, fixture, new_name, fmt):
    path = tmp_path / new_name
    shutil.copy(LIBRARY / fixture, path)
    assert detect_format(path, _head(path)) == fmt
    records, _ = _items(path)
    assert records


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("notes.txt", "Title: A study\nAbstract: We did things. Email me@example.org.\n", None),
        ("data.csv", "id,value\n1,2\n", None),
        ("config.json", '{"name": "x", "version": 2}', None),
        ("page.xml", "<html><body>hi</body></html>", None),
        ("empty.bib", "", "bibtex"),  # extension alone decides when it has one owner
        ("refs.nbib", "", "medline"),
        ("refs.ris", "nothing useful\n", "ris"),
        ("paper.pdf", "%PDF-1.7 ...", None),
    ],
)
def test_detect_by_extension_and_refusals(tmp_path, name, content, fmt):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert detect_format(path, content.encode()) == fmt


def test_unknown_file_is_refused_with_the_accepted_formats(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Title: A study\n\nAbstract: plain text, not an export.\n", encoding="utf-8")
    with pytest.raises(IngestError) as err:
        read_file(path)
    msg = str(err.value)
    assert "notes.txt" in msg and "BibTeX (.bib" in msg and "RIS (.ris)" in msg
    with pytest.raises(IngestError, match="cannot be read"):
        read_file(tmp_path / "missing.bib")


def test_formats_list_every_reader():
    names = {f.name for f in FORMATS}
    assert names == {
        "bibtex",
        "ris",
        "csl-json",
        "zotero-csv",
        "medline",
        "pubmed-xml",
        "openalex",
        "arxiv",
        "s2",
    }
    assert all(f.extensions and all(e.startswith(".") for e in f.extensions) for f in FORMATS)
    text = accepted_formats()
    assert text.startswith("BibTeX (.bib, .bibtex), RIS (.ris)")
    assert "PubMed MEDLINE (.nbib" in text


# --- pasted text ------------------------------------------------------------------------------
PASTED_BIB = """@article{okafor2023speculative,
  title = {Speculative decoding for {M\\"u}ller's {DNA} notes},
  author = {Okafor, Ngozi A. and Chen, Wei},
  journal = {Nature Medicine}, year = {2023},
  abstract = {We show that speculative decoding is
     2.7 times faster. Errors did not increase.}
}"""
PASTED_RIS = (
    "TY  - JOUR\nTI  - Urban heat\nAU  - Haddad, Layla\nPY  - 2019\nAB  - Heat hurts.\nER  - \n"
)
PASTED_MEDLINE = (
    "PMID- 123\nTI  - Urban heat and\n      children.\nFAU - Haddad, Layla\nAB  - Heat hurts.\n"
)


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        (PASTED_BIB, "bibtex"),
        ("  \n" + PASTED_BIB, "bibtex"),
        (PASTED_RIS, "ris"),
        (PASTED_MEDLINE, "medline"),
        ("TI  - Urban heat\nAB  - Heat hurts children.\n", "medline"),
        ("We studied heat. Contact @jdoe on social media, or me@uni.edu.", None),
        ("Title: Urban heat\nAbstract: Heat hurts children.", None),
        ("@article is how BibTeX entries start, with braces {like this}.", None),
        ('[{"title": "x"}]', None),  # JSON is not recognised as pasted text
        ("", None),
    ],
)
def test_detect_text_format(text, fmt):
    assert detect_text_format(text) == fmt


def test_pasted_bibtex_is_read_not_indexed_as_markup():
    (rec,) = list(read_text(PASTED_BIB))
    assert rec.title == "Speculative decoding for Müller's DNA notes"
    assert (
        rec.abstract
        == "We show that speculative decoding is 2.7 times faster. Errors did not increase."
    )
    assert rec.authors == ["Okafor, Ngozi A.", "Chen, Wei"] and rec.year == 2023
    (rec,) = list(read_text(PASTED_MEDLINE))
    assert rec.title == "Urban heat and children" and rec.pmid == "123"
    (rec,) = list(read_text(PASTED_RIS))
    assert rec.authors == ["Haddad, Layla"] and rec.year == 2019
    with pytest.raises(IngestError):
        read_text("just some words")


# --- errors with line numbers -----------------------------------------------------------------
def _read(text: str, fmt: str) -> list:
    return list(read_stream(io.StringIO(text), fmt))


def test_bibtex_broken_entry_does_not_swallow_the_next():
    text = (
        "@article{a, title={One}, abstract={A.}}\n"
        "@article{b,\n  title = {Two {unclosed,\n  abstract = {B.}\n}\n"
        "@article{c, title={Three}, abstract={C.}}\n"
    )
    items = _read(text, "bibtex")
    assert [type(i).__name__ for i in items] == ["Record", "RecordError", "Record"]
    assert items[1].line == 2 and "'b'" in items[1].message and items[1].raw_id == "b"
    assert [items[0].line, items[2].line] == [1, 6]


def test_bibtex_string_macros_and_comments():
    text = (
        '% comment line\n@comment{ignore me}\n@preamble{"\\newcommand{\\x}{y}"}\n'
        '@string{nm = "Nature Medicine"}\n'
        "@article{a, title={One}, journal=nm, year=2023, abstract={A.}}\n"
    )
    (rec,) = _read(text, "bibtex")
    assert rec.venue == "Nature Medicine" and rec.line == 5


def test_ris_missing_er_at_end_of_file():
    items = _read("TY  - JOUR\nTI  - One\nAB  - A.\nER  - \nTY  - JOUR\nTI  - Two\n", "ris")
    assert isinstance(items[0], Record) and isinstance(items[1], RecordError)
    assert items[1].line == 5 and "end of the file" in items[1].message


def test_medline_bad_line_reports_that_line():
    text = "PMID- 1\nTI  - One\nAB  - A.\n\nPMID- 2\nTI  - Two\nthis line lost its tag\n\nPMID- 3\nTI  - Three\n"
    items = _read(text, "medline")
    assert [type(i).__name__ for i in items] == ["Record", "RecordError", "Record"]
    assert items[1].line == 7 and items[1].raw_id == "2"


def test_json_array_on_one_line_stops_at_the_broken_record():
    items = _read(
        '[{"title": "One", "abstract": "A."}, {"title": "Two" "x"}, {"title": "3"}]', "csl-json"
    )
    assert isinstance(items[0], Record) and isinstance(items[1], RecordError)
    assert len(items) == 2 and "rest was not read" in items[1].message


def test_json_shapes_and_non_objects():
    one = {"paperId": "p1", "title": "T", "abstract": "A.", "year": 2020}
    assert [r.raw_id for r in _read(json.dumps(one), "s2")] == ["p1"]
    page = {"total": 2, "offset": 0, "data": [one, {**one, "paperId": "p2"}], "next": 2}
    assert [r.raw_id for r in _read(json.dumps(page, indent=1), "s2")] == ["p1", "p2"]
    items = _read(json.dumps([one, 5, {"title": None}]), "s2")
    assert isinstance(items[0], Record)
    assert [i.message for i in items[1:]] == [
        "Semantic Scholar record is not a JSON object",
        "Semantic Scholar record has neither a title nor an abstract",
    ]
    assert _read("[]", "openalex") == []


def test_zotero_csv_without_its_columns():
    (err,) = _read("Title,Summary\nx,y\n", "zotero-csv")
    assert err.line == 1 and "Abstract Note" in err.message


def test_truncated_pubmed_xml():
    text = (LIBRARY / "pubmed.xml").read_text(encoding="utf-8")
    cut = text[: text.index("<PubmedArticle>", 200)] + "<PubmedArticle>\n<MedlineCitation>\n"
    items = _read(cut, "pubmed-xml")
    assert isinstance(items[0], Record) and items[0].pmid == "38112290"
    assert isinstance(items[-1], RecordError) and "truncated" in items[-1].message


# --- normalisers ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "doi"),
    [
        ("https://doi.org/10.1038/S41591-023-02417-X", "10.1038/s41591-023-02417-x"),
        ("http://dx.doi.org/10.1016/S0140-6736(23)02210-4", "10.1016/s0140-6736(23)02210-4"),
        ("doi:10.1111/gcb.15822.", "10.1111/gcb.15822"),
        ("DOI 10.1145/3535508.3545512", "10.1145/3535508.3545512"),
        ("10.1000/ab\\_c", "10.1000/ab_c"),
        ("https://doi.org/10.1000%2Fxyz", "10.1000/xyz"),
        ("not a doi", None),
        ("", None),
    ],
)
def test_normalize_doi(raw, doi):
    assert normalize_doi(raw) == doi


def test_years_names_and_inverted_index():
    assert [
        parse_year(v) for v in ("2020 Jul 14", "2019 Nov-Dec", "Mon, 2 Apr 2007", 2021, "n.d.", 20)
    ] == [2020, 2019, 2007, 2021, None, None]
    assert name_from_display("Ludwig van Beethoven") == "van Beethoven, Ludwig"
    assert name_from_display("Ngozi A. Okafor") == "Okafor, Ngozi A."
    assert name_from_display("Plato") == "Plato"
    assert family_name("van der Berg, Anna") == "van der Berg"
    assert display_name("Zhang, Li, Jr") == "Li Zhang, Jr"
    assert display_name("World Health Organization") == "World Health Organization"
    assert rebuild_inverted_index({"world": [1], "Hello": [0], "again": [3], "hello": [2]}) == (
        "Hello world hello again"
    )


LATEX_SAMPLES = [
    r"M{\"u}ller, J{\"o}rg",
    r"Fran{\c{c}}ois {\c S}ahin \c{S}ahin",
    r"Ren\'e Tom{\'a}{\v{s}} Erd\H{o}s \v Sebek",
    r"Stra{\ss}e {\O}stergaard {\L}{\'o}d{\'z} \AA{}ngstr\"om \aa{}se \ae foo \o{} z",
    r"Sof{\'\i}a Garc{\'i}a Mar{\'{i}}a na\"{\i}ve caf\'{e} El Ni{\~n}o",
    r"metal{\textendash}organic 5--6 and 1---2, {\textquotedblleft}x{\textquotedblright}",
    r"18{\%} and 3.1\% and R\&D at 1~{\textdegree}C, {Transformer} {DNA}",
    r"\r{a} \k{a} \.{z} \={o} \u{g} \^{o} \`{e}",
]


@pytest.mark.parametrize("text", LATEX_SAMPLES)
def test_direct_latex_rewrite_agrees_with_pylatexenc(text):
    """The fast path for exporters' usual markup gives what pylatexenc gives."""
    from rag.readers.base import clean_text
    from rag.readers.latex import _pylatexenc, latex_to_text

    fast = latex_to_text(text)
    assert fast and "\\" not in fast and "{" not in fast
    assert fast == clean_text(_pylatexenc(text))


def test_latex_beyond_the_fast_path_goes_to_pylatexenc():
    from rag.readers.latex import latex_to_text

    assert latex_to_text(r"$\alpha \geq 0.5$ in \textit{vivo}, 50% of {CO}$_{\textrm{2}}$") == (
        "α≥0.5 in vivo, 50% of CO₂"
    )
    assert latex_to_text(r"see \cite{smith2020} and \emph{this}") == "see and this"


# --- streaming: memory does not grow with the number of records -------------------------------
def _bib_entry(i: int) -> str:
    return (
        f"@article{{key{i},\n  title = {{Study number {i} of {{M\\\"u}}ller's effect}},\n"
        f"  author = {{Okafor, Ngozi and Chen, Wei and Gon{{\\c{{c}}}}alves, Jo{{\\~a}}o}},\n"
        f"  journal = {{Journal {i % 50}}},\n  year = {{{2000 + i % 24}}},\n"
        f"  doi = {{10.1000/j.{i}}},\n"
        f"  abstract = {{We measured outcome {i} in a cohort. The effect was 5\\% larger\n"
        f"    than expected. Replication is needed in {i % 7} further sites.}},\n}}\n\n"
    )


def _medline_record(i: int) -> str:
    return (
        f"PMID- {10000000 + i}\nDP  - {2000 + i % 24} Jan\nTI  - Study number {i} of the\n"
        f"      effect of something on something else.\nLID - 10.1000/j.{i} [doi]\n"
        f"AB  - We measured outcome {i} in a cohort. The effect was larger than expected.\n"
        f"      Replication is needed.\nFAU - Okafor, Ngozi\nAU  - Okafor N\nFAU - Chen, Wei\n"
        f"AU  - Chen W\nJT  - Journal {i % 50}\nMH  - Humans\n\n"
    )


def _peaks(path: Path, first: int, total: int, keep: bool = False) -> tuple[int, int, int]:
    """Peak traced memory after `first` records and after `total`, and the count read."""
    kept = []
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        items = read_file(path)
        n = 0
        for item in islice(items, first):
            assert isinstance(item, Record)
            n += 1
            if keep:
                kept.append(item)
        peak_first = tracemalloc.get_traced_memory()[1]
        for item in items:
            assert isinstance(item, Record)
            n += 1
            if keep:
                kept.append(item)
        peak_total = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak_first, peak_total, n


@pytest.mark.slow
@pytest.mark.parametrize(("suffix", "make"), [(".bib", _bib_entry), (".nbib", _medline_record)])
def test_large_file_streams_in_bounded_memory(tmp_path, suffix, make):
    path = tmp_path / f"big{suffix}"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(20_000):
            fh.write(make(i))
    assert path.stat().st_size > 5_000_000
    p2k, p20k, n = _peaks(path, 2_000, 20_000)
    assert n == 20_000
    assert p20k < 2 * p2k, (p2k, p20k)


@pytest.mark.slow
def test_memory_measure_would_see_a_reader_that_keeps_records(tmp_path):
    """The same measurement catches growth: keeping the records makes the peak grow ~10x."""
    path = tmp_path / "big.nbib"
    path.write_text("".join(_medline_record(i) for i in range(20_000)), encoding="utf-8")
    p2k, p20k, n = _peaks(path, 2_000, 20_000, keep=True)
    assert n == 20_000 and p20k > 4 * p2k, (p2k, p20k)


def test_large_json_array_lines_and_resync_across_read_chunks(tmp_path):
    """Records past the first read-ahead chunks keep exact lines; a broken one is skipped."""
    items = [
        {
            "id": f"k{i}",
            "title": f"Paper {i}",
            "abstract": "Text " * 40,
            "issued": {"date-parts": [[2000 + i % 20]]},
        }
        for i in range(3000)
    ]
    text = json.dumps(items, indent="\t")
    lines = text.split("\n")
    starts = [n for n, ln in enumerate(lines, 1) if ln == "\t{"]
    broken = starts[1500]
    # drop the comma after the id of record 1500 (line broken + 1; `lines` counts from 0)
    assert lines[broken].startswith('\t\t"id": "k1500"')
    lines[broken] = lines[broken].rstrip(",")
    path = tmp_path / "big.json"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert path.stat().st_size > 10 * 65536
    got = list(read_file(path, "csl-json"))
    records = [g for g in got if isinstance(g, Record)]
    errors = [g for g in got if isinstance(g, RecordError)]
    assert len(records) == 2999 and len(errors) == 1
    assert [r.line for r in records] == starts[:1500] + starts[1501:]
    assert errors[0].line == broken + 2 and f"starts at line {broken}" in errors[0].message
    assert records[-1].raw_id == "k2999" and records[-1].year == 2019


@pytest.mark.parametrize("fmt", [f.name for f in FORMATS])
def test_empty_input_is_no_records_and_no_error(fmt):
    assert _read("", fmt) == []
    assert _read("\n\n  \n", fmt) == []
