"""Derived titles: each rule of rag/parse/titles.py on sentences written for it, and the
guarantees every title keeps (never empty, never a bare name, within the length limit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.parse import parse_paths
from rag.parse.titles import MAX_CHARS, MAX_WORDS, derive_title, find_method_name

CORPUS = Path(__file__).resolve().parent.parent / "store" / "corpus"
BAD_ENDINGS = {"a", "an", "the", "of", "and", "or", "to", "in", "for", "by", "with", "which"}


def _ok(title: str) -> None:
    """What every derived title keeps."""
    assert title and title[0].isupper(), title
    assert len(title) <= MAX_CHARS, title
    assert title[-1] not in ".,;:", title
    assert title.split()[-1].lower() not in BAD_ENDINGS, title


# (1) the coined name and the noun phrase that says what it is -----------------------------------
def test_name_with_an_appositive_description():
    text = "Traffic is hard to predict. We propose FooNet, a graph network for traffic forecasting."
    assert derive_title(text) == "FooNet: a graph network for traffic forecasting"
    assert find_method_name(text) == ("FooNet", "", "graph network for traffic forecasting")


def test_hype_words_leave_the_description():
    text = "We introduce BarGraph, a novel and effective graph sampler for molecule property data."
    assert derive_title(text) == "BarGraph: a graph sampler for molecule property data"


def test_acronym_defined_in_the_object_is_the_name_with_its_long_form():
    text = (
        "Long-context inference is expensive. We propose Sparse Token Routing (STR), a routing "
        "method for efficient long-context inference. STR skips tokens that do not matter."
    )
    assert derive_title(text) == (
        "Sparse Token Routing (STR): a routing method for efficient long-context inference"
    )
    assert find_method_name(text)[:2] == ("STR", "Sparse Token Routing")


def test_a_title_case_long_form_beats_its_first_hyphenated_word():
    text = "We propose Visual-Guided Token Pruning (VGTP), a pruning rule for vision transformers."
    assert find_method_name(text)[0] == "VGTP"


def test_acronym_of_the_field_after_a_preposition_is_not_a_name():
    text = (
        "We propose a method for segmentation of lung nodules (SLN) that adapts its receptive "
        "field. It improves Dice scores on two datasets."
    )
    assert find_method_name(text)[0] == ""
    assert derive_title(text) == "A method for segmentation of lung nodules"


def test_acronym_followed_by_its_kind():
    text = (
        "This paper introduces a Robust Sparse Federated Learning (RSFL) framework for hospitals."
    )
    assert derive_title(text) == "RSFL: a Robust Sparse Federated Learning framework"


def test_naming_verb_takes_the_noun_phrase_before_it_and_the_clause_after():
    text = (
        "Pretraining is costly. To address this, we develop a new training strategy called "
        "Warmstart, which reuses checkpoints to cut pretraining cost. Results show savings."
    )
    title = derive_title(text)
    assert title.startswith("Warmstart: a training strategy reusing checkpoints"), title
    assert find_method_name(text)[0] == "Warmstart"


def test_naming_verb_with_a_defined_acronym():
    text = (
        "Backdoors hide in tokens. We propose a defense called Trigger Token Erasure (TTE), which "
        "detects and removes trigger tokens during training."
    )
    assert find_method_name(text)[:2] == ("TTE", "Trigger Token Erasure")
    assert "detecting and removing trigger tokens" in derive_title(text)


def test_named_after_the_fact_takes_the_intro_object():
    text = (
        "We introduce the first large-scale dataset for Urdu speech recognition, containing "
        "1,000 hours of audio. We name it UrduSpeech. Baselines reach 20% word error rate."
    )
    assert derive_title(text) == "UrduSpeech: a large-scale dataset for Urdu speech recognition"


def test_name_described_in_the_next_sentence():
    text = (
        "Robots need maps. We propose NavFormer. NavFormer is a transformer policy for visual "
        "navigation in unseen homes. It beats baselines."
    )
    assert derive_title(text) == (
        "NavFormer: a transformer policy for visual navigation in unseen homes"
    )


def test_relative_clause_becomes_a_participle():
    text = (
        "Language models hallucinate. We introduce SelfCheck, which samples multiple responses "
        "and checks consistency to detect hallucinations."
    )
    assert derive_title(text) == (
        "SelfCheck: sampling multiple responses and checking consistency to detect hallucinations"
    )


def test_purpose_after_the_name_becomes_a_gerund():
    text = "Adapters forget. We propose PruneLoRA to remove redundant adapter parameters."
    assert derive_title(text) == "PruneLoRA: removing redundant adapter parameters"


def test_name_followed_by_its_long_form_in_parentheses():
    text = (
        "We present MMLU-Pro (Massive Multitask Language Understanding Professional), a harder "
        "benchmark for evaluating language models."
    )
    assert derive_title(text) == "MMLU-Pro: a harder benchmark for evaluating language models"


def test_proposed_acronym_in_a_later_sentence_takes_the_intro_description():
    text = (
        "We propose a fast data-free distillation approach for graph neural networks. Experiments "
        "show that the proposed graph-free method (GFDist) beats baselines."
    )
    assert derive_title(text) == (
        "GFDist: a fast data-free distillation approach for graph neural networks"
    )


def test_lower_case_acronyms_are_spelled_out():
    text = (
        "Voice cloning (VC) is easy to misuse. This paper introduces CloneBench, a benchmark "
        "that evaluates robustness in VC across the pipeline."
    )
    assert derive_title(text) == (
        "CloneBench: a benchmark evaluating robustness in voice cloning across the pipeline"
    )


# (2) what is not the paper's name ---------------------------------------------------------------
def test_name_in_the_background_is_not_ours():
    text = (
        "Recently, a technique called Dropout was widely used. Deep classifiers are often "
        "miscalibrated. We study calibration of deep classifiers in medical imaging."
    )
    assert find_method_name(text)[0] == ""
    assert derive_title(text) == "Calibration of deep classifiers in medical imaging"


def test_name_used_as_a_modifier_is_someone_elses():
    text = "We present ResNet experiments on chest images. ResNet fails on rare findings."
    assert find_method_name(text)[0] == ""
    assert not derive_title(text).startswith("ResNet:")


@pytest.mark.parametrize("field", ["LLM", "GNN", "GPT-4"])
def test_field_acronyms_are_never_the_name(field):
    text = f"We propose {field}, a planner for household robots built on retrieval."
    assert find_method_name(text)[0] == ""
    assert not derive_title(text).startswith(f"{field}:")


# (3) a paper with no name gets its topic --------------------------------------------------------
def test_no_name_gives_the_topic_of_the_contribution_sentence():
    text = (
        "Sleep deprivation impairs memory consolidation. In this study, we investigate the "
        "effect of short naps on recall in older adults. We find that naps improve recall."
    )
    assert derive_title(text) == "Effect of short naps on recall in older adults"
    assert find_method_name(text) == ("", "", "")


def test_a_method_without_a_name_keeps_its_article():
    text = (
        "Graph networks struggle with heterophily. In this paper, we propose a method for "
        "learning on heterophilic graphs that adapts the aggregation."
    )
    assert derive_title(text) == "A method for learning on heterophilic graphs"


def test_proposed_action_gives_a_gerund_topic():
    text = (
        "Labels are scarce in industrial monitoring. We propose to use contrastive learning for "
        "anomaly detection in time series. Experiments on five datasets show gains."
    )
    assert derive_title(text) == "Using contrastive learning for anomaly detection in time series"


def test_structured_abstract_labels_and_aims():
    text = (
        "BACKGROUND Hypertension is common. OBJECTIVE To assess the effect of salt reduction on "
        "blood pressure in adults. METHODS We ran a trial. RESULTS Blood pressure fell."
    )
    assert derive_title(text) == "Effect of salt reduction on blood pressure in adults"


def test_a_leading_purpose_clause_is_not_the_aim():
    text = (
        "To enable their use in clinics, models are adapted to local data. We examine the "
        "transfer of sepsis predictors across hospitals."
    )
    assert derive_title(text) == "Transfer of sepsis predictors across hospitals"


def test_no_contribution_sentence_gives_the_first_sentence_subject():
    text = (
        "Geometric shape features of the hippocampus are used as predictors of dementia, "
        "though their reliability varies. Larger cohorts are needed."
    )
    title = derive_title(text)
    assert title == "Geometric shape features of the hippocampus"


# (4) limits and degenerate input ----------------------------------------------------------------
def test_long_descriptions_are_trimmed_at_a_word_that_can_end_a_title():
    text = (
        "We propose LongNet, a hierarchical attention model for the joint forecasting of the "
        "demand of electricity and of the supply of renewable energy across regional grids."
    )
    title = derive_title(text)
    _ok(title)
    assert title.startswith("LongNet: a hierarchical attention model")
    assert len(title.split(":", 1)[1].split()) <= MAX_WORDS


@pytest.mark.parametrize(
    "text", ["", "   ", "Just one sentence here.", "Short", "(((", "We propose", "We propose X."]
)
def test_degenerate_text_still_gets_a_title(text):
    title = derive_title(text)
    assert title.strip() and len(title) <= MAX_CHARS
    name, expansion, descriptor = find_method_name(text)
    assert isinstance(name, str) and isinstance(expansion, str) and isinstance(descriptor, str)


def test_a_title_is_never_just_a_name():
    for text in (
        "We propose ZetaNet.",
        "We propose ZetaNet. It works well on three benchmarks of image retrieval.",
        "Image retrieval is slow. We propose ZetaNet.",
    ):
        title = derive_title(text)
        assert title != "ZetaNet" and title.startswith("ZetaNet:"), title


# (5) properties over the bundled abstracts (no title is pinned) ----------------------------------
def test_bundled_titles_keep_the_guarantees():
    papers = parse_paths([CORPUS]).papers
    assert len(papers) == 50 and all(p.title_derived for p in papers)
    titles = [p.title for p in papers]
    for p in papers:
        _ok(p.title)
        name = find_method_name(p.text)[0]
        if name:  # the coined name leads the title, with a description after it
            assert name in p.title and p.title != name, p.title
    assert len(set(titles)) == len(titles), "derived titles must be distinct"


def test_a_plain_capitalized_name_with_an_appositive_is_a_name():
    text = "We propose Quodravi, a method for speech recognition that borrows ideas from vision."
    assert derive_title(text).startswith("Quodravi: a method for speech recognition")


def test_a_clause_that_points_back_is_not_a_description():
    text = "Retrieval is hard. We introduce UniRet, a universal retriever tackling these issues."
    assert derive_title(text) == "UniRet: a universal retriever"
