"""A lower-case qualifier swapped for another before the same noun: 'vocal emotions' where the
passage says 'facial emotions', 'graph kernel models' for 'graph neural network models'.

The term check (``terms``) asks whether each qualifying word of a claim's term is stated
somewhere in the passage, and only for heads of technical writing. A swapped qualifier escapes
it when the swapped-in word occurs elsewhere in the passage ('vocal' in another sentence) or the
head is an everyday noun (models, images, datasets, edits, indicators). Here the qualifier is
read with its noun: the claim's pair 'q h' is a *rival* of the passage when the passage states
the same noun ``h`` qualified by another content word in the same slot ('facial emotions') and
never states ``q`` in one phrase with ``h`` (within a few words before it, or after it as in
'images of the brain'). A passage that never names the noun says nothing of which kind it is,
so a paraphrase choosing another noun is left to the other checks.
"""

from __future__ import annotations

import re

from ..text import STOPWORDS, split_sentences
from .cues import stem
from .terms import (
    _TOKEN,
    COUNT_WORDS,
    GENERIC,
    PREPOSITIONS,
    VERBS,
    _acts_on,
    _count_prefix,
    _direction_word,
    _specific,
)

# words before which the next word is a verb: 'can plant backdoors', 'to encourage diversity'
_VERB_BEFORE = set("to can could may might must shall should will would".split())
# adverbs that end in no '-ly': 'often fail'
_ADVERBS = set("often also still even never always sometimes usually rarely seldom".split())
# content words a passage sentence shares with the claim to speak of the same thing
MIN_SHARED = 2
# how far apart a qualifier and its noun may stand in one phrase of the passage: 'magnetic
# resonance images' (2 content words before), 'post stance and claim class labels' (3, the
# 'and' not counted), 'images of the brain' (3 words after)
BEFORE, AFTER = 3, 3
# the word parts of a name written in CamelCase: 'VideoAutoArena' -> Video, Auto, Arena
_CAMEL = re.compile(r"[A-Z][a-z]+|[a-z]+|[A-Z]+(?![a-z])")


# stems no kind is told by: generic words and '-based' ('energy-based' is a kind of energy)
_NOT_CONTENT = GENERIC | {stem("based")}


def _parts(word: str) -> set[str]:
    """The stems of a word's hyphen parts that carry content ('energy-based' -> energy)."""
    return {
        stem(p) for p in word.lower().split("-") if len(p) > 2 and p not in STOPWORDS
    } - _NOT_CONTENT


def _qualifier(toks: list[str], j: int, titled: bool = False) -> bool:
    """The word at ``j`` can qualify the next one as a kind of it: a lower-case content word
    (with ``titled``, also a capitalised one inside its phrase: 'Text-Attributed Graphs'), not
    an adverb, a verb form ('-ed', '-ing' after a function word, after 'to' or a modal), a
    plural, a possessive, a generic or a direction word; '-based' compounds qualify, and so do
    capitalised compounds ('Text-Attributed'), which name a term."""
    w = toks[j]
    wl = w.lower()
    title = titled and j > 0 and all(p[:1].isupper() and p[1:].islower() for p in w.split("-"))
    if not (w[:1].islower() or title) or wl in STOPWORDS or wl in VERBS or wl in PREPOSITIONS:
        return False
    if wl in _ADVERBS or wl.endswith(("ly", "'s", "’s", "'", "’")):
        return False  # an adverb or an owner ('nurses' questions'), no kind of the noun
    if wl.endswith("s") and not wl.endswith(("ss", "us")):
        return False
    if wl.endswith("ed") and not wl.endswith("-based") and not (title and "-" in w):
        return False  # 'fine-tuned model', 'has received attention': a participle
    if j > 0 and toks[j - 1].lower() in _VERB_BEFORE:
        return False
    if _acts_on(toks, j) or not _specific(wl) or _direction_word(wl):
        return False
    return bool(_parts(wl))


def _noun(word: str) -> bool:
    """A word that can end a noun phrase as its noun: lower case, content, not a verb form."""
    w = word.lower()
    return (
        word[:1].islower()
        and len(w) >= 4
        and w not in STOPWORDS
        and w not in VERBS
        and w not in PREPOSITIONS
        and not w.endswith(("ly", "ed"))
        and "-" not in w
    )


def pairs(text: str) -> list[tuple[str, str]]:
    """(qualifier, noun) of each lower-case noun phrase of a claim whose last word follows a
    specific lower-case qualifier: 'vocal emotions', 'hypergraph datasets'."""
    toks = _TOKEN.findall(text)
    out = []
    for i in range(1, len(toks)):
        h, q = toks[i], toks[i - 1]
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if not _noun(h):
            continue
        after = nxt.lower()
        if nxt[:1].isalpha() and after not in STOPWORDS and after not in PREPOSITIONS:
            if not after.endswith("ed"):
                continue  # not the last word of its noun phrase ('spaces parameterized by' is)
        if _qualifier(toks, i - 1) and stem(q) != stem(h):
            out.append((q.lower(), h.lower()))
    return out


def _kin(word: str, other: str) -> bool:
    """Two qualifiers of one family ('text', 'textual': a stem of one opens a stem of the
    other) or of one count ('unidirectional', 'one-way')."""
    a, b = _parts(word), _parts(other)
    if any(x.startswith(y) or y.startswith(x) for x in a for y in b if min(len(x), len(y)) >= 4):
        return True
    n = _count_prefix(word)
    return n is not None and COUNT_WORDS.get(other.lower().split("-")[0]) == n


def _participle(word: str) -> bool:
    """A compound whose content is only an '-ing' form: 'high-performing', 'well-founded'."""
    content = [p for p in word.lower().split("-") if _parts(p)]
    return bool(content) and all(p.endswith(("ing", "ed")) for p in content)


class PhraseIndex:
    """The passage's phrases (split at punctuation) as stem lists, to read a noun with the words
    that qualify it, each phrase with the content stems of its sentence."""

    def __init__(self, text: str) -> None:
        # each word: (stem, stems of its content parts, whether it can qualify the next word,
        # the word); a parenthesis stays inside its phrase: 'voice cloning (VC) models'
        self.phrases: list[tuple[list[tuple[str, set[str], bool, str]], set[str]]] = []
        for sent in split_sentences(text):
            stems = {p for t in _TOKEN.findall(sent) for p in _parts(t)}
            for phrase in re.split(r"[.,;:!?\[\]\"“”/]", sent):
                toks = [t for t in _TOKEN.findall(phrase) if t[:1].isalpha()]
                words = [
                    (stem(t), _parts(t), _qualifier(toks, k, True), t) for k, t in enumerate(toks)
                ]
                self.phrases.append((words, stems))
        # names built from words ('VideoAutoArena'): each one's lower-case parts
        self.compounds = [
            [x.lower() for x in _CAMEL.findall(t)]
            for t in set(_TOKEN.findall(text))
            if re.search(r"[a-z][A-Z]", t)
        ]

    def rival(self, qual: str, noun: str, claim_stems: set[str]) -> str | None:
        """The passage's qualifier of ``noun`` in the sentences that share most words with the
        claim (the same role: 'pre-trained diffusion models to build an estimator' for
        'pre-trained autoregressive models to build an estimator'; among those, the phrases that
        share most words around the noun), when it is one word, not a word of the claim, and the passage never states ``qual`` near ``noun`` ('facial' for
        'vocal emotions'); else None. Several qualifiers there name no one kind."""
        want, hs = _parts(qual), stem(noun)
        if self._in_a_name(qual, hs):
            return None
        shared = claim_stems - want - {hs}
        best, others = (MIN_SHARED, 0), {}
        for ph, sent in self.phrases:
            for k, (s, _, _, _) in enumerate(ph):
                if s != hs:
                    continue
                before = [w for w in ph[:k] if w[1]][-BEFORE:]  # content words only
                near = before + ph[k + 1 : k + 1 + AFTER]
                if any(want & p for _, p, _, _ in near):
                    return None
                if k == 0:
                    continue
                ps, pp, qualifies, word = ph[k - 1]
                if not qualifies or ps == hs or pp & claim_stems or _participle(word):
                    continue
                if _kin(qual, word):
                    return None  # the claim's word in another form ('text' for 'textual')
                # the sentence's words shared with the claim, then the phrase's around the noun
                local = {x for w in before + near for x in w[1]}
                n = (len(sent & shared), len(local & shared))
                if n > best:
                    best, others = n, {}
                if n == best:
                    others.setdefault(ps, word)
        return next(iter(others.values())) if len(others) == 1 else None

    def _in_a_name(self, qual: str, noun_stem: str) -> bool:
        """A name of the passage built from the noun and a part that opens the qualifier states
        the pair: 'VideoAutoArena' for 'automatic arena', 'MedLoRA' is no such case (no noun)."""
        q = qual.lower()
        for parts in self.compounds:
            if any(stem(x) == noun_stem for x in parts) and any(
                len(x) >= 4 and stem(x) != noun_stem and (q.startswith(x) or x.startswith(q))
                for x in parts
            ):
                return True
        return False
