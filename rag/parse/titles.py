"""Readable titles for abstracts that come without one.

A title names what the paper introduces (its method, dataset or benchmark) and what it is for:
``MoodAngels: a multi-agent framework for mood disorder diagnosis``. When an abstract introduces
no name, the title is its topic, taken from the sentence that states what the paper does
(``we investigate ...``, ``we propose a new task, ...``), else from its first sentence.

Everything here is plain regular-expression work over sentence structure: it runs on hundreds of
thousands of abstracts, so no models and no lookup of particular papers.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from ..text import split_sentences

MAX_WORDS = 14  # a title longer than this is trimmed at a phrase boundary
MAX_CHARS = 140

# --- vocabulary ------------------------------------------------------------------------------
# verbs by which a paper puts something new forward
_INTRO_VERB = re.compile(
    r"\b(?:propos(?:e|es|ed|ing)|introduc(?:e|es|ed|ing)|present(?:s|ed|ing)?|"
    r"develop(?:s|ed|ing)?|design(?:s|ed|ing)?|build(?:s|ing)?|built|releas(?:e|es|ed|ing)|"
    r"construct(?:s|ed|ing)?|curat(?:e|es|ed|ing)|devis(?:e|es|ed|ing)|creat(?:e|es|ed|ing)|"
    r"put(?:s|ting)?\s+forward)\b",
    re.IGNORECASE,
)
# verbs that give a thing its name: "termed AdLift", "which we call X"
_NAMING = re.compile(
    r"\b(?:called|named|termed|dubbed|coined|(?:which\s+)?we\s+(?:call|name|term|dub)"
    r"(?:\s+(?:it|this|them))?)\s+",
    re.IGNORECASE,
)
# words before an intro verb that make it an adjective or someone else's work
_NOT_OURS_BEFORE = re.compile(
    r"\b(?:our|the|their|its|his|her|recently|previously|originally|widely|commonly|"
    r"newly|already|been|being|was|were|is|are|be|firstly|first)\s+$",
    re.IGNORECASE,
)
# objects of an intro verb that are not artifacts: "we propose that ...", "present evidence"
_NOT_ARTIFACT = re.compile(
    r"^(?:that|to|how|whether|why|what|evidence|results?|findings|here|it|them|this|these|"
    r"upon|on|in|into|with|from|by|at|as|our\s+(?:results|findings)|several|some|many|"
    r"future|further|new\s+insights?|insights?|an?\s+(?:overview|analysis|case)|"
    r"the\s+(?:results?|findings|first\s+evidence))\b",
    re.IGNORECASE,
)
# the subject that makes an intro verb the paper's own claim
_OUR_SUBJECT = re.compile(
    r"(?:\b(?:we|this\s+(?:paper|work|study|article|letter|report)|our\s+(?:paper|work|study)|"
    r"the\s+(?:paper|authors))(?:\s+\w+ly|\s+(?:also|further|then|first|here|now|thus|"
    r"therefore|additionally|finally))*\s+(?:\w+\s+)?|\bby\s+|\band\s+)$",
    re.IGNORECASE,
)
_HYPE = frozenset(
    """a an the novel new simple effective first straightforward general unified principled
    lightweight yet powerful innovative specialized comprehensive systematic our this
    efficient practical versatile flexible robust-yet elegant scalable holistic""".split()
)
_FILLER_ADVERBS = frozenset(
    """further explicitly specifically effectively seamlessly proactively significantly
    substantially systematically comprehensively also then first additionally""".split()
)
# acronyms of whole fields, model families and common techniques: never "the" name of a paper
_GENERIC_ACRONYMS = frozenset(
    """LLM LLMs VLM VLMs MLLM MLLMs LMM LMMs LVLM LVLMs SLM SLMs PLM PLMs LM LMs AI AGI NLP CV
    GNN GNNs CNN CNNs RNN RNNs DNN DNNs MLP MLPs RL DRL RLHF RLAIF DPO PPO SFT PEFT FL KD CL
    RAG SOTA GPU GPUs CPU TPU API APIs NLU NLG LoRA MoE QA VQA ML DL IoT MIL SAE SAEs ViT ViTs
    GPT BERT CLIP LLaMA LLaMa Llama T5 OOD IID non-IID MAS TTS ASR NER MT NMT OCR GAN GANs VAE
    VAEs NeRF 3DGS SNN SNNs EHR EHRs MRI fMRI CT PET EEG ECG DNA RNA mRNA COVID SARS-CoV-2 HIV
    USA UK EU US CoT ICL IR KG KGs GCN GCNs GAT SVM PCA KL MSE AUC ROC F1 BLEU ROUGE URL HTTP
    HTML JSON SQL GitHub HuggingFace GPT-4 GPT-4o GPT-3 GPT-3.5 ChatGPT TV VC""".split()
)
_MODEL_SIZES = frozenset("base large small mini tiny xl xxl turbo instruct chat v o pro".split())
_GENERIC_LOWER = frozenset(a.lower() for a in _GENERIC_ACRONYMS)
# head nouns that say what kind of thing, not what it is for
_GENERIC_HEADS = frozenset(
    """solution approach method methods framework model models system systems technique
    paradigm strategy mechanism tool pipeline architecture scheme algorithm module
    methodology""".split()
)
_PREPS = frozenset(
    """for of on in to with from into by via using across during under against between over
    through towards toward within without among upon at as based inspired""".split()
)
_END_STOP = frozenset(
    """which that followed of the and to in for by with a an on via from as at or its their
    our is are be was were this these both between into using through based inspired while
    whose where such also than designed aligned tailored comprising including leveraging
    enabling towards toward across during without within under over here usually often""".split()
)
# field acronyms readers know better in short form; other acronyms the abstract defines in
# lower case ("voice cloning (VC)") are spelled out in titles
_KEEP_SHORT = frozenset(
    """LLM LLMs VLM VLMs MLLM MLLMs LMM LMMs LVLM LVLMs SLM SLMs PLM PLMs LM LMs AI AGI NLP RL
    GNN GNNs CNN CNNs DNN DNNs RNN RNNs GPU GPUs API APIs QA VQA LoRA RAG MoE CoT RLHF DPO SFT
    PEFT GPT BERT ViT ViTs MRI CT EHR EHRs DNA RNA mRNA IoT NeRF OOD COVID HIV""".split()
)
_ANAPHORS = frozenset("this these those such it them they its their above aforementioned".split())
_DOUBLE_FINAL = frozenset(
    """embed transmit submit admit omit control refer prefer occur permit compel propel expel
    regret begin forget equip commit upset""".split()
)

# a name: letters and digits, possibly hyphenated, possibly ending in "+"
_TOKEN_NAME = re.compile(r"[A-Za-z0-9]+(?:[-–][A-Za-z0-9]+)*\+*")
_NUMBERISH = re.compile(r"\d[\d.,]*[A-Za-z]{0,3}|[IVXivx]+|\d+D", re.IGNORECASE)
# an acronym in parentheses: "(ViKeR)", "(LP-FT)", "(Collabs.)"
_PAREN_ACRO = re.compile(r"\(\s*([A-Za-z0-9][A-Za-z0-9\-–+]*\.?)\s*\)")
_PARENS = re.compile(r"\s*\([^()]*\)")
_NP_END = re.compile(
    r"\s*(?:[,;:](?=\s|$)|\()|\s(?:that|which|where|whereby|wherein|whose|while|whereas|by|through|thereby|"
    r"leveraging|utilizing|comprising|consisting|combining|integrating|incorporating|"
    r"enabling|allowing|and\s+(?:a|an|the)|including|such\s+as|e\.g\.|i\.e\.)\b"
)
_LEAD_CLAUSE = re.compile(
    r"^(?:in\s+this\s+(?:paper|work|study|article)|here|to\s+(?:this\s+end|address|tackle|bridge|"
    r"solve|overcome|fill|close|mitigate|remedy|alleviate|achieve|this)[^,]*|in\s+response[^,]*|"
    r"therefore|thus|accordingly|specifically|finally|furthermore|moreover|however|"
    r"additionally|in\s+addition|in\s+particular|motivated\s+by[^,]*|building\s+(?:on|upon)[^,]*|"
    r"inspired\s+by[^,]*|based\s+on[^,]*|nevertheless|nonetheless|recently|currently|"
    r"background|objective|objectives|purpose|aims?|introduction|context)\s*[,:]\s*",
    re.IGNORECASE,
)
_TOPIC_VERBS = re.compile(
    r"\b(?:this\s+(?:paper|work|study|article|review|survey|letter|report)|we|our\s+"
    r"(?:work|study|paper|analysis))\s+(?:\w+ly\s+)*(?:first\s+|also\s+|further\s+|then\s+)?"
    r"(investigates?|investigated|stud(?:y|ies|ied)|examines?|examined|explores?|explored|"
    r"analy[sz]es?|analy[sz]ed|reviews?|reviewed|surveys?|surveyed|revisits?|revisited|"
    r"characteri[sz]es?|characteri[sz]ed|address(?:es|ed)?|tackles?|tackled|focus(?:es|ed)?\s+on|"
    r"considers?|considered|assessed|evaluated|compared|measured|determined|quantified|"
    r"described|report(?:s|ed)?|(?:aim|aimed|seek|sought)\s+to\s+\w+)\s+(.*)",
    re.IGNORECASE,
)
_AIM = re.compile(
    r"\b(?:aim|aims|objective|purpose|goal)\s+of\s+(?:this|the\s+present|the|our)\s+"
    r"(?:study|work|paper|review|analysis|trial|research)\s+(?:was|is)\s+to\s+\w+\s+(.*)",
    re.IGNORECASE,
)
_NEW_TASK = re.compile(
    r"\b(?:a|an|the)\s+(?:\w+\s+){0,3}?(?:task|problem)\s*(?:,|:|--|—|–)\s*(.+)",
    re.IGNORECASE,
)
_SHOW_THAT = re.compile(
    r"\b(?:we|this\s+(?:paper|work|study))\s+(?:\w+ly\s+)?(?:show|demonstrate|find|report|"
    r"reveal|prove|establish)s?\s+that\s+(.*)",
    re.IGNORECASE,
)
_CONCEPT = re.compile(r"^(?:the\s+)?(?:concept|notion|idea)\s+of\s+(.*)", re.IGNORECASE)
_CLAUSE_CUT = re.compile(
    r"\s*(?:[,;:]|--|—|–|\s(?:that|which|where|whereby|who|whose|while|whereas|by|through|"
    r"using|thereby|so\s+that|in\s+order\s+to)\b|\s+and\s+(?:\w+ly\s+)?(?:observe|show|find|"
    r"demonstrate|propose|reveal|identify|present|introduce|provide|develop|discuss|conclude|"
    r"evaluate|analy[sz]e|compare|derive|establish|highlight|offer|achieve|obtain|report|"
    r"suggest|validate|conduct|release|then|found|showed|observed|demonstrated|identified|"
    r"revealed|used|performed|measured)\w*\b|\s+and\s+to\s)"
)
# section labels of structured abstracts: "BACKGROUND", "OBJECTIVE:", "[Purpose]"
_SECTION_LABEL = re.compile(
    r"(?:\[(?:Purpose|Background|Objectives?|Aims?|Methods?|Results?|Conclusions?)\]|"
    r"\b(?:(?:BACKGROUND|OBJECTIVES?|AIMS?|PURPOSE|METHODS?|RESULTS?|CONCLUSIONS?|SETTINGS?|"
    r"CONTEXT|DESIGN|PARTICIPANTS|INTERVENTIONS?|MEASUREMENTS?|MAIN OUTCOME MEASURES?|"
    r"FINDINGS|INTERPRETATION|MOTIVATION|INTRODUCTION|SUMMARY|SIGNIFICANCE|PATIENTS|"
    r"MATERIALS|STUDY DESIGN|IMPORTANCE|EXPOSURES?|RATIONALE|AVAILABILITY|CONTACT|"
    r"SUPPLEMENTARY INFORMATION|EVIDENCE ACQUISITION|EVIDENCE SYNTHESIS|DATA SOURCES|"
    r"LIMITATIONS|FUNDING|TRIAL REGISTRATION)(?:\s*(?:AND|&|/)\s*(?=[A-Z]{3}))?)+\b)"
    r"\s*:?\s*"
)
# "To investigate the effect of X on Y" opening a structured abstract's objective
_TO_VERB = re.compile(
    r"^to\s+(?:investigate|assess|evaluate|determine|examine|compare|describe|identify|test|"
    r"explore|characteri[sz]e|quantify|estimate|analy[sz]e|review|report|establish|study|"
    r"clarify|elucidate|define|measure)\s+(.*)",
    re.IGNORECASE,
)
_SUBJECT_VERB = re.compile(
    r"\s(?:is|are|was|were|has|have|had|can|could|may|might|will|would|should|must|remains?|"
    r"plays?|aims?|faces?|enables?|provides?|offers?|requires?|involves?|refers?|allows?|"
    r"represents?|prevents?|affects?|shows?|suffers?|poses?|serves?|relies|rely|excels?|"
    r"integrates?|achieves?|demonstrates?|leverages?|seeks?|attempts?|emerges?|holds?|"
    r"becomes?|contains?|carries|carry|lies|lie|occurs?|makes?|depends?|focuses|focus)\b"
)
_STARTS_BAD_DOMAIN = re.compile(
    r"^(?:recent|existing|most|many|current|such|these|this|those|although|while|despite|with|"
    r"in|as|to|for|when|since|because|there|it|we|our|however|modern|traditional|conventional|"
    r"prior|previous|numerous|several|some|all|each|one|an?|the)\b",
    re.IGNORECASE,
)


# --- small helpers ---------------------------------------------------------------------------
def _strip_trailing(words: list[str]) -> list[str]:
    while words and (
        words[-1].lower().strip(",;:.") in _END_STOP or words[-1].strip(",;:.-–") == ""
    ):
        words = words[:-1]
    if words:
        words[-1] = words[-1].rstrip(",;:.-–")
    return words


def _is_acronym(tok: str) -> bool:
    """ "ViKeR", "LP-FT", "RAHFL", "LwI", "ACGKD"; not "Evolution", not "24GB"."""
    tok = tok.rstrip(".")
    if len(tok) < 2 or _NUMBERISH.fullmatch(tok):
        return False
    caps = sum(c.isupper() for c in tok)
    return caps >= 2 or (caps == 1 and any(c.isdigit() for c in tok))


def _is_name(tok: str) -> bool:
    """Does a token look like the coined name of a method, dataset or benchmark?

    MoodAngels, ThanoRA, BYE, AR-Bench, NSG-VD, Fed-MedLoRA+; not LLM-enhanced, CL-based,
    Pixel-level, Fine-Tuning, 24GB, 3D or a generic field acronym."""
    tok = tok.strip(".,;:\"'()[]")
    if tok.endswith("'s") or tok.endswith("’s"):
        tok = tok[:-2]
    if len(tok) < 2 or not _TOKEN_NAME.fullmatch(tok) or _NUMBERISH.fullmatch(tok):
        return False
    if tok in _GENERIC_ACRONYMS or tok.lower() in _GENERIC_LOWER:
        return False
    if tok.endswith("s") and tok[:-1] in _GENERIC_ACRONYMS:
        return False
    parts = re.split(r"[-–]", tok.rstrip("+"))
    if any(p.isalpha() and p.islower() and len(p) >= 3 for p in parts):
        return False  # "LLM-enhanced", "NSG-based", "Pixel-level"
    if (
        len(parts) > 1
        and parts[0] in _GENERIC_ACRONYMS
        and all(any(c.isdigit() for c in p) or p.lower() in _MODEL_SIZES for p in parts[1:])
    ):
        return False  # "GPT-4V", "LLaMA-2", "BERT-base": someone else's model
    if not tok[0].isalnum() or tok[0].islower() and not any(c.isupper() for c in tok[1:3]):
        return False
    inner_caps = any(c.isupper() for p in parts for c in p[1:])
    digits = any(c.isdigit() for c in tok) and any(c.isalpha() for c in tok)
    return inner_caps or (digits and tok[0].isupper())


def _is_coined(tok: str) -> bool:
    """A made-up name even when used as a modifier: 'MoodNet', 'CoT-Kinetics' (a capital
    after a lower-case letter), not 'CRISPR', 'siRNA' or 'Cas9'."""
    return tok[:1].isupper() and re.search(r"[a-z][A-Z]", tok) is not None


def _is_capword(tok: str) -> bool:
    tok = tok.strip(".,;:\"'")
    return bool(tok) and tok[0].isupper() and _TOKEN_NAME.fullmatch(tok) is not None


def _expansion(before: str, acro: str) -> str:
    """The long form an acronym abbreviates, from the words right before it.

    'we propose Visual-Guided Key-Token Regularization' + 'ViKeR' ->
    'Visual-Guided Key-Token Regularization'. Letters of the acronym are matched in order to the
    candidate words; of the spans whose first word starts with the acronym's first letter, the
    one that uses the most word initials wins (ties: the shortest)."""
    letters = [c.lower() for c in acro if c.isalnum()]
    if len(letters) < 2:
        return ""
    words = before.split()
    if not words:
        return ""
    limit = min(len(words), len(letters) + 5, 2 * len(letters) + 2, 12)
    best = ("", -1)
    for k in range(1, limit + 1):
        span = words[-k:]
        if span[0][:1].lower() != letters[0]:
            continue
        if span[0].lower() in ("a", "an", "the") and len(letters) > 1:
            continue
        if any(w.endswith((",", ";", ":", ".")) for w in span[:-1]):
            break
        # parts: (text, is_initial) over hyphen-split words
        chars: list[tuple[str, bool]] = []
        for w in span:
            for part in re.split(r"[-–]", w):
                for i, ch in enumerate(part):
                    if ch.isalnum():
                        chars.append((ch.lower(), i == 0))
        # greedy match preferring initials: for each letter, look ahead for an initial first
        pos, initials, ok = 0, 0, True
        for li, letter in enumerate(letters):
            found = -1
            # an initial within the current or next word
            for j in range(pos, len(chars)):
                if chars[j][0] == letter and chars[j][1]:
                    found = j
                    break
                if j > pos and chars[j][1] and li > 0:
                    # a word initial that does not match: fall back to an inner letter before it
                    inner = [t for t in range(pos, j) if chars[t][0] == letter and not chars[t][1]]
                    if inner:
                        found = inner[0]
                        break
            if found < 0:
                inner = [t for t in range(pos, len(chars)) if chars[t][0] == letter]
                if not inner:
                    ok = False
                    break
                found = inner[0]
            if li == 0 and found != 0:
                ok = False
                break
            initials += chars[found][1]
            pos = found + 1
        if not ok:
            continue
        # every capitalised content word should have contributed: penalise unmatched initials
        n_initial_words = sum(1 for _, ini in chars if ini)
        score = initials * 2 - max(0, n_initial_words - len(letters))
        if score > best[1]:
            best = (" ".join(span).strip(",;:"), score)
    return best[0] if len(best[0].split()) >= 1 and best[1] > 0 else ""


def _acronym_defs(text: str) -> dict[str, tuple[str, int]]:
    """Acronyms the abstract defines: {acronym: (long form, position)}."""
    out: dict[str, tuple[str, int]] = {}
    for m in itertools.islice(_PAREN_ACRO.finditer(text), 100):
        acro = m.group(1).rstrip(".")
        if acro in out or not (_is_acronym(acro) or acro[:1].isupper()):
            continue
        exp = _expansion(text[max(0, m.start() - 200) : m.start()], acro)
        if exp and (len(exp.split()) >= 2 or "-" in exp):
            out[acro] = (exp, m.start())
    return out


def _base_form(verb: str) -> str:
    lv = verb.lower()
    if lv.endswith("ies") and len(lv) > 4:
        return verb[:-3] + "y"
    if re.search(r"(?:ss|sh|ch|x|zz|o)es$", lv):
        return verb[:-2]
    if lv.endswith("s") and not lv.endswith("ss"):
        return verb[:-1]
    return verb


def _gerund(base: str) -> str:
    lb = base.lower()
    if lb.endswith("ie"):
        return base[:-2] + "ying"
    if lb.endswith(("ee", "ye", "oe")):
        return base + "ing"
    if lb.endswith("e") and len(lb) > 2:
        return base[:-1] + "ing"
    if lb in _DOUBLE_FINAL or (
        len(lb) <= 4 and re.fullmatch(r"[^aeiou]*[aeiou][bdgklmnprt]", lb) is not None
    ):
        return base + base[-1] + "ing"
    return base + "ing"


_NOT_VERB_3S = frozenset(
    """is was has does this its his thus plus bus us yes gas lens always perhaps less unless
    across various numerous previous towards afterwards besides whereas""".split()
)


def _looks_3s_verb(word: str) -> bool:
    w = word.strip(",;:")
    return (
        len(w) > 3
        and w.isalpha()
        and w.islower()
        and w.endswith("s")
        and not w.endswith(("ss", "ous", "ness", "sis", "ics"))
        and w not in _NOT_VERB_3S
    )


def _participle(clause: str) -> str:
    """'proactively detects and neutralizes trigger tokens' ->
    'proactively detecting and neutralizing trigger tokens'; '' if it does not start with a verb."""
    words = clause.split()
    i = 0
    while i < len(words) and words[i].endswith("ly") and words[i].isalpha():
        i += 1
    if i >= len(words) or not _looks_3s_verb(words[i]):
        return ""
    adverbs = [w for w in words[:i] if w.lower() not in _FILLER_ADVERBS]
    out = [*adverbs, _gerund(_base_form(words[i].strip(",;:")))]
    rest = words[i + 1 :]
    if (
        out[-1] in ("focusing", "relying", "building")
        and len(rest) >= 2
        and rest[1].endswith("ing")
    ):
        out, rest = adverbs, rest[1:]  # "focuses on achieving X" -> "achieving X"
        return " ".join(out + rest)
    if len(rest) >= 2 and rest[0] in ("and", "or") and _looks_3s_verb(rest[1]):
        out += [rest[0], _gerund(_base_form(rest[1].strip(",;:")))]
        rest = rest[2:]
    else:
        # "samples multiple responses and checks consistency": a second verb with its object
        for k in range(1, min(len(rest) - 2, 8)):
            if rest[k] == "and" and _looks_3s_verb(rest[k + 1]):
                obj = rest[k + 2].lower()
                if rest[k + 1].endswith(("s", "es")) and obj.isalpha() and obj not in _PREPS:
                    if obj not in _END_STOP and not rest[k].endswith(","):
                        rest = [*rest[: k + 1], _gerund(_base_form(rest[k + 1])), *rest[k + 2 :]]
                break
    return " ".join(out + rest)


def _looks_base_verb(word: str) -> bool:
    w = word.lower()
    return (
        len(w) > 2
        and w.isalpha()
        and not w.endswith(("ed", "ing", "ly", "al", "ous", "ive", "ic", "ful", "less"))
        and (not w.endswith("s") or w.endswith("ss"))
        and w not in _END_STOP
    )


def _to_gerund_phrase(purpose: str) -> str:
    """'to eliminate harmful redundant parameters' -> 'eliminating harmful redundant parameters'."""
    m = re.match(r"to\s+(?:(\w+ly|further|also)\s+)?([a-z]+)\b(.*)", purpose)
    if not m:
        return purpose
    if not _looks_base_verb(m.group(2)):
        return ""  # "to temporal density changes", "to sequences": not a verb
    adv = m.group(1)
    lead = f"{adv} " if adv and adv.lower() not in _FILLER_ADVERBS else ""
    return f"{lead}{_gerund(m.group(2))}{m.group(3)}"


def _cut_clause(phrase: str) -> str:
    m = _CLAUSE_CUT.search(phrase)
    return phrase[: m.start()] if m else phrase


_LEAD_PP = re.compile(
    r"^(?:(?:early|late|here|now|today)\s+)?(?:in|on|at|during|among|across|for|within|after|"
    r"before|unlike|like|in\s+contrast\s+to|despite|with)\s+[^,]{1,60},\s+(?=[a-z]*[A-Za-z])",
    re.IGNORECASE,
)


def _drop_anaphora(phrase: str) -> str:
    """Cut a phrase before the prepositional phrase that refers back ('in these models');
    '' when the anaphor is at its heart ('to address this challenge')."""
    words = phrase.split()
    for i, w in enumerate(words):
        if w.lower().strip(",.;:") in _ANAPHORS:
            if i <= 3:
                return ""
            j = i
            while j > 0 and words[j - 1].lower() not in _PREPS:
                j -= 1
            if j <= 2:
                return ""
            return " ".join(words[: j - 1])
    return phrase


def _trim(words: list[str], budget: int, chars: int = 120) -> list[str]:
    """Shorten a phrase to at most ``budget`` words (and about ``chars`` characters), cutting
    before a preposition or comma."""
    words = _strip_trailing(list(words))
    while budget > 2 and len(" ".join(words[:budget])) > chars:
        budget -= 1
    if len(words) <= budget:
        return words
    cut = 0
    for j in range(budget, 1, -1):
        if words[j].lower() in _PREPS or words[j - 1].endswith(",") or words[j] == "and":
            cand = _strip_trailing(words[:j])
            if len(cand) >= 2:
                cut = len(cand)
                break
    if not cut:
        return _strip_trailing(words[:budget])
    return words[:cut]


def _article(np: str) -> str:
    first = np.split()[0] if np else ""
    if not first:
        return ""
    head = re.split(r"\s(?:for|to|of|in|on|with|that|from|via|based|designed|validated)\s", np)[0]
    last = head.split()[-1] if head.split() else ""
    if last.lower().endswith("s") and not last.lower().endswith(("ss", "us", "is", "series")):
        return ""  # plural
    if last.lower().endswith("ing") and len(head.split()) == 1:
        return ""
    lead = re.split(r"[-–]", first)[0]
    if lead.isupper() and len(lead) > 1:
        return "an" if lead[0] in "AEFHILMNORSX" else "a"
    low = first.lower()
    if (low[0] in "aio" or (low[0] == "e" and not low.startswith("eu"))) or (
        low.startswith("un") and not low.startswith("uni")
    ):
        return "an"
    return "a"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def _lower_first(s: str) -> str:
    """Lower-case the first word of a phrase unless it is an acronym or a coined name."""
    if not s:
        return s
    first = s.split()[0]
    if first[:1].isupper() and first[1:2].islower() and not any(c.isupper() for c in first[1:]):
        return s[:1].lower() + s[1:]
    return s


# --- reading the abstract --------------------------------------------------------------------
@dataclass
class _Found:
    name: str = ""
    expansion: str = ""
    np: str = ""  # what kind of thing it is, article and hype removed
    tail: str = ""  # what follows the name / noun phrase (relative clause, purpose, ...)
    sent: int = 0
    kind: str = ""  # naming | acro | token | subject | proposed | plain | gerund
    strength: int = 0
    ours: bool = False


_MODIFIER = re.compile(r"\s+(?:based\s+on|built\s+(?:on|upon)|inspired\s+by|using|via)\s.*$")
_PARTICIPLE_BY = re.compile(r"\w+ed$")


_ADJECTIVE = re.compile(r"(?:-\w+|al|ive|ous|ic|ful|able|ible)$")


def _np_split(rest: str) -> tuple[str, str]:
    """Split 'multi-agent framework for X that ...' into the noun phrase and the rest."""
    for m in _NP_END.finditer(rest):
        if m.group(0).strip() == ",":
            before = rest[: m.start()].split()
            nxt = rest[m.end() :].split()[:1]
            if (
                before
                and nxt
                and nxt[0][:1].islower()
                and nxt[0] not in _END_STOP
                and (len(before) == 1 or _ADJECTIVE.search(before[-1]))
            ):
                continue  # "a high-precision, high-throughput, automated ... pipeline"
        if m.group(0).strip() == "by":
            prev = rest[: m.start()].split()[-1:] or [""]
            if _PARTICIPLE_BY.search(prev[0]):
                continue  # "inspired by", "guided by": part of the phrase
        return rest[: m.start()], rest[m.start() :]
    return rest, ""


_NAMING_KEYS = (
    "called",
    "named",
    "termed",
    "dubbed",
    "coined",
    "we call",
    "we name",
    "we term",
    "we dub",
)
_INTRO_KEYS = (
    "propos",
    "introduc",
    "present",
    "develop",
    "design",
    "buil",
    "releas",
    "construct",
    "curat",
    "devis",
    "creat",
    "put forward",
    "puts forward",
)
_FIRST_PERSON = re.compile(r"\b(?:we|our|us|this\s+(?:paper|work|study|article))\b", re.I)
_AFTER_NAME = frozenset("that which to for as in with is was where whose".split())
_NOT_PURPOSE_BEFORE = frozenset(
    "due according compared similar close up equal contrast prior applied related able".split()
)
_NOT_VERB_AFTER_TO = frozenset(
    "the its their our this these be each all both other various different any".split()
)
_NAME_FOLLOWERS = frozenset(
    """to that which for as is was are with in on from and or where whose achieves uses
    outperforms can""".split()
)
_NAME_A_NOVEL = re.compile(r"(?:^|\s)([A-Za-z][\w\-–+]*),\s+(?:a|an)\s+(?:novel|new)\b")


_MAX_TEXT = 8_000  # titles come from the opening of an abstract
_MAX_SENTENCE = 1_000
_MAX_SENTENCES = 60
_MAX_MATCHES = 6  # intro or naming verbs read per sentence


class _Reader:
    """Everything derive_title needs, computed once per abstract."""

    def __init__(self, text: str) -> None:
        text = re.sub(r"\\[a-zA-Z]+\{([^{}]*)\}", r"\1", text).replace("{}", "")
        if _SECTION_LABEL.search(text):
            text = _SECTION_LABEL.sub(". ", text)
            text = re.sub(r"([.!?:;])\s*\.\s+", r"\1 ", text).lstrip(". ")
        # bounded work on any input: an abstract is at most a few thousand characters of prose
        text = text[:_MAX_TEXT]
        self.text = text
        self.sentences = [x[:_MAX_SENTENCE] for x in split_sentences(text)[:_MAX_SENTENCES]]
        self.defs = _acronym_defs(text)
        first_intro = len(self.sentences)
        for i, s in enumerate(self.sentences):
            if _INTRO_VERB.search(s) or _NAMING.search(s):
                first_intro = i
                break
        # acronyms the background defines before the paper says what it does are field terms
        cutoff = sum(len(s) + 1 for s in self.sentences[:first_intro])
        self.background = {a for a, (_, pos) in self.defs.items() if pos < cutoff}
        self._expanders: list[tuple[re.Pattern[str], str]] = []
        self._shorteners: list[tuple[str, str]] = []
        for acro, (exp, _) in self.defs.items():
            if acro in _KEEP_SHORT or (acro.endswith("s") and acro[:-1] in _KEEP_SHORT):
                self._shorteners.append((f"{exp} ({acro})", acro))
            elif exp[:1].islower():
                pat = re.compile(r"(?<![\w-])" + re.escape(acro) + r"\.?(?![\w-])")
                self._expanders.append((pat, exp))
        self._found: list[_Found] | None = None
        self._topics: list[tuple[int, int, str]] | None = None

    # -- names ------------------------------------------------------------------------------
    def _ok_name(self, tok: str) -> bool:
        tok = tok.strip(".,;:\"'()")
        if tok.endswith(("'s", "’s")):
            tok = tok[:-2]
        return _is_name(tok) and tok not in self.background

    def _ok_acro(self, acro: str) -> bool:
        acro = acro.rstrip(".")
        if acro in _GENERIC_ACRONYMS or acro in self.background:
            return False
        if acro.endswith("s") and acro[:-1] in _GENERIC_ACRONYMS:
            return False
        return _is_acronym(acro)

    def _np_and_tail(self, s: str) -> tuple[str, str]:
        """', the first specialized multi-agent framework for X that ...' ->
        ('multi-agent framework for X', 'that ...')."""
        s = s.strip()
        s = re.sub(r"^(?:,\s*|is\s+|as\s+)", "", s)
        words = s.split()
        while words and words[0].lower().strip(",") in _HYPE:
            words.pop(0)
        np, tail = _np_split(" ".join(words))
        np = re.sub(r"\s+in\s+this\s+(?:paper|work|study)\b.*$", "", np).strip(" .")
        np = re.sub(r"\s+(?:explicitly|specifically)\s+", " ", np)
        return np, tail.strip(" ,.")

    def _object(self, s: str, start: int, si: int, ours: bool, verb: str = "") -> _Found | None:
        """Read what an intro verb at ``start`` puts forward."""
        strength = 1 if ours else 0
        verb = verb.lower()
        obj = s[start:].lstrip(" ,")
        obj = re.sub(r"^(?:here|in\s+this\s+(?:paper|work|study)),?\s+", "", obj, flags=re.I)
        if ours and verb.startswith("propos") and re.match(r"to\s+[a-z]{3,}\s", obj):
            obj = _to_gerund_phrase(obj)  # "we propose to use X for Y" -> "using X for Y"
        if not obj or _NOT_ARTIFACT.match(obj):
            return None
        # a gerund: "we propose adapting LP-FT to the FL setting" is a topic, not an artifact
        first = obj.split()[0]
        if first.endswith("ing") and first.islower() and first not in ("string", "thing"):
            if not ours:
                return None
            if _drop_anaphora(" ".join(obj.split()[:4])) == "":
                # "addressing this problem by pretraining on X" -> "pretraining on X"
                bm = re.search(r"\s(?:by|through|via)\s+([a-z]+ing\b.*)", obj)
                if not bm:
                    return None
                obj = bm.group(1)
            acro = next(
                (
                    a.group(1).rstrip(".")
                    for a in _PAREN_ACRO.finditer(obj)
                    if self._ok_acro(a.group(1))
                ),
                "",
            )
            topic = re.sub(r"\s*\((?!" + re.escape(acro) + r"\))[^()]*\)", "", obj) if acro else obj
            topic = re.sub(r",\s*(?:a|an|the)\s[^,]*,", "", topic).rstrip(". ")
            exp = self.defs.get(acro, ("", 0))[0]
            return _Found(acro, exp, topic, "", si, "gerund", strength, ours)
        # the strong boundary of the object: a relative clause or a colon
        strong = re.search(r"[;:]|,?\s(?:which|that|where|whose|who)\s", obj)
        window = obj[: strong.start()] if strong else obj
        # 1) "Long Name (ACRO)" in head position
        for am in _PAREN_ACRO.finditer(window):
            acro = am.group(1).rstrip(".")
            if not self._ok_acro(acro):
                continue
            before = window[: am.start()].rstrip()
            if len(before.split()) > 14:
                break
            exp = _expansion(before, acro)
            lead = before[: len(before) - len(exp)] if exp and before.endswith(exp) else before
            if re.search(
                r"\b(?:for|of|on|in|into|to|with|from|against|under|between|using|via|by|at|"
                r"as|through|across|within|among|over|during|after|before|and)\s",
                lead,
            ):
                break  # the acronym is a complement ("a method for X (ACR)"), not the head
            after = obj[am.end() :]
            head_m = re.match(
                r"\s*((?:[A-Za-z][\w\-–]*\s*){0,2}?)(?=[,.;]|\s(?:to|that|which|for)\b|$)", after
            )
            head = head_m.group(1).strip() if head_m else ""
            tail = after[head_m.end() :] if head_m else after
            appositive = lead.rstrip().endswith(",")  # "a new task, Long Name (ACR)"
            np_pre = re.sub(r"^(?:(?:a|an|the)\s+)", "", lead.strip(" ,"), flags=re.I)
            np_pre = " ".join(w for w in np_pre.split() if w.lower().strip(",") not in _HYPE)
            if appositive:
                np = " ".join(x for x in (np_pre, head) if x)
            else:
                np = " ".join(x for x in (np_pre, exp, head) if x).strip()
            if re.match(r"\s*,\s*(?:a|an|the)\s", tail) and (np == exp or not np):
                np, tail = self._np_and_tail(tail)
            elif np == exp:
                np = ""
            return _Found(acro, exp, np, tail.strip(" ,."), si, "acro", strength + 2, ours)
        # 2) a coined name token in the object: "MoodAngels, ...", "a novel framework, SeLLa-Rec,"
        tokens = obj.split()
        np_before: list[str] = []
        crossed_prep = False
        for ti, tok in enumerate(tokens[:16]):
            clean = tok.strip(".,;:\"'")
            if tok.startswith("(") or (tok.rstrip(".,;:").endswith(")") and "(" not in tok):
                break
            if self._ok_name(clean) or (
                ti == 0
                and _is_capword(clean)
                and tok.endswith(",")
                and len(tokens) > 1
                and tokens[1].lower() in ("a", "an", "the")
            ):
                nxt = tokens[ti + 1].lstrip("\"'“‘") if ti + 1 < len(tokens) else ""
                if crossed_prep and not nxt[:1].islower():
                    break  # "for training LLaMA": a name after a preposition is not ours
                modifier = (
                    not tok.endswith((",", ":", ";", "."))
                    and nxt[:1].islower()
                    and nxt.strip(".,;:").lower() not in _NAME_FOLLOWERS
                    and not nxt.strip(".,;:").endswith(("ing", "ed"))
                )
                if modifier and not _is_coined(clean):
                    break  # "a local prolonged siRNA delivery system", "Cas9 protein"
                if (
                    not crossed_prep
                    and np_before
                    and not np_before[-1].endswith(",")
                    and any(w.endswith("ing") and "-" not in w for w in np_before)
                ):
                    break  # "a strategy utilizing telomere quantitative PCR"
                name = clean[:-2] if clean.endswith(("'s", "’s")) else clean
                after = " ".join(tokens[ti + 1 :])
                if tok.endswith((",", ":")):
                    after = ", " + after
                exp = ""
                pm = re.match(r"\(([^()]{3,80})\)\s*(,?)", after)
                if pm and not crossed_prep:
                    # "MMLU-Pro (Massive Multitask Language Understanding), a benchmark ..."
                    inner = pm.group(1).strip()
                    if len(inner.split()) >= 2 and sum(w[:1].isupper() for w in inner.split()) >= 2:
                        exp = inner
                    after = (", " if pm.group(2) else " ") + after[pm.end() :]
                if crossed_prep:
                    # "a novel approach towards establishing a CoT-Kinetics energy equation"
                    mod, tail = self._np_and_tail(after)
                    return _Found(name, "", mod, tail, si, "token", strength, ours)
                np_pre = " ".join(w for w in np_before if w.lower().strip(",") not in _HYPE)
                np_pre = np_pre.strip(" ,")
                if re.match(r"\s*(?:,|as)\s*(?:a|an|the|one)\s", after) and not np_pre:
                    np, tail = self._np_and_tail(after)
                    return _Found(name, exp, np, tail, si, "token", strength + 1, ours)
                if not np_pre and not after.strip(" ,."):
                    np, tail = self.later_np(name, si)  # "We propose X. X is a ... for Y."
                    return _Found(name, exp, np, tail, si, "token", strength + 1, ours)
                tail = after.strip(" ,.")
                return _Found(name, exp, np_pre, tail, si, "token", strength + 1, ours)
            low = clean.lower()
            if tok.endswith(",") and ti + 1 < len(tokens) and not self._ok_name(tokens[ti + 1]):
                break
            if low in _PREPS or low in ("that", "which", "and"):
                nxt = tokens[ti + 1] if ti + 1 < len(tokens) else ""
                if low in ("towards", "toward", "for") and nxt.endswith("ing"):
                    crossed_prep = True
                else:
                    break
            np_before.append(tok)
        if not ours:
            return None
        # 3) nothing named: the noun phrase itself ("a fast ... distillation approach")
        np, tail = self._np_and_tail(re.sub(r"^(?:a|an|the)\s+", "", obj, flags=re.I))
        cm = _CONCEPT.match(np)
        kind = "concept" if cm else "plain"
        if cm:
            np = cm.group(1)
        return _Found("", "", np, tail, si, kind, strength, ours) if np else None

    def _naming(self, s: str, si: int) -> list[_Found]:
        """'..., termed AdLift, which ...' / 'called Backdoor Token Unlearning (BTU)'."""
        out: list[_Found] = []
        low = s.lower()
        if not any(k in low for k in _NAMING_KEYS) or not _FIRST_PERSON.search(s):
            return out  # "a technique called Dropout" in the background is not ours
        for nm in itertools.islice(_NAMING.finditer(s), _MAX_MATCHES):
            pre = s[: nm.start()][-40:]
            if re.search(r"\b(?:previously|earlier|originally|formerly)\b", pre) or re.search(
                r"(?:\(|;|\balso|\bcommonly|\boften|\bsometimes|\busually)\s*$", pre
            ):
                continue  # "which we previously named KIF3", "(MED1, also called TRAP220)"
            rest = s[nm.end() :]
            am = re.match(r"((?:[A-Z][\w\-–]*\s+){0,6}?)\(\s*([^()\s]+)\s*\)", rest)
            if am and self._ok_acro(am.group(2)):
                name, exp = am.group(2).rstrip("."), am.group(1).strip()
                tail = rest[am.end() :]
            else:
                tok = rest.split()[0] if rest.split() else ""
                name = tok.strip(".,;:\"'")
                if not self._ok_name(name):
                    # a plain capitalised word is a name only if it stands alone:
                    # "termed AdLift," / "called Warmstart, which"; not "called Bayesian optimization"
                    nxt = rest[len(tok) :].split()[:1]
                    alone = tok[-1:] in ",.;:" or not nxt or nxt[0] in _AFTER_NAME
                    if not (_is_capword(name) and alone):
                        continue
                if name.lower() in ("it", "this", "them", "the", "a", "an"):
                    continue
                if name in _GENERIC_ACRONYMS:
                    continue
                exp, tail = "", rest[len(tok) :]
                more = re.match(r"\s+([A-Z][\w\-–+]*)(?=[\s,.;]|$)", tail)
                if more and not tok.endswith(",") and re.search(r"[A-Z].*[-A-Z]", more.group(1)):
                    name, tail = f"{name} {more.group(1)}", tail[more.end() :]  # "DNase Hi-C"
            # the thing so named: the object of the intro verb before it
            np, tail2 = "", ""
            iv = None
            for v in _INTRO_VERB.finditer(s[: nm.start()]):
                if v.start() == 0 or _OUR_SUBJECT.search(s[max(0, v.start() - 80) : v.start()]):
                    iv = v  # "we propose ..., termed X"; not "This release of chromatin, dubbed X"
            if iv is not None:
                seg = s[iv.end() : nm.start()].strip(" ,")
                seg = re.sub(r"^(?:here|in\s+this\s+(?:paper|work)),?\s+", "", seg, flags=re.I)
                seg = re.sub(r"^(?:a|an|the)\s+", "", seg, flags=re.I)
                np, tail2 = self._np_and_tail(seg)
                if np.split()[:1] and np.split()[0].lower() in _ANAPHORS:
                    # "such algorithms in an open-source software program called Cufflinks"
                    am = re.search(r"\b(?:in|as|into)\s+(?:a|an|the)\s+(.*)$", np)
                    np = am.group(1) if am else ""
            tail = tail.strip(" ,.")
            if tail2 and (not tail or not re.match(r"(?:to|that|which|designed)\b", tail)):
                tail = tail2
            out.append(_Found(name, exp, np, tail, si, "naming", 5, True))
        return out

    def names(self) -> list[_Found]:
        if self._found is not None:
            return self._found
        found: list[_Found] = []
        for si, s in enumerate(self.sentences):
            found.extend(self._naming(s, si))
            low = s.lower()
            verbs = _INTRO_VERB.finditer(s) if any(k in low for k in _INTRO_KEYS) else ()
            sentence_ours = False
            for vm in itertools.islice(verbs, _MAX_MATCHES):
                before = s[max(0, vm.start() - 80) : vm.start()]
                after = s[vm.end() :]
                if _NOT_OURS_BEFORE.search(before):
                    # "the proposed graph-free KD method (ACGKD)": ours, named in passing
                    if re.search(r"\b(?:the|our)\s+$", before, re.I) and vm.group(0).lower() in (
                        "proposed",
                        "introduced",
                        "developed",
                        "designed",
                    ):
                        am = re.match(r"\s*((?:[\w\-–]+\s+){0,6}?)\(\s*([^()\s]+)\s*\)", after)
                        if am and self._ok_acro(am.group(2)):
                            found.append(
                                _Found(
                                    am.group(2).rstrip("."),
                                    "",
                                    am.group(1).strip(),
                                    "",
                                    si,
                                    "proposed",
                                    1,
                                    True,
                                )
                            )
                    continue
                ours = vm.start() == 0 or bool(_OUR_SUBJECT.search(before))
                if not ours and sentence_ours and re.search(r"\b(?:that|which|and)\b", before):
                    ours = True  # "we introduce a framework that ... develops X (ACR)"
                sentence_ours = sentence_ours or ours
                if re.match(r"\s+(?:by|with)\s", after) or (
                    not ours and re.match(r"\s+to\s", after)
                ):
                    continue  # "proposed by", "presented to the model", "developed with"
                f = self._object(s, vm.end(), si, ours, vm.group(0))
                if f is not None:
                    found.append(f)
            # "FAME-Net, a novel approach, is proposed" / "NAME, a novel framework for X"
            m = None
            if ", a novel" in s or ", a new" in s or ", an new" in s:
                lead = _LEAD_CLAUSE.sub("", s)
                m = _NAME_A_NOVEL.search(lead)
                if m and m.start(1) > 1 and not _FIRST_PERSON.search(s):
                    m = None  # "in the genomes of primate CMV, a novel gene ... was identified"
            if m and self._ok_name(m.group(1)):
                np, tail = self._np_and_tail(lead[m.end(1) :])
                found.append(_Found(m.group(1), "", np, tail, si, "appositive", 0, False))
        # a name that is the subject right after a plain intro: "We introduce the ... framework
        # for X. Fed-MedLoRA transmits ..."
        plain_sents = {f.sent for f in found if f.kind == "plain"}
        for si in sorted(plain_sents):
            if si + 1 >= len(self.sentences) or any(f.sent == si and f.name for f in found):
                continue
            nxt = _LEAD_CLAUSE.sub("", self.sentences[si + 1])
            m = re.match(
                r"(?:(?:Our|The|This)\s+)?([A-Za-z][\w\-–+]*)\s+(?:\w+ly\s+)?([a-z]+)", nxt
            )
            if not m or not self._ok_name(m.group(1)):
                continue
            # a new name doing something: "Fed-MedLoRA transmits ..."; not "PEG hydrogels improved"
            earlier = " ".join(self.sentences[: si + 1])
            if m.group(1) in earlier or not (
                _looks_3s_verb(m.group(2)) or m.group(2) in ("is", "can", "has")
            ):
                continue
            found.append(_Found(m.group(1), "", "", "", si + 1, "subject", 1, True))
        self._found = found
        return found

    # -- topics -----------------------------------------------------------------------------
    def expand(self, phrase: str) -> str:
        """Tidy acronyms in a phrase: '(LPT)' goes; a well-known acronym keeps its short form
        ('Multimodal Large Language Models (MLLMs)' -> 'MLLMs'); acronyms defined in lower case
        are spelled out ('VC' -> 'voice cloning')."""
        for long_form, short in self._shorteners:
            if long_form in phrase:
                phrase = phrase.replace(long_form, short)
        if "(" in phrase:
            phrase = _PARENS.sub("", phrase)
        for pat, exp in self._expanders:
            phrase = pat.sub(exp, phrase)
        return re.sub(r"\s+", " ", phrase).strip()

    def expand_keep(self, phrase: str, keep: str) -> str:
        """Like expand, but a parenthesised ``keep`` acronym stays."""
        if not keep:
            return self.expand(phrase)
        phrase = phrase.replace(f"({keep})", "\x00")
        return self.expand(phrase).replace("\x00", f"({keep})")

    def _clean_topic(self, phrase: str) -> str:
        phrase = phrase.strip()
        phrase = re.sub(
            r"^(?:(?:a|an|the)\s+)?(?:(?:novel|new|newly|emerging|challenging|important|key|"
            r"fundamental|open)\s+)*(?:problem|task|issue|question|challenge)s?\s+of\s+",
            "",
            phrase,
            flags=re.I,
        )
        phrase = self.expand(phrase)
        phrase = _cut_clause(phrase)
        phrase = re.sub(r"^(?:a|an|the)\s+", "", phrase, flags=re.I)
        phrase = re.sub(r"\s+in\s+this\s+(?:paper|work|study)\b", "", phrase)
        return phrase.strip(" .,;:")

    def topics(self) -> list[tuple[int, int, str]]:
        """(sentence, priority, topic) candidates: lower priority number wins a tie."""
        if self._topics is not None:
            return self._topics
        out: list[tuple[int, int, str]] = []
        for si, s in enumerate(self.sentences):
            s = s.rstrip(".")
            low = s.lower()
            m = _NEW_TASK.search(s) if ("task" in low or "problem" in low) else None
            if m and re.search(
                r"\b(?:novel|new|emerging|define|defines|formulate|introduc)", s[: m.start(1)], re.I
            ):
                t = re.split(r"\s*(?:--|—|–|,|;|:)\s*", m.group(1).strip(" -—–"))[0]
                t = self._clean_topic(t)
                if len(t.split()) >= 2:
                    out.append((si, 0, t))
            m = _TO_VERB.match(s) or (
                _AIM.search(s) if re.search(r"aim|objective|purpose|goal", low) else None
            )
            if m:
                t = self._clean_topic(m.group(1))
                if len(t.split()) >= 2:
                    out.append((si, 1, t))
            m = _SHOW_THAT.search(s) if "that" in low else None
            if m:
                t = _cut_clause(self.expand(m.group(1)))
                if len(t.split()) >= 3 and not re.match(
                    r"(?:our|the\s+proposed|it|this|these|they)\b", t, re.I
                ):
                    out.append((si, 4, t))
            m = _TOPIC_VERBS.search(s)
            if m:
                verb, obj = m.group(1).lower(), m.group(2)
                if _drop_anaphora(" ".join(obj.split()[:4])) == "":
                    obj = ""
                t = self._clean_topic(obj) if obj else ""
                if re.match(r"(?:whether|if|how|what|why|that)\b", t):
                    t = ""
                if len(t.split()) >= 3:
                    if verb.startswith(("review", "survey")):
                        t = f"{t}: a review"
                    out.append((si, 2, t))
        self._topics = out
        return out

    def concept(self) -> str:
        """'we introduce the concept of Federated MAS' -> 'Federated MAS'."""
        for f in self.names():
            if f.kind == "concept":
                t = self._clean_topic(f.np)
                if 1 <= len(t.split()) <= 6:
                    return t
        return ""

    def domain(self) -> str:
        """The field the first sentence is about: 'Multimodal information retrieval (MIR) faces'."""
        if not self.sentences:
            return ""
        s = _LEAD_CLAUSE.sub("", self.sentences[0])
        m = _SUBJECT_VERB.search(s)
        if not m or m.start() > 110:
            return ""
        subj = s[: m.start()].strip(" ,")
        am = re.search(r"\(\s*([^()\s]+)\s*\)$", subj)
        if am:
            acro = am.group(1)
            core = subj[: am.start()].strip()
            if acro in _GENERIC_ACRONYMS or acro.rstrip("s") in _GENERIC_ACRONYMS:
                exp = self.defs.get(acro, ("", 0))[0]
                if not exp or core.lower() == exp.lower():
                    return ""
        subj = self.expand(subj)
        if _STARTS_BAD_DOMAIN.match(subj) or not (1 <= len(subj.split()) <= 7):
            return ""
        if "," in subj or re.search(r"\b(?:that|which|who)\b", subj):
            return ""
        return _lower_first(subj)

    def later_np(self, name: str, si: int) -> tuple[str, str]:
        """'X is a benchmark for Y' in the sentence after 'We present X.'"""
        for s in self.sentences[si + 1 : si + 3]:
            m = re.match(
                r"(?:(?:The|Our)\s+)?" + re.escape(name) + r"\s+(?:is|represents|constitutes)\s+"
                r"(?:a|an)\s+(.*)",
                s,
            )
            if m:
                return self._np_and_tail(m.group(1))
        return "", ""

    def later_purpose(self, name: str, after: int) -> str:
        """'Our CoT-Kinetics energy assigns a scalar score to evaluate X' -> 'to evaluate X'."""
        for s in self.sentences[after + 1 : after + 4]:
            head = " ".join(s.split()[:5])
            if name not in head:
                continue
            m = re.search(r"(?<!\w)(\w+)\s+to\s+(?:\w+ly\s+)?([a-z]+)\b(.*)", s[s.find(name) :])
            if not m or m.group(1).lower() in _NOT_PURPOSE_BEFORE:
                continue  # "compared to", "similar to", "due to"
            if not _looks_base_verb(m.group(2)) or m.group(2) in _NOT_VERB_AFTER_TO:
                continue
            rest = re.sub(r"^\s*\w+ly\s+", "", m.group(0)[len(m.group(1)) :].strip()[3:])
            p = _drop_anaphora(_cut_clause("to " + rest))
            if len(p.split()) >= 3:
                return self.expand(p)
        return ""

    # -- describing what was found ----------------------------------------------------------
    def extend(self, tail: str, for_name: bool) -> str:
        """What to add after a short noun phrase: its purpose, or what it does."""
        tail = tail.strip(" ,.")
        if not tail:
            return ""
        m = re.match(
            r"(?:,\s*)?(designed|intended|tailored|aim(?:ing|ed))\s+(?:\w+ly\s+)?to\s+(.*)", tail
        )
        if m:
            p = _drop_anaphora(_cut_clause("to " + m.group(2)))
            verb = "designed " if m.group(1) == "designed" else ""
            return self.expand(f"{verb}{p}") if p else ""
        m = re.match(r"(?:,\s*)?to\s+(.*)", tail)
        if m:
            return self.expand(_drop_anaphora(_cut_clause("to " + m.group(1))))
        m = re.match(r"(?:,\s*)?(?:which|that)\s+(.*)", tail)
        if not m:
            m2 = re.match(
                r"(?:,\s*)?(leveraging|utilizing|comprising|combining|integrating|"
                r"incorporating|enabling|allowing)\s+(.*)",
                tail,
            )
            if m2:
                return self.expand(_drop_anaphora(_cut_clause(f"{m2.group(1)} {m2.group(2)}")))
            return ""
        clause = m.group(1)
        if for_name:
            vm = re.match(
                r"(?:\w+ly\s+)?(?:leverages?|uses?|employs?|exploits?|utili[sz]es?|combines?|"
                r"integrates?|incorporates?|adopts?|harness(?:es)?|applies)\b(.*)",
                clause,
            )
            if vm:
                pm = re.search(r"\sto\s+(?:\w+ly\s+)?[a-z]+\b.*", vm.group(1))
                if pm:
                    p = _drop_anaphora(_cut_clause(pm.group(0).strip()))
                    if p and len(p.split()) >= 3:
                        return self.expand(p)
        part = _participle(clause)
        if not part:
            return ""
        part = re.split(r",\s*(?:and\s+)?", part)[0]
        part = re.sub(r"\s+(?:by|through|thereby|while|so\s+that)\s.*$", "", part)
        return self.expand(_drop_anaphora(part))


def _content(np: str, expansion: str) -> list[str]:
    """The words of a noun phrase that say more than 'a novel framework'."""
    exp_words = set(expansion.lower().split())
    core = _MODIFIER.sub("", np)
    return [
        w
        for w in core.split()
        if w.lower() not in exp_words and w.lower() not in _GENERIC_HEADS and w.lower() not in _HYPE
    ]


def _describe(r: _Reader, f: _Found) -> tuple[str, str, str]:
    """(core, extra, joiner) for the part of a title after the name: ('a multi-agent framework
    for mood disorder diagnosis', '', ': '); the extra part may be dropped to fit."""
    np = r.expand(f.np).strip(" ,.")
    np = re.sub(r"^(?:a|an|the)\s+", "", np, flags=re.I)
    is_task = re.search(r"\b(?:task|problem)$", np) is not None
    np = " ".join(w for w in np.split() if w.lower() not in ("novel", "new", "first"))
    if is_task:
        return f"a new {np}", "", ": "
    content = _content(np, f.expansion)
    has_purpose = re.search(r"\s(?:for|to|towards|designed|optimized|validated)\s", f" {np} ")
    if np and (has_purpose or len(content) > 3):
        return f"{_article(np)} {np}".strip(), "", ": "
    if np and not content:
        hint = r.concept()
        if hint:
            return hint, "", " for "
    extra = r.extend(f.tail, for_name=True)
    if not extra and len(content) <= 2:
        extra = r.later_purpose(f.name, f.sent)
    if not np:
        if extra.startswith("designed to "):
            extra = extra[len("designed ") :]
        if extra.startswith("to "):
            return _to_gerund_phrase(extra), "", ": "
        if extra:
            return extra, "", ": "
        hint = r.concept() or r.domain()
        return (hint, "", " for ") if hint else ("", "", "")
    if extra:
        exp = f.expansion
        if exp and exp in np:
            head, rest = np.split(exp, 1)
            np = head + exp + _MODIFIER.sub("", rest)
        else:
            np = _MODIFIER.sub("", np)
        return f"{_article(np)} {np}".strip(), extra, ": "
    if len(content) <= 1:
        hint = r.domain()
        if hint:
            return f"{_article(np)} {np}", f"for {hint}", ": "
    return f"{_article(np)} {np}".strip(), "", ": "


def _compose(label: str, core: str, extra: str, joiner: str) -> str:
    """label + joiner + core [+ extra], within MAX_WORDS; the extra part is kept only whole
    enough to say something (at least four words)."""
    if not core:
        return label
    budget = MAX_WORDS - len(label.split())
    chars = MAX_CHARS - 20 - len(label)
    if budget < 2:
        return label
    core_w = [w for w in core.split() if w.lower() not in _FILLER_ADVERBS or w == core.split()[0]]
    extra_w = [w for w in extra.split() if w.lower() not in _FILLER_ADVERBS]
    if extra_w:
        room = budget - len(core_w)
        kept = _trim(extra_w, room, chars - len(core) - 1) if room > 0 else []
        if len(kept) >= min(4, len(extra_w)):
            return f"{label}{joiner}{' '.join(core_w + kept)}"
    trimmed = _trim(core_w, budget, chars)
    if len(trimmed) < 2 and len(core_w) >= 2:
        return label
    return f"{label}{joiner}{' '.join(trimmed)}"


def _title_for(r: _Reader, f: _Found) -> str:
    if f.kind == "gerund":
        return " ".join(_trim(r.expand_keep(f.np, f.name).split(), MAX_WORDS))
    core, extra, joiner = _describe(r, f)
    label = f.name
    exp = f.expansion
    if exp and exp.lower() not in r.expand(f.np).lower():
        # spell the name out when that leaves room for most of the description
        full = f"{_cap(exp)} ({f.name})"
        room = MAX_WORDS - len(full.split())
        if not core or len(_trim(core.split(), room)) >= min(len(core.split()), 5):
            label = full
            if joiner == ": " and core and not core.startswith(("a ", "an ")):
                joiner = " for "  # "Invariant ... learning (ISRL) for strengthening ..."
    return _compose(label, core, extra, joiner or ": ")


def _analyze(text: str) -> tuple[_Reader, _Found | None, str]:
    """The thing to title the abstract after, or a topic when it names nothing."""
    r = _Reader(text)
    found = r.names()
    plain = {f.sent: f for f in found if f.kind == "plain" and f.ours}
    cands: list[tuple[int, int, _Found]] = []  # (effective sentence, -strength, found)
    for f in found:
        if f.kind == "gerund":
            cands.append((f.sent, -10, f))
            continue
        if not f.name or not (f.ours or f.kind == "appositive"):
            continue  # "tumor cells release ATP": a verb of ours only with our subject
        sent = f.sent
        # a name given right after the paper's own no-name intro takes that intro's phrase:
        # "we propose a fast ... approach. ... the proposed graph-free KD method (ACGKD)"
        prev = (
            plain.get(f.sent - 1)
            if f.kind != "proposed"
            else (plain.get(f.sent - 1) or plain.get(f.sent))
        )
        if prev is not None and f.kind in ("proposed", "subject", "naming", "acro", "token"):
            informative = len(_content(r.expand(prev.np), "")) >= 3
            lead_in = re.match(
                r"(?:specifically|in\s+particular|concretely|without\s+compromising)\b",
                r.sentences[f.sent],
                re.I,
            )
            pronoun = f.kind == "naming" and not f.np  # "We name it UrduSpeech."
            if informative and (f.kind in ("proposed", "subject") or lead_in or pronoun):
                f = _Found(f.name, "", prev.np, prev.tail, prev.sent, f.kind, f.strength, True)
                sent = prev.sent
        elif f.kind in ("proposed", "subject"):
            continue
        cands.append((sent, -f.strength, f))
    task = [t for t in r.topics() if t[1] == 0]
    if not cands:
        return r, None, task[0][2] if task else ""
    # the paper's own intro beats a name mentioned in passing; then the earliest; then strength
    cands.sort(key=lambda c: (not c[2].ours, c[0], c[1]))
    best = cands[0][2]
    if task and task[0][0] < cands[0][0]:
        return r, None, task[0][2]
    return r, best, ""


def find_method_name(text: str) -> tuple[str, str, str]:
    """(name, expansion, descriptor) of what the abstract introduces; empty strings if none."""
    if not text or not text.strip():
        return "", "", ""
    r, f, _ = _analyze(text)
    if f is None or not f.name:
        return "", "", ""
    desc = " ".join(_describe(r, f)[:2]).strip() if f.kind != "gerund" else ""
    words = [w for w in desc.split() if w.lower() not in _FILLER_ADVERBS]
    desc = " ".join(_trim(words, 2 * MAX_WORDS))
    return f.name, f.expansion, re.sub(r"^(?:a|an)\s+", "", desc)


def _topic_title(r: _Reader) -> str:
    """What the paper does when it names nothing: the sentence that says so, else the first."""
    cands: list[tuple[int, int, str]] = list(r.topics())
    for f in r.names():
        if f.kind == "plain" and f.ours and f.np:
            np = r.expand(f.np)
            extra = r.extend(f.tail, for_name=False) if len(_content(np, "")) <= 3 else ""
            t = f"{np} {extra}".strip()
            if len(_content(t, "")) >= 2:
                cands.append((f.sent, 3, t))
    cands.sort(key=lambda c: (c[0], c[1]))
    for _, _, t in cands:
        words = _trim(t.split(), MAX_WORDS)
        if len(words) >= 2:
            if words[0].lower() in _GENERIC_HEADS and not words[0].lower().endswith("s"):
                words.insert(0, "an" if words[0][0].lower() in "aeiou" else "a")
            return " ".join(words).strip()
    if not r.sentences:
        return ""
    first = r.expand(_LEAD_PP.sub("", _LEAD_CLAUSE.sub("", r.sentences[0])))
    m = _SUBJECT_VERB.search(first)
    if m and 3 <= len(first[: m.start()].split()) <= 12 and not first[: m.start()].endswith("ly"):
        first = first[: m.start()]
    first = re.split(r"[,;:]\s|\s(?:but|while|whereas|which)\s", first)[0]
    return " ".join(_trim(first.rstrip(".").split(), MAX_WORDS))


def derive_title(text: str) -> str:
    """A readable title for an abstract that has none."""
    if not text or not text.strip():
        return ""
    r, f, topic = _analyze(text)
    title = ""
    if f is not None:
        title = _title_for(r, f)
    elif topic:
        title = " ".join(_trim(topic.split(), MAX_WORDS))
    if not title:
        title = _topic_title(r)
    title = re.sub(r"\s+", " ", title).strip(" .,:;")
    if len(title) > MAX_CHARS:
        title = " ".join(_strip_trailing(title[: MAX_CHARS - 1].rsplit(" ", 1)[0].split())) + "…"
    return _cap(title)
