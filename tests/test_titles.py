"""Derived titles: readable, distinct, and naming what each paper introduces."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.parse import parse_paths
from rag.parse.titles import derive_title, find_method_name

CORPUS = Path(__file__).resolve().parent.parent / "store" / "corpus"
BAD_ENDINGS = {"which", "that", "followed", "of", "the", "and", "to", "in", "for", "by", "with"}


@pytest.fixture(scope="module")
def papers():
    papers = parse_paths([CORPUS]).papers
    assert len(papers) == 50
    return papers


def _paper_with(papers, phrase: str):
    hits = [p for p in papers if phrase in p.text]
    assert len(hits) == 1, f"{phrase!r} should pick out exactly one bundled abstract"
    return hits[0]


# (a) every bundled title is well formed ----------------------------------------------------------
def test_bundled_titles_are_well_formed(papers):
    titles = [p.title for p in papers]
    for t in titles:
        assert t, "empty title"
        assert len(t) <= 140, t
        assert t[0].isupper() or t[0].isdigit(), t
        assert t[-1] not in ".,;:", t
        last = t.split()[-1].lower().strip(".,;:")
        assert last not in BAD_ENDINGS, t
        assert len(t.split()) <= 16, t
    assert len(set(titles)) == len(titles), "derived titles must be distinct"


def test_bundled_titles_avoid_known_bad_shapes(papers):
    for p in papers:
        t = p.title
        # generic field acronyms or numbers are never the paper's name
        for bad in ("KD:", "CL:", "TV:", "SAE:", "3DGS:", "24GB", "LLM-enhanced:", "Heavy-Tailed:"):
            assert not t.startswith(bad), t
        assert "in this paper" not in t.lower(), t
        # not a copy of the abstract's first sentence
        first = p.text.split(". ")[0]
        assert not first.startswith(t) or len(t.split()) <= 8, t


# (b) the introduced name is in the title ---------------------------------------------------------
NAMED = [
    ("we present MoodAngels", "MoodAngels"),
    ("we propose ThanoRA", "ThanoRA"),
    ("Believe Your Eyes (BYE)", "BYE"),
    ("termed AdLift", "AdLift"),
    ("Reparameterized Heavy-Tailed method (RHT)", "RHT"),
    ("moral judgment approach called ClarityEthic", "ClarityEthic"),
    ("We propose FedGaLore", "FedGaLore"),
    ("This paper introduces RVCBench", "RVCBench"),
    ("we present AR-Bench", "AR-Bench"),
    ("we propose ScratchEval", "ScratchEval"),
    ("we introduce VideoAutoArena", "VideoAutoArena"),
    ("we introduce ClinRaGen", "ClinRaGen"),
    ("we propose PsyDraw", "PsyDraw"),
    ("we introduce For-Value", "For-Value"),
    ("Visual-Guided Key-Token Regularization (ViKeR)", "ViKeR"),
    ("learning without isolation(LwI)", "LwI"),
    ("named LANCE", "LANCE"),
    ("Backdoor Token Unlearning (BTU)", "BTU"),
    ("the proposed graph-free KD method (ACGKD)", "ACGKD"),
    ("we propose a per-parameter task arithmetic (PerTA)", "PerTA"),
    ("Efficient Coordination via Nash Equilibrium (ECON)", "ECON"),
    ("we introduce UNITE", "UNITE"),
]


@pytest.mark.parametrize(("phrase", "name"), NAMED)
def test_introduced_name_is_in_title(papers, phrase, name):
    p = _paper_with(papers, phrase)
    assert name in p.title.replace("(", " ").replace(")", " ").replace(":", " ").split(), p.title
    assert find_method_name(p.text)[0] == name


def test_specific_name_beats_domain_acronym(papers):
    assert _paper_with(papers, "termed AdLift").title.startswith("AdLift:")
    assert not _paper_with(papers, "continual learning(CL)").title.startswith("CL")
    assert "RHT" in _paper_with(papers, "Heavy-Tailed method (RHT)").title


def test_titles_say_what_it_is_for(papers):
    assert (
        _paper_with(papers, "we present MoodAngels").title
        == "MoodAngels: a multi-agent framework for mood disorder diagnosis"
    )
    title = _paper_with(papers, "This paper introduces RVCBench").title
    assert "benchmark" in title and "voice cloning" in title  # VC spelled out


def test_paper_without_a_name_gets_its_topic(papers):
    t = _paper_with(papers, "behavioral differences between language prompt learning").title
    assert t.startswith("Behavioral differences between language prompt learning")
    assert "(LPT)" not in t
    t = _paper_with(papers, "population-based evolution of large language models").title
    assert t.lower().startswith("population-based evolution of")


# (c) synthetic abstracts -------------------------------------------------------------------------
def test_acronym_with_expansion():
    text = (
        "Long-context inference with large language models is expensive. We propose Sparse "
        "Token Routing (STR), a routing method for efficient long-context inference. STR skips "
        "tokens that do not matter. Experiments on four benchmarks show 2x speedups."
    )
    assert derive_title(text) == (
        "Sparse Token Routing (STR): a routing method for efficient long-context inference"
    )
    assert find_method_name(text)[:2] == ("STR", "Sparse Token Routing")


def test_called_name():
    text = (
        "Pretraining is costly. To address this, we develop a new training strategy called "
        "Warmstart, which reuses checkpoints to cut pretraining cost. Results show savings."
    )
    title = derive_title(text)
    assert title.startswith("Warmstart: a training strategy")
    assert "checkpoints" in title
    assert find_method_name(text)[0] == "Warmstart"


def test_named_after_the_fact():
    text = (
        "We introduce the first large-scale dataset for Urdu speech recognition, containing "
        "1,000 hours of audio. We name it UrduSpeech. Baselines reach 20% word error rate."
    )
    assert derive_title(text) == "UrduSpeech: a large-scale dataset for Urdu speech recognition"


def test_name_with_long_form_in_parentheses():
    text = (
        "Benchmarks saturate quickly. We present MMLU-Pro (Massive Multitask Language "
        "Understanding Professional), a harder benchmark for evaluating language models. "
        "Accuracy drops by 20%."
    )
    title = derive_title(text)
    assert "(MMLU-Pro)" in title and "benchmark for evaluating language models" in title
    assert find_method_name(text)[0] == "MMLU-Pro"


def test_name_described_in_the_next_sentence():
    text = (
        "Robots need maps. We propose NavFormer. NavFormer is a transformer policy for visual "
        "navigation in unseen homes. It beats baselines."
    )
    assert (
        derive_title(text)
        == "NavFormer: a transformer policy for visual navigation in unseen homes"
    )


def test_name_in_the_background_is_not_ours():
    text = (
        "Recently, a technique called Dropout was widely used. Deep classifiers are often "
        "miscalibrated. We study calibration of deep classifiers in medical imaging."
    )
    assert find_method_name(text)[0] == ""
    assert not derive_title(text).startswith("Dropout")


def test_benchmark():
    text = (
        "Code models are evaluated on short problems. We present CodeQuest, a benchmark of "
        "2,000 programming puzzles for evaluating the planning abilities of code models. We "
        "find that current models struggle."
    )
    title = derive_title(text)
    assert title.startswith("CodeQuest: a benchmark of 2,000 programming puzzles")


def test_no_name_gives_topic():
    text = (
        "Sleep deprivation impairs memory consolidation. In this study, we investigate the "
        "effect of short naps on recall in older adults. We find that naps of 20 minutes "
        "improve recall."
    )
    assert derive_title(text) == "Effect of short naps on recall in older adults"
    assert find_method_name(text) == ("", "", "")


def test_no_name_method_gives_its_noun_phrase():
    text = (
        "Graph neural networks (GNNs) struggle with heterophily. In this paper, we propose a "
        "method for learning on heterophilic graphs that adapts the aggregation."
    )
    assert derive_title(text) == "A method for learning on heterophilic graphs"


def test_proposed_action_gives_a_gerund_topic():
    text = (
        "Labels are scarce in industrial monitoring. We propose to use contrastive learning for "
        "anomaly detection in time series. Experiments on five datasets show gains."
    )
    assert derive_title(text) == "Using contrastive learning for anomaly detection in time series"


def test_relative_clause_becomes_a_participle():
    text = (
        "Large language models (LLMs) hallucinate. We introduce SelfCheck, which samples "
        "multiple responses and checks consistency to detect hallucinations."
    )
    assert derive_title(text) == (
        "SelfCheck: sampling multiple responses and checking consistency to detect hallucinations"
    )


def test_someone_elses_model_is_not_the_name():
    text = "We present GPT-4V results on medical images. GPT-4V fails often on rare findings."
    assert find_method_name(text)[0] == ""
    assert not derive_title(text).startswith("GPT-4V:")


def test_structured_abstract_labels():
    text = (
        "BACKGROUND Hypertension is common. OBJECTIVE To assess the effect of salt reduction on "
        "blood pressure in adults. METHODS We ran a trial. RESULTS Blood pressure fell."
    )
    assert derive_title(text) == "Effect of salt reduction on blood pressure in adults"


# (d) degenerate input ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text", ["", "   ", "Just one sentence here.", "Short", "(((", "We propose"]
)
def test_degenerate_text_does_not_crash(text):
    title = derive_title(text)
    assert isinstance(title, str)
    assert len(title) <= 140
    name, expansion, descriptor = find_method_name(text)
    assert isinstance(name, str) and isinstance(expansion, str) and isinstance(descriptor, str)


def test_one_sentence_gives_a_title():
    assert derive_title("Just one sentence about protein folding dynamics.")
