"""The concepts a list question joins, and whether a paper holds each of them.

"Which papers adapt LoRA to federated learning?" asks for papers on LoRA *and* on federated
learning: the on-topic test of the summaries scores the request as a whole, and a paper close to
one of the two concepts (a federated paper without LoRA, a LoRA paper that is not federated)
passes it. Here the request is split at the words that relate two concepts ("adapt A to B",
"A for B", "A in B", "A with B", "A and B", "use A to do B", "protect A from B", ...), the
request's verbs left out, each concept into its
alternatives ("A or B", "A, B"), and a paper is kept only when it holds every concept:

* its words: the IDF-weighted share of the concept's specific words found in the title and
  abstract (stems, with the summaries' fuzzy stem matching: federated ~ federation; or a word
  of the paper the embedding model puts close to the concept's word: healthcare ~ medical,
  ``neighbours``) reaches ``LEXICAL``; an acronym counts as found when the paper states it (as a word, inside a
  CamelCase name such as "MedLoRA", or spelled out, by the claim checker's acronym logic),
  and an acronym of the question is also tried as the words it stands for wherever a retrieved
  paper defines it ("Low-Rank Adaptation (LoRA)");
* or its meaning: a sentence of the paper (or its title) is at least ``DENSE`` close to the
  concept in the embedding space (for concepts the paper words differently).

The two thresholds were set on the dev half of the bundled question set's list questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..text import STOPWORDS, normalize_ws, tokenize
from .claimtext import NameIndex
from .cues import stem
from .evidence import SentenceCache
from .neighbours import WORD_NEAR, paper_words, word_vectors
from .properties import asked_property, remainder, states
from .terms import GENERIC, VERBS

LEXICAL = 0.6  # share of a concept's specific words (IDF-weighted) a paper must hold
DENSE = 0.5  # ... or the cosine of its closest sentence to the concept
TEXT_VIEWS = 2048  # papers whose tokens, names and words stay read (``_text_view``)

# words that relate two concepts of one request: "adapt A to B", "A for B", "A with B", ...
_RELATE = re.compile(
    r"\s+(?:to|for|in|into|within|with|together\s+with|along\s+with|as\s+well\s+as|and|"
    r"on|onto|via|using|by\s+using|through|when|while|under|across|combined\s+with|"
    r"applied\s+to|alongside|from|against)\s+",
    re.I,
)
# "the area / field / domain of X" names where X is, and X is the concept
_WHERE_OF = re.compile(r"\b(?:the\s+)?(?:area|field|domain|realm|context)s?\s+of\s+", re.I)
_ALTERNATIVES = re.compile(r"\s*(?:,|;|/|\bor\b)\s*", re.I)
# words that say what the papers do, not what they are about: dropped from a concept's start
_LEAD_VERBS = (
    set(
        "adapt adapts adapting apply applies applying use uses using employ employs combine "
        "combines tackle tackles address addresses exploit exploits exploiting try tries get gets "
        "make makes borrow borrows handle handles analyse analyses analyze analyzes set bring "
        "brings extend extends improve improves reduce reduces study studies propose proposes "
        "leverage leverages integrate integrates build builds rely relies focus focuses work works "
        "deal deals involve involves investigate investigates explore explores treat treats "
        "incorporate incorporates introduce introduces present presents develop develops target "
        "targets enable enables achieve achieves support supports perform performs do does bring "
        "add adds learn learns train trains fine-tune fine-tunes port ports transfer transfers "
        "model models evaluate evaluates measure measures detect detects predict predicts adapted "
        "applied used employed combined based built identify identifies release releases "
        "construct constructs create creates publish publishes provide provides collect collects "
        "curate curates design designs establish establishes offer offers assemble assembles "
        "compile compiles contribute contributes generate generates open-source back backs compare "
        "compares "
        # verbs of what a method does to its object ("protect X from Y", "remove X from Y")
        "protect protects remove removes identify identifies defend defends prevent prevents "
        "mitigate mitigates filter filters erase erases delete deletes spot spots block blocks "
        "find finds recover recovers explain explains interpret interprets verify verifies "
        "check checks estimate estimates quantify quantifies speed speeds accelerate accelerates "
        "compress compresses shrink shrinks align aligns steer steers control controls guide "
        "guides inject injects attack attacks fool fools break breaks fix fixes correct corrects "
        "understand understands solve solves teach teaches turn turns keep keeps let lets help "
        "helps allow allows mix mixes merge merges fuse fuses report reports mention mentions "
        "discuss discusses consider considers show shows".split()
    )
    | VERBS
)
# nouns that name no concept of their own ("several models", "a setting", "data")
_PLAIN = {
    stem(w)
    for w in (
        "model models method methods approach approaches paper papers work works system systems "
        "technique techniques task tasks framework frameworks idea ideas setting settings "
        "scenario scenarios way ways thing things problem problems application applications "
        "data information result results use case cases "
        # words that stand for a noun said elsewhere: "merge several models into one"
        "one ones other others another itself themselves "
        # a participle that says only that a model was trained: "a trained model"
        "trained pretrained pre-trained "
        # comparatives say how much, not what: "cheaper to run"
        "cheaper faster slower smaller larger bigger easier harder safer simpler stronger "
        "lighter quicker shorter longer wider newer"
    ).split()
}
# names of the whole field a collection of research papers is in: "apply machine learning to
# mental health" asks for papers on mental health (every paper of such a collection is some
# machine learning); a concept among whose alternatives is one of these names is left out
_FIELD = {
    "machine learning",
    "deep learning",
    "artificial intelligence",
    "ai",
    "ml",
    "dl",
    "neural network",
    "neural networks",
    "learning",
    "ai models",
    "ai systems",
    "learning methods",
}
_LINKING = set("of for and the a an to in on with de von".split())
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’]*")


def is_acronym(word: str) -> bool:
    """'LoRA', 'LLM', 'FL', 'MoE': two capitals or more, no spaces."""
    return sum(ch.isupper() for ch in word) >= 2 and word[:1].isalpha()


def concepts(topic: str) -> list[list[str]]:
    """The concepts a request joins, each as its alternatives ("adapt LoRA to federated
    learning" -> [["LoRA"], ["federated learning"]]); pieces that name nothing of their own
    ("several models", "a setting") are left out."""
    out = []
    topic = _WHERE_OF.sub("", normalize_ws(topic))  # "in the area of healthcare": healthcare
    for i, piece in enumerate(_RELATE.split(topic.strip(" ?.!"))):
        alts = []
        for j, alt in enumerate(_ALTERNATIVES.split(piece)):
            bare = _strip_lead(alt)
            if bare and _specific_words(bare):
                alts.append(bare)
            elif (i or j) and _activity(alt):
                alts.append(alt.strip(" ,;"))  # "... when adapting or ...": an activity
        if alts and not any(_is_field(a) for a in alts):
            out.append(alts)
    return out


def _is_field(alt: str) -> bool:
    words = [w.lower() for w in _WORD.findall(alt.replace("-", " "))]
    return " ".join(w for w in words if w not in STOPWORDS) in _FIELD


# a word right before one of these is a verb taking an object ("mitigate the bias", "back
# their approach"), whatever the verb: a concept's noun phrase has no article inside it
_DETERMINERS = set("a an the their its our his her each every".split())


def _strip_lead(text: str) -> str:
    """A piece without the verbs and stop words it starts with ("use a new X" -> "new X")."""
    words = text.strip(" ,;").split()
    while words and (
        words[0].lower() in _LEAD_VERBS
        or words[0].lower() in STOPWORDS
        or words[0] == "-"
        or (len(words) > 1 and words[1].lower() in _DETERMINERS and words[0].islower())
    ):
        words = words[1:]
    return " ".join(words)


def _specific_words(text: str) -> list[str]:
    """The words of a concept that say which concept it is (hyphen parts apart)."""
    out = []
    for w in _WORD.findall(text.replace("-", " ")):
        if is_acronym(w):
            out.append(w)
            continue
        s = stem(w)
        if w.lower() in STOPWORDS or s in GENERIC or s in _PLAIN or len(w) < 2:
            continue
        out.append(w)
    return out


def _activity(text: str) -> list[str]:
    """The -ing words of a piece: "adapting", "continually training"."""
    return [
        w
        for w in _WORD.findall(text.replace("-", " "))
        if w.lower().endswith("ing") and w.lower() not in STOPWORDS
    ]


def concept_words(alt: str) -> list[str]:
    """The words a paper must hold for one alternative: its specific words, or for an
    activity named by generic words only ("adapting"), its -ing words."""
    return _specific_words(alt) or _activity(alt)


def definitions(acronym: str, texts: list[str]) -> list[str]:
    """What ``acronym`` stands for where a text defines it ("Low-Rank Adaptation (LoRA)")."""
    letters = [ch.lower() for ch in acronym if ch.isupper()]
    if len(letters) < 2:
        return []
    rx = re.compile(rf"([A-Za-z][\w\s-]{{0,120}}?)\s*\(\s*{re.escape(acronym)}s?\s*[),;]")
    found: list[str] = []
    for text in texts:
        for m in rx.finditer(text):
            parts = re.findall(r"[A-Za-z][A-Za-z0-9]*", m.group(1))
            k, i = len(letters), len(parts)
            while i > 0 and k > 0:
                i -= 1
                p = parts[i]
                if p[0].lower() == letters[k - 1]:
                    k -= 1
                elif p.lower() not in _LINKING:
                    break
            if k == 0 and parts[i].lower() not in _LINKING:
                phrase = " ".join(parts[i:])
                if phrase.lower() not in (f.lower() for f in found):
                    found.append(phrase)
    return found


def _variants(alt: str, defs: dict[str, list[str]]) -> list[list[str]]:
    """The word lists a paper may hold one alternative by: its specific words, and each with
    an acronym replaced by the words it stands for (``definitions``)."""
    words = concept_words(alt)
    out = [words]
    for i, w in enumerate(words):
        for d in defs.get(w, []):
            out.append(words[:i] + _specific_words(d) + words[i + 1 :])
    return out


# derivational endings a short stem takes ("text" -> "textual"); longer stems are matched by
# the summaries' prefix matching (``Lexicon.expand``)
_SUFFIXES = ("ual", "al", "ic", "ical", "ion", "ation", "er", "ive", "ed", "ing", "s")


def _derived(s: str, tokens: set[str]) -> bool:
    """A paper token that is ``s`` with a derivational ending."""
    return len(s) >= 3 and any(t.startswith(s) and t[len(s) :] in _SUFFIXES for t in tokens)


def _camel_has(acronym: str, raw: str) -> bool:
    """``acronym`` inside a name at a CamelCase or hyphen boundary ("Fed-MedLoRA" has LoRA)."""
    for m in re.finditer(re.escape(acronym), raw):
        before = raw[m.start() - 1] if m.start() > 0 else " "
        after = raw[m.end() : m.end() + 2] + "  "
        if after[0] == "s" and not after[1].isalpha():
            after = after[1:]
        if after[0].isalpha() and not (after[0].isupper() and after[1].islower()):
            continue  # inside a longer word: "FL" in "FLOPs"
        if not before.isalpha() or (before.islower() and acronym[0].isupper()):
            return True
        if before.isupper() and acronym.isupper() and len(acronym) >= 3:
            return True  # "MLLM" is an LLM
    return False


@dataclass
class PaperText:
    """What the concept test reads of one paper."""

    raw: str  # title and abstract
    tokens: frozenset[str]
    names: NameIndex
    vectors: np.ndarray | None  # its sentences (and title), L2-normalised
    words: tuple[str, ...] = ()  # its distinct words (``neighbours.paper_words``)


class ConceptTest:
    """Does a paper hold every concept of a request (by its words or its meaning)?"""

    def __init__(self, lexicon, idf, embedder) -> None:
        self.lexicon = lexicon
        self.idf = idf
        self.embedder = embedder
        self.words = word_vectors(embedder)
        self._mats: dict[str, np.ndarray] = {}  # each paper's word vectors, by its text
        # per paper of the last ``scores``: does it hold every concept by its words?
        self.worded: dict[str, bool] = {}
        # the concepts of the last ``scores`` that no retrieved paper words (``known``)
        self.unworded: list[list[str]] = []

    def scores(
        self, topic: str, papers: dict[str, PaperText], known: set[str] | None = None
    ) -> dict[str, list[float]]:
        """Per paper, for each concept of ``topic``, how well the paper holds it: 1.0 when its
        words are there, else the closest sentence's cosine (scaled so ``DENSE`` maps to 1).

        With ``known`` (``known_words``: the words some retrieved paper holds), a concept none
        of whose words any retrieved paper holds is the asker's wording, not the collection's
        ("interact with outside systems" where the papers say "external tools"), and asks
        nothing of a paper (1.0; listed in ``unworded``); a paper then does not hold it by its
        words (``worded``): what keeps such a request behind the abstention gate. A concept
        with one known word keeps all of its words: its unknown word is often what it is
        about ("poisoned fine-tuning data" is not any fine-tuning data)."""
        cons = concepts(topic)
        if not cons or not papers:
            return {}
        defs = self._definitions(cons, papers)
        # a concept asking for a kind of evidence and nothing else ("theoretical analysis") is
        # also held by a paper stating it in a sentence (``properties``: "with-high-probability
        # analysis"), besides by its words or meaning; it is never the asker's wording alone
        props = {a: asked_property(a) for alts in cons for a in alts}
        stated = {a: prop for a, prop in props.items() if prop and not remainder(prop, a)}
        texts = sorted(props)
        vecs = dict(zip(texts, np.asarray(self.embedder.embed(texts)), strict=True))
        forms = {alt: _variants(alt, defs) for alt in texts}  # the same for every paper
        unasked: set[int] = set()
        if known is not None:
            unasked = {
                i
                for i, alts in enumerate(cons)
                if not any(a in stated for a in alts)
                and not any(w in known for a in alts for v in forms[a] for w in v)
            }
        out: dict[str, list[float]] = {}
        self.worded = {}
        self.unworded = [alts for i, alts in enumerate(cons) if i in unasked]
        for pid, p in papers.items():
            row = []
            worded = True
            for i, alts in enumerate(cons):
                if i in unasked:
                    row.append(1.0)
                    worded = False
                    continue
                best, lexical = 0.0, False
                for alt in alts:
                    if alt in stated:
                        if states(stated[alt], p.raw):
                            best, lexical = 1.0, True
                            break
                        if stated[alt].decisive:
                            continue  # no sentence says its code is out: it is not
                    lex = max(self._share(v, p) for v in forms[alt])
                    if lex >= LEXICAL:
                        best, lexical = 1.0, True
                        break
                    if p.vectors is not None and len(p.vectors):
                        cos = float((p.vectors @ vecs[alt]).max())
                        best = max(best, cos / DENSE)
                row.append(min(best, 1.0))
                worded = worded and lexical
            out[pid] = row
            self.worded[pid] = worded
        return out

    def known_words(self, topic: str, papers: dict[str, PaperText]) -> set[str]:
        """The words of ``topic``'s concepts (acronyms spelled out included) that at least
        one of ``papers`` holds."""
        cons = concepts(topic)
        defs = self._definitions(cons, papers)
        words = {w for alts in cons for a in alts for v in _variants(a, defs) for w in v}
        return {w for w in words if any(self._share([w], p) >= 1.0 for p in papers.values())}

    def _definitions(self, cons: list[list[str]], papers: dict[str, PaperText]) -> dict:
        """What the concepts' acronyms stand for where ``papers`` define them."""
        defs: dict[str, list[str]] = {}
        raws = [p.raw for p in papers.values()]
        for alts in cons:
            for alt in alts:
                for w in concept_words(alt):
                    if is_acronym(w) and w not in defs:
                        defs[w] = definitions(w, raws)
        return defs

    def holds(self, topic: str, papers: dict[str, PaperText]) -> dict[str, bool]:
        """Per paper: does it hold every concept of ``topic``?"""
        return {pid: all(s >= 1.0 for s in row) for pid, row in self.scores(topic, papers).items()}

    def head_holds(self, topic: str, papers: dict[str, PaperText]) -> dict[str, bool]:
        """Per paper: does it hold the head of one alternative of a one-concept request (its
        last specific word: "unlearning" of "machine unlearning", "agent" of "LLM-based
        multi-agent systems"), or a sentence ``DENSE`` close to the alternative?"""
        cons = concepts(topic)
        if len(cons) != 1 or not papers:
            return {}
        alts = cons[0]
        vecs = np.asarray(self.embedder.embed(alts))
        heads = [concept_words(alt)[-1:] for alt in alts]  # the same for every paper
        out = {}
        for pid, p in papers.items():
            ok = False
            for words, vec in zip(heads, vecs, strict=True):
                if words and self._share(words, p) >= 1.0:
                    ok = True
                elif p.vectors is not None and len(p.vectors):
                    ok = float((p.vectors @ vec).max()) >= DENSE
                if ok:
                    break
            out[pid] = ok
        return out

    def _near(self, word: str, p: PaperText) -> float:
        """How close the paper's closest word is to ``word`` (``neighbours``)."""
        if not p.words:
            return 0.0
        mat = self._mats.get(p.raw)
        if mat is None:
            mat = self._mats[p.raw] = self.words.matrix(p.words)
        return self.words.nearest(word, p.words, mat)

    def _share(self, words: list[str], p: PaperText) -> float:
        """IDF-weighted share of ``words`` the paper holds."""
        total = got = 0.0
        for w in words:
            if is_acronym(w):
                weight = max(self.idf(stem(w)), 1.0)
                hit = (
                    p.names.has(w)
                    or _camel_has(w, p.raw)
                    or bool(self.lexicon.expand(stem(w)) & p.tokens)
                )
            else:
                toks = tokenize(w)
                if not toks:
                    continue
                weight = self.idf(toks[0])
                hit = (
                    bool(self.lexicon.expand(toks[0]) & p.tokens)
                    or _derived(toks[0], p.tokens)
                    or self._near(w, p) >= WORD_NEAR  # "healthcare" for "medical"
                )
            total += weight
            got += weight if hit else 0.0
        return got / total if total else 0.0


def paper_texts(hits, cache, embedder) -> dict[str, PaperText]:
    """The concept test's view of each paper of ``hits`` (sentence and title vectors from
    ``cache``, the answerers' ``SentenceCache``; without one, or for a paper it dropped
    meanwhile, from a cache of this call alone)."""
    cache = cache if cache is not None else SentenceCache(embedder)
    got = cache.get(hits)
    missing = [h for h in hits if h.paper.paper_id not in got]
    if missing:
        got |= SentenceCache(embedder).get(missing)
    out = {}
    tvecs = np.asarray(cache.titles(hits)) if hits else None
    for j, h in enumerate(hits):
        p = h.paper
        raw = f"{p.title}. {p.text}"
        _ss, vecs = got[p.paper_id]
        mat = np.asarray(vecs)
        if tvecs is not None:
            mat = np.vstack([mat, tvecs[j : j + 1]]) if mat.size else tvecs[j : j + 1]
        tokens, names, words = _text_view(raw)
        out[p.paper_id] = PaperText(raw, tokens, names, mat, words)
    return out


@lru_cache(maxsize=TEXT_VIEWS)
def _text_view(raw: str) -> tuple[frozenset[str], NameIndex, tuple[str, ...]]:
    """A paper's tokens, names and distinct words: functions of its text alone, kept for the
    papers read most recently (a list question reads its whole retrieved pool, and the next
    question mostly the same papers)."""
    return frozenset(tokenize(raw)), NameIndex(raw), paper_words(raw)


__all__ = ["ConceptTest", "PaperText", "concepts", "definitions", "is_acronym", "paper_texts"]
