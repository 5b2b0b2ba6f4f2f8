"""The UI's claim marks: flagged answer sentences with their reasons, and the "Check a draft"
tab's handler, with hostile text kept inert."""

from __future__ import annotations

from rag.assistant import Assistant
from rag.config import get_settings
from ui import render
from ui.handlers import MAX_DRAFT_CHARS, Handlers

from .test_check import DRAFT_CITED, DRAFT_IDS, LIBRARY
from .test_ui import PAYLOAD, assert_inert, audit


def test_flagged_answer_sentences_are_marked_with_their_reason():
    d = {
        "question": "q",
        "answer": "Fine claim [1]. It is 21.3% better [1]. " + PAYLOAD + " [1].",
        "abstained": False,
        "citations": [{"n": 1, "paper_id": "p1", "title": "T", "snippet": "s"}],
        "sources": [{"paper_id": "p1", "title": "T", "score": 1.0}],
        "backend": "llm",
        "sentences": [
            {
                "text": "Fine claim [1].",
                "citations": [1],
                "supported": True,
                "verdict": "supported",
            },
            {
                "text": "It is 21.3% better [1].",
                "citations": [1],
                "supported": False,
                "verdict": "contradicted",
                "reason": "21.3% is not in [1]; [1] says 12.3%",
                "evidence": "It is 12.3% better <b>than</b> GPT-4o.",
            },
            {
                "text": PAYLOAD + " [1].",
                "citations": [1],
                "supported": False,
                "verdict": "unsupported",
                "reason": PAYLOAD,
            },
        ],
    }
    html = render.answer_html(0, d, {"p1": "It is 12.3% better than GPT-4o."})
    assert_inert(html)
    assert 'class="rag-contradicted rag-flagged"' in html and "rag-unsupported" in html
    text = "".join(audit(html).text)
    assert "✗ contradicted" in text and "21.3% is not in [1]; [1] says 12.3%" in text
    assert "Fine claim" in text and "Checked claims that failed" in text
    assert "<b>than</b>" in text  # the evidence, shown as text


def test_check_tab_marks_each_sentence(seed_store):
    h = Handlers(Assistant(get_settings(store=seed_store)))
    html = h.check_page(DRAFT_IDS + " " + PAYLOAD + " [f18d22164350].")
    assert_inert(html)
    verdicts = [v for k, v in audit(html).attrs if k == "data-verdict"]
    assert verdicts == [
        "supported",
        "contradicted",
        "contradicted",
        "unsupported",
        "unsupported",
        "contradicted",  # the payload's "40 percent": the cited abstract says 12.3%
    ]
    text = "".join(audit(html).text)
    assert "21.3% is not in" in text and "would support it" in text
    assert "6 sentences: 1 supported, 2 unsupported, 3 contradicted" in text
    assert "error" in h.check("   ") and "empty" in h.check("")["error"]
    assert "at most" in h.check("x" * (MAX_DRAFT_CHARS + 1))["error"]


def test_check_tab_reads_doi_and_author_year_citations(tmp_path):
    """The tab reads the same citations as `rag check`: resolved, ambiguous and unresolved."""
    from rag.ingest import ingest

    lib = tmp_path / "library.ris"
    lib.write_text(LIBRARY, encoding="utf-8")
    settings = get_settings(store=tmp_path / "store")
    ingest([lib], settings, progress=False)
    h = Handlers(Assistant(settings))
    html = h.check_page(DRAFT_CITED)
    assert_inert(html)
    verdicts = [v for k, v in audit(html).attrs if k == "data-verdict"]
    assert verdicts == [
        "supported",
        "contradicted",
        "supported",
        "unsupported",
        "unsupported",
        "unsupported",
    ]
    text = "".join(audit(html).text)
    assert "(Okafor et al., 2023) is ambiguous: 2 papers match" in text
    assert "(Smith, 2020) matches no paper of the collection" in text
