"""Local support scores and the citation check (rag.answer.support, rag.answer.cite), with the real
embedding model over the bundled abstracts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.answer.cite import CitationFilter, answer_sentences, filter_citations, parse_marker
from rag.answer.support import DEFAULT_THRESHOLD, support_score
from rag.config import get_settings
from rag.embed import get_embedder
from rag.llm.endpoint import redact
from rag.parse import parse_paths

CORPUS = Path(__file__).resolve().parents[1] / "store" / "corpus"

# claims paraphrasing one abstract each (written by hand from the abstracts)
CLAIMS = {
    "f18d22164350": [
        "MoodAngels is a multi-agent framework for diagnosing mood disorders [1].",
        "Its baseline agent is 12.3% more accurate than GPT-4o on real-world cases.",
        "The authors release MoodSyn, a dataset of 1,173 synthetic psychiatric cases.",
    ],
    "32c1a3c5ef4b": [
        "ThanoRA adapts LoRA to several tasks at once without a router, so the adapters stay "
        "mergeable.",
        "Routers in mixture-of-experts LoRA add inference overhead.",
    ],
    "aac3aa3a4bef": [
        "LoRASculpt removes harmful redundant parameters introduced by LoRA during visual "
        "instruction tuning.",
    ],
    "4243c26c64a1": [
        "RAHFL handles federated clients with different model architectures and corrupted data.",
    ],
    "be8bb34b5c14": [
        "Backdoor triggers cause attention collapse onto non-semantic regions in multimodal "
        "models.",
    ],
}
INVENTED = [
    "The method reaches 99% accuracy on ImageNet with a single GPU.",
    "This approach halves the carbon emissions of data centres.",
]


@pytest.fixture(scope="module")
def papers():
    return {p.paper_id: p for p in parse_paths([CORPUS]).papers}


@pytest.fixture(scope="module")
def embedder():
    return get_embedder(get_settings())


def test_support_separates_faithful_claims_from_wrong_sources(papers, embedder):
    """Faithful paraphrases score above the threshold; the same claims against every other
    abstract of the set, and invented claims, score below it."""
    pos, neg = [], []
    for pid, claims in CLAIMS.items():
        for c in claims:
            pos.append(support_score(c, [papers[pid].text], embedder))
            for other in CLAIMS:
                if other != pid:
                    neg.append(support_score(c, [papers[other].text], embedder))
        for c in INVENTED:
            neg.append(support_score(c, [papers[pid].text], embedder))
    print(f"faithful min {min(pos):.3f}  wrong/invented max {max(neg):.3f}")
    assert min(pos) >= DEFAULT_THRESHOLD + 0.05
    assert max(neg) < DEFAULT_THRESHOLD - 0.02
    assert get_settings().support_threshold == DEFAULT_THRESHOLD


def test_support_uses_the_best_passage(papers, embedder):
    claim = CLAIMS["f18d22164350"][0]
    wrong = papers["32c1a3c5ef4b"].text
    right = papers["f18d22164350"].text
    both = support_score(claim, [wrong, right], embedder)
    assert both == pytest.approx(support_score(claim, [right], embedder), abs=1e-6)
    assert support_score(claim, [], embedder) == 0.0


def test_markers_are_parsed():
    assert parse_marker("1") == [1]
    assert parse_marker("1, 2") == [1, 2]
    assert parse_marker("2-4") == [2, 3, 4]
    assert parse_marker("Source 3; source 1") == [3, 1]
    assert parse_marker("1 and 2") == [1, 2]
    assert parse_marker("a") is None and parse_marker("Figure 2") is None


def test_filter_rewrites_and_removes_markers():
    text, removed = filter_citations(
        "A [1]. B [9]. C [1, 9] [Source 2] [2-3] [a] [x. D [0]", range(1, 6)
    )
    assert text == "A [1]. B. C [1] [2] [2, 3] [a] [x. D"
    assert removed == [0, 9]
    assert filter_citations("[9] Starts with a bad one.", [1]) == ("Starts with a bad one.", [9])


ANSWERS = [
    "MoodAngels is multi-agent [1]. It beats GPT-4o [9]. Both [1, 7] and [Source 2] agree [2-3].",
    "  Leading space [3][4]. A [bracket] here, [x, y] there, and an open [ one. Done [5]",
    "Numbers like [10] and [1,2,3,4,5,6,7,8,9,10,11,12] and (see [2]) end here [1].",
]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ANSWERS), st.lists(st.integers(1, 7), min_size=1, max_size=80))
def test_filter_gives_the_same_text_whatever_the_chunking(text, cuts):
    whole, removed = filter_citations(text, range(1, 6))
    f = CitationFilter(range(1, 6))
    out, i, j = "", 0, 0
    while i < len(text):
        step = cuts[j % len(cuts)]
        out += f.feed(text[i : i + step])
        i += step
        j += 1
    out += f.flush()
    assert out == whole and sorted(f.removed) == removed
    for bad in (0, 6, 7, 8, 9, 10, 11, 12):
        assert f"[{bad}]" not in out and f", {bad}]" not in out


def test_answer_sentences_attach_leading_markers():
    got = answer_sentences("First claim. [1] Second claim [2]. Third, uncited.")
    assert got == [("First claim. [1]", [1]), ("Second claim [2].", [2]), ("Third, uncited.", [])]


def test_redact_masks_keys():
    assert redact("bad key sk-abcdef0123456789 given", None) == "bad key sk-*** given"
    assert "hunter22" not in redact("token hunter22 rejected", "hunter22")


class _Counting:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner, self.texts = inner, []

    def embed(self, texts, **kw):
        self.texts += list(texts)
        return self.inner.embed(texts, **kw)


def test_sentence_vectors_are_remembered_and_quoted_ones_reused(embedder, papers):
    """A checked sentence is embedded once (a streamed answer's sentences are embedded as they
    arrive, then the check embeds nothing); a sentence quoted from a source takes its vector."""
    import numpy as np

    from rag.answer.support import SupportScorer
    from rag.text import split_sentences

    counting = _Counting(embedder)
    scorer = SupportScorer(counting)
    new = ["ThanoRA keeps the adapters mergeable [1].", "Routers add inference overhead [1]."]
    scorer.warm_claims(new[:1])  # the first sentence arrived while the reply streamed
    first = scorer.embed_claims(new)
    assert len(counting.texts) == 2 and counting.texts[0] != counting.texts[1]
    again = scorer.embed_claims(new)
    assert len(counting.texts) == 2 and np.allclose(first, again)
    assert np.allclose(first, embedder.embed([t for t in counting.texts]), atol=1e-5)
    quoted = split_sentences(papers["32c1a3c5ef4b"].text)[0]
    vec = embedder.embed([quoted])[0]
    got = scorer.embed_claims([quoted[:-1] + " [1]."], {quoted: vec})
    assert len(counting.texts) == 2 and np.allclose(got[0], vec)
    scorer.forget_claims()
    scorer.embed_claims(new)
    assert len(counting.texts) == 4
