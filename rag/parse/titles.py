"""Display titles for abstracts that come without one, and the name a paper coins.

A derived title is for people only: it is never embedded, indexed or hashed (see
``rag.ingest.embed_text``), so changing a rule here re-embeds nothing. It names what the paper
introduces and says what that is: ``FooNet: a graph network for traffic forecasting``; a paper
that coins no name gets its topic (``Effect of short naps on recall in older adults``).

The rules, in order:

1. A *coined name* is a token shaped like one (CamelCase, an acronym, letters with digits) that
   the paper puts forward in a sentence of its own (``we``, ``our``, ``this paper``): right after
   an intro verb (``we propose FooNet``), after a naming verb (``called Warmstart``, ``we name
   it X``), or as an acronym defined inside the object of an intro verb (``we propose Sparse
   Token Routing (STR)``). An acronym whose long form is the field after ``for``/``in``/``on``
   (``a method for continual learning (CL)``) names the field, not the paper; so do a few
   well-known field and model acronyms.
2. Its *description* is the noun phrase that says what it is: after it (``FooNet, a graph
   network for ...``), before the naming verb (``a training strategy called Warmstart``), in an
   ``X is a ...`` sentence, or the object of the paper's intro sentence before it.
3. Without a name, the *topic* is the object of the sentence that says what the paper does
   (``we investigate ...``, ``OBJECTIVE To assess ...``, ``we propose to use ...`` as
   ``Using ...``), else the first sentence up to its first clause.
4. Everything is cut at a clause boundary and trimmed to ``MAX_WORDS`` without ending on a
   preposition or article; a title is never empty and never a bare name.
"""

from __future__ import annotations

import re

from ..text import split_sentences

MAX_WORDS = 14
MAX_CHARS = 140
_MAX_TEXT = 6_000  # titles come from the opening of an abstract

_INTRO = (
    r"(?:propose[sd]?|introduce[sd]?|present(?:s|ed)?|develop(?:s|ed)?|design(?:s|ed)?|"
    r"build|built|release[sd]?|construct(?:s|ed)?|create[sd]?|curate[sd]?|devise[sd]?|"
    r"put\s+forward)"
)
_STUDY = (
    r"(?:investigate[sd]?|stud(?:y|ies|ied)|examine[sd]?|explore[sd]?|analy[sz]e[sd]?|"
    r"assess(?:es|ed)?|evaluate[sd]?|characteri[sz]e[sd]?|report(?:s|ed)?|describe[sd]?|"
    r"compare[sd]?|define[sd]?|test(?:s|ed)?|address(?:es|ed)?|revisit(?:s|ed)?|quantif(?:y|ies|ied))"
)
# the paper speaking of its own work
_OURS = re.compile(
    r"\b(?:we|our|us|here|proposed|this\s+(?:paper|work|study|article|letter|report))\b",
    re.IGNORECASE,
)
_ADVERBS = r"(?:\s+(?:\w+ly|also|further|then|first|here|now|thus|therefore|finally))*"
_SUBJECT = r"\b(?:we|this\s+(?:paper|work|study|article|letter|report)|here)"
_INTRO_AT = re.compile(rf"{_SUBJECT}{_ADVERBS}\s+{_INTRO}\s+", re.IGNORECASE)
_STUDY_AT = re.compile(rf"{_SUBJECT}{_ADVERBS}\s+(?:{_STUDY}|{_INTRO})\s+", re.IGNORECASE)
_AIM_AT = re.compile(
    r"\b(?:(?:aims?|aimed|sought|seeks?)\s+to|goal\s+(?:is|was)\s+to)\s+(\w+)\s+", re.IGNORECASE
)
_NAMING = re.compile(
    r"\b(?:called|named|termed|dubbed|coined|we\s+(?:call|name|term|dub)(?:\s+(?:it|this|them))?)"
    r"\s+[\"'“]?",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[A-Za-z0-9][\w\-+]*")
_CAP_RUN = re.compile(r"(?:[A-Z][\w\-]*\s+){0,7}?[A-Z][\w\-]*\s*\(\s*([A-Za-z][\w\-+]*)\s*\)")
_PROPOSED_ACRO = re.compile(r"\b(?:the\s+)?(?:proposed|our)\s+([^.;()]{3,80}?)\s*\(([^()\s]+)\)")
_DEFINED = re.compile(r"((?:[\w\-]+\s+){1,6})\(([A-Z][A-Za-z]{1,9})\)")
_PAREN_ACRO = re.compile(r"\s*\(\s*([A-Za-z][\w\-+]*)\s*\)")
_SECTION = re.compile(
    r"\b(?:BACKGROUND|INTRODUCTION|OBJECTIVES?|AIMS?|PURPOSE|METHODS?|RESULTS?|CONCLUSIONS?|"
    r"FINDINGS|DESIGN|SETTING|CONTEXT|IMPORTANCE)\b:?\s*"
)
# a noun phrase ends at a clause: punctuation, a relative pronoun, a verb
_NP_END = re.compile(
    r"\s*[;:]|\s*,(?=\s)|\s(?:that|which|who|where|whereby|whose|while|whereas|through|thereby|by\s+\w+ing|"
    r"leveraging|utilizing|comprising|consisting|combining|enabling|allowing|"
    r"and\s+(?:a|an|the|we|it|show|demonstrate|evaluate|\w+[^su\W]s\b)|to\s+(?:\w+ly\s+)?(?:address|tackle|"
    r"solve|overcome|mitigate|improve|enhance|enable|alleviate|reduce|bridge)|is|are|was|were|"
    r"has|have|can|could|will|would|may|might|in\s+this\s+(?:paper|work|study))\b"
)
# a relative clause or participle that says what a thing does: "that evaluates X"
_DOES = re.compile(r"\s*,?\s*(?:that|which)\s+(?:\w+ly\s+)?(\w+[^su\W]s)\s+(.*)")
_HYPE = re.compile(
    r"\b(?:novel|new|first|simple|yet|effective|powerful|innovative|comprehensive|specialized|"
    r"unified|principled|straightforward|explicitly|specifically)\b\s*",
    re.IGNORECASE,
)
_ENDS_BADLY = frozenset(
    """a an the of and or to in for by with on via from as at its their our is are be was
    were this these that which into using through based inspired while whose where than
    between both such also""".split()
)
# acronyms of whole fields and well-known models: they never name a paper's own contribution
_GENERIC = frozenset(
    """AI ML DL NLP CV RL LLM LLMs VLM VLMs MLLM MLLMs LM LMs PLM PLMs GNN GNNs CNN CNNs RNN
    RNNs DNN DNNs MLP GAN GANs VAE RAG QA VQA API GPU CPU SOTA KD CL FL IoT LoRA MoE CoT ICL
    RLHF DPO SFT PEFT ViT GPT BERT CLIP ChatGPT GPT-3 GPT-4 GPT-4o GPT-4V LLaMA Llama T5 MRI
    CT EEG ECG DNA RNA COVID-19 HIV USA UK EU US OOD ASR TTS NER MT OCR SAE SAEs""".split()
)


def _is_name(tok: str) -> bool:
    """Shaped like a coined name: FooNet, STR, MMLU-Pro, For-Value (not GPT-4, 2024, Deep)."""
    core = tok.rstrip("+")
    if len(core) < 2 or core in _GENERIC or not core[0].isalpha():
        return False
    caps = sum(c.isupper() for c in core)
    camel = re.search(r"[a-z][A-Z]", core) is not None
    hyphen_caps = re.fullmatch(r"[A-Z]\w*(?:-[A-Z0-9]\w*)+", core) is not None
    return camel or hyphen_caps or caps >= 2 or (caps >= 1 and any(c.isdigit() for c in core))


def _clean(phrase: str) -> str:
    """A phrase without parentheses, quotes and doubled spaces."""
    phrase = re.sub(r"\s*\([^()]*\)", "", phrase)
    # "a new problem -- the X of Y --": the dashes restate the head
    phrase = re.sub(
        r"\b(?:an?\s+)?(?:[\w-]+\s+){0,3}(?:problem|task)\s+--\s+(.+?)\s+--", r"\1", phrase
    )
    return re.sub(r"\s+", " ", re.sub(r"[\"“”]", "", phrase)).strip()


def _np(rest: str) -> str:
    """The noun phrase at the start of ``rest``, up to its first clause boundary."""
    rest = _clean(rest)
    m = _NP_END.search(rest)
    return (rest[: m.start()] if m else rest).strip(" .")


def _article(np: str) -> str:
    """'a' or 'an' for a noun phrase, by sound: an LLM, a unified model, an open benchmark."""
    first = np.split()[0] if np.split() else ""
    if re.match(r"[A-Z]{2}", first):
        return "an" if first[0] in "AEFHILMNORSX" else "a"
    if re.match(r"(?:uni|use|usu|eu|one)", first, re.I):
        return "a"
    return "an" if first[:1].lower() in "aeiou" else "a"


def _base(verb: str) -> str:
    """evaluates -> evaluate, focuses -> focus, applies -> apply (third person to base)."""
    v = verb.lower()
    if v.endswith("ies"):
        return v[:-3] + "y"
    if re.search(r"(?:ss|sh|ch|x|z|us)es$", v):
        return v[:-2]
    return v[:-1] if v.endswith("s") and not v.endswith("ss") else v


def _gerund(verb: str) -> str:
    """use -> using, run -> running, study -> studying."""
    v = verb.lower()
    if v.endswith("ie"):
        return v[:-2] + "ying"
    if v.endswith("e") and not v.endswith(("ee", "ye")):
        return v[:-1] + "ing"
    if re.fullmatch(r"[^aeiou]*[aeiou][bdgmnpt]", v):
        return v + v[-1] + "ing"
    return v + "ing"


def _does(tail: str) -> str:
    """'that evaluates X across Y, ...' -> 'evaluating X across Y'; '' if no such clause or
    if it points back ('tackling these challenges' says nothing on its own)."""
    phrase = _does_clause(tail)
    back = _ANAPHORA.search(phrase)
    if back:  # "... works in these models" -> "... works"
        phrase = _trim(phrase[: back.start()], 99)
    return phrase if len(phrase.split()) >= 2 else ""


def _does_clause(tail: str) -> str:
    m = _DOES.match(tail)
    if m and m.group(1).lower() not in ("has", "does"):
        rest = re.sub(  # "detects and neutralizes X" -> "detecting and neutralizing X"
            r"\b(and|or)\s+(\w+[^su\W]s)\b", lambda v: f"{v[1]} {_gerund(_base(v[2]))}", m[2]
        )
        return f"{_gerund(_base(m.group(1)))} {_np(rest)}".strip()
    m = re.match(r"\s*,?\s*to\s+(?:\w+ly\s+|further\s+)?(\w+)\s+(.*)", tail)
    if m:
        return f"{_gerund(m.group(1))} {_np(m.group(2))}".strip()
    m = re.match(r"\s*,?\s*(?:that|which)\s+is\s+((?:designed|intended)\s+to\s+.*)", tail)
    return _np(m.group(1)) if m else ""


def _phrase(rest: str) -> str:
    """A description from the text after an article: 'a novel benchmark that evaluates X' ->
    'a benchmark evaluating X'; '' when it says nothing beyond 'a framework'."""
    clean = _clean(rest)
    head = _HYPE.sub("", _np(clean)).strip()
    head = re.sub(r"^(?:(?:a|an|the|our|this|and|or)\s+)+", "", head, flags=re.IGNORECASE)
    m = _NP_END.search(clean)
    if head and m and len(head.split()) <= 4:
        more = _does(clean[m.start() :])
        if more and len(more.split()) >= 2:
            head = f"{head} {more}"
    head = _POINTS_BACK.sub("", head)  # "a framework tackling these challenges"
    if not head or (len(head.split()) < 2 and not _is_name(head)):  # "a framework" says nothing
        return ""
    return f"{_article(head)} {head}"


def _trim(phrase: str, max_words: int = MAX_WORDS) -> str:
    """At most ``max_words`` words, never ending on an article, preposition or conjunction."""
    words = phrase.split()
    cut, words = len(words) > max_words, words[:max_words]
    if cut and len(words) > 2 and words[-2].lower() == "to":
        words = words[:-2]  # "... to uncover" cut before its object
    while words and words[-1].lower().strip(".,;:") in _ENDS_BADLY:
        words.pop()
    return " ".join(words).strip(" .,;:")


def _long_form(before: str, acro: str) -> str:
    """The words before ``(ACRO)`` that spell it: 'We propose Sparse Token Routing' -> 3 words."""
    words = before.split()
    for n in range(min(len(words), len(acro) + 2), 0, -1):
        span = words[-n:]
        if span[0][:1].lower() == acro[:1].lower() and span[0].lower() not in _ENDS_BADLY:
            return " ".join(span)
    return ""


class _Abstract:
    """The sentences of one abstract and what the rules find in them."""

    def __init__(self, text: str) -> None:
        text = _SECTION.sub("", text[:_MAX_TEXT])
        self.sentences = [s.strip() for s in split_sentences(text) if s.strip()]
        # acronyms the abstract defines for a lower-case term ("voice cloning (VC)") are
        # spelled out in titles; those of proper names stay short
        self.spelled: dict[str, str] = {}
        for m in _DEFINED.finditer(text):
            long = _long_form(m.group(1), m.group(2))
            long = long[:1].lower() + long[1:]  # "Voice cloning (VC)" opening a sentence
            if long and long.islower() and m.group(2) not in _GENERIC:
                self.spelled.setdefault(m.group(2), long)

    def spell(self, phrase: str) -> str:
        """``phrase`` with the abstract's lower-case acronyms written out."""
        if not self.spelled:
            return phrase
        return re.sub(r"\b[A-Z][\w\-]*\b", lambda m: self.spelled.get(m[0], m[0]), phrase)

    def _after(self, tail: str) -> str:
        """The description after a name: ', a graph network ...', ', which combines ...'."""
        m = re.match(r"\s*(?:,|:|—|\s-|,?\s*which\s+is|is)\s*((?:a|an|the)\s.*)", tail)
        if m:
            return _phrase(m.group(1))
        return _does(tail)

    def _is_sentence(self, name: str, start: int) -> str:
        """A later sentence 'NAME is a ...'."""
        for s in self.sentences[start : start + 3]:
            m = re.match(rf"\s*{re.escape(name)}\s+(?:is|was)\s+((?:a|an)\s.*)", s)
            if m:
                return _phrase(m.group(1))
        return ""

    def _intro_object(self, s: str) -> str:
        """The object of an intro sentence, as a description: 'a large-scale dataset for X'."""
        m = _INTRO_AT.search(s)
        return _phrase(s[m.end() :]) if m else ""

    def _named(self, s: str, i: int) -> tuple[str, str, str] | None:
        """'a training strategy called Warmstart', 'called Backdoor Token Unlearning (BTU)'."""
        for m in _NAMING.finditer(s):
            after = s[m.end() :]
            run = _CAP_RUN.match(after)
            if run and _is_name(run.group(1)):
                name, long, end = run.group(1), _clean(after[: run.end()]), run.end()
            else:
                tok = _TOKEN.match(after)
                if not tok or not tok.group(0)[:1].isupper() or tok.group(0) in _GENERIC:
                    continue
                name, long, end = tok.group(0).rstrip("."), "", tok.end()
            before = re.split(rf"\b{_INTRO}\s+", s[: m.start()])[-1]
            desc = _phrase(before)
            if not desc or len(desc.split()) <= 4:  # "a training strategy called X, which ..."
                more = self._after(after[end:])
                desc = (
                    f"{desc} {more}".strip()
                    if desc and _DOES.match(after[end:])
                    else (more or desc)
                )
            if not desc and i > 0 and len(before.split()) <= 2:  # "We name it X." after the intro
                desc = self._intro_object(self.sentences[i - 1])
            return name, long, desc
        return None

    def _introduced(self, rest: str) -> tuple[str, str, str] | None:
        """What follows an intro verb: a name, an acronym defined in its object, an appositive."""
        lead = re.match(r"(?:the\s+|an?\s+)?([A-Za-z][\w\-+]*)", rest)
        follow = re.match(r"\s+(\w+)", rest[lead.end() :]) if lead else None
        named = (
            lead
            and (  # "we propose Quodravi, a method ...": any capitalized word
                _is_name(lead[1])
                or (
                    lead[1][0].isupper()
                    and lead[1] not in _GENERIC
                    and _APPOS.match(rest[lead.end() :])
                )
            )
        )
        if named and (not follow or follow[1] in _AFTER_NAME):
            nxt = rest[lead.end() :]
            paren = re.match(r"\s*\([^()]+\)", nxt)  # "MMLU-Pro (Massive ...), a ..."
            return lead.group(1), "", self._after(nxt[paren.end() :] if paren else nxt)
        span = re.split(r"[.;]", rest, maxsplit=1)[0]
        m = _PAREN_ACRO.search(span)
        if m and _is_name(m.group(1)) and len(span[: m.start()].split()) <= 16:
            before = span[: m.start()]
            long = _long_form(before, m.group(1))
            ahead = before[: len(before) - len(long)] if long else before
            if not re.search(r"\b(?:for|in|on|of|to|with|from|and)\s*$", ahead):
                after = rest[m.end() :]
                kind = re.match(r"\s+(\w+)(?=[\s,.])", after)
                if kind and kind.group(1).lower() in _KINDS:  # "(RAHFL) framework"
                    desc = _phrase(f"{ahead.strip()} {long} {kind.group(1)}".strip() or "a")
                    return m.group(1), "", desc
                desc = self._after(after) or ("" if long else _phrase(before))
                return m.group(1), long, desc
        appos = re.match(r"([^,.;()]{3,120}),\s*([A-Za-z][\w\-+]*)\s*(?=[,.(]|$)", rest)
        if appos and _is_name(appos.group(2)):  # "a novel framework, SeLLa-Rec, which ..."
            tail = rest[appos.end() :]
            return appos.group(2), "", _phrase(appos.group(1) + " " + tail) or self._after(tail)
        return None

    def name(self) -> tuple[str, str, str]:
        """(name, long form, description) of what the paper introduces."""
        for i, s in enumerate(self.sentences):
            if not _OURS.search(s):
                continue
            found = self._named(s, i)
            for m in [] if found else _INTRO_AT.finditer(s):
                found = self._introduced(s[m.end() :])
                if found:
                    break
            m = None if found else _PROPOSED_ACRO.search(s)
            if m and _is_name(m.group(2)):  # "the proposed graph-free KD method (ACGKD)"
                desc = _phrase(m.group(1))
                if i > 0 and len(desc.split()) < 4:
                    desc = self._intro_object(self.sentences[i - 1]) or desc
                found = (m.group(2), "", desc)
            if found:
                name, long, desc = found
                return name, long, desc or self._is_sentence(name, i + 1)
        return "", "", ""

    def topic(self) -> str:
        """What the paper does when it names nothing; its first sentence's subject at worst."""
        for s in self.sentences:
            m = _STUDY_AT.search(s) or _AIM_AT.search(s) or re.match(r"To\s+(\w+)\s+(?=[^,]*$)", s)
            if m is None:
                continue
            rest = s[m.end() :]
            to = re.match(r"to\s+(\w+)\s+(.*)", rest)
            if to:  # "we propose to use X" -> "Using X"
                phrase = f"{_gerund(to.group(1))} {_np(to.group(2))}"
            elif re.match(r"(?:that|how|whether|why|what|if)\b", rest):
                phrase = _np(re.sub(r"^\w+\s+", "", rest))
            elif re.match(r"an?\s", _clean(rest)):
                phrase = _phrase(rest)
            else:
                phrase = _HYPE.sub("", _np(rest))
            phrase = re.sub(r"^(?:the|our|this|these)\s+", "", phrase, flags=re.I)
            words = re.sub(r"^(?:a|an)\s+", "", phrase).split()
            if len(words) >= 2 and words[0].lower() not in _NOT_FIRST:
                return phrase
        first = self.sentences[0] if self.sentences else ""
        first = re.sub(r"^(?:In\s+(?:recent\s+years|this\s+\w+)|Recently),?\s*", "", first)
        subject = _np(first)
        if len(subject.split()) >= 3:
            return subject
        return _clean(re.split(r"[,;:]\s|\s(?:but|while|whereas|which)\s", first)[0])


_NOT_FIRST = frozenset("and or of to in for by with on as at that which is are was were".split())
_APPOS = re.compile(r",\s+(?:a|an)\s")
_ANAPHORA = re.compile(r"\b(?:these|this|those|such|them|it|its)\b", re.IGNORECASE)
_POINTS_BACK = re.compile(
    r"\s+\w+ing\s+(?:\w+\s+){0,2}?(?:these|this|those|such|them|it|its)\b.*$", re.IGNORECASE
)
_AFTER_NAME = frozenset("to for as which that with in on and is to,".split())
_KINDS = frozenset(
    """framework benchmark dataset model method approach system paradigm toolkit library
    corpus architecture algorithm strategy mechanism pipeline""".split()
)


def find_method_name(text: str) -> tuple[str, str, str]:
    """(name, long form, description) of what the abstract introduces; empty strings if none."""
    if not text or not text.strip():
        return "", "", ""
    name, long, desc = _Abstract(text).name()
    return name, long, re.sub(r"^(?:a|an)\s+", "", desc)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def derive_title(text: str) -> str:
    """A readable display title for an abstract that has none; never empty, never a bare name."""
    if not text or not text.strip():
        return "Untitled abstract"
    a = _Abstract(text)
    name, long, desc = a.name()
    if name:
        label = f"{_cap(long)} ({name})" if long else name
        room = MAX_WORDS - len(label.split())
        if long and desc and long.lower() in desc.lower():
            label, room = name, MAX_WORDS - 1  # the description spells the name out already
            if _clean(desc).lower().split()[1:] == long.lower().split():
                label, desc = f"{_cap(long)} ({name})", ""  # it says nothing more
        elif long and desc and len(_trim(desc, room).split()) < min(4, len(desc.split())):
            label, room = name, MAX_WORDS - 1  # the description matters more than the long form
        desc = a.spell(desc or ("" if len(long.split()) >= 2 else a.topic()))
        tail = _trim(desc, max(room, 2))
        title = f"{label}: {tail}" if tail else label
    else:
        title = _cap(_trim(a.spell(a.topic()))) or _cap(_trim(text))
    title = re.sub(r"\s+", " ", title).strip(" .,;:")
    if len(title) > MAX_CHARS:
        title = _trim(title[: MAX_CHARS - 1].rsplit(" ", 1)[0]) + "…"
    return title or "Untitled abstract"
