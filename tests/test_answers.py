"""Question-aware answers: the analysis of a question (kind, parts, list topic), answers that
state what was asked for each part, complete list answers cut by the on-topic test, a plain
"none of them" for a follow-up nothing answers, and the LLM prompt built from the same analysis
(through the OpenAI-wire fake server)."""

from __future__ import annotations

import re

import pytest

from rag.answer.evidence import continues, cue_score, is_problem_statement
from rag.answer.question import analyze, list_topic, part_kind, split_parts
from rag.assistant import Assistant
from rag.config import get_settings
from tests.fake_openai import FakeOpenAI, Reply


# --- the analysis: pure text rules, on questions written for this test ------------------------
@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Why do transformers struggle with very long inputs?", "reason"),
        ("According to the survey, why is labelled data scarce?", "reason"),
        ("How many languages does the corpus cover?", "quantity"),
        ("What share of the answers were judged correct?", "quantity"),
        ("What is the new benchmark for code repair called?", "name"),
        ("On which datasets was the parser evaluated?", "name"),
        ("What did the ablations show about the memory module?", "finding"),
        ("Does pruning hurt robustness to noise?", "yesno"),
        ("Can small models learn to plan from demonstrations?", "yesno"),
        ("How can retrieval be made robust to adversarial passages?", "method"),
        ("Is there a method that compresses KV caches without retraining?", "method"),
        ("Which papers study protein design?", "list"),
        ("What work is there on speech synthesis?", "list"),
        ("How do the two pruning methods differ in what they remove?", "comparison"),
        # a leading setting does not hide what is asked
        ("In the speech model, how are accents turned into features?", "method"),
        ("For the graph method, how does it handle missing edges?", "method"),
    ],
)
def test_kind_of_answer_wanted(question, kind):
    assert analyze(question).kind == kind


def test_compound_question_splits_where_each_side_is_a_question():
    q = "What is the speech benchmark called, and how many speakers does it cover?"
    a = analyze(q)
    assert a.kind == "compound" and a.compound
    assert [p.text for p in a.parts] == [
        "What is the speech benchmark called?",
        "How many speakers does it cover?",
    ]
    assert [p.kind for p in a.parts] == ["name", "quantity"]
    assert a.parts[1].target == "speakers"  # the noun the number must come with
    # "and" inside one question does not split it
    assert split_parts("How do images and text interact in the model?") == [
        "How do images and text interact in the model?"
    ]
    # a leading clause that is not itself a question does not split either
    assert len(split_parts("Besides speed, what else does the cache improve?")) == 1
    # "How many X and how many Y" is two questions
    assert len(split_parts("How many users and how many items does the dataset have?")) == 2
    # "..., and why?" asks for the reason of the first question's answer
    a = analyze("Does caching slow down training, and why?")
    assert [(p.kind, p.text) for p in a.parts] == [
        ("yesno", "Does caching slow down training?"),
        ("reason", "Why does caching slow down training?"),
    ]
    assert analyze("Which papers use caching, and why?").is_list  # a list stays a list


def test_list_questions_name_their_topic_and_follow_ups_their_scope():
    assert list_topic("Which papers use knowledge distillation?") == "knowledge distillation"
    assert list_topic("What work is there on machine unlearning?") == "machine unlearning"
    # the other ways a reader asks for a list
    for q, topic in [
        ("Any papers that use clustering?", "clustering"),
        ("Papers on robustness?", "robustness"),
        ("Papers using data augmentation?", "using data augmentation"),
        ("I'm looking for papers that study machine unlearning.", "machine unlearning"),
        ("Which of the papers compare against GPT-4o?", "compare against GPT-4o"),
        ("Are there papers on LoRA? Which ones?", "LoRA"),
    ]:
        a = analyze(q)
        assert a.is_list and a.topic == topic, q
    a = analyze("Which of them use LoRA? (Which papers study LLM-based multi-agent systems?)")
    assert a.is_list and a.restrict
    assert a.topic == "LoRA" or a.topic.endswith("LoRA")
    assert a.context_topic == "LLM-based multi-agent systems"
    assert "every source" in a.instructions()
    assert "1. What is" in analyze("What is X called, and how large is it?").instructions()


def test_named_examples_of_a_list_topic_are_its_parts():
    from rag.answer.listing import example_parts

    assert example_parts("methods from biology, such as evolution or immune systems") == [
        "methods from biology, such as evolution or immune systems",
        "methods from biology",
        "evolution",
        "immune systems",
    ]
    # an "or" without examples stays one request
    assert example_parts("sparsity in updates or features") == ["sparsity in updates or features"]


def test_cues_see_the_kind_of_sentence():
    assert cue_score("This fails because the cache grows linearly with length.", "reason") > 0
    assert cue_score("The cache is stored on the GPU.", "reason") == 0
    with_target = cue_score("It covers 225 speakers and 14,370 utterances.", "quantity", "speakers")
    without = cue_score("It improves accuracy by 4 points.", "quantity", "speakers")
    assert with_target > without > 0
    assert cue_score("We call the benchmark VoxBench.", "name", asked=set()) > 0
    assert cue_score("We propose a new benchmark.", "name", asked=set()) == 0
    assert is_problem_statement("However, existing methods struggle with long inputs.")
    assert continues("However, existing methods struggle.", "This is because memory is scarce.")
    assert part_kind("Why is it slow?") == "reason"
    # why something is wrong: the target says so, and a sentence saying what is wrong counts,
    # a "to address this, we propose" does not (it is why the method exists)
    why_hard = analyze("Why is labelling medical images hard?").parts[0]
    assert why_hard.target == "problem"
    assert analyze("Why does the model use two encoders?").parts[0].target == ""
    lack = "Yet experts are scarce in rural clinics, and labels are costly."
    assert cue_score(lack, "reason", "problem") > cue_score(lack, "reason", "")
    ours = "To address this, we propose a labelling tool."
    assert cue_score(ours, "reason", "problem") < cue_score(ours, "reason", "")
    assert cue_score("It converges faster by sharing the encoder.", "reason") > 0  # by + gerund
    # a yes/no question is settled by a sentence that asserts, more than by one that describes
    asserts = cue_score("We prove that there is an upper bound on merging.", "yesno")
    assert asserts > cue_score("The module uses a merging strategy.", "yesno")


# --- answers over the bundled abstracts --------------------------------------------------------
def test_compound_answer_covers_every_part(assistant):
    ans = assistant.ask(
        "What is the benchmark for robust voice cloning called, and how many speakers does it "
        "cover?"
    )
    assert not ans.abstained
    assert "RVCBench" in ans.answer and "225 speakers" in ans.answer
    assert {c.paper_id for c in ans.citations} == {"0a03a64b0ce1"}


def test_why_question_gets_the_reason_not_only_the_problem(assistant):
    ans = assistant.ask("Why is protecting the parameters of earlier tasks often impractical?")
    assert "increases linearly with the number of tasks" in ans.answer


def test_single_paper_answer_is_short_and_cites_one_paper(assistant):
    ans = assistant.ask("What is the open synthetic psychiatric dataset released with it called?")
    assert not ans.abstained
    words = len(re.sub(r"\[\d+\]", "", ans.answer).split())
    assert words <= 160  # about 90 words: the last sentence may run past the budget
    assert len({c.paper_id for c in ans.citations}) == 1


def test_list_answer_lists_every_on_topic_paper_one_line_each(assistant):
    ans = assistant.ask("Which papers are set in federated learning?")
    assert not ans.abstained
    cited = {c.paper_id for c in ans.citations}
    gold = {
        "4243c26c64a1",
        "5f55984b7b45",
        "9d6f994a7a31",
        "c7788fbd4078",
        "e936896dc94a",
        "ee0ff02f2bf0",
        "f5f798f4af7e",
    }
    assert len(cited & gold) >= 6 and len(cited - gold) <= 1  # more than a top-5 could hold
    lines = [ln for ln in ans.answer.splitlines() if ln.startswith("- ")]
    assert len(lines) == len(ans.citations)  # one line per paper, each with its citation
    assert all(re.search(r"\[\d+\]$", ln) for ln in lines)


def test_follow_up_that_no_paper_answers_says_so(assistant):
    first = assistant.ask("Which papers study LLM-based multi-agent systems?")
    ans = assistant.chat("And which of them use LoRA?", history=[first])
    assert not ans.abstained and not ans.citations
    assert re.match(r"None of the \d+ papers on .*multi-agent.* mentions LoRA\.", ans.answer)


def test_follow_up_keeps_the_papers_of_the_earlier_question_that_match(assistant):
    first = assistant.ask("Which papers apply machine learning to mental health?")
    ans = assistant.chat("Which of those analyse drawings made by children?", history=[first])
    assert [c.paper_id for c in ans.citations] == ["1b96e4160c8f"]
    # a list of one paper says more of it than one sentence, up to a single answer's length
    (line,) = [ln for ln in ans.answer.splitlines() if ln.startswith("- ")]
    assert line.count("[1]") >= 2 and len(line.split()) <= 160


def test_list_question_is_answered_when_an_on_topic_paper_holds_its_words(assistant):
    # the wording "Which papers involve ..." embeds far from every passage (the gate alone
    # abstains), but on-topic papers contain "diffusion models"
    ans = assistant.ask("Which papers involve diffusion models?")
    assert not ans.abstained and len(ans.citations) >= 2
    assert all("diffusion" in c.paper.text.lower() for c in ans.citations)


def test_comparison_answers_each_side_from_its_own_paper(assistant):
    a = analyze("Which is faster: the pruned encoder or the distilled one?")
    assert a.kind == "comparison" and a.sides == ["the pruned encoder", "the distilled one"]
    assert analyze("How do pruning and quantization differ in memory use?").sides == [
        "pruning",
        "quantization",
    ]
    ans = assistant.ask(
        "Which gains more over its baselines on average: the Nash-equilibrium coordination of "
        "several LLMs or the model that reads tables both as text and as images?"
    )
    assert not ans.abstained
    assert {"64cf6d454e05", "33add787668b"} <= {c.paper_id for c in ans.citations}
    assert "11.2% on average" in ans.answer and "4% improvement" in ans.answer


def test_what_a_list_asks_the_papers_to_contribute():
    from rag.answer.contribution import contribution_object, states_contribution

    assert contribution_object("construct and release a new dataset") == "dataset"
    assert contribution_object("introduce a novel benchmark") == "benchmark"
    assert contribution_object("propose or study protein design") == ""  # "study" is not one
    assert contribution_object("use knowledge distillation") == ""
    # "make X (publicly) available" releases X; what prose calls code is asked as code
    assert contribution_object("make their implementation publicly available") == "code"
    assert contribution_object("make the source code open-source") == "code"
    assert contribution_object("make models safer") == ""
    said = "Building on prior corpora, we develop a new dataset of annotated dialogues."
    assert states_contribution("", said, "dataset")
    assert not states_contribution("", "We evaluate on three public datasets.", "dataset")
    # an object of alternatives is contributed when one of them is
    assert states_contribution("", said, "benchmark or dataset")
    assert not states_contribution("", said, "benchmark or toolkit")
    assert states_contribution("SpeechBench: a benchmark for ASR", "Nothing here.", "benchmark")
    assert states_contribution("", "Our code is publicly available online.", "code")
    assert not states_contribution("", "Models excel at code generation and repair.", "code")
    # code is out when a sentence says so or links to a code host, whatever the verb
    for said in (
        "The source code will be released upon acceptance.",
        "We release our implementation to the community.",
        "Our benchmark can be accessed at https://github.com/x/y .",
        "We have open-sourced the code on GitHub.",
        "Codes are available at https://example.org/z.",
    ):
        assert states_contribution("", f"We study X. {said}", "code"), said
    for said in (
        "Code generation models are publicly available to many users.",
        "The dataset is available at https://zenodo.org/record/1.",
        "An encoder is released with each model.",
    ):
        assert not states_contribution("", f"We study X. {said}", "code"), said
    # asked in other ways, code is still what is asked for; an adjective alone asks no other
    assert contribution_object("have publicly available code") == "code"
    assert contribution_object("their code released") == "code"
    assert contribution_object("release their code and data") == "code"
    assert contribution_object("share their code") == "code"
    assert contribution_object("public health") == ""
    assert contribution_object("use publicly available datasets") == ""


def test_a_list_of_contributions_keeps_the_papers_that_make_one(assistant):
    ans = assistant.ask("Which papers construct and release a new dataset?")
    cited = {c.paper_id for c in ans.citations}
    made = {"0da228b708b4", "722ea5a1b10d", "cf115066227d", "f18d22164350", "f5f798f4af7e"}
    assert len(cited & made) >= 4 and len(cited - made) <= 1
    for c in ans.citations:
        assert "dataset" in c.snippet.lower()


def test_broad_how_question_draws_on_several_papers(assistant):
    assert analyze("How do multi-agent LLM systems coordinate?").broad_topic == (
        "multi-agent LLM systems coordinate"
    )
    assert not analyze("Is there a method that prunes adapters?").broad_topic
    ans = assistant.ask("How can a model unlearn data without retraining?")
    cited = {c.paper_id for c in ans.citations}
    assert {"aa8decd43dfb", "a0114bf9ae90", "4a9061304197"} <= cited
    lines = [ln for ln in ans.answer.splitlines() if ln.startswith("- ")]
    assert len(lines) == len(ans.citations)  # one sentence per paper, each cited
    # a specific "how" question stays with its one paper
    one = assistant.ask(
        "How can 3D Gaussian Splatting assets be shielded against unauthorized text-instructed "
        "edits?"
    )
    assert [c.paper_id for c in one.citations] == ["4f32c86235aa"]


def test_yes_no_question_leads_with_the_sentence_that_asserts_it(assistant):
    from rag.answer.evidence import asserts

    assert analyze("In federated learning, does pruning hurt accuracy?").kind == "yesno"
    assert asserts("Experiments show that pruning keeps 98% of the accuracy.")
    assert asserts("There is an upper bound on how many models can be merged.")
    assert not asserts("We propose a pruning method that keeps accuracy.")
    assert not asserts("Results demonstrate the effectiveness of our method.")  # says nothing
    assert not asserts("We hope this work can shed light on future research.")
    ans = assistant.ask(
        "Does the automatic arena for judging video understanding agree with humans?"
    )
    assert ans.answer.startswith("Yes: ")  # the claim checker finds it stated
    first = ans.sentences[0].text
    assert "aligns with human judgment" in first


@pytest.mark.parametrize(
    ("question", "sides"),
    [
        (
            "What does the pruning method do differently from the distillation approach?",
            ["the pruning method", "the distillation approach"],
        ),
        (
            "How is the graph benchmark different from the video arena in how it judges?",
            ["the graph benchmark", "the video arena"],
        ),
        ("What distinguishes the merging study from the evolution framework?", None),
        ("Unlike the distilled student, how does the debate system reach answers?", None),
        ("How does the graph method, unlike the prompt study, handle skew?", None),
    ],
)
def test_comparison_phrasings_name_their_two_sides(question, sides):
    a = analyze(question)
    assert a.kind == "comparison" and len(a.sides) == 2
    if sides:
        assert a.sides == sides


@pytest.mark.parametrize(
    "question",
    [
        "What did the federated low-rank adaptation study for healthcare and the federated "
        "GaLore method each test on?",
        "In the federated LoRA paper for medicine and the GaLore-style federated fine-tuning "
        "paper, what data was used?",
    ],
)
def test_each_side_of_a_comparison_fits_the_paper_its_words_name(assistant, question):
    # "for medicine" is in the medical paper's title and abstract, not in the one sentence
    # closest to the side: the side is fitted to the whole paper as well
    ans = assistant.ask(question)
    assert {c.paper_id for c in ans.citations} == {"e936896dc94a", "ee0ff02f2bf0"}


@pytest.mark.parametrize(
    "question",
    [
        "Which datasets was the attention-decoupling fix for retrieval-augmented vision-language "
        "models evaluated on?",
        "What benchmarks were used to evaluate the method that keeps retrieved text from "
        "distracting an LVLM's visual attention?",
    ],
)
def test_where_a_work_was_evaluated_is_answered_by_the_sentence_naming_it(assistant, question):
    # the background sentence is closest to the wording; the answer names the datasets
    ans = assistant.ask(question)
    assert [c.paper_id for c in ans.citations] == ["952c7c774394"]
    assert ans.answer.startswith("Extensive experiments on OK-VQA, E-VQA, and InfoSeek")


def test_each_side_of_a_comparison_is_retrieved_on_its_own(assistant):
    # ProMedTS is not among the question's own top 5: its side's retrieval brings it in
    q = "How do SeLLa-Rec and ProMedTS each align another modality with an LLM?"
    assert "407c1c3f9ef5" not in {h.paper.paper_id for h in assistant.retrieve(q).hits}
    ans = assistant.ask(q)
    assert {c.paper_id for c in ans.citations} == {"395d34e1be7b", "407c1c3f9ef5"}


def test_how_each_does_it_is_told_by_its_own_work_not_its_problem(assistant):
    ans = assistant.ask(
        "How do the Bayesian-game coordination of LLMs and the distilled multi-agent debate "
        "framework each make multi-agent reasoning cheaper?"
    )
    first = ans.answer.split(" [", 1)[0]
    assert "incur heavy computational costs" not in first  # ECON's problem statement
    assert "without requiring costly inter-agent exchanges" in ans.answer


def test_a_bigger_improvement_is_answered_by_each_papers_result_number(assistant):
    # "the bigger improvement" compares results: the sentence with a number *and* a result
    # ("outperforms ... achieving gains of up to 54.8%"), not one with any number ("up to 40
    # LLMs")
    ans = assistant.ask(
        "Which reports the bigger improvement: the equilibrium-seeking coordination of several "
        "LLMs, or the evolution of a population of LLMs?"
    )
    assert {"64cf6d454e05", "8e23ee2d89db"} <= {c.paper_id for c in ans.citations}
    assert "11.2%" in ans.answer and "54.8%" in ans.answer


def test_each_side_of_a_comparison_gets_its_next_answering_sentence(assistant):
    # how each measures importance: ViKeR's entropy sentence and PerTA's Fisher sentence are
    # each their paper's second sentence for what is asked; they come before any context
    ans = assistant.ask(
        "In the key-token unlearning paper for MLLMs and the per-parameter task arithmetic "
        "paper, how is importance measured?"
    )
    assert {c.paper_id for c in ans.citations} == {"aa8decd43dfb", "a0114bf9ae90"}
    assert "information entropy" in ans.answer and "Fisher information" in ans.answer


def test_which_with_a_comparative_then_two_works_is_a_comparison():
    a = analyze(
        "Which gains more over its baselines, the game-theoretic coordination or the merging?"
    )
    assert a.kind == "comparison" and a.sides == ["the game-theoretic coordination", "the merging"]
    assert analyze("Which is faster, the pruned encoder or the distilled one?").kind == "comparison"
    # a list of alternatives stays a list
    assert analyze(
        "Which papers study federated learning, split learning or swarm learning?"
    ).is_list


def test_comparison_names_each_side_before_its_papers_sentence(assistant):
    ans = assistant.ask(
        "What does the backdoor-token defense do differently from the attention-entropy data "
        "filter?"
    )
    assert {"4a9061304197", "be8bb34b5c14"} <= {c.paper_id for c in ans.citations}
    assert ans.answer.startswith("The backdoor-token defense: ")
    assert "The attention-entropy data filter: " in ans.answer
    first = ans.answer.split(" [", 1)[0]
    assert "vulnerable" not in first and "predominant" not in first  # its work, not background


def test_off_topic_list_question_still_abstains(assistant):
    ans = assistant.ask("Which papers give recipes for sourdough bread?")
    assert ans.abstained and not ans.citations


# --- the LLM path: the same analysis in the prompt and in the sources --------------------------
@pytest.fixture(scope="module")
def fake():
    with FakeOpenAI() as f:
        yield f


@pytest.mark.slow
def test_llm_prompt_asks_for_every_part_and_lists_get_all_on_topic_sources(seed_store, fake):
    fake.reset()
    fake.script(Reply.text("RVCBench covers 225 speakers [1]."), Reply.text("Listed [1]."))
    a = Assistant(get_settings(store=seed_store, llm_base_url=fake.url, llm_model="fake-model"))
    a.ask(
        "What is the benchmark for robust voice cloning called, and how many speakers does it "
        "cover?",
        backend="llm",
    )
    user = fake.chat_requests()[0].body["messages"][-1]["content"]
    assert "answer each of them" in user
    assert "1. What is the benchmark for robust voice cloning called?" in user
    assert "2. How many speakers does it cover?" in user
    assert user.count("</source>") == 5

    ans = a.ask("Which papers are set in federated learning?", backend="llm")
    user = fake.chat_requests()[1].body["messages"][-1]["content"]
    assert "name every source" in user
    n = user.count("</source>")
    assert n == len(ans.sources) and n >= 6  # the on-topic papers, not a fixed top 5

    fake.script(Reply.text("Several ways [1] [2]."))
    ans = a.ask("How can a model unlearn data without retraining?", backend="llm")
    user = fake.chat_requests()[2].body["messages"][-1]["content"]
    assert "Several sources are about this" in user  # a broad "how": draw on each of them
    sent = user.count("</source>")
    assert sent >= 3 and sent == len(ans.sources)


# --- yes/no leads: the evidence must state the asked relation --------------------------------
@pytest.mark.parametrize(
    ("question", "sentence", "stance"),
    [
        ("Does the method need retraining?", "The method requires retraining the model.", 1),
        ("Does the method need retraining?", "It unlearns without any retraining.", -1),
        ("Does the method need retraining?", "We propose a training-free method.", -1),
        # a mention settles no requirement
        ("Does the method need retraining?", "It surpasses training-based methods.", 0),
        ("Can X be unlearned without retraining?", "We unlearn X with no retraining.", 1),
        ("Can X be unlearned without retraining?", "X requires retraining.", -1),
        ("Can X be unlearned without retraining?", "Existing methods require retraining.", 0),
        ("Does the method degrade accuracy?", "The method degrades accuracy slightly.", 1),
        ("Does the method degrade accuracy?", "The method improves accuracy by 3 points.", -1),
        ("Does pruning hurt accuracy?", "Pruning shows superiority in accuracy.", -1),
        ("Does pruning hurt accuracy?", "We evaluate pruning on five datasets.", 0),
        # a '-free' word before its noun says which method is meant, not what is asked
        ("Does the training-free pruner hurt accuracy?", "We propose a training-free pruner.", 0),
        ("Does the training-free pruner hurt accuracy?", "The pruner improves accuracy.", -1),
        ("Is the pruner training-free?", "We propose a training-free pruner.", 1),
    ],
)
def test_yes_no_stance_of_a_sentence_on_the_asked_relation(question, sentence, stance):
    from rag.answer.question import yes_no_statement
    from rag.answer.yesno import relations
    from rag.answer.yesno import stance as stance_of

    assert stance_of(relations(yes_no_statement(question)), sentence) == stance


def test_a_question_that_asks_no_relation_needs_a_sentence_restating_it():
    from rag.answer.yesno import covers

    claim = "the authors release their own evaluation data"
    assert covers(claim, "The authors release their own evaluation data on GitHub.")
    assert not covers(claim, "We then identify key challenges in developing the system.")


def test_yes_no_lead_needs_the_asked_relation_stated(assistant):
    # PerTA "surpasses training-based unlearning methods": that says nothing of retraining
    ans = assistant.ask("Does PerTA need retraining to unlearn data?")
    assert not ans.abstained
    assert [c.paper_id for c in ans.citations] == ["aa8decd43dfb"]
    assert not ans.answer.startswith(("Yes:", "No:"))
    # "beat training-based methods" is the direction the paper states: yes
    ans = assistant.ask(
        "Does reweighting the task vector per parameter ever beat training-based "
        "unlearning methods?"
    )
    assert ans.answer.startswith("Yes: ") and "surpasses" in ans.sentences[0].text


# --- a "how" question about one paper or a named method is not a broad one ------------------
@pytest.mark.parametrize(
    "question",
    [
        "How is it done in the paper that distills multi-agent debate into one model?",
        "How does PerTA rescale the task vector?",
        "How does the federated graph method deal with clients whose features differ?",
        "How can GPT-4o be made to refuse harmful prompts?",
        "How do multi-agent LLM systems coordinate in AgentArk?",
    ],
)
def test_how_question_pointing_at_one_work_is_not_broad(question):
    assert not analyze(question).broad_topic


def test_how_question_naming_a_method_stays_with_its_paper(assistant):
    broad = assistant.ask("How do multi-agent LLM systems coordinate?")
    assert len(broad.citations) >= 3  # an area: one line per paper
    one = assistant.ask("How do multi-agent LLM systems coordinate in AgentArk?")
    assert [c.paper_id for c in one.citations] == ["935c7a827b64"]
    assert "papers address this" not in one.answer


def test_finding_answer_leads_with_the_result_not_the_contribution(assistant):
    a = analyze(
        "What did the experiments find about the forward-only data valuation framework "
        "compared with gradient-based baselines?"
    )
    assert a.kind == "finding" and not a.sides  # its baselines are no second paper
    ans = assistant.ask(a.text)
    assert [c.paper_id for c in ans.citations] == ["c12fb4e5b77b"]
    assert ans.sentences[0].text.startswith("Extensive experiments show")


@pytest.mark.parametrize(
    ("question", "sides"),
    [
        (
            "In what ways do the pruning method and the distillation approach differ?",
            ["the pruning method", "the distillation approach"],
        ),
        (
            "Between the graph benchmark and the video arena, which relies on human raters?",
            ["the graph benchmark", "the video arena"],
        ),
        (
            "Is the table model or the coordination framework evaluated on more benchmarks?",
            ["the table model", "the coordination framework"],
        ),
        ("Which paper reports a bigger improvement: HIPPO or ECON?", ["HIPPO", "ECON"]),
        (
            "Contrast the backdoor-token defense with the attention-entropy filter.",
            ["the backdoor-token defense", "the attention-entropy filter"],
        ),
        (
            "How similar are the table model and the coordination framework?",
            ["the table model", "the coordination framework"],
        ),
        ("Which of the two unlearning methods reweights tokens rather than parameters?", []),
        # what each of two works did
        (
            "Explain how the erasure method and the moral judgment approach each use reasoning.",
            ["the erasure method", "the moral judgment approach"],
        ),
        (
            "The influence estimator for language and vision models and the backdoor filter each "
            "advertise something they do not need; what is it?",
            ["The influence estimator for language and vision models", "the backdoor filter"],
        ),
        (
            "What does each prove: the equilibrium coordination of LLMs, and the merging study?",
            ["the equilibrium coordination of LLMs", "the merging study"],
        ),
        ("Compare ViKeR and PerTA on what they weight during unlearning.", ["ViKeR", "PerTA"]),
        (  # a side named by its method is a work
            "How do SeLLa-Rec and ProMedTS each align another modality with an LLM?",
            ["SeLLa-Rec", "ProMedTS"],
        ),
        (
            "In the data valuation method and the LLM that cleans its own data, how is noise found?",
            ["the data valuation method", "the LLM that cleans its own data"],
        ),
        (
            "How were the voice-cloning benchmark and the video arena each evaluated?",
            ["the voice-cloning benchmark", "the video arena"],
        ),
        (
            "What did the merging study and the evolution framework each find?",
            ["the merging study", "the evolution framework"],
        ),
        (
            "In the table model and the coordination framework, how is accuracy measured?",
            ["the table model", "the coordination framework"],
        ),
        (
            "How do the table model and the coordination framework evaluate their models each?",
            ["the table model", "the coordination framework"],
        ),
        (
            "The pruning method versus the distillation approach: how does each shrink a model?",
            ["The pruning method", "the distillation approach"],
        ),
        (  # a work noun inside a side ("task") does not end it
            "In the token unlearning paper and the per-parameter task arithmetic paper, how is "
            "importance measured?",
            ["the token unlearning paper", "the per-parameter task arithmetic paper"],
        ),
        (  # "Both A and B <verb> ...:": side B ends where its verb starts
            "Both the lab-test model and the small rationale model combine time series with "
            "text: how do they differ?",
            ["the lab-test model", "the small rationale model"],
        ),
        (
            "Both the model for medicine and the graph method handle skew: how do they differ?",
            ["the model for medicine", "the graph method"],
        ),
    ],
)
def test_more_comparison_phrasings(question, sides):
    a = analyze(question)
    assert a.kind == "comparison" and a.sides == sides


@pytest.mark.parametrize(
    "question",
    [
        "How does the pruning method compare with existing approaches?",
        "How does the method differ from prior work?",
        "What does the defense do differently from standard fine-tuning?",
        "How do clients and servers share gradients in the federated method?",
        "How does the graph method deal with clients whose node features differ?",
        # "each" and "In A and B, ..." make two sides only when both name a work of their own
        "How do the clients and the server each update their weights?",
        "How did the two papers each measure speed?",
        "In federated learning and split learning, how are gradients shared?",
    ],
)
def test_one_paper_against_its_baselines_is_no_comparison(question):
    assert analyze(question).kind != "comparison"
