"""List questions that join several concepts: each concept must be in a listed paper."""

from __future__ import annotations

import re

from rag.answer import concepts as concepts_module
from rag.answer.concepts import _camel_has, concepts, definitions
from rag.answer.contribution import contribution_object
from rag.answer.neighbours import WORD_NEAR, opposite, paper_words, word_vectors
from rag.answer.question import analyze

LORA_PAPERS = {"32c1a3c5ef4b", "aac3aa3a4bef"}  # LoRA, not federated (ThanoRA, LoRASculpt)
FEDERATED_NO_LORA = {"4243c26c64a1", "5f55984b7b45", "c7788fbd4078", "9d6f994a7a31"}
FEDGALORE, FED_MEDLORA = "ee0ff02f2bf0", "e936896dc94a"
CLINRAGEN, HIPPO = "8b10a44ae2c9", "33add787668b"


def test_a_request_splits_into_its_concepts_and_their_alternatives():
    assert concepts("adapt LoRA to federated learning") == [["LoRA"], ["federated learning"]]
    assert concepts("use LoRA for summarization") == [["LoRA"], ["summarization"]]
    assert concepts("emotion or empathy in conversations") == [
        ["emotion", "empathy"],
        ["conversations"],
    ]
    assert concepts("combine graphs with text") == [["graphs"], ["text"]]
    # one concept stays one, however many words it has
    assert concepts("LLM-based multi-agent systems") == [["LLM-based multi-agent systems"]]
    # pieces that name nothing of their own, or the whole field, are no concept
    assert concepts("use LoRA in several models") == [["LoRA"]]
    assert concepts("apply machine learning to mental health") == [["mental health"]]
    # "protect X from Y", "remove X from Y": the verb names no concept, "from" joins two
    assert concepts("protect multimodal LLMs from poisoned fine-tuning data") == [
        ["multimodal LLMs"],
        ["poisoned fine-tuning data"],
    ]
    assert concepts("remove private information from a trained model") == [["private information"]]
    # a word right before an article is a verb, whichever verb it is; "against" joins two
    assert concepts("mitigate the bias of LLM judges") == [["bias of LLM judges"]]
    assert concepts("harden an LLM against jailbreaks") == [["LLM"], ["jailbreaks"]]
    # "the area / field of X" is X; a word such as "domain" or "context" elsewhere stays
    assert concepts("use LLMs in the field of law") == [["LLMs"], ["law"]]
    assert concepts("domain adaptation for LLMs") == [["domain adaptation"], ["LLMs"]]
    assert concepts("in-context learning") == [["in-context learning"]]
    # a word standing for a noun said before names nothing: "into one", "a simpler one"
    assert concepts("merge several fine-tuned models into one") == [["several fine-tuned models"]]


def test_an_acronym_is_found_where_a_text_defines_it_and_inside_names():
    text = "Low-Rank Adaptation (LoRA) is widely used. Mixture of experts (MoE) routes tokens."
    assert definitions("LoRA", [text]) == ["Low Rank Adaptation"]
    assert definitions("MoE", [text]) == ["Mixture of experts"]
    assert definitions("LoRA", ["We tune adapters (see LoRA)."]) == []
    assert _camel_has("LoRA", "Fed-MedLoRA transmits only adapters")
    assert _camel_has("LLM", "unlearning in MLLMs.")
    assert not _camel_has("FL", "fewer FLOPs")
    assert not _camel_has("LoRA", "GaLore-style optimization")


def test_issue_example_lists_the_papers_that_adapt_lora_to_federated_learning(assistant):
    ans = assistant.ask("Which papers adapt LoRA to federated learning?")
    assert not ans.abstained
    cited = [c.paper_id for c in ans.citations]
    assert cited[0] == FEDGALORE and FED_MEDLORA in cited  # Fed-MedLoRA: low-rank adapters
    assert not set(cited) & (LORA_PAPERS | FEDERATED_NO_LORA)
    assert ans.answer.startswith(f"{len(cited)} papers match")


def test_which_of_them_follows_the_earlier_lists_papers_only(assistant):
    first = assistant.ask("Which papers adapt LoRA to federated learning?")
    ans = assistant.chat("Which of them are applied to medicine?", history=[first])
    assert [c.paper_id for c in ans.citations] == [FED_MEDLORA]
    assert ans.answer.startswith("Of the 2 papers on")
    none = assistant.chat("And which of them use graph data?", history=[first])
    assert not none.abstained and not none.citations
    assert re.match(r"None of the 2 papers on .*LoRA.* mentions graph data\.", none.answer)


def test_concepts_no_paper_joins_say_which_is_missing(assistant):
    ans = assistant.ask("Which papers apply diffusion models to federated learning?")
    assert ans.abstained and not ans.citations
    assert re.search(
        r"none of the \d+ retrieved papers on federated learning mentions diffusion models",
        ans.answer,
    )


def test_single_words_the_embedding_model_puts_close_stand_for_each_other(assistant):
    words = word_vectors(assistant.embedder)
    assert words.nearest("medical", ("model", "clinical", "federated")) >= WORD_NEAR
    assert words.nearest("medical", ("healthcare",)) >= WORD_NEAR
    # words of the same field that name another thing stay out
    for a, b in [("medical", "model"), ("federated", "decentralized"), ("LoRA", "LLaMA")]:
        assert words.nearest(a, (b,)) < WORD_NEAR, (a, b)
    # a word and its opposite by a negating prefix embed close, and are no neighbours
    assert opposite("unlearning", "learns") and opposite("safer", "unsafe")
    assert not opposite("medical", "clinical")
    assert words.nearest("unlearning", ("learns", "model")) < 0.5
    assert paper_words("Non-IID data in Fed-MedLoRA.") == (
        "non-iid",
        "non",
        "iid",
        "data",
        "fed-medlora",
        "fed",
        "medlora",
    )


def test_a_paper_that_says_a_concept_in_other_words_holds_it(assistant, monkeypatch):
    # ClinRaGen distils for disease diagnosis in healthcare, never writing "medical"
    question = "Which papers use distillation for a medical task?"
    ans = assistant.ask(question)
    assert [c.paper_id for c in ans.citations] == [CLINRAGEN]
    assert ans.answer.startswith("1 paper match")
    # without its word neighbours it is only the nearest paper
    monkeypatch.setattr(concepts_module, "WORD_NEAR", 1.01)
    ans = assistant.ask(question)
    assert [c.paper_id for c in ans.citations] == [CLINRAGEN]
    assert re.match(
        r"None of the \d+ retrieved papers on distillation mentions medical task "
        r"in these words; the nearest:",
        ans.answer,
    )


def test_a_paper_nearest_to_holding_every_concept_is_listed_as_the_nearest(assistant):
    # HIPPO is "hybrid-modal": no word of it is "multimodal", nor close enough to it
    ans = assistant.ask("Which papers train multimodal models with preference optimization?")
    assert not ans.abstained and ans.citations[0].paper_id == HIPPO
    assert re.match(
        r"None of the \d+ retrieved papers on multimodal models mentions preference "
        r"optimization in these words; the nearest:",
        ans.answer,
    )


def test_the_kind_of_paper_named_before_the_noun_is_a_concept_of_the_list():
    fed = analyze("Which federated learning papers back their approach with theoretical analysis?")
    assert fed.is_list
    assert concepts(fed.topic) == [["theoretical analysis"], ["federated learning"]]
    med = analyze("Which medical or clinical papers build an attention mechanism?")
    assert med.is_list and concepts(med.topic) == [["attention mechanism"], ["medical", "clinical"]]
    # a word that names no kind of paper adds no concept
    recent = analyze("Which recent papers study machine unlearning?")
    assert recent.is_list and recent.topic == "machine unlearning"
    assert analyze("Which research papers study machine unlearning?").topic == "machine unlearning"
    assert analyze("Which medical research papers use LoRA?").topic == "LoRA in medical"
    assert analyze("Which abstracts involve GPT-4o?").is_list
    # not lists: a pick between two, a method that works, a question about what papers say
    assert not analyze("Which paper reports more accuracy: A or B?").is_list
    assert not analyze("Which method works best for LoRA?").is_list
    assert not analyze("What do papers say about LoRA?").is_list


def test_which_federated_learning_papers_use_lora(assistant):
    # the kind of paper before the noun or after it ("papers on X"): 8 papers were listed for
    # "papers on federated learning use LoRA", read as one concept
    for q in (
        "Which federated learning papers use LoRA?",
        "Which papers on federated learning use LoRA?",
    ):
        ans = assistant.ask(q)
        assert {c.paper_id for c in ans.citations} == {FEDGALORE, FED_MEDLORA}, q
        assert ans.answer.startswith("2 papers match “LoRA in federated learning”")
    on = analyze("Which papers about LLM agents use reinforcement learning?")
    assert concepts(on.topic) == [["reinforcement learning"], ["LLM agents"]]
    # no verb after the kind: one request as before
    assert analyze("Which papers on LoRA are federated?").topic == "LoRA are federated"
    # "medicine": ClinRaGen's "healthcare" is at 0.72 from it
    ans = assistant.ask("Which papers in medicine use distillation?")
    assert [c.paper_id for c in ans.citations] == [CLINRAGEN]


def test_a_single_concept_list_keeps_papers_that_say_it_in_other_words(assistant):
    ans = assistant.ask("Which papers use knowledge distillation?")
    cited = {c.paper_id for c in ans.citations}
    assert {"2d28ec161687", "935c7a827b64", "8b10a44ae2c9"} <= cited


def test_a_one_concept_list_needs_its_head_word_when_the_on_topic_test_is_unsure(assistant):
    # MoodAngels shares "machine" with the request and passes the on-topic test barely
    ans = assistant.ask("What work is there on machine unlearning?")
    cited = {c.paper_id for c in ans.citations}
    assert {"a0114bf9ae90", "aa8decd43dfb", "4a9061304197"} <= cited
    assert "f18d22164350" not in cited


def test_the_llm_path_says_the_same_without_asking_the_model(seed_store):
    from rag.assistant import Assistant
    from rag.config import get_settings
    from tests.fake_openai import FakeOpenAI

    with FakeOpenAI() as fake:
        settings = get_settings(store=seed_store, llm_base_url=fake.url, llm_model="fake-model")
        ans = Assistant(settings).ask(
            "Which papers apply diffusion models to federated learning?", backend="llm"
        )
        assert ans.abstained and "mentions diffusion models" in ans.answer
        assert not fake.chat_requests()


def test_a_request_that_protects_one_thing_from_another_needs_both(assistant):
    # the other papers on the topic are on poisoning or fine-tuning, not of multimodal LLMs
    ans = assistant.ask("Which papers protect multimodal LLMs from poisoned fine-tuning data?")
    assert [c.paper_id for c in ans.citations] == ["be8bb34b5c14"]  # Believe Your Eyes


def test_a_paper_holding_every_concept_in_its_words_answers_without_the_gate(assistant):
    # the question's wording embeds far from every passage; AdLift holds "diffusion models"
    # and "security" (its "protecting" is near it) in its words
    ans = assistant.ask(
        "Which papers deal with diffusion models for security, such as spotting generated "
        "content or blocking unauthorized edits?"
    )
    assert not ans.abstained
    assert "4f32c86235aa" in [c.paper_id for c in ans.citations]  # AdLift


def test_a_contribution_with_its_purpose_needs_the_contribution_and_every_concept(assistant):
    ans = assistant.ask(
        "Which papers introduce a benchmark for how well large multimodal models understand "
        "video or code?"
    )
    cited = [c.paper_id for c in ans.citations]
    assert cited[:2] == ["896592127675", "1b11f7722196"]  # VideoAutoArena, ScratchEval
    # on-topic multimodal papers that introduce no benchmark are not listed (ThanoRA, UNITE)
    assert not {"32c1a3c5ef4b", "c94b8c195426"} & set(cited)
    assert contribution_object("introduce a benchmark for how well X understand video") == (
        "benchmark"
    )


def test_a_concept_no_retrieved_paper_words_asks_nothing_and_is_named(assistant):
    # "outside systems" is the asker's wording: no abstract says it (AR-Bench says "external
    # systems", EKTC "tool calling"); the papers on the rest are listed as the nearest, and the
    # answer says which words no paper uses
    ans = assistant.ask(
        "Which papers have language models call tools or interact with outside systems?"
    )
    assert ans.answer.startswith("No retrieved paper mentions outside systems in these words")
    assert {"722ea5a1b10d", "25169a79edca"} <= {c.paper_id for c in ans.citations}  # EKTC, AR-Bench
    # a concept that one retrieved paper words is asked of every paper, as before
    ans = assistant.ask("Which papers adapt LoRA to federated learning for protein design?")
    assert ans.abstained and "mentions protein design" in ans.answer


def test_a_contribution_told_of_is_a_contribution(assistant):
    from rag.answer.listing import contribution_object

    assert contribution_object("describe assembling a new dataset") == "dataset"
    assert contribution_object("report building a corpus of dialogues") == "corpus of dialogues"
    assert contribution_object("describe the brain") == ""
    ans = assistant.ask("Which papers report collecting a new dataset?")
    made = {"0da228b708b4", "722ea5a1b10d", "cf115066227d", "f18d22164350", "f5f798f4af7e"}
    assert not ans.abstained and len({c.paper_id for c in ans.citations} & made) >= 4


def test_a_paper_just_below_the_cut_holding_every_concept_in_its_words_is_listed(assistant):
    # MoodAngels (psychiatric diagnosis, "12.3% higher accuracy than GPT-4o") embeds a little
    # far from the wording but holds both concepts in its words
    ans = assistant.ask("Which medical papers compare their system against GPT-4o?")
    assert {"e936896dc94a", "f18d22164350"} <= {c.paper_id for c in ans.citations}


def test_a_one_concept_list_whose_head_no_retrieved_paper_says_lists_nothing(assistant):
    # no abstract says music (or a word near it); a paper on graph networks is not an answer
    ans = assistant.ask("What work is there on generating music with neural networks?")
    assert ans.abstained and not ans.citations


def test_papers_that_make_their_code_available_are_those_that_say_so(assistant):
    # 18 of the 50 abstracts link their code (17 on GitHub); releasing code is a property of a
    # paper, not its topic, so each is listed whatever it is about, with the sentence saying so
    linked = {p.paper_id for p in assistant.papers() if "github" in p.text.lower()}
    assert len(linked) >= 15
    for q in (
        "Which papers make their implementation publicly available?",
        "Which papers have publicly available code?",
    ):
        ans = assistant.ask(q)
        cited = {c.paper_id for c in ans.citations}
        assert not ans.abstained and len(cited & linked) >= len(linked) - 2, q
        for c in ans.citations:
            assert "code" in c.snippet.lower() or "github" in c.snippet.lower()


def test_a_property_is_what_a_sentence_of_the_paper_states():
    from rag.answer.properties import SOTA, THEORY, asked_property, only_property, states

    assert only_property("claim state-of-the-art results") is SOTA
    assert only_property("back their claims with mathematical analysis rather than experiments")
    assert asked_property("prove convergence") is THEORY and not only_property("prove convergence")
    assert asked_property("study theory of mind") is None  # a field's name, not a proof
    assert states(SOTA, "Experiments show that X achieves state-of-the-art performance.")
    assert states(SOTA, "Our method consistently outperforms eleven state-of-the-art methods.")
    assert not states(SOTA, "AdLift protects against state-of-the-art editing methods.")
    assert not states(SOTA, "It shows promising performance compared to state-of-the-art methods.")
    assert states(THEORY, "We derive an upper bound on the error, proving that it shrinks.")
    assert states(THEORY, "Our theoretical analysis shows that the estimate is unbiased.")
    assert not states(THEORY, "Multi-agent systems have proved effective for complex tasks.")
    from rag.answer.properties import TRAINING_FREE

    assert only_property("need no gradient updates or no training at all") is TRAINING_FREE
    assert states(TRAINING_FREE, "The population adapts to the task without any gradients.")
    assert not states(TRAINING_FREE, "It distils knowledge from GNNs without training data.")


def test_papers_claiming_the_state_of_the_art_are_those_whose_sentence_says_so(assistant):
    # a property of what a paper says of its results, not a topic: every paper with such a
    # sentence is listed whatever it is about, and the sentence leads its line
    from rag.answer.properties import SOTA, states

    says = {p.paper_id for p in assistant.papers() if states(SOTA, p.text)}
    assert len(says) >= 8
    ans = assistant.ask("Which papers claim state-of-the-art results?")
    cited = {c.paper_id for c in ans.citations}
    assert not ans.abstained and cited == says
    for c in ans.citations:
        assert states(SOTA, c.snippet)


def test_a_topic_with_a_property_keeps_the_on_topic_papers_stating_it(assistant):
    # FedGaLore's "with-high-probability robustness analysis" is theory in other words; the
    # federated papers without such a sentence are not listed
    ans = assistant.ask(
        "Which federated learning papers back their approach with theoretical analysis?"
    )
    assert {c.paper_id for c in ans.citations} == {"ee0ff02f2bf0", "9d6f994a7a31"}


def test_a_count_asked_is_a_count_a_sentence_states():
    from rag.answer.properties import UNSEEN, count_property, only_property, states

    ten = count_property("run their experiments on ten or more datasets or benchmarks")
    assert ten is not None and only_property("run experiments on ten or more datasets") is not None
    assert states(ten, "Empirical results on 12 benchmarks validate the analysis.")
    # a list of counts of one noun is summed; a percentage counts nothing
    assert states(ten, "Experiments on six homophilic and five heterophilic graph datasets.")
    assert not states(ten, "Experiments on seven datasets and six PFT variants.")
    assert not states(ten, "It gains 16.00% on three datasets.")
    more = count_property("cover more than five languages")
    assert more is not None and states(more, "It covers 6 languages.")
    assert not states(more, "It covers five languages.")
    assert count_property("use LoRA in federated learning") is None
    assert states(UNSEEN, "It generalizes to novel views.")
    assert not states(UNSEEN, "It is evaluated on three standard benchmarks.")


def test_papers_with_ten_or_more_datasets_are_those_that_count_them(assistant):
    ans = assistant.ask("Which papers run their experiments on ten or more datasets or benchmarks?")
    # 12 datasets, 12 benchmarks, six + five graph datasets; not LP-FT's seven
    assert {c.paper_id for c in ans.citations} == {"8e23ee2d89db", "f0d81edd3971", "c7788fbd4078"}


def test_which_approaches_and_methods_lead_a_list_as_papers_do():
    assert analyze("Which approaches need no training at all?").topic == "need no training at all"
    assert analyze("Which methods adapt LoRA to federated learning?").topic == (
        "adapt LoRA to federated learning"
    )


def test_a_list_asked_in_another_frame_has_the_same_topic():
    for q in (
        "Can you list papers about machine unlearning?",
        "Show me papers on machine unlearning",
        "Name the papers that study machine unlearning.",
        "Tell me which papers study machine unlearning.",
        "What are the papers that study machine unlearning?",
        "Are any of the papers about machine unlearning?",
        "Do any papers study machine unlearning?",
        "Give me all papers on machine unlearning, please.",
        "List all the work on machine unlearning.",
        "I need papers on machine unlearning.",
        "Which research addresses machine unlearning?",
        "Which of these abstracts study machine unlearning?",
    ):
        a = analyze(q)
        assert (a.kind, a.topic) == ("list", "machine unlearning"), q
    # about the earlier papers, or about one paper: not a new list
    follow = analyze("Do any of these papers use LoRA? (Which papers study unlearning?)")
    assert follow.restrict and follow.topic == "LoRA"
    # the earlier question of a follow-up is read the same way
    after = analyze("Which of them use LoRA? (Can you list papers about federated learning?)")
    assert after.restrict and after.context_topic == "federated learning"
    assert analyze("Find the paper that proposes For-Value.").kind != "list"


def test_a_number_before_a_noun_that_is_not_counted_stays_a_topic():
    from rag.answer.properties import count_property

    assert count_property("combine two or more modalities") is None  # multimodal work
    assert count_property("evaluate on at least three model sizes") is not None
    assert count_property("use more than one model") is None  # several, not a count
    assert count_property("evaluate on two or more datasets") is None


def test_a_property_named_as_an_adjective_of_the_topic_asks_for_no_evidence():
    from rag.answer.properties import SOTA, UNSEEN, asked_property

    # what a paper uses or works on, not what it claims or is tested on
    assert asked_property("improve state-of-the-art LLMs for medicine") is None
    assert asked_property("zero-shot classification") is None
    assert asked_property("use proven techniques") is None
    assert asked_property("report state-of-the-art performance in multimodal") is SOTA
    assert asked_property("generalize to unseen domains in medical imaging") is UNSEEN
    assert analyze("Does any paper study machine unlearning?").kind == "yesno"


def test_a_topic_with_code_keeps_the_on_topic_papers_whose_code_is_out(assistant):
    # of the federated-learning papers only RAHFL and EPEAgent link their code; each line
    # starts with the sentence that says so
    from rag.answer.contribution import states_code

    for q in (
        "Which federated learning papers release their code?",
        "Which papers on federated learning make their code available?",
    ):
        ans = assistant.ask(q)
        assert {c.paper_id for c in ans.citations} == {"4243c26c64a1", "f5f798f4af7e"}, q
        for c in ans.citations:
            assert states_code(c.snippet.split(" … ")[0])
    assert assistant.ask("Which music generation papers release their code?").abstained
