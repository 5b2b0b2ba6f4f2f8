"""Readable titles for abstracts that come without one.

A title names what the paper introduces (its method, dataset or benchmark) and what it is for:
``MoodAngels: a multi-agent framework for mood disorder diagnosis``. When an abstract introduces
no name, the title is its topic, taken from the sentence that states what the paper does
(``we investigate ...``, ``we propose a new task, ...``), else from its first sentence.

Everything here is plain regular-expression work over sentence structure: it runs on hundreds of
thousands of abstracts, so no models and no lookup of particular papers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import split_sentences

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
    whose where such also than""".split()
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
    r"\s*[,;:(]|\s(?:that|which|where|whereby|wherein|whose|while|whereas|by|through|thereby|"
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
_CONCEPT = re.compile(r"^(?:the\s+)?(?:concept|notion|idea)\s+of\s+(.*)", re.IGNORECASE)
_CLAUSE_CUT = re.compile(
    r"\s*(?:[,;:]|--|—|–|\s(?:that|which|where|whereby|who|whose|while|whereas|by|through|"
    r"using|thereby|so\s+that|in\s+order\s+to)\b|\s+and\s+(?:\w+ly\s+)?(?:observe|show|find|"
    r"demonstrate|propose|reveal|identify|present|introduce|provide|develop|discuss|conclude|"
    r"evaluate|analy[sz]e|compare|derive|establish|highlight|offer|achieve|obtain|report|"
    r"suggest|validate|conduct|release|then)\w*\b)"
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
def _words(s: str) -> list[str]:
    return s.split()


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
    if not tok[0].isalnum() or tok[0].islower() and not any(c.isupper() for c in tok[1:3]):
        return False
    inner_caps = any(c.isupper() for p in parts for c in p[1:])
    digits = any(c.isdigit() for c in tok) and any(c.isalpha() for c in tok)
    return inner_caps or (digits and tok[0].isupper())


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
    for m in _PAREN_ACRO.finditer(text):
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
        and not w.endswith(("ss", "ous", "ness", "sis", "ics", "ys"))
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
    if len(rest) >= 2 and rest[0] in ("and", "or") and _looks_3s_verb(rest[1]):
        out += [rest[0], _gerund(_base_form(rest[1].strip(",;:")))]
        rest = rest[2:]
    return " ".join(out + rest)


def _to_gerund_phrase(purpose: str) -> str:
    """'to eliminate harmful redundant parameters' -> 'eliminating harmful redundant parameters'."""
    m = re.match(r"to\s+(?:(\w+ly)\s+)?([a-z]+)\b(.*)", purpose)
    if not m:
        return purpose
    adv = m.group(1)
    lead = f"{adv} " if adv and adv.lower() not in _FILLER_ADVERBS else ""
    out = f"{lead}{_gerund(m.group(2))}{m.group(3)}"
    return re.sub(r"\band\s+([a-z]+)\b", lambda g: "and " + g.group(1), out, count=0)


def _cut_clause(phrase: str) -> str:
    m = _CLAUSE_CUT.search(phrase)
    return phrase[: m.start()] if m else phrase


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


def _trim(words: list[str], budget: int) -> list[str]:
    """Shorten a phrase to at most ``budget`` words, cutting before a preposition or comma."""
    words = _strip_trailing(list(words))
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
    if last.lower().endswith("s") and not last.lower().endswith(("ss", "us", "is", "sis")):
        return ""  # plural
    if last.lower().endswith("ing") and len(head.split()) == 1:
        return ""
    lead = re.split(r"[-–]", first)[0]
    if lead.isupper() and len(lead) > 1:
        return "an" if lead[0] in "AEFHILMNORSX" else "a"
    if first[0].lower() in "aeio" or (
        first[0].lower() == "u" and not first.lower().startswith("uni")
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
    kind: str = ""  # naming | acro | token | subject | proposed | topic
    strength: int = 0


class _Reader:
    """Everything derive_title needs, computed once per abstract."""

    def __init__(self, text: str) -> None:
        text = re.sub(r"\\[a-zA-Z]+\{([^{}]*)\}", r"\1", text).replace("{}", "")
        self.text = text
        self.sentences = split_sentences(text)
        self.defs = _acronym_defs(text)
        first_intro = len(self.sentences)
        for i, s in enumerate(self.sentences):
            if _INTRO_VERB.search(s) or _NAMING.search(s):
                first_intro = i
                break
        # acronyms the background defines before the paper says what it does are field terms
        cutoff = sum(len(s) + 1 for s in self.sentences[:first_intro])
        self.background = {a for a, (_, pos) in self.defs.items() if pos < cutoff}

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
        return _is_acronym(acro) and not _NUMBERISH.fullmatch(acro)

    def _np_and_tail(self, s: str) -> tuple[str, str]:
        """', the first specialized multi-agent framework for X that ...' ->
        ('multi-agent framework for X', 'that ...')."""
        s = s.strip()
        s = re.sub(r"^(?:,\s*|is\s+|as\s+)", "", s)
        words = s.split()
        while words and words[0].lower().strip(",") in _HYPE:
            words.pop(0)
        rest = " ".join(words)
        m = _NP_END.search(rest)
        np, tail = (rest[: m.start()], rest[m.start() :]) if m else (rest, "")
        np = re.sub(r"\s+in\s+this\s+(?:paper|work|study)\b.*$", "", np).strip(" .")
        np = re.sub(r"\s+(?:explicitly|specifically)\s+", " ", np)
        return np, tail.strip(" ,.")

    def _object(self, s: str, start: int, si: int, strength: int) -> _Found | None:
        """Read what an intro verb at ``start`` puts forward."""
        obj = s[start:].lstrip(" ,")
        obj = re.sub(r"^(?:here|in\s+this\s+(?:paper|work|study)),?\s+", "", obj, flags=re.I)
        if not obj or _NOT_ARTIFACT.match(obj):
            return None
        # a gerund: "we propose adapting LP-FT to the FL setting" is a topic, not an artifact
        first = obj.split()[0]
        if first.endswith("ing") and first.islower() and first not in ("string", "thing"):
            topic = _PARENS.sub("", re.sub(r",[^,]*,", "", obj)).rstrip(". ")
            acro = next(
                (a.group(1) for a in _PAREN_ACRO.finditer(obj) if self._ok_acro(a.group(1))),
                "",
            )
            if acro:
                topic = re.sub(r",[^,]*,", "", obj).rstrip(". ")
                topic = re.sub(r"\s*\((?!" + re.escape(acro) + r"\))[^()]*\)", "", topic)
            return _Found(name=acro, np=topic, sent=si, kind="gerund", strength=strength)
        # the strong boundary of the object: a relative clause or a colon
        strong = re.search(r"[;:]|,?\s(?:which|that|where|whose|who)\s", obj)
        window = obj[: strong.start()] if strong else obj
        # 1) "Long Name (ACRO)" in head position
        for am in _PAREN_ACRO.finditer(window):
            acro = am.group(1).rstrip(".")
            if not self._ok_acro(acro):
                continue
            before = window[: am.start()]
            exp = _expansion(before, acro)
            lead = before[: len(before) - len(exp)] if exp else before
            if re.search(
                r"\b(?:for|of|on|in|to|with|from|against|under|between|using|via)\s", lead
            ):
                break  # the acronym is a complement ("a method for X (ACR)"), not the head
            if len(before.split()) > 14:
                break
            after = window[am.end() :] + (obj[strong.start() :] if strong else "")
            head_m = re.match(
                r"\s*((?:[A-Za-z][\w\-–]*\s*){0,2}?)(?=[,.;]|\s(?:to|that|which|for)\b|$)", after
            )
            head = head_m.group(1).strip() if head_m else ""
            if head and not all(w[:1].islower() or w[:1].isupper() for w in head.split()):
                head = ""
            np_pre = re.sub(r"^(?:(?:a|an|the)\s+)?", "", lead.strip(" ,"), flags=re.I)
            np_words = [w for w in np_pre.split() if w.lower().strip(",") not in _HYPE]
            np_pre = " ".join(np_words).strip(" ,")
            np = " ".join(x for x in (np_pre, exp, head) if x).strip()
            tail = after[len(head_m.group(0)) if head_m else 0 :]
            if re.match(r"\s*,\s*(?:a|an|the)\s", tail):
                np2, tail2 = self._np_and_tail(tail)
                if np == exp or not np_pre and not head:
                    return _Found(acro, exp, np2, tail2, si, "acro", strength + 2)
                tail = tail2
            if np == exp:
                np = ""
            return _Found(acro, exp, np, tail.strip(" ,."), si, "acro", strength + 2)
        # 2) a coined name token in the object: "MoodAngels, ...", "a novel framework, SeLLa-Rec,"
        tokens = obj.split()
        np_before: list[str] = []
        crossed_prep = False
        for ti, tok in enumerate(tokens[:16]):
            clean = tok.strip(".,;:\"'")
            if tok.startswith("("):
                break
            if self._ok_name(clean) or (
                ti == 0
                and _is_capword(clean)
                and tok.endswith(",")
                and len(tokens) > 1
                and tokens[1].lower() in ("a", "an", "the")
            ):
                if crossed_prep:
                    # a name used as a modifier after "towards establishing a": only if it is
                    # itself modified by a noun ("a CoT-Kinetics energy equation")
                    nxt = tokens[ti + 1] if ti + 1 < len(tokens) else ""
                    if not nxt[:1].islower():
                        return None
                name = clean[:-2] if clean.endswith(("'s", "’s")) else clean
                after = " ".join(tokens[ti + 1 :])
                if tok.endswith(","):
                    after = ", " + after
                np_pre = " ".join(w for w in np_before if w.lower().strip(",") not in _HYPE)
                np_pre = np_pre.strip(" ,")
                if crossed_prep:
                    np_pre = ""
                if re.match(r"\s*,\s*(?:a|an|the|one)\s", after) and not np_pre:
                    np, tail = self._np_and_tail(after)
                    return _Found(name, "", np, tail, si, "token", strength + 1)
                if (
                    np_pre
                    and re.match(r"^[a-z]", after)
                    and not re.match(r"(?:to|that|which|for|based|with|using|is|was)\b", after)
                ):
                    # "a novel dataset TOOL-ED based on ..." / "a CoT-Kinetics energy equation"
                    mod, tail = self._np_and_tail(after)
                    return _Found(
                        name, "", (mod if crossed_prep else np_pre), tail, si, "token", strength + 1
                    )
                if crossed_prep and after[:1].islower():
                    mod, tail = self._np_and_tail(after)
                    return _Found(name, "", mod, tail, si, "token", strength)
                return _Found(name, "", np_pre, after.strip(" ,."), si, "token", strength + 1)
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
        return None

    def names(self) -> list[_Found]:
        found: list[_Found] = []
        for si, s in enumerate(self.sentences):
            lead_stripped = _LEAD_CLAUSE.sub("", s)
            # "..., termed AdLift, which ..." / "called Backdoor Token Unlearning (BTU)"
            for nm in _NAMING.finditer(s):
                rest = s[nm.end() :]
                am = _PAREN_ACRO.match(rest, 0) if False else None
                am = re.match(r"((?:[A-Z][\w\-–]*\s+){0,6}?)\(\s*([^()\s]+)\s*\)", rest)
                if am and self._ok_acro(am.group(2)):
                    name, exp = am.group(2).rstrip("."), am.group(1).strip()
                    tail = rest[am.end() :]
                else:
                    tok = rest.split()[0] if rest.split() else ""
                    name = tok.strip(".,;:\"'")
                    if not (self._ok_name(name) or _is_capword(name)):
                        continue
                    if name.lower() in ("it", "this", "them") or name in _GENERIC_ACRONYMS:
                        continue
                    exp, tail = "", rest[len(tok) :]
                # the thing so named: the object of the intro verb before it
                np, tail2 = "", ""
                iv = None
                for v in _INTRO_VERB.finditer(s[: nm.start()]):
                    iv = v
                if iv is not None:
                    seg = s[iv.end() : nm.start()].strip(" ,")
                    seg = re.sub(r"^(?:here|in\s+this\s+(?:paper|work)),?\s+", "", seg, flags=re.I)
                    np, tail2 = self._np_and_tail(seg)
                    np = re.sub(r"^(?:a|an|the)\s+", "", np, flags=re.I)
                tail = tail.strip(" ,.")
                if tail2 and not tail:
                    tail = tail2
                elif tail2 and not re.match(r"(?:to|that|which|designed)\b", tail):
                    tail = tail2
                found.append(_Found(name, exp, np, tail, si, "naming", 5))
            for vm in _INTRO_VERB.finditer(s):
                before = s[: vm.start()]
                if _NOT_OURS_BEFORE.search(before):
                    # "the proposed graph-free KD method (ACGKD)"
                    if re.search(r"\b(?:the|our)\s+$", before, re.I) and vm.group(0).lower() in (
                        "proposed",
                        "introduced",
                        "developed",
                        "designed",
                    ):
                        am = re.match(
                            r"((?:[\w\-–]+\s+){0,6}?)\(\s*([^()\s]+)\s*\)", s[vm.end() :].lstrip()
                        )
                        if am and self._ok_acro(am.group(2)):
                            np = am.group(1).strip()
                            found.append(_Found(am.group(2), "", np, "", si, "proposed", 2))
                    continue
                if re.match(r"\s+(?:by|in|to|for|with)\b", s[vm.end() :]) and not re.match(
                    r"\s+(?:by|in|to|for|with)\s+\w+", s[vm.end() :]
                ):
                    continue
                ours = bool(_OUR_SUBJECT.search(before)) or vm.start() == 0
                f = self._object(s, vm.end(), si, 1 if ours else 0)
                if f and (f.name or ours):
                    found.append(f)
            # "FAME-Net, a novel approach, is proposed" / "NAME, a novel framework for X"
            m = re.search(
                r"(?:^|\s)([A-Za-z][\w\-–+]*),\s+(?:a|an)\s+(?:novel|new)\b", lead_stripped
            )
            if m and self._ok_name(m.group(1)):
                np, tail = self._np_and_tail(lead_stripped[m.end(1) :])
                found.append(_Found(m.group(1), "", np, tail, si, "token", 0))
        return found

    # -- topics -----------------------------------------------------------------------------
    def _clean_topic(self, phrase: str) -> str:
        phrase = phrase.strip()
        phrase = re.sub(
            r"^(?:(?:a|an|the)\s+)?(?:(?:novel|new|newly|emerging|challenging|important|key|"
            r"fundamental|open)\s+)*(?:problem|task|issue|question|challenge)s?\s+of\s+",
            "",
            phrase,
            flags=re.I,
        )
        phrase = self._expand(phrase)
        phrase = _cut_clause(phrase)
        phrase = re.sub(r"^(?:a|an|the)\s+", "", phrase, flags=re.I)
        phrase = re.sub(r"\s+in\s+this\s+(?:paper|work|study)\b", "", phrase)
        phrase = phrase.strip(" .,;:")
        return phrase

    def _expand(self, phrase: str) -> str:
        """Replace parenthesised acronyms: '(LPT)' goes; a generic field acronym keeps its
        short form ('Multimodal Large Language Models (MLLMs)' -> 'MLLMs'); lower-case
        defined acronyms spelled out ('VC' -> 'voice cloning')."""

        def _paren(m: re.Match) -> str:
            return ""

        for acro, (exp, _) in self.defs.items():
            if acro in _GENERIC_ACRONYMS or (acro.endswith("s") and acro[:-1] in _GENERIC_ACRONYMS):
                phrase = phrase.replace(f"{exp} ({acro})", acro)
        phrase = re.sub(r"\s*\((?:[^()]*)\)", _paren, phrase)
        for acro, (exp, _) in self.defs.items():
            if exp[:1].islower() and acro not in _GENERIC_ACRONYMS and not acro.endswith("."):
                phrase = re.sub(r"(?<![\w-])" + re.escape(acro) + r"(?![\w-])", exp, phrase)
            elif acro.endswith(".") and exp[:1].islower():
                phrase = re.sub(
                    r"(?<![\w-])" + re.escape(acro.rstrip(".")) + r"\.?(?![\w-])", exp, phrase
                )
        return re.sub(r"\s+", " ", phrase).strip()

    def _expand_keep(self, phrase: str, keep: str) -> str:
        """Like _expand, but a parenthesised ``keep`` acronym stays."""
        if not keep:
            return self._expand(phrase)
        phrase = phrase.replace(f"({keep})", "\x00")
        return self._expand(phrase).replace("\x00", f"({keep})")

    def topics(self) -> list[tuple[int, int, str]]:
        """(sentence, priority, topic) candidates: lower priority number wins a tie."""
        out: list[tuple[int, int, str]] = []
        for si, s in enumerate(self.sentences):
            s = s.rstrip(".")
            m = _NEW_TASK.search(s)
            if m and re.search(
                r"\b(?:novel|new|emerging|define|defines|formulate|introduc)", s[: m.start(1)], re.I
            ):
                t = re.split(r"\s*(?:--|—|–|,|;|:|\.)\s*", m.group(1).strip(" -—–"))[0]
                t = self._clean_topic(t)
                if len(t.split()) >= 2:
                    out.append((si, 0, t))
            m = _AIM.search(s)
            if m:
                t = self._clean_topic(m.group(1))
                if len(t.split()) >= 2:
                    out.append((si, 1, t))
            m = _TOPIC_VERBS.search(s)
            if m:
                verb, obj = m.group(1).lower(), m.group(2)
                if verb.startswith(("aim", "seek", "sought")):
                    pass
                if _drop_anaphora(" ".join(obj.split()[:4])) == "" and not re.match(
                    r"(?:the\s+)?(?:key|main|major)\b", obj, re.I
                ):
                    obj = ""
                t = self._clean_topic(obj) if obj else ""
                if re.match(r"(?:whether|if|how|what|why)\b", t):
                    t = ""
                if len(t.split()) >= 3:
                    if verb.startswith(("review", "survey")):
                        t = f"{t}: a review"
                    out.append((si, 2, t))
            cm = None
            for vm in _INTRO_VERB.finditer(s):
                obj = s[vm.end() :].strip()
                cm = _CONCEPT.match(obj)
                if cm:
                    t = self._clean_topic(cm.group(1))
                    if len(t.split()) >= 2:
                        out.append((si, 2, t))
        return out

    def intro_topic(self, f: _Found) -> str:
        """A no-name intro: 'we propose a novel LLM-enhanced MIL approach to jointly predict ...'"""
        np = self._expand(f.np)
        extra = self._extend(np, f.tail, for_name=False)
        return f"{np} {extra}".strip() if extra else np

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
        subj = self._expand(subj)
        if _STARTS_BAD_DOMAIN.match(subj) or not (1 <= len(subj.split()) <= 7):
            return ""
        if "," in subj or re.search(r"\b(?:that|which|who)\b", subj):
            return ""
        return _lower_first(subj)

    # -- describing what was found ----------------------------------------------------------
    def _extend(self, np: str, tail: str, for_name: bool) -> str:
        """What to add after a short noun phrase: its purpose or what it does."""
        tail = tail.strip(" ,.")
        if not tail:
            return ""
        # "designed to X", "aiming to X": keep as a purpose
        m = re.match(
            r"(?:,\s*)?(designed|intended|tailored|aim(?:ing|ed))\s+(?:\w+ly\s+)?to\s+(.*)", tail
        )
        if m:
            p = _drop_anaphora(_cut_clause("to " + m.group(2)))
            verb = "designed " if m.group(1) == "designed" else ""
            return f"{verb}{p}" if p else ""
        m = re.match(r"(?:,\s*)?to\s+(.*)", tail)
        if m:
            p = _drop_anaphora(_cut_clause("to " + m.group(1)))
            return p
        m = re.match(r"(?:,\s*)?(?:which|that)\s+(.*)", tail)
        if not m:
            m2 = re.match(
                r"(?:,\s*)?(leveraging|utilizing|comprising|combining|integrating|incorporating|enabling|allowing)\s+(.*)",
                tail,
            )
            if m2:
                return _drop_anaphora(_cut_clause(f"{m2.group(1)} {m2.group(2)}"))
            return ""
        clause = m.group(1)
        if for_name:
            vm = re.match(
                r"(?:\w+ly\s+)?(?:leverages?|uses?|employs?|exploits?|utili[sz]es?|combines?|"
                r"integrates?|incorporates?|adopts?|harness(?:es)?|applies|introduces)\b(.*)",
                clause,
            )
            if vm:
                pm = re.search(r"\sto\s+(?:\w+ly\s+)?[a-z]+\b.*", vm.group(1))
                if pm:
                    p = _drop_anaphora(_cut_clause(pm.group(0).strip()))
                    if p and len(p.split()) >= 3:
                        return p
        part = _participle(clause)
        if not part:
            return ""
        part = re.split(r",\s*(?:and\s+)?", part)[0]
        part = re.sub(r"\s+(?:by|through|thereby|while|so\s+that)\s.*$", "", part)
        return _drop_anaphora(part)


def _describe(reader: _Reader, f: _Found, domain_hint: str) -> str:
    """The part of a title after the name: 'a multi-agent framework for mood disorder diagnosis'."""
    np = reader._expand(f.np).strip(" ,.")
    np = re.sub(r"^(?:a|an|the)\s+", "", np, flags=re.I)
    np = " ".join(w for w in np.split() if w.lower() not in ("novel", "new", "first"))
    exp_words = set(f.expansion.lower().split())
    content = [
        w
        for w in np.split()
        if w.lower() not in exp_words and w.lower() not in _GENERIC_HEADS and w.lower() not in _HYPE
    ]
    has_purpose = re.search(r"\s(?:for|to|towards|designed|optimized|validated)\s", f" {np} ")
    if np and (has_purpose or len(content) > 3):
        return f"{_article(np)} {np}".strip()
    extra = reader._extend(np, f.tail, for_name=True)
    if not np:
        if extra.startswith("to "):
            return _to_gerund_phrase(extra)
        if extra.startswith("designed to "):
            return _to_gerund_phrase(extra[len("designed ") :])
        return extra
    if extra:
        if not extra.startswith(("to ", "designed ")):
            np = re.sub(r"\s+(?:based\s+on|built\s+(?:on|upon)|inspired\s+by|using)\s.*$", "", np)
        return f"{_article(np)} {np} {extra}".strip()
    if not content and domain_hint:
        return f"{_article(np)} {np} for {domain_hint}".strip()
    if len(content) <= 1 and domain_hint and not has_purpose:
        return f"{_article(np)} {np} for {domain_hint}".strip()
    return f"{_article(np)} {np}".strip()


def _compose(label: str, desc: str, joiner: str = ": ") -> str:
    lw = label.split()
    budget = MAX_WORDS - len(lw)
    if not desc:
        return label
    dw = desc.split()
    if len(dw) > budget:
        dw = _trim(dw, budget)
    dw = _strip_trailing(dw)
    if len(dw) < 2 and len(desc.split()) >= 2:
        return label
    return f"{label}{joiner}{' '.join(dw)}" if dw else label


def _title_for(reader: _Reader, f: _Found, domain_hint: str) -> str:
    if f.kind == "gerund":
        return _cap(" ".join(_trim(reader._expand_keep(f.np, f.name).split(), MAX_WORDS)))
    desc = _describe(reader, f, domain_hint)
    exp = f.expansion
    in_np = exp and exp.lower() in reader._expand(f.np).lower()
    if exp and not in_np:
        label = f"{_cap(exp)} ({f.name})"
        if desc.startswith("for ") or desc == f"for {domain_hint}":
            return _compose(label, desc[4:], " for ")
        if desc.split() and desc.split()[0] not in ("a", "an") and len(desc.split()) > 2 and False:
            pass
        if len(label.split()) + len(desc.split()) > MAX_WORDS and len(desc.split()) >= 4:
            label = f.name
        if not desc and domain_hint:
            return _compose(label, domain_hint, " for ")
        return _compose(label, desc)
    if not desc and domain_hint:
        return _compose(f.name, domain_hint, " for ")
    if desc.startswith("for "):
        return _compose(f.name, desc[4:], " for ")
    return _compose(f.name, desc)


def _best_name(reader: _Reader) -> _Found | None:
    found = reader.names()
    if not found:
        return None
    # the first sentence that names something; within it, the strongest reading
    first = (
        min(x.sent for x in found if x.name or x.kind == "gerund")
        if any(x.name or x.kind == "gerund" for x in found)
        else None
    )
    named = [x for x in found if x.name or x.kind == "gerund"]
    if first is None:
        return None
    # a weak, adjectival reading ("the proposed ... (ACR)") only counts when nothing else does
    strong = [x for x in named if x.kind != "proposed"]
    pool = strong or named
    first = min(x.sent for x in pool)
    cands = [x for x in pool if x.sent == first]
    best = max(cands, key=lambda x: x.strength)
    # a no-name intro right before ("we propose a fast ... approach. Specifically, NAME ...")
    return best


def _analyze(text: str) -> tuple[_Reader, _Found | None, str]:
    reader = _Reader(text)
    found = reader.names()
    named = [x for x in found if x.name]
    gerunds = [x for x in found if x.kind == "gerund"]
    topics = reader.topics()
    best: _Found | None = None
    if named:
        strong = [x for x in named if x.kind != "proposed"]
        pool = strong or named
        first = min(x.sent for x in pool)
        best = max((x for x in pool if x.sent == first), key=lambda x: x.strength)
        # an adjectival "the proposed X (ACR)" in an earlier sentence than any strong reading
        weak_early = [x for x in named if x.kind == "proposed" and x.sent < first]
        if weak_early:
            best = weak_early[0]
    # a task or problem the paper defines, or a gerund intro, before any name
    task = [t for t in topics if t[1] == 0]
    if gerunds and (best is None or gerunds[0].sent <= best.sent):
        return reader, gerunds[0], "gerund"
    if task and (best is None or task[0][0] < best.sent):
        return reader, None, task[0][2]
    if best is not None:
        # the paper's own no-name intro sentence right before a name: use its noun phrase
        plain = [
            x
            for x in found
            if not x.name
            and x.kind != "gerund"
            and x.strength >= 1
            and x.sent in (best.sent - 1, best.sent)
        ]
        if plain and best.kind in ("proposed", "subject", "naming", "token", "acro"):
            np = reader._expand(plain[0].np)
            content = [
                w for w in np.split() if w.lower() not in _GENERIC_HEADS and w.lower() not in _HYPE
            ]
            if (
                len(content) >= 3
                and plain[0].sent < best.sent
                and best.kind in ("proposed", "subject")
                or (
                    len(content) >= 3
                    and plain[0].sent < best.sent
                    and best.sent == plain[0].sent + 1
                    and re.match(
                        r"(?:specifically|in\s+particular|concretely)\b",
                        reader.sentences[best.sent],
                        re.I,
                    )
                )
            ):
                best = _Found(
                    best.name, "", plain[0].np, plain[0].tail, best.sent, best.kind, best.strength
                )
        return reader, best, ""
    return reader, None, ""


def find_method_name(text: str) -> tuple[str, str, str]:
    """(name, expansion, descriptor) of what the abstract introduces; empty strings if none."""
    if not text or not text.strip():
        return "", "", ""
    reader, f, _ = _analyze(text)
    if f is None or not f.name:
        return "", "", ""
    desc = _describe(reader, f, "") if f.kind != "gerund" else ""
    desc = re.sub(r"^(?:a|an)\s+", "", desc)
    return f.name, f.expansion, desc


def derive_title(text: str) -> str:
    """A readable title for an abstract that has none."""
    if not text or not text.strip():
        return ""
    reader, f, topic = _analyze(text)
    title = ""
    if f is not None:
        title = _title_for(reader, f, reader.domain())
    elif topic:
        title = _cap(" ".join(_trim(topic.split(), MAX_WORDS)))
    if not title:
        title = _topic_title(reader)
    title = re.sub(r"\s+", " ", title).strip(" .,:;")
    if len(title) > MAX_CHARS:
        title = " ".join(_strip_trailing(title[: MAX_CHARS - 1].rsplit(" ", 1)[0].split())) + "…"
    return _cap(title)


def _topic_title(reader: _Reader) -> str:
    """What the paper does when it names nothing: the sentence that says so, else the first."""
    found = reader.names()
    cands: list[tuple[int, int, str]] = list(reader.topics())
    for x in found:
        if not x.name and x.kind != "gerund" and x.strength >= 1 and x.np:
            t = reader.intro_topic(x)
            words = [
                w for w in t.split() if w.lower() not in _GENERIC_HEADS and w.lower() not in _HYPE
            ]
            if len(words) >= 2:
                cands.append((x.sent, 3, t))
    cands.sort(key=lambda c: (c[0], c[1]))
    for _, _, t in cands:
        words = _trim(t.split(), MAX_WORDS)
        if len(words) >= 2:
            return _cap(" ".join(words))
    if not reader.sentences:
        return ""
    first = _LEAD_CLAUSE.sub("", reader.sentences[0])
    first = reader._expand(first)
    m = _SUBJECT_VERB.search(first)
    if m and len(first[: m.start()].split()) >= 3:
        first = first[: m.start()]
    first = re.split(r"[,;:]\s|\s(?:but|while|whereas|which)\s", first)[0]
    return _cap(" ".join(_trim(first.rstrip(".").split(), MAX_WORDS)))
