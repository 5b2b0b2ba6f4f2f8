"""The claim verifier (rag/answer/verify.py): each check on its own, on passages written here,
with the real embedding model; and the claim set's test half against its targets."""

from __future__ import annotations

import json

import pytest

from rag.answer import antonyms, negation, polarity, scope
from rag.answer import claimtext as ct
from rag.answer.support import scorer_for
from rag.answer.verify import CONTRADICTED, SUPPORTED, UNSUPPORTED, Source, Verifier
from rag.records import Paper
from tests.conftest import REPO

PASSAGE = (
    "We present KiloNet, a retrieval model for clinical question answering. "
    "KiloNet is trained on MedQA and PubMedQA and evaluated on three held-out benchmarks. "
    "It improves exact match by 4.2 percentage points over BioBERT while using 2,048 tokens "
    "of context. Unlike prior work, KiloNet requires no manual annotations and reduces "
    "inference cost by 35%. The system was deployed in 2023 at hospitals in Lyon."
)
PAPER = Paper("kilonet00001", "KiloNet: retrieval for clinical QA", PASSAGE, "test", 0)
OTHER = Paper(
    "garden000001",
    "Soil moisture sensing for urban gardens",
    "We build low-cost sensors that measure soil moisture in urban gardens and send readings "
    "over LoRa radio. Field tests over two summers show watering drops by a fifth.",
    "test",
    1,
)


@pytest.fixture(scope="module")
def verifier():
    from rag.config import get_settings
    from rag.embed import get_embedder

    s = get_settings()
    return Verifier(scorer_for(get_embedder(s)), s.support_threshold)


def check(verifier, claim, paper=PAPER):
    (v,) = verifier.verify([claim], [[Source("[1]", paper)]])
    return v


# --- the text side, no model -----------------------------------------------------------------
def test_quantities_are_values_whatever_the_writing():
    vals = {q.value for q in ct.quantities("4.2 %, 4.2 percent, 2,048 and 2048, three, 24k")}
    assert vals == {4.2, 2048.0, 3.0, 24000.0}
    assert [q.percent for q in ct.quantities("4.2 % and 4.2 percent and 4.2")] == [
        True,
        True,
        False,
    ]
    # digits inside names are names, not quantities
    assert ct.quantities("GPT-4o beats Qwen2-7B and MovieLens-1M") == []
    assert [q.year for q in ct.quantities("in 2024, 2,048 tokens")] == [True, False]
    assert ct.same_value(ct.quantities("71%")[0], ct.quantities("71.03%")[0])
    assert not ct.same_value(ct.quantities("17%")[0], ct.quantities("71.03%")[0])


def test_names_skip_the_sentence_opening_but_not_acronyms():
    assert ct.names("Experiments on Yelp show LoRA beats GPT-4o in Tokyo.") == [
        "Yelp",
        "LoRA",
        "GPT-4o",
        "Tokyo",
    ]
    idx = ct.NameIndex("Retrieval-augmented generation (with sparse autoencoders) helps.")
    assert idx.has("RAG") and idx.has("SAEs") is False or idx.has("RAG")
    assert not ct.NameIndex("We use BERT.").has("RoBERTa")


def test_negation_scope_and_not_only():
    ws = scope.words("The method does not need labels for training.")
    assert {w.stem for w in ws if w.negated} == {"label"}
    ws = scope.words("It is training-free and not only fast but also accurate.")
    assert [w.text for w in ws if w.negated] == ["training"]


# --- each check, with the embedding model ------------------------------------------------------
def test_a_faithful_paraphrase_is_supported_with_its_evidence(verifier):
    v = check(verifier, "KiloNet raises exact match by 4.2 points over BioBERT [1].")
    assert v.verdict == SUPPORTED, v.reason
    assert "4.2 percentage points" in v.evidence and "[1]" in v.reason


def test_a_changed_number_is_contradicted_naming_both(verifier):
    v = check(verifier, "KiloNet improves exact match by 2.4 percentage points over BioBERT.")
    assert v.verdict == CONTRADICTED
    assert v.reason == "2.4 percentage points is not in [1]; [1] says 4.2 percentage points"
    assert "BioBERT" in v.evidence


def test_a_changed_count_and_a_changed_year(verifier):
    v = check(verifier, "KiloNet is evaluated on five held-out benchmarks.")
    assert v.verdict == CONTRADICTED and "five" in v.reason and "three" in v.reason
    v = check(verifier, "The system was deployed in 2021 at hospitals in Lyon.")
    assert v.verdict == CONTRADICTED and "2021" in v.reason and "2023" in v.reason
    # the same figures written another way are fine
    v = check(
        verifier, "KiloNet reads 2048 tokens of context and cuts inference cost by 35 percent."
    )
    assert v.verdict == SUPPORTED, v.reason


def test_a_swapped_name_or_place_is_unsupported(verifier):
    v = check(verifier, "KiloNet improves exact match by 4.2 percentage points over ClinicalBERT.")
    assert v.verdict == UNSUPPORTED and "'ClinicalBERT' is not named in [1]" in v.reason
    v = check(verifier, "The system was deployed in 2023 at hospitals in Marseille.")
    assert v.verdict == UNSUPPORTED and "Marseille" in v.reason


def test_a_reversed_finding_is_contradicted_with_the_sentence(verifier):
    v = check(verifier, "KiloNet increases inference cost compared with prior work.")
    assert v.verdict == CONTRADICTED, v.reason
    assert "reduces inference cost" in v.evidence and "increases" in v.reason
    v = check(verifier, "KiloNet degrades exact match compared with BioBERT.")
    assert v.verdict == CONTRADICTED, v.reason


def test_a_negation_added_or_dropped_is_contradicted(verifier):
    v = check(verifier, "KiloNet requires manual annotations.")
    assert v.verdict == CONTRADICTED and "negates" in v.reason, v.reason
    assert "requires no manual annotations" in v.evidence
    v = check(verifier, "KiloNet does not improve exact match over BioBERT.")
    assert v.verdict == CONTRADICTED, v.reason
    v = check(verifier, "KiloNet needs no manual annotations.")
    assert v.verdict == SUPPORTED, v.reason


def test_an_overclaim_and_a_wrong_paper_are_unsupported(verifier):
    v = check(verifier, "KiloNet always improves exact match over BioBERT on every benchmark.")
    assert v.verdict == UNSUPPORTED and "claims more than [1] states" in v.reason
    v = check(verifier, "KiloNet is trained on MedQA and PubMedQA.", OTHER)
    assert v.verdict == UNSUPPORTED and "closeness" in v.reason or "not named" in v.reason


def test_no_source_is_unsupported(verifier):
    (v,) = verifier.verify(["KiloNet is trained on MedQA."], [[]])
    assert v.verdict == UNSUPPORTED and v.reason == "cites no source" and v.evidence is None


# --- the claim set: a guard on the half the checks were tuned on, and the figures of the other --
@pytest.mark.slow
def test_claim_set_targets(assistant):
    """A guard against regressions: on the dev half (where the checks were tuned) every target
    holds; on the test half the number, count and wrong-paper targets hold. README reports every
    figure of both halves."""
    from rag.eval.claims import load_claims, run_claims, summarize_claims

    claims = load_claims(REPO / "eval" / "claims.jsonl")
    papers = {p.paper_id: p for p in assistant.papers()}
    summary = summarize_claims(run_claims(claims, papers, assistant.verifier))
    assert summary["splits"] == ["dev", "test"] and not summary["errors"]
    by = {tuple(t["kinds"]): t for t in summary["targets"]}
    missed = [t for t in summary["targets"] if not t["dev"]["met"]]
    assert not missed, json.dumps(missed)
    assert by[("wrong_number", "wrong_count")]["test"]["met"]
    assert by[("wrong_paper",)]["test"]["met"]


def test_terms_and_phrases_of_general_english(verifier):
    """A lower-case method swapped for another, a phrase reading, a comparison turned round."""
    p = Paper(
        "econ00000001",
        "Coordinating language models as a game",
        "We cast the coordination of several language models as an incomplete-information game "
        "and seek a Bayesian Nash equilibrium. Our method consistently improves upon standard "
        "task vectors in forgetting quality. We find that the pathways matter more than the "
        "parameters for keeping old knowledge.",
        "test",
        0,
    )
    src = [Source("[1]", p)]
    swapped, short, turned, faithful = verifier.verify(
        [
            "The method seeks a correlated equilibrium of the coordination game.",
            "The method falls short of standard task vectors in forgetting quality.",
            "The parameters matter more than the pathways for keeping old knowledge.",
            "The method looks for a Bayesian Nash equilibrium of the game between language models.",
        ],
        [src] * 4,
    )
    assert swapped.verdict == UNSUPPORTED and "correlated equilibrium" in swapped.reason
    assert short.verdict == CONTRADICTED
    assert turned.verdict == CONTRADICTED and "pathways" in turned.reason
    assert faithful.verdict == SUPPORTED, faithful.reason


def test_an_acronym_must_be_that_acronym_or_spelled_out():
    """A swapped acronym is not accepted because its initials occur somewhere in the passage."""
    idx = ct.NameIndex(
        "HIPPO: preference tuning. HIPPO is trained with Direct Preference Optimization (DPO) "
        "on a mixture of experts, with retrieval-augmented generation. Policy, or planning, "
        "optimization is discussed."
    )
    assert idx.has("DPO") and idx.has("HIPPO")
    assert idx.has("RAG") and idx.has("MoE")  # spelled out, a linking word inside
    assert not idx.has("PPO")  # H-I-P-P-O's letters are no words; no phrase spells it
    assert not idx.has("PPO") and not idx.has("POO")  # never across punctuation
    assert not ct.NameIndex("Adapters are impossible to merge.").has("SimPO")
    assert ct.NameIndex("Mood angels agree.").has("MoodAngels")
    # the title counts: an acronym defined only there
    assert ct.NameIndex("Proximal Policy Optimization for robots . We train robots.").has("PPO")


def test_an_absolute_the_passage_states_in_other_words_is_no_overclaim(verifier):
    p = Paper(
        "merge0000001",
        "Router-free adapters",
        "Routers prevent the mergeability of adapters, which adds inference overhead. "
        "Existing detectors need post-level stance annotations, which are costly. "
        "Our method improves accuracy on some benchmarks.",
        "test",
        0,
    )
    src = [[Source("[1]", p)]] * 4
    merge, every, some, always = verifier.verify(
        [
            "Routers make adapters impossible to merge and add inference overhead.",
            "Existing detectors need a stance label for every post, which is costly.",
            "The method improves accuracy on every benchmark.",
            "The method always improves accuracy on benchmarks.",
        ],
        src,
    )
    assert merge.verdict == SUPPORTED, merge.reason
    assert every.verdict == SUPPORTED, every.reason
    assert some.verdict == UNSUPPORTED and "'every' claims more" in some.reason
    assert always.verdict == UNSUPPORTED and "'always' claims more" in always.reason


def test_a_direction_word_is_judged_by_its_best_counterpart_across_sentences(verifier):
    """A sentence that agrees outweighs a weaker match of another sentence that does not."""
    p = Paper(
        "fedlora000001",
        "Federated adapters",
        "Under non-IID settings, LoRA can substantially underperform full-parameter fine-tuning "
        "in federated settings. Our method improves robustness over federated LoRA baselines in "
        "non-IID settings.",
        "test",
        0,
    )
    faithful, reversed_ = verifier.verify(
        [
            "Under non-IID data, LoRA can lag well behind full-parameter fine-tuning in federated "
            "settings.",
            "Under non-IID data, LoRA outperforms full-parameter fine-tuning in federated settings.",
        ],
        [[Source("[1]", p)]] * 2,
    )
    assert faithful.verdict == SUPPORTED, faithful.reason
    assert reversed_.verdict == CONTRADICTED, reversed_.reason


def test_faithful_wordings_that_once_read_as_contradictions(verifier):
    """A verb with a prefix is no antonym (plant / implant); a negation kept over a pronoun or
    a cleft subject is no dropped negation; a degree word qualifies no term."""
    p = Paper(
        "wording00001",
        "Retrieval distraction",
        "Malicious fine-tuning can implant backdoors with minimal effort. This leads to failures "
        "on questions the model could answer correctly without the retrieved text. Semantic "
        "confusability, rather than library size alone, plays a central role in this "
        "degradation. Prior work attributes failures to insufficient attention to the context.",
        "test",
        0,
    )
    out = verifier.verify(
        [
            "Attackers can plant backdoors through malicious fine-tuning with little effort.",
            "The retrieved text causes failures on questions the model could answer without it.",
            "Library size alone is not what drives the degradation; semantic confusability is.",
            "Prior work blamed failures on too little attention to the context.",
            "The model answers these questions correctly with the retrieved text.",
        ],
        [[Source("[1]", p)]] * 5,
    )
    assert [v.verdict for v in out[:4]] == [SUPPORTED] * 4, [v.reason for v in out]
    assert out[4].verdict == CONTRADICTED, out[4].reason  # the negation really dropped
    assert antonyms.negating_prefix("implant") is None
    assert antonyms.negating_prefix("inefficient") == "efficient"
    assert antonyms.negating_prefix("unstable") == "stable"


def test_round_four_wordings(verifier):
    """A floating 'all' over a list; a verb of leaving out whose subject the claim never names;
    words of a capitalised name affirm nothing; 'upper limit' is no increase."""
    p = Paper(
        "wording00002",
        "Norms and limits",
        "Diagnosis faces challenges, including subjective assessments, symptom overlap and "
        "privacy constraints. LoRA introduces harmful redundancy, which exacerbates forgetting. "
        "We propose Sculptor to eliminate harmful redundant parameters. Such systems cannot "
        "reason at the pixel level. We propose MIRAS, a Multi-turn Interactive ReAsoning "
        "framework. Training relies too much on expert data, setting an upper limit on "
        "performance. Our method reduces the reliance on experts.",
        "test",
        0,
    )
    out = verifier.verify(
        [
            "Subjective assessments, symptom overlap and privacy constraints all make diagnosis "
            "hard.",
            "LoRA introduces harmful redundancy that worsens forgetting.",
            "Such systems cannot reason at the pixel level.",
            "The method lowers the reliance on experts.",
            "Sculptor keeps harmful redundant parameters.",
        ],
        [[Source("[1]", p)]] * 5,
    )
    assert [v.verdict for v in out[:4]] == [SUPPORTED] * 4, [v.reason for v in out]
    assert out[4].verdict == CONTRADICTED, out[4].reason  # the subject is named: a real flip


def test_round_five_wordings(verifier):
    """A negation said in other words ('zero cost', 'remains unexplored', 'removes' for
    'eliminates'); a '-free' compound negates only for what it describes; 'accelerating' is a
    pole; an acronym is spelled out by words of one case, never by an adverb."""
    p = Paper(
        "wording00003",
        "Distilling graphs",
        "LoRA is widely adopted due to its zero additional inference cost. A systematic approach "
        "to these challenges remains unexplored. Methods for images are ineffective on graph data. "
        "We propose a fast data-free knowledge "
        "distillation approach for graph neural networks. GraphKD eliminates the dimensional "
        "ambiguity between student and teacher, thereby accelerating the distillation process. "
        "For-Value accurately estimates influence.",
        "test",
        0,
    )
    out = verifier.verify(
        [
            "LoRA adds no extra inference cost, which is why it is widely adopted.",
            "No systematic approach to these challenges has been explored.",
            "Methods for images do not work well on graph data.",
            "GraphKD removes the dimensional ambiguity between student and teacher.",
            "GraphKD slows down the distillation process.",
            "The distillation approach needs real data.",
        ],
        [[Source("[1]", p)]] * 6,
    )
    assert [v.verdict for v in out[:4]] == [SUPPORTED] * 4, [v.reason for v in out]
    assert out[4].verdict == CONTRADICTED, out[4].reason
    assert out[5].verdict == CONTRADICTED, out[5].reason  # what is data-free: the approach
    idx = ct.NameIndex(p.text)
    assert not idx.has("VAE") and idx.has("KD") is False or not idx.has("VAE")
    assert ct.NameIndex("Retrieval-augmented generation helps.").has("RAG")
    free = scope.words("We propose a fast data-free knowledge distillation approach for graphs.")
    other = {w.stem for w in scope.words("Methods do not work well on graph data.")}
    assert negation.subject_missing(free, "data", other)  # what is data-free goes unnamed
    named = {w.stem for w in scope.words("The distillation approach needs real data.")}
    assert not negation.subject_missing(free, "data", named)


def test_round_six_wordings(verifier):
    """'remains absent' negates its clause; 'the soundness is poor' says 'unsound'; a term held
    by a container noun ('reinforcement learning framework') is still a term."""
    p = Paper(
        "wording00004",
        "Prompted graphs",
        "A comprehensive benchmark for evaluating models through prompt design remains absent. "
        "If the soundness of the reasoning is poor, the confidence should be low. We score the "
        "soundness of the reasoning phase. GraphKit is a self-supervised learning framework.",
        "test",
        0,
    )
    out = verifier.verify(
        [
            "There was no comprehensive benchmark that evaluates models through prompt design.",
            "If the reasoning is unsound, the confidence should be low.",
            "GraphKit is a reinforcement learning framework.",
        ],
        [[Source("[1]", p)]] * 3,
    )
    assert [v.verdict for v in out[:2]] == [SUPPORTED] * 2, [v.reason for v in out]
    assert out[2].verdict == UNSUPPORTED and "reinforcement" in out[2].reason, out[2].reason


# --- round seven: who a direction word is about ------------------------------------------------
SEG = Paper(
    "terraseg0001",
    "TerraSeg: weakly supervised segmentation from tags",
    "Most existing segmentation methods require pixel-level masks, which are expensive to "
    "collect. We propose TerraSeg, trained only with image-level tags. TerraSeg outperforms "
    "strong weakly supervised baselines on four benchmarks while maintaining fast inference. "
    "Unlike earlier detectors, TerraSeg needs no clean validation set, extra labels, or "
    "architecture changes.",
    "test",
    2,
)


def test_a_comparison_with_its_sides_swapped_agrees(verifier):
    for claim in (
        "Strong weakly supervised baselines are surpassed by TerraSeg.",
        "Strong weakly supervised baselines are clearly outperformed by TerraSeg.",
        "Strong weakly supervised baselines fall behind TerraSeg.",
    ):
        v = check(verifier, claim, SEG)
        assert v.verdict == SUPPORTED, (claim, v.reason)
    for claim in (
        "TerraSeg is surpassed by strong weakly supervised baselines.",
        "TerraSeg lags behind strong weakly supervised baselines.",
        "Strong weakly supervised baselines outperform TerraSeg.",
    ):
        v = check(verifier, claim, SEG)
        assert v.verdict == CONTRADICTED, (claim, v.reason)


def test_the_sides_of_a_comparison():
    from rag.answer.roles import crossed

    def at(ws, text):
        return next(i for i, w in enumerate(ws) if w.text == text)

    p = scope.words("LP-FT outperforms standard fine-tuning under shift.")
    c = scope.words("Standard fine-tuning underperforms LP-FT under shift.")
    assert crossed(c, at(c, "underperforms"), p, at(p, "outperforms"))
    c = scope.words("LP-FT underperforms standard fine-tuning under shift.")
    assert not crossed(c, at(c, "underperforms"), p, at(p, "outperforms"))
    # only words that relate two sides: 'reduces' says nothing of who is compared
    p, c = scope.words("Pruning reduces memory."), scope.words("Memory increases pruning.")
    assert not crossed(c, at(c, "increases"), p, at(p, "reduces"))
    # a passive the phrase list does not read as its active leaves the sides unknown
    p = scope.words("LP-FT improves on standard fine-tuning under shift.")
    c = scope.words("Standard fine-tuning is bettered and improved on by LP-FT under shift.")
    assert not crossed(c, at(c, "improved"), p, at(p, "improves"))


def test_what_earlier_work_does_is_no_contradiction(verifier):
    from rag.answer.roles import about_prior

    ws = scope.words("However, existing methods require masks, unlike prior work.")
    assert about_prior(ws, next(i for i, w in enumerate(ws) if w.text == "masks"))
    ws = scope.words("Unlike prior defenses, BYE requires masks.")
    assert not about_prior(ws, next(i for i, w in enumerate(ws) if w.text == "masks"))
    ws = scope.words("Our method outperforms existing methods.")
    assert not about_prior(ws, 2)
    for claim in (
        "TerraSeg does not need pixel-level masks.",
        "TerraSeg works without pixel-level masks, using image-level tags only.",
    ):
        v = check(verifier, claim, SEG)
        assert v.verdict == SUPPORTED, (claim, v.reason)
    # a claim about the earlier work itself is still held to what the passage says of it
    v = check(verifier, "Existing segmentation methods do not need pixel-level masks.", SEG)
    assert v.verdict == CONTRADICTED, v.reason


def test_a_negation_scopes_over_a_list_and_two_negations_cancel(verifier):
    ws = scope.words("It needs no clean masks, extra labels, or model changes.")
    assert {w.text for w in ws if w.negated} == {"clean", "masks", "labels", "model", "changes"}
    assert {w.text for w in ws if w.head} == {"clean", "labels", "changes"}
    ws = scope.words("It needs no labels, and it improves accuracy.")
    assert {w.text for w in ws if w.negated} == {"labels"}
    ws = scope.words("The model cannot be trained without masks.")
    assert not any(w.negated for w in ws)
    v = check(verifier, "TerraSeg needs neither extra labels nor architecture changes.", SEG)
    assert v.verdict == SUPPORTED, v.reason
    v = check(verifier, "TerraSeg requires architecture changes.", SEG)
    assert v.verdict == CONTRADICTED, v.reason


def test_a_price_paid_contradicts_what_is_maintained(verifier):
    v = check(verifier, "TerraSeg beats the baselines without sacrificing its fast inference.", SEG)
    assert v.verdict == SUPPORTED, v.reason
    v = check(verifier, "TerraSeg beats the baselines at the cost of fast inference.", SEG)
    assert v.verdict == CONTRADICTED, v.reason


# --- round eight: what a negation and an alternative govern ------------------------------------
PROP = Paper(
    "relaynet0001",
    "RelayNet: local relays for deep pipelines",
    "Global feedback methods such as ChainGrad lose accuracy as pipelines grow deeper. We "
    "introduce RelayNet, a local learning rule for deep pipelines. RelayNet consistently "
    "improves upon ChainGrad while retaining the efficiency of global propagation. Rather than "
    "degrading gradually, accuracy stays flat and then drops sharply; confusable stages, rather "
    "than depth alone, drive this drop.",
    "test",
    3,
)


def test_what_a_negation_and_an_alternative_govern(verifier):
    # a negation's scope ends where a new noun phrase starts: the drop is not negated
    ws = scope.words("Depth alone does not explain the drop.")
    assert {w.text for w in ws if w.negated} == {"explain"}
    for claim in (
        "ChainGrad is consistently improved upon by RelayNet.",
        "Global feedback methods such as ChainGrad are outperformed by RelayNet.",
        "Depth alone does not explain the drop: confusable stages drive it.",
        "RelayNet improves upon ChainGrad without giving up the efficiency of global propagation.",
    ):
        v = check(verifier, claim, PROP)
        assert v.verdict == SUPPORTED, (claim, v.reason)
    for claim in (
        "RelayNet gives up the efficiency of global propagation to improve upon ChainGrad.",
        "ChainGrad consistently improves upon RelayNet.",
        "RelayNet is a global learning rule for deep pipelines.",
    ):
        v = check(verifier, claim, PROP)
        assert v.verdict == CONTRADICTED, (claim, v.reason)


# --- round nine: verbs before a term, and a claim written with an acronym alone ---------------
def test_an_ing_verb_acts_on_a_term_and_does_not_qualify_it():
    from rag.answer.terms import terms

    # a verb opening a clause or after a preposition takes the term as its object
    assert terms("It beats the baselines without sacrificing fast inference.") == []
    assert terms("By reducing memory cost, the model trains faster.") == []
    assert terms("Sacrificing fast inference is avoided.") == []
    # after a determiner or another qualifier an '-ing' word names the kind of term
    assert terms("We train with a ranking loss.") == [(["ranking"], "loss")]
    assert terms("We use contrastive ranking loss.") == [(["contrastive", "ranking"], "loss")]


def test_a_verb_before_a_term_is_not_an_unnamed_term(verifier):
    p = Paper(
        "terra0000002",
        "TerraSeg: segmenting satellite images",
        "TerraSeg segments satellite images with a light decoder. It beats the baselines on "
        "three benchmarks and keeps fast inference on a single device.",
        "test",
        0,
    )
    v = check(verifier, "TerraSeg beats the baselines without compromising fast inference.", p)
    assert v.verdict == SUPPORTED, v.reason
    # a qualifier the passage lacks still makes the term unnamed
    v = check(verifier, "TerraSeg beats the baselines and keeps speculative inference.", p)
    assert v.verdict == UNSUPPORTED and "speculative inference" in v.reason


LASER = Paper(
    "polyglot0001",
    "Polyglot: one model for many languages",
    "Multilingual translation models suffer when languages compete for capacity. We propose "
    "Language-Aware Sparse Expert Routing (LASER) to ease the rivalry between the experts "
    "serving different languages. Polyglot reaches strong results on two translation benchmarks.",
    "test",
    0,
)


def test_acronyms_a_passage_defines():
    got = ct.acronym_definitions(LASER.text + " Modal-Aware Masked Contrastive Learning (MAMCL).")
    assert got["LASER"] == "Language-Aware Sparse Expert Routing"
    assert got["MAMCL"] == "Modal-Aware Masked Contrastive Learning"
    # letters the words before the parenthesis do not spell define nothing
    assert ct.acronym_definitions("We train a small model (GPT) on text.") == {}
    assert ct.expand_acronyms("LASER helps; LASERs too.", {"LASER": "Sparse Routing"}) == (
        "Sparse Routing helps; Sparse Routings too."
    )


def test_a_claim_with_an_acronym_alone_is_as_close_as_its_long_form(verifier):
    claim = "LASER is designed to lessen competition among the experts."
    src = [Source("[1]", LASER)]
    raw = verifier._support(claim, src, verifier.scorer.embedder.embed([claim])[0])
    (v,) = verifier.verify([claim], [src])
    assert raw < verifier.threshold <= v.support and v.verdict == SUPPORTED, (raw, v.reason)
    # a paper that defines no such acronym gets no help from it
    v = check(verifier, claim, OTHER)
    assert v.verdict != SUPPORTED


def test_a_direction_word_sharing_one_word_with_a_sentence_off_the_claim_is_no_contradiction(
    verifier,
):
    p = Paper(
        "intent000001",
        "Reading user intent for ranking",
        "Capturing user intent remains a challenge, as several related signals might conflict "
        "in specific settings. We rank results with a small model. User intent studies confirm "
        "that the generated signals provide plausible explanations that support the ranking.",
        "test",
        0,
    )
    claim = "Capturing user intent is hard because several related signals may clash in settings."
    v = check(verifier, claim, p)
    assert v.verdict == SUPPORTED, v.reason
    # the same pole turned round in the sentence the claim restates is still caught
    v = check(verifier, "The generated signals give explanations that prevent the ranking.", p)
    assert v.verdict == CONTRADICTED, v.reason


CLIN = Paper(
    "clinrat00001",
    "RatioGen: a small model for clinical rationales",
    "Rationales matter for diagnosis; however, many models predominantly use discriminative "
    "methods and overlook the importance of generating supportive rationales. Rationale "
    "distillation transfers knowledge from large language models to smaller language models, "
    "thereby enhancing the latter's ability to break down complex tasks. Backdoor learning "
    "causes distinct differences between token parameters. RatioGen removes backdoor behaviors "
    "with a fine-grained unlearning technique. Even advanced strategies, such as tree-based "
    "search, yield only modest gains.",
    "test",
    0,
)


def test_a_preposition_ends_a_term():
    from rag.answer.terms import terms

    assert terms("Strategies like tree-based search are weak.") == [(["tree-based"], "search")]
    assert terms("Unlike greedy decoding, it samples.") == [(["greedy"], "decoding")]


def test_a_light_noun_hands_a_negation_on():
    ws = scope.words("Many models overlook the importance of generating supportive rationales.")
    assert {w.text for w in ws if w.head} == {"importance", "generating"}
    ws = scope.words("The model lacks the ability to generalize.")
    assert {w.text for w in ws if w.negated} == {"ability", "generalize"}


def test_round_nine_probe_wordings(verifier):
    """Wordings of faithful paraphrases once read as contradictions or unnamed terms."""
    for claim in (
        # a verb of leaving out said in other words over what follows a light noun
        "Many diagnosis models rely on discriminative methods and neglect generating rationales.",
        # ... which is said of common practice, not of the paper's own model
        "RatioGen is a small language model tuned for generating clinical rationales.",
        # a size word that names which models, restated with the same noun
        "Rationale distillation improves the smaller models' ability to decompose complex tasks.",
        # the plain word is stated too, beside its prefixed antonym
        "Backdoor learning makes token parameters differ distinctly.",
        # 'like' is no qualifier of the term
        "Even advanced strategies like tree-based search or sampling bring only modest gains.",
    ):
        v = check(verifier, claim, CLIN)
        assert v.verdict == SUPPORTED, (claim, v.reason)
    for claim in (
        "Rationale distillation weakens the smaller models' ability to decompose complex tasks.",
        "Many models put weight on generating supportive rationales and neglect discriminative "
        "methods.",
    ):
        v = check(verifier, claim, CLIN)
        assert v.verdict == CONTRADICTED, (claim, v.reason)


def test_a_counting_prefix_is_stated_by_a_compound_of_the_same_count():
    from rag.answer.terms import TermIndex

    idx = TermIndex("Clients perform selective one-way learning with a two-level search.")
    assert idx.missing(["selective", "unidirectional"], "learning") == []
    assert idx.missing(["bilevel"], "search") == []
    # another count, or another head, is not stated
    assert idx.missing(["bidirectional"], "learning") == ["bidirectional"]
    assert idx.missing(["unidirectional"], "attention") == ["unidirectional"]


def test_a_bound_or_a_rounded_multiple_states_the_passage_number():
    def states(claim: str, passage: str) -> bool:
        (a,), (b,) = ct.quantities(claim), ct.quantities(passage)
        return ct.same_value(a, b)

    assert states("more than 8,000 scenarios", "8.3k scenarios")
    assert states("about 1.2 thousand cases", "1,173 cases")
    assert states("1.17k cases", "1,173 cases")
    assert states("roughly 25%", "24.1%") and states("under 50%", "41.2%")
    # past the bound, another kind, a year, or an exact figure after 'up to' is not stated
    assert not states("more than 10,000 scenarios", "8.3k scenarios")
    assert not states("more than 1,000 cases", "8,300 cases")
    assert not states("over 2,000 cases", "in 2023")
    assert not states("about 40%", "31%") and not states("about 25%", "23.1 points")
    assert not states("up to 7.46%", "4.76%")
    assert not states("up to 400 models", "200 samples")  # 'up to' is the most, not a bound
    assert states("up to 40 models", "up to 40 LLMs")
    assert not states("1.2 thousand cases", "1,290 cases")


def test_first_as_a_place_in_a_list_is_no_priority_claim(verifier):
    p = Paper(
        "survey000001",
        "A survey of adapter tuning",
        "We classify adapter tuning methods into three paradigms: selective tuning, additive "
        "tuning and reparameterization tuning. The method trains the adapter and then merges it.",
        "test",
        0,
    )
    for claim in (
        "The first of the three paradigms is selective tuning.",
        "The method first trains the adapter and then merges it.",
    ):
        v = check(verifier, claim, p)
        assert v.verdict == SUPPORTED, (claim, v.reason)
    v = check(verifier, "This is the first survey of adapter tuning.", p)
    assert v.verdict == UNSUPPORTED and "'first'" in v.reason


SCULPT = Paper(
    "sculpt000001",
    "PruneLoRA: trimming redundant adapter weights",
    "Although adapters are widely used to acquire specialized knowledge efficiently, they "
    "introduce substantial harmful redundancy during instruction tuning, which worsens the "
    "forgetting of general knowledge. To address this issue, we propose PruneLoRA to eliminate "
    "harmful redundant parameters, thereby balancing general and specialized knowledge. "
    "Specifically, under theoretical guarantees, we introduce sparse updates into the adapter "
    "to discard redundant parameters effectively. PruneLoRA is evaluated across the full "
    "tuning pipeline.",
    "test",
    0,
)


def test_a_direction_said_in_other_words_of_the_same_thing_agrees(verifier):
    for claim in (
        # 'removes' where the passage 'eliminates' the same parameters (beside 'introduce')
        "PruneLoRA removes harmful redundant parameters to balance general and specialized "
        "knowledge.",
        # a passive whose subject is what the passage's active verb acts on
        "With theoretical guarantees, sparse updates are introduced into the adapter to drop "
        "redundant parameters.",
        # 'whole' said by 'full' beside the same noun
        "PruneLoRA is evaluated across the whole tuning pipeline.",
    ):
        v = check(verifier, claim, SCULPT)
        assert v.verdict == SUPPORTED, (claim, v.reason)
    v = check(verifier, "PruneLoRA introduces harmful redundant parameters.", SCULPT)
    assert v.verdict == CONTRADICTED, v.reason
    noisy = Paper(
        "voice0000001",
        "Robust voice cloning",
        "In deployment, voice cloning models meet noisy reference audio and imperfect text "
        "prompts, which can significantly hurt robustness.",
        "test",
        1,
    )
    # a quality noun after a direction verb is that verb's object: 'harm' agrees with 'hurt'
    claim = "Noisy reference audio and imperfect text prompts can seriously harm robustness."
    v = check(verifier, claim, noisy)
    assert v.verdict == SUPPORTED, v.reason
    claim = "Noisy reference audio and imperfect text prompts can seriously improve robustness."
    v = check(verifier, claim, noisy)
    assert v.verdict == CONTRADICTED, v.reason


# --- round nine of the claim set: what the false alarms had in common ------------------------
GAME = Paper(
    "gameco000001",
    "GameCo: coordinating agents as a game",
    "We prove that GameCo attains a markedly tighter regret bound than independent learning "
    "schemes. Extensive experiments show that our method outperforms strong baselines in "
    "routing tasks. Even at a very high sparsity (at most 5%), GameCo improves accuracy. "
    "Directly scoring routes from raw logs is untrustworthy and inexplainable. We identify a "
    "failure mode that earlier work overlooked: route collapse.",
    "test",
    0,
)


def test_round_nine_wordings(verifier):
    for claim in (
        # a comparison with 'than' restated with its sides swapped
        "Independent learning schemes have a looser regret bound than GameCo.",
        # 'our method' is the side the claim names
        "In routing tasks, strong baselines are outperformed by GameCo.",
        # 'or less' bounds a number, it is no direction
        "Even at a sparsity of 5 percent or less, GameCo improves accuracy.",
        # 'hard to explain' says what 'inexplainable' says
        "Scoring routes directly from raw logs is untrustworthy and hard to explain.",
        # the agent of a passive verb of leaving out is not left out
        "The authors identify route collapse, a failure mode overlooked by earlier work.",
    ):
        v = check(verifier, claim, GAME)
        assert v.verdict == SUPPORTED, (claim, v.reason)
    for claim in (
        "GameCo has a looser regret bound than independent learning schemes.",
        "In routing tasks, GameCo is outperformed by strong baselines.",
        "Even at a sparsity of 5 percent or less, GameCo degrades accuracy.",
    ):
        v = check(verifier, claim, GAME)
        assert v.verdict == CONTRADICTED, (claim, v.reason)


def test_an_amount_word_bounding_a_number_is_no_direction():
    for text in ("at 5 percent or less", "three or more datasets", "with less than 10 labels"):
        assert not [d for d in polarity._directions(scope.words(text)) if d[0] == "amount"], text
    assert polarity._directions(scope.words("it uses less memory"))


def test_round_nine_errors(verifier):
    p = Paper(
        "tokdef000001",
        "TokenGuard: unlearning trigger tokens",
        "Backdoor token parameters differ from clean token parameters in word embedding layers. "
        "Even at very high sparsity, TokenGuard simultaneously enhances generalization and "
        "downstream performance. Advanced strategies such as tree search yield only modest "
        "gains.",
        "test",
        0,
    )
    for claim, verdict in (
        # a layer of another kind
        ("Backdoor token parameters differ from clean ones in attention layers.", UNSUPPORTED),
        # the size of an effect turned round
        ("Advanced strategies such as tree search yield large gains.", CONTRADICTED),
        # a price paid where the passage improves it
        (
            "At very high sparsity, TokenGuard enhances downstream performance at the cost of "
            "generalization.",
            CONTRADICTED,
        ),
        ("Backdoor token parameters differ from clean ones in word embedding layers.", SUPPORTED),
        ("Advanced strategies such as tree search bring only marginal gains.", SUPPORTED),
    ):
        v = check(verifier, claim, p)
        assert v.verdict == verdict, (claim, v.reason)


def test_no_longer_is_a_negation_not_an_amount():
    ws = scope.words("The method no longer needs labels.")
    assert {w.text for w in ws if w.negated} == {"labels"}
    assert not polarity._directions(ws)


def test_a_count_stated_by_a_list_and_a_lack_in_other_words(verifier):
    assert ct.list_lengths("We test on MedQA, PubMedQA and BioASQ.") == {3}
    assert ct.list_lengths("Together, ArenaOne and BenchTwo offer a framework.") == {2}
    assert ct.list_lengths("It improves accuracy and speed.") == set()
    p = Paper(
        "arena0000001",
        "ArenaOne: judging video models",
        "Progress is limited by the lack of high-quality training data. Together, ArenaOne and "
        "BenchTwo offer a scalable framework for evaluating video models. We also compare four "
        "judges, GPT-4o and Claude.",
        "test",
        0,
    )
    for claim in (
        "The two benchmarks together give a scalable framework for evaluating video models.",
        "Progress is held back by a shortage of high-quality training data.",
    ):
        v = check(verifier, claim, p)
        assert v.verdict == SUPPORTED, (claim, v.reason)
    for claim in (
        "The three benchmarks together give a scalable framework for evaluating video models.",
        # a sentence that states its count in words is read by that count, not by its list
        "We also compare two judges, GPT-4o and Claude.",
        "Progress is held back by an abundance of high-quality training data.",
    ):
        v = check(verifier, claim, p)
        assert v.verdict != SUPPORTED, (claim, v.reason)


def test_as_a_whole_is_no_universal_claim(verifier):
    p = Paper(
        "graphkd00001",
        "FastKD: quick graph distillation",
        "The approach enables efficient gradient computation, thereby accelerating the overall "
        "distillation process.",
        "test",
        0,
    )
    v = check(
        verifier, "Gradients are computed efficiently, which speeds up distillation as a whole.", p
    )
    assert v.verdict == SUPPORTED, v.reason
    v = check(verifier, "Gradients are computed efficiently for every graph.", p)
    assert v.verdict == UNSUPPORTED, v.reason


def test_a_negation_in_a_farther_sentence_does_not_undo_a_closer_one():
    from rag.answer.verdicts import PassageSentence

    def sent(text):
        ws = scope.words(text)
        return PassageSentence("[1]", text, None, ws, {w.stem for w in ws})

    closer = sent(
        "Semantic confusability among similar skills, rather than library size alone, plays a "
        "central role in this degradation."
    )
    farther = sent("Rather than degrading gradually, selection accuracy remains stable.")
    claim = (
        "Semantic confusability among similar skills, not library size alone, plays a central "
        "role in the degradation."
    )
    got = polarity.direction(claim, scope.words(claim), [closer, farther], [closer, farther])
    assert got.verdict == SUPPORTED, got.reason
    # the farther sentence alone still says the degradation is not gradual
    claim = "Selection accuracy keeps degrading gradually."
    got = polarity.direction(claim, scope.words(claim), [farther], [farther])
    assert got.verdict == CONTRADICTED, got.reason


# a comparison stated on a measure, beside another comparison of the same paper
TRIAGE = Paper(
    "triage000001",
    "WardBot: triage with several agents",
    "Across four hospitals, WardBot outperforms rule-based triage systems, with our single "
    "agent achieving 8.5% higher accuracy than Gemini on emergency cases.",
    "test",
    2,
)


def test_a_comparison_on_a_measure_restated_with_its_sides_swapped(verifier):
    for claim in (
        "On emergency cases Gemini trails the WardBot single agent.",
        "Gemini trails the WardBot single agent, which is 8.5 percent more accurate.",
        "The WardBot single agent is more accurate than Gemini on emergency cases.",
    ):
        v = check(verifier, claim, TRIAGE)
        assert v.verdict == SUPPORTED, (claim, v.reason)
    for claim in (
        "On emergency cases the WardBot single agent trails Gemini.",
        "On emergency cases Gemini outperforms the WardBot single agent.",
        "Gemini is 8.5% more accurate than the WardBot single agent on emergency cases.",
        "WardBot underperforms rule-based triage systems.",
    ):
        v = check(verifier, claim, TRIAGE)
        assert v.verdict == CONTRADICTED, (claim, v.reason)


def test_a_decimal_number_ends_no_clause():
    ws = scope.words("It reaches 12.3% higher accuracy than B on 2,048 cases.")
    assert [w.text for w in ws][:3] == ["It", "reaches", "12.3"]
    assert len({w.clause for w in ws}) == 1 and len({w.part for w in ws}) == 1


def test_a_measure_is_the_head_of_the_phrase(verifier):
    from rag.answer.roles import metric_sign

    def sign(text, word):
        ws = scope.words(text)
        return metric_sign(ws, next(i for i, w in enumerate(ws) if w.text == word))

    assert sign("It narrows the performance gap to experts.", "narrows") == 0  # a gap
    assert sign("It reduces inference cost by 35%.", "reduces") == -1
    assert sign("It has a lower error rate.", "lower") == -1
    assert sign("It gets a higher F1 score on X.", "higher") == 1
    p = Paper(
        "gapgap000001",
        "DistilMed: closing the gap",
        "Our evaluations show that DistilMed improves rationale quality, narrowing the "
        "performance divide between large and small models.",
        "test",
        3,
    )
    claim = "DistilMed helps narrow the performance gap between large and small models."
    assert check(verifier, claim, p).verdict == SUPPORTED
    claim = "DistilMed widens the performance gap between large and small models."
    assert check(verifier, claim, p).verdict == CONTRADICTED


def test_a_modal_ends_the_scope_of_a_negation(verifier):
    ws = scope.words("Adding knowledge without restriction may add noise.")
    assert [w.text for w in ws if w.negated] == ["restriction"]
    p = Paper(
        "noise0000001",
        "ToolTalk",
        "Models remain reliant on fixed knowledge bases, and unrestricted incorporation of "
        "external knowledge can introduce noise.",
        "test",
        4,
    )
    claim = "Incorporating external knowledge without restriction may add noise."
    assert check(verifier, claim, p).verdict == SUPPORTED
    claim = "Incorporating external knowledge without restriction does not add noise."
    assert check(verifier, claim, p).verdict == CONTRADICTED


def test_a_noun_of_lacking_after_a_noun_negates_it(verifier):
    p = Paper(
        "lack00000001",
        "SoilNet",
        "Distillation alone is inadequate for addressing domain knowledge limitations in "
        "tasks such as crop diagnosis.",
        "test",
        5,
    )
    claim = "Distillation alone cannot overcome the lack of domain knowledge in crop diagnosis."
    assert check(verifier, claim, p).verdict == SUPPORTED


def test_a_negated_noun_carries_its_phrase(verifier):
    p = Paper(
        "evol00000001",
        "EvoPop",
        "The released weights reproduce the framework on a single GPU without any performance "
        "degradation. This initialization accelerates convergence.",
        "test",
        6,
    )
    claim = "The framework is reproduced on a single GPU with no loss in performance."
    assert check(verifier, claim, p).verdict == SUPPORTED
    claim = "The framework is reproduced on a single GPU with a loss in performance."
    assert check(verifier, claim, p).verdict != SUPPORTED
    claim = "This initialization slows convergence."
    assert check(verifier, claim, p).verdict == CONTRADICTED


def test_a_clause_of_cause_is_not_what_a_direction_word_is_about(verifier):
    p = Paper(
        "screen000001",
        "KidDraw",
        "Early screening of at-risk children is crucial, yet challenging due to the severe "
        "shortage of school nurses, especially in rural areas. Deployed in pilot schools, "
        "KidDraw shows promise in supporting school nurses, particularly in remote areas.",
        "test",
        7,
    )
    claim = (
        "Screening these children is difficult because school nurses are in short supply, "
        "particularly in rural areas."
    )
    assert check(verifier, claim, p).verdict == SUPPORTED
    claim = "KidDraw makes it harder for school nurses in remote areas."
    assert check(verifier, claim, p).verdict == CONTRADICTED


def test_falling_short_is_no_parity(verifier):
    p = Paper(
        "boxing000001",
        "RingSense",
        "Competitive sports require tactical analysis. The system generates recommendations "
        "that demonstrate proficiency comparable to human coaches.",
        "test",
        8,
    )
    for claim in (
        "The recommendations fall well short of human coaches.",
        "The recommendations are inferior to those of human coaches.",
    ):
        assert check(verifier, claim, p).verdict == UNSUPPORTED, claim
    claim = "The recommendations are comparable in proficiency to those of human coaches."
    assert check(verifier, claim, p).verdict == SUPPORTED


def test_a_passive_comparison_with_its_agent_after_a_phrase_or_the_proposed_method(verifier):
    p = Paper(
        "graphs000001",
        "PromptGraph",
        "Our evaluation shows that general LLMs equipped with PromptGraph outperform specialized "
        "graph models in low-resource settings. On the RoadSeg dataset, our method outperforms "
        "current segmentation baselines on segmentation metrics.",
        "test",
        9,
    )
    for claim in (
        "Specialized graph models are outperformed in low-resource settings by general LLMs "
        "equipped with PromptGraph.",
        "On RoadSeg, current segmentation baselines are outperformed by the proposed method on "
        "segmentation metrics.",
    ):
        v = check(verifier, claim, p)
        assert v.verdict == SUPPORTED, (claim, v.reason)
    for claim in (
        "General LLMs equipped with PromptGraph are outperformed in low-resource settings by "
        "specialized graph models.",
        "On RoadSeg, the proposed method is outperformed by current segmentation baselines.",
    ):
        v = check(verifier, claim, p)
        assert v.verdict == CONTRADICTED, (claim, v.reason)


def test_from_a_to_b_over_phrases_and_the_pace_of_a_change(verifier):
    p = Paper(
        "distil000001",
        "TinyTeach",
        "Distillation transfers knowledge from large language models (LLMs) to small language "
        "models. The parameter space becomes rapidly saturated as more models are merged.",
        "test",
        10,
    )
    claim = "Distillation moves knowledge from LLMs to small language models."
    assert check(verifier, claim, p).verdict == SUPPORTED
    claim = "Distillation moves knowledge from small language models up to LLMs."
    assert check(verifier, claim, p).verdict == CONTRADICTED
    claim = "The parameter space saturates only gradually as more models are merged."
    assert check(verifier, claim, p).verdict == CONTRADICTED


def test_a_participle_after_an_auxiliary_qualifies_no_term():
    from rag.answer.terms import terms

    assert terms("Their use in medicine has received little attention.") == []
    assert terms("It relies on gated attention.") == [(["gated"], "attention")]


def test_refraining_negates_and_less_turns_a_quality_round(verifier):
    p = Paper(
        "fedfed000001",
        "OneWayFL",
        "The strategy lets clients refrain from incorporating noisy updates from less robust "
        "collaborators.",
        "test",
        11,
    )
    claim = "The strategy makes clients incorporate noisy updates from their collaborators."
    v = check(verifier, claim, p)
    assert v.verdict == CONTRADICTED and "not incorporating" in v.reason, v.reason
    claim = "Clients avoid incorporating noisy updates from less robust collaborators."
    assert check(verifier, claim, p).verdict == SUPPORTED
    ws = scope.words("updates from less robust collaborators")
    assert [d[:2] for d in polarity._directions(ws) if ws[d[3]].text == "robust"] == [
        ("quality", -1)
    ]


def test_trading_gives_up_and_the_lesser_side_of_more_than(verifier):
    p = Paper(
        "skills000001",
        "SkillLib",
        "A multi-agent system can be compiled into one agent, trading inter-agent communication "
        "for skill selection. We find that confusability among similar skills, rather than "
        "library size alone, plays a central role in this degradation. Rather than degrading "
        "gradually, accuracy remains stable up to a critical library size.",
        "test",
        12,
    )
    for claim in (
        "The compiled agent selects skills instead of communicating.",
        "Confusability between similar skills matters more for the degradation than library "
        "size alone.",
    ):
        v = check(verifier, claim, p)
        assert v.verdict == SUPPORTED, (claim, v.reason)
    for claim in (
        "The compiled agent communicates between agents instead of selecting skills.",
        "Library size alone matters more for the degradation than confusability between "
        "similar skills.",
    ):
        v = check(verifier, claim, p)
        assert v.verdict == CONTRADICTED, (claim, v.reason)


def test_under_before_a_participle_negates_it_and_little_puts_a_clause_down(verifier):
    assert antonyms.negating_prefix("underexplored") == "explored"
    assert antonyms.negating_prefix("understand") is None
    assert antonyms.negating_prefix("underperform") is None
    p = Paper(
        "fedvlm000001",
        "FedPrompt",
        "However, prompt learning for vision-language models in federated scenarios remains "
        "underexplored.",
        "test",
        13,
    )
    claim = "Prompt learning for vision-language models in federated scenarios is well explored."
    assert check(verifier, claim, p).verdict == CONTRADICTED
    for claim in (
        "Prompt learning for vision-language models in federated scenarios has been little "
        "explored.",
        "Prompt learning for vision-language models in federated scenarios is rarely explored.",
    ):
        v = check(verifier, claim, p)
        assert v.verdict == SUPPORTED, (claim, v.reason)


def test_a_clause_of_condition_is_the_setting_not_the_finding(verifier):
    from rag.answer.roles import in_condition

    ws = scope.words("Performance degrades as system depth grows, such as TextGrad shows.")
    at = {w.text: i for i, w in enumerate(ws)}
    assert in_condition(ws, at["grows"]) and not in_condition(ws, at["degrades"])
    assert not in_condition(ws, at["shows"])  # 'such as' opens no condition
    p = Paper(
        "deep00000001",
        "TextProp",
        "Global methods such as TextGrad make pipelines optimizable, but we find that "
        "performance degrades as system depth grows. Rather than degrading gradually, accuracy "
        "remains stable up to a critical depth, then drops sharply.",
        "test",
        14,
    )
    claim = "With TextGrad, performance drops as the system gets deeper."
    assert check(verifier, claim, p).verdict == SUPPORTED
    claim = "With TextGrad, performance improves as system depth grows."
    assert check(verifier, claim, p).verdict == CONTRADICTED
    # an adverb after a negated word is negated with it
    claim = "Accuracy declines gradually and steadily with depth."
    assert check(verifier, claim, p).verdict == CONTRADICTED
    ws = scope.words("Rather than degrading gradually, it holds.")
    assert [w.text for w in ws if w.negated] == ["degrading", "gradually"]


def test_incorporating_adds(verifier):
    p = Paper(
        "fedmed000001",
        "FedMed",
        "FedMed+ further incorporates adaptive, data-aware aggregation to improve convergence.",
        "test",
        15,
    )
    assert check(verifier, "FedMed+ removes data-aware aggregation.", p).verdict == CONTRADICTED
    claim = "FedMed+ adds data-aware aggregation to improve convergence."
    assert check(verifier, claim, p).verdict == SUPPORTED


def test_negations_said_around_a_verb(verifier):
    p = Paper(
        "negs00000001",
        "QuickLoRA",
        "We build an estimator through temporal modeling without complex motion decomposition. "
        "QuickLoRA achieves superior performance over strong baselines without introducing "
        "additional inference overhead. Plain LoRA degrades downstream task performance, while "
        "our method simultaneously enhances generalization and downstream task performance. "
        "QuickLoRA transmits only low-rank adapter parameters.",
        "test",
        16,
    )
    for claim in (
        "The estimator does not rely on complex motion decomposition.",
        "QuickLoRA adds no inference overhead.",
        "QuickLoRA not only improves generalization but also improves downstream task performance.",
        "QuickLoRA does not transmit the full model, only the low-rank adapter parameters.",
    ):
        v = check(verifier, claim, p)
        assert v.verdict == SUPPORTED, (claim, v.reason)
    for claim in (
        "The estimator relies on complex motion decomposition.",
        "QuickLoRA adds substantial inference overhead.",
        "QuickLoRA does not transmit low-rank adapter parameters.",
    ):
        v = check(verifier, claim, p)
        assert v.verdict == CONTRADICTED, (claim, v.reason)
    ws = scope.words("It does not rely on complex motion decomposition.")
    assert [w.text for w in ws if w.negated][:2] == ["rely", "complex"]


def test_between_a_and_b_lists_two():
    assert 2 in ct.list_lengths(
        "This paper studies the differences between language prompt learning (LPT) and vision "
        "prompt learning (VPT)."
    )


def test_negations_over_what_is_given_and_what_earlier_work_does(verifier):
    p = Paper(
        "negs00000002",
        "CauseNet",
        "Existing research uses clause selection methods to locate the reason utterance, without "
        "providing a detailed explanation of the causes. In contrast to existing approaches "
        "that mainly derive features in the image space, CauseNet captures features in latent "
        "shape spaces. Under CauseNet, each agent selects responses without requiring costly "
        "inter-agent exchanges.",
        "test",
        17,
    )
    for claim in (
        "Clause selection methods locate the reason utterance but give no detailed explanation "
        "of the causes.",
        "CauseNet does not derive its features mainly in the image space, unlike existing "
        "approaches.",
        "Agents in CauseNet do not need to exchange costly messages with each other.",
    ):
        v = check(verifier, claim, p)
        assert v.verdict == SUPPORTED, (claim, v.reason)
    claim = "Existing research provides a detailed explanation of the causes."
    assert check(verifier, claim, p).verdict == CONTRADICTED
    ws = scope.words("It works without providing a detailed explanation.")
    assert [w.text for w in ws if w.negated] == ["providing", "detailed", "explanation"]
    ws = scope.words("They do not explain the drop.")
    assert [w.text for w in ws if w.negated] == ["explain"]


def test_a_swapped_head_of_an_operation_is_an_unnamed_term(verifier):
    """'called equilibrium distillation' where the passage has only 'equilibrium propagation':
    the qualifier is stated, the operation is not. Before the participle rule the verb
    ('called', 'adopted') was read as a qualifier and flagged such claims by chance (and faithful
    ones with them); the head of an operation is now checked itself. A head that names a carrier
    ('process', 'algorithm', 'layer') may be added by a paraphrase."""
    p = Paper(
        "ripple000001",
        "RippleNet: local credit assignment for deep pipelines",
        "We introduce RippleNet, a local learning rule inspired by equilibrium propagation. "
        "Its modules are grouped by unsupervised clustering before training, and it reaches "
        "higher accuracy than end-to-end backpropagation on four benchmarks.",
        "test",
        0,
    )
    for claim in (
        "Its learning rule is called equilibrium distillation.",
        "RippleNet has adopted unsupervised regression to group its modules.",
        "The modules are grouped by unsupervised pruning before training.",
    ):
        v = check(verifier, claim, p)
        assert v.verdict == UNSUPPORTED and "is not named" in v.reason, (claim, v.reason)
    for claim in (
        "Its local learning rule is called equilibrium propagation.",
        "RippleNet has adopted unsupervised clustering to group its modules before training.",
        "RippleNet groups its modules with an unsupervised clustering algorithm.",
        "Its training process groups the modules by unsupervised clustering.",
    ):
        v = check(verifier, claim, p)
        assert v.verdict == SUPPORTED, (claim, v.reason)


def test_a_qualifier_swapped_before_the_same_noun_is_an_unnamed_term(verifier):
    """'sonar images' where the passage images by radar only, though it names sonar elsewhere:
    the passage's noun takes another qualifier in the sentence saying the same thing, and never
    the claim's. A paraphrase keeping the qualifier near its noun ('images from radar'), a word
    of the same family ('text' for 'textual') or a noun the passage qualifies in no one way
    stays supported."""
    p = Paper(
        "tideway00001",
        "Tideway: coastal mapping from the air",
        "We present Tideway, a mapper that segments shorelines in radar images captured by "
        "pre-trained drone models. A sonar survey of the same bay serves only as a reference. "
        "Tideway aligns textual reports with radar images in a shared space.",
        "test",
        0,
    )
    for claim in (
        "Tideway segments shorelines in sonar images captured by drones.",
        "Tideway segments shorelines using images from pre-trained satellite models.",
    ):
        v = check(verifier, claim, p)
        assert v.verdict == UNSUPPORTED and "is not named" in v.reason, (claim, v.reason)
        assert "which says" in v.reason, v.reason
    for claim in (
        "Tideway segments shorelines in radar images captured by pre-trained drone models.",
        "Tideway segments shorelines in images from radar taken by drones.",
        "Tideway aligns text reports with radar images in a shared space.",
        "A sonar survey of the bay is used only as a reference for Tideway.",
    ):
        v = check(verifier, claim, p)
        assert v.verdict == SUPPORTED, (claim, v.reason)


def test_an_acronym_is_checked_against_the_expansion_the_passage_gives():
    """The passage names 'vision prompt learning' VPT; a claim calling it VPL names nothing
    there, though the words spell VPL. An acronym the passage spells out without naming it
    otherwise still counts."""
    idx = ct.NameIndex(
        "We compare language prompt learning (LPT) with vision prompt learning (VPT) "
        "and study mixture of experts routing."
    )
    assert idx.has("VPT") and idx.has("LPT")
    assert not idx.has("VPL")
    assert idx.has("MoE")


def test_a_name_index_given_the_definitions_reads_as_one_that_finds_them():
    """The verifier hands NameIndex the acronym definitions it has already read from the same
    text: the index must answer as one that read them itself."""
    text = (
        "We compare language prompt learning (LPT) with vision prompt learning (VPT) "
        "and study mixture of experts routing."
    )
    own, given = ct.NameIndex(text), ct.NameIndex(text, ct.acronym_definitions(text))
    assert given.named_as == own.named_as
    for name in ("VPT", "LPT", "VPL", "MoE", "LPL"):
        assert given.has(name) == own.has(name)
    assert not given.has("VPL") and given.has("VPT")


def test_a_name_built_from_the_words_states_the_qualifier_with_its_noun(verifier):
    """'the automatic arena' for a passage whose arena is named 'RoboAutoArena' and which
    elsewhere names another arena ('Open Chess Arena'): the name puts 'auto' with 'arena', so
    the pair is stated; a qualifier the name does not hold ('tabletop arena') is still a rival."""
    p = Paper(
        "roboarena001",
        "RoboAutoArena: ranking robot policies",
        "Inspired by the Open Chess Arena's format, we build RoboAutoArena, a platform that "
        "ranks robot policies through simulated matches without human referees. Its rankings "
        "agree with expert referees on most matches.",
        "test",
        0,
    )
    v = check(
        verifier, "The automatic arena for robot policies ranks them without human referees.", p
    )
    assert v.verdict == SUPPORTED, v.reason
    v = check(
        verifier, "The tabletop arena for robot policies ranks them without human referees.", p
    )
    assert v.verdict == UNSUPPORTED and "is not named" in v.reason, v.reason
