"""List questions that join several concepts: each concept must be in a listed paper."""

from __future__ import annotations

import re

from rag.answer.concepts import _camel_has, concepts, definitions

LORA_PAPERS = {"32c1a3c5ef4b", "aac3aa3a4bef"}  # LoRA, not federated (ThanoRA, LoRASculpt)
FEDERATED_NO_LORA = {"4243c26c64a1", "5f55984b7b45", "c7788fbd4078", "9d6f994a7a31"}
FEDGALORE, FED_MEDLORA = "ee0ff02f2bf0", "e936896dc94a"


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


def test_a_paper_that_says_a_concept_in_other_words_is_listed_as_the_nearest(assistant):
    # ClinRaGen distils for disease diagnosis, never writing "medical"
    ans = assistant.ask("Which papers use distillation for a medical task?")
    assert not ans.abstained
    assert [c.paper_id for c in ans.citations] == ["8b10a44ae2c9"]
    assert re.match(
        r"None of the \d+ retrieved papers on distillation mentions medical task "
        r"in these words; the nearest:",
        ans.answer,
    )


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
