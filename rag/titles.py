"""Readable titles for abstracts that come without one.

A title names what the paper introduces (its method, dataset or benchmark) and what it is for:
``MoodAngels: multi-agent framework for mood disorder diagnosis``. When an abstract introduces
no name, the title is its topic, taken from the sentence that states what the paper does.
"""

from __future__ import annotations

import re

from .text import split_sentences

_VERBS = (
    r"(?:propose|proposes|proposed|introduce|introduces|introduced|present|presents|presented|"
    r"develop|develops|developed|design|designs|designed|build|builds|release|releases|"
    r"construct|constructs|curate|curates|contribute|contributes|establish|establishes|"
    r"formalize|formalizes|put forward|puts forward|offer|offers|create|creates|"
    r"call|called|name|named|term|termed|dub|dubbed|coin|coined)"
)
# a name: CamelCase, ALL-CAPS, with digits or hyphens; at least one capital after the first char
_NAME = r"(?:[A-Za-z0-9][A-Za-z0-9]*(?:[-–][A-Za-z0-9]+)*)"
_RE_ACRO_PAREN = re.compile(r"\(([A-Za-z][A-Za-z0-9\-–]*[A-Z0-9][A-Za-z0-9\-–]*)\)")
_HYPE = {
    "a",
    "an",
    "the",
    "novel",
    "new",
    "simple",
    "effective",
    "first",
    "straightforward",
    "general",
    "unified",
    "principled",
    "lightweight",
    "yet",
    "and",
    "powerful",
    "innovative",
    "specialized",
    "comprehensive",
    "systematic",
    "our",
    "this",
}
_DESCR_END = re.compile(
    r"(?:[,;:.()]|\s(?:that|which|where|whereby|wherein|to|by|via|through|using|with|"
    r"whose|while|and\s+(?:a|an|the)|aiming|designed|consisting|comprising|leveraging)\s)"
)
_LEAD_CLAUSE = re.compile(
    r"^(?:in this (?:paper|work|study)|here|to (?:address|tackle|bridge|solve|overcome|fill|close)"
    r"[^,]*|in response[^,]*|to this end|therefore|thus|accordingly|specifically|finally|"
    r"furthermore|moreover|motivated by[^,]*|building on[^,]*|inspired by[^,]*)\s*,\s*",
    re.IGNORECASE,
)
_TOPIC_VERBS = re.compile(
    r"\b(?:this (?:paper|work|study|article)|we|our (?:work|study|paper))\s+"
    r"(?:systematically\s+|comprehensively\s+|empirically\s+|formally\s+|first\s+)?"
    r"(?:investigates?|studies|study|examines?|explores?|analy[sz]es?|addresses?|tackles?|"
    r"revisits?|focuses on|focus on|considers?|presents?|proposes?|introduces?)\s+(.*)",
    re.IGNORECASE,
)


def _is_name(tok: str) -> bool:
    """Does a token look like the name of a method, dataset or benchmark?"""
    tok = tok.strip(".,;:()\"'")
    if len(tok) < 2 or tok.lower() in {"we", "llm", "llms", "ai", "i", "it"}:
        return False
    if not re.fullmatch(_NAME, tok):
        return False
    caps = sum(c.isupper() for c in tok[1:])
    has_digit = any(c.isdigit() for c in tok)
    return caps >= 1 or (has_digit and tok[0].isupper())


_GENERIC_ACRONYMS = {
    "LLM",
    "LLMs",
    "VLM",
    "VLMs",
    "MLLM",
    "MLLMs",
    "AI",
    "NLP",
    "GNN",
    "GNNs",
    "RL",
    "FL",
    "CNN",
    "RAG",
    "SOTA",
    "GPU",
    "GPUs",
    "API",
    "NLU",
    "NLG",
    "LoRA",
    "MoE",
    "QA",
    "VQA",
    "ML",
    "DNN",
    "DNNs",
}


def _descriptor(after: str) -> str:
    """The appositive phrase after a name: ', a novel framework for X that ...' -> 'framework for X'."""
    after = after.lstrip()
    if not after.startswith(","):
        if re.match(r"(?:is|as)\s+(?:a|an|the)\s", after):
            after = re.sub(r"^(?:is|as)\s+", "", after)
        else:
            return ""
    after = after.lstrip(", ")
    words = after.split()
    # drop articles and hype
    while words and words[0].lower().strip(",") in _HYPE:
        words.pop(0)
    phrase = " ".join(words)
    # end at a clause boundary, but keep "for X" / "of X" / "on X"
    m = _DESCR_END.search(phrase)
    if m:
        phrase = phrase[: m.start()]
    words = phrase.split()[:12]
    phrase = " ".join(words).strip(" ,;:-")
    if len(words) < 2 or not re.search(r"[a-z]", phrase):
        return ""
    return phrase


def _acronym_expansion(sentence: str, acro: str) -> str:
    """'Visual-Guided Key-Token Regularization (ViKeR)' -> 'Visual-Guided Key-Token Regularization'."""
    m = re.search(r"((?:[A-Za-z][\w\-–]*\s+){1,10})\(" + re.escape(acro) + r"\)", sentence)
    if not m:
        return ""
    words = m.group(1).split()
    letters = [c for c in acro if c.isupper()]
    # take as many trailing capitalised words as the acronym needs, allowing small words between
    taken: list[str] = []
    caps_seen = 0
    for w in reversed(words):
        if w[0].isupper():
            caps_seen += sum(1 for part in re.split(r"[-–]", w) if part[:1].isupper())
            taken.append(w)
        elif w.lower() in {"of", "for", "and", "in", "on", "with", "via", "to", "the", "a"}:
            if not taken:
                break
            taken.append(w)
        else:
            break
        if caps_seen >= len(letters):
            break
    while taken and taken[-1].lower() in {
        "of",
        "for",
        "and",
        "in",
        "on",
        "with",
        "via",
        "to",
        "the",
        "a",
    }:
        taken.pop()
    exp = " ".join(reversed(taken))
    return exp if len(exp.split()) >= 2 else ""


def find_method_name(text: str) -> tuple[str, str, str]:
    """(name, expansion, descriptor) of what the abstract introduces; empty strings if none."""
    sentences = split_sentences(text)
    best: tuple[int, str, str, str] | None = None
    for si, s in enumerate(sentences):
        for vm in re.finditer(r"\b" + _VERBS + r"\b", s, re.IGNORECASE):
            window = s[vm.end() : vm.end() + 220]
            # an acronym in parentheses right after a long name
            am = _RE_ACRO_PAREN.search(window[:160])
            tokens = window.split()[:14]
            cand = None
            for ti, tok in enumerate(tokens):
                clean = tok.strip(".,;:\"'")
                if clean.startswith("(") or clean.endswith(")"):
                    continue
                if _is_name(clean) and clean not in _GENERIC_ACRONYMS:
                    cand = (clean, " ".join(tokens[ti + 1 :]))
                    break
            if am and am.group(1) not in _GENERIC_ACRONYMS:
                acro = am.group(1)
                exp = _acronym_expansion(window[: am.end()], acro)
                rest = window[am.end() :]
                score = 3 if exp else 2
                entry = (score - si * 0.01, acro, exp, _descriptor(rest))
                if cand and cand[0] != acro and window.find(cand[0]) < am.start() - 40:
                    pass
                if best is None or entry[0] > best[0]:
                    best = entry
            if cand:
                name, rest_words = cand
                after = window[window.find(name) + len(name) :]
                entry = (2.5 - si * 0.01, name, "", _descriptor(after))
                if best is None or entry[0] > best[0]:
                    best = entry
        if best and best[0] >= 2.9:
            break
    if best is None:
        # "NAME, a novel framework for ..." anywhere
        m = re.search(r"\b(" + _NAME + r"),\s+(?:a|an)\s+(?:novel|new)\b", text)
        if m and _is_name(m.group(1)) and m.group(1) not in _GENERIC_ACRONYMS:
            return m.group(1), "", _descriptor(text[m.end(1) :])
        return "", "", ""
    return best[1], best[2], best[3]


def _topic(text: str) -> str:
    """What the paper does, from the sentence that says so; else its first sentence."""
    sentences = split_sentences(text)
    for s in sentences:
        m = _TOPIC_VERBS.search(s)
        if m:
            phrase = m.group(1)
            phrase = re.sub(
                r"^(?:a|an|the)\s+(?:novel\s+|new\s+|first\s+)?", "", phrase, flags=re.I
            )
            phrase = re.split(r"[,;:]|\s(?:that|which|where|by|through|using|to)\s", phrase)[0]
            words = phrase.split()
            if len(words) >= 3:
                return " ".join(words[:14]).rstrip(".")
    first = _LEAD_CLAUSE.sub("", sentences[0]) if sentences else text
    first = re.split(r"[,;:]\s|\s(?:but|while|whereas|which)\s", first)[0]
    return " ".join(first.split()[:14]).rstrip(".")


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def derive_title(text: str) -> str:
    """A readable title for an abstract that has none."""
    name, expansion, descr = find_method_name(text)
    if name:
        if descr and expansion:
            body = descr if len(descr.split()) >= 3 else expansion
        else:
            body = descr or expansion or _topic(text)
        title = f"{name}: {body}" if body and body.lower() != name.lower() else name
    else:
        title = _cap(_topic(text))
    title = re.sub(r"\s+", " ", title).strip(" .,:;")
    if len(title) > 140:
        title = title[:137].rsplit(" ", 1)[0] + "…"
    return title
