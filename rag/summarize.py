"""Summarize: a cited overview of a research area, organised by theme.

The flow::

    topic -> its parts ("A and B" is A or B)
      -> broad retrieval: hybrid rankings for the topic and each part, pooled (many candidates)
      -> on-topic cut: a calibrated probability per paper from three signals (closest passage,
         share of the topic's words in the paper, share in its contribution sentences); a paper
         is kept when the probability passes the cut, not by a fixed k. A topic no paper really
         covers abstains. Above ``max_papers``, MMR over paper vectors keeps a diverse subset.
      -> themes: agglomerative clustering of the kept papers' vectors (number chosen by
         silhouette), each labelled by the phrases that distinguish it (c-TF-IDF)
      -> synthesis: offline, for each paper the sentence that states its contribution (and one
         with its reported numbers), each cited; with an LLM, a synthesis per theme from that
         theme's passages (map) and an overview of the themes (reduce), citations checked.

The classifier weights and the two gates below come from ``bench/calibrate_summarize.py`` run
over ``tests/data/topics.json`` (12 research topics with the papers on each, read from the
abstracts, and 8 topics the corpus does not cover).
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .answer import AnswerSentence, Citation
from .config import Settings
from .errors import ConfigError
from .retrieve import Hit, Retriever
from .store import Store
from .text import STOPWORDS, normalize_ws, split_sentences, tokenize

# --- calibration (bench/calibrate_summarize.py over tests/data/topics.json) ------------------
# P(on topic) = sigmoid(W_DENSE * dense + W_RELATIVE * relative + W_LEXICAL * lexical
#                      + W_CONTRIBUTION * contribution + BIAS)
W_DENSE = 2.95
W_RELATIVE = 2.63
W_LEXICAL = 2.97
W_CONTRIBUTION = 1.89
BIAS = -3.89
ON_TOPIC = 0.5  # the cut on that probability
# A topic is covered when some kept paper holds every content word of the topic (or of one of
# its parts), or when some passage is at least this close to it.
COVER_DENSE = 0.42
MMR_LAMBDA = 0.7

_REQUEST = re.compile(
    r"^\s*(?:please\s+)?(?:(?:summari[sz]e|overview of|give (?:me )?an overview of|"
    r"what does (?:this|the) collection (?:do|say|have|hold) (?:on|about)|"
    r"what is (?:known|there) (?:on|about))\s+)?"
    r"(?:(?:the\s+)?(?:work|research|papers|literature|studies)\s+(?:on|about|in)\s+)?",
    re.IGNORECASE,
)
_NUMERIC_COMPOUND = re.compile(r"\b\d+(?:\.\d+)?-(?:fold|times|level|point|way)\b", re.I)
_SPLIT = re.compile(r"\s*(?:,|;|&|/|\band\b|\bor\b)\s*", re.IGNORECASE)


def clean_topic(topic: str) -> str:
    """The topic without a request's wording ("summarize the work on X" -> "X")."""
    t = normalize_ws(topic).strip(" ?.!")
    stripped = _REQUEST.sub("", t).strip(" ?.!")
    return stripped or t


def topic_parts(topic: str) -> list[str]:
    """The topic and, for "A and B" / "A, B", each part: a paper on any part is on the topic."""
    parts = [p for p in _SPLIT.split(topic) if p and tokenize(p)]
    return [topic] + parts if len(parts) > 1 else [topic]


# --- evidence per paper ------------------------------------------------------------------------
_CONTRIB_STRONG = re.compile(
    r"\b(?:propose|introduce|present|develop|design|build|construct|create|formulate|"
    r"establish|curate|release|devise)[sd]?\b",
    re.IGNORECASE,
)
_CONTRIB_WEAK = re.compile(
    r"\b(?:investigate|study|explore|analy[sz]e|examine|identify|uncover|reveal|tackle|address|"
    r"bring|define|provide|collect|generate|contribute|offer|show|demonstrate|find)[sd]?\b",
    re.IGNORECASE,
)
_AUTHOR_VOICE = re.compile(
    r"\b(?:we|our|this (?:paper|work|study|article)|in this (?:paper|work))\b", re.IGNORECASE
)
_BOILER = re.compile(
    r"https?://|github\.com|\b(?:code|data|dataset|models?|implementation|resources?)\s+"
    r"(?:is|are|will be|has been|have been)?\s*(?:publicly\s+|made\s+)?(?:available|released)",
    re.IGNORECASE,
)
_MEASURE = re.compile(
    r"\d+(?:\.\d+)?\s*(?:%|×|x\b|times\b|points?\b|pp\b|fold\b)|"
    r"\b(?:by|of|to|from)\s+\d+(?:\.\d+)?\b(?!\))",
    re.IGNORECASE,
)
_RESULT_CUE = re.compile(
    r"\b(?:outperform|improv|surpass|reduc|achiev|accelerat|speed|gain|boost|higher|lower|"
    r"faster|accura|exceed|beat|consisten)\w*",
    re.IGNORECASE,
)


def contribution_score(sentence: str) -> float:
    """How plainly a sentence states what its paper contributes."""
    score = 0.0
    voice = bool(_AUTHOR_VOICE.search(sentence))
    if _CONTRIB_STRONG.search(sentence):
        score += 3.0 if voice else 1.0
    elif _CONTRIB_WEAK.search(sentence):
        score += 1.5 if voice else 0.3
    elif voice:
        score += 0.5
    if _BOILER.search(sentence):
        score -= 4.0
    n = len(sentence.split())
    if n < 7:
        score -= 2.0
    elif n > 60:
        score -= 1.0
    return score


def contribution_sentences(text: str) -> list[str]:
    """The sentences of an abstract that state a contribution in the authors' voice."""
    return [s for s in split_sentences(text) if contribution_score(s) >= 2.5]


def contribution_sentence(paper_text: str, method: str | None = None) -> str:
    """The one sentence of an abstract that best states its contribution."""
    sents = split_sentences(paper_text) or [paper_text]
    best, best_score = sents[0], -1e9
    for i, s in enumerate(sents):
        score = contribution_score(s) - 0.05 * i
        if method and method.lower() in s.lower():
            score += 0.7
        if score > best_score:
            best, best_score = s, score
    return best


def result_sentence(paper_text: str, exclude: str = "") -> str | None:
    """A sentence reporting the paper's numbers (accuracy, speed-ups, ...), if it has one."""
    best, best_score = None, 0
    for s in split_sentences(paper_text):
        n = len(s.split())
        if s == exclude or _BOILER.search(s) or n > 55 or n < 6:
            continue
        if not _RESULT_CUE.search(s):
            continue
        score = len(_MEASURE.findall(s))
        if score > best_score:
            best, best_score = s, score
    return best


class Lexicon:
    """Topic words matched against paper words, with light fuzzy matching of stems.

    A stem matches a paper's stem when one is a prefix of the other and both have at least five
    letters ("medicin" ~ "medic", "healthcar" ~ "health", "agent" ~ "agentic"), which the
    Snowball stemmer alone does not join.
    """

    def __init__(self, vocab, idf: Callable[[str], float]) -> None:
        self.vocab = [v for v in vocab if len(v) >= 5]
        self.idf = idf
        self._cache: dict[str, frozenset[str]] = {}

    def expand(self, stem: str) -> frozenset[str]:
        got = self._cache.get(stem)
        if got is None:
            out = {stem}
            if len(stem) >= 5:
                out.update(v for v in self.vocab if v.startswith(stem) or stem.startswith(v))
            got = self._cache[stem] = frozenset(out)
        return got

    def coverage(self, terms: set[str], tokens: set[str]) -> float:
        """IDF-weighted share of ``terms`` found (fuzzily) in ``tokens``."""
        if not terms:
            return 0.0
        total = sum(self.idf(t) for t in terms)
        got = sum(self.idf(t) for t in terms if self.expand(t) & tokens)
        return got / total if total else 0.0

    def best_coverage(self, parts: list[str], tokens: set[str]) -> float:
        """Coverage of the best-covered part (the whole topic when it has one part)."""
        pieces = parts[1:] if len(parts) > 1 else parts
        return max(self.coverage(set(tokenize(p)), tokens) for p in pieces)


def on_topic_probability(
    dense: float, relative: float, lexical: float, contribution: float
) -> float:
    """The calibrated probability that a paper is on the topic."""
    z = (
        W_DENSE * dense
        + W_RELATIVE * relative
        + W_LEXICAL * lexical
        + W_CONTRIBUTION * contribution
        + BIAS
    )
    return 1.0 / (1.0 + math.exp(-z))


@dataclass
class Candidate:
    """A retrieved paper with its on-topic evidence."""

    hit: Hit
    vector: np.ndarray  # the paper's vector: mean of its chunk vectors, L2-normalised
    dense: float  # best cosine between a chunk and the topic (or one of its parts)
    lexical: float  # share of the topic's words in the title and abstract
    contribution: float  # share in the title and the contribution sentences
    relative: float = 0.0  # dense / the best dense among the retrieved papers
    prob: float = 0.0

    @property
    def paper_id(self) -> str:
        return self.hit.paper.paper_id

    def features(self) -> dict:
        return {
            "dense": round(self.dense, 4),
            "relative": round(self.relative, 4),
            "lexical": round(self.lexical, 4),
            "contribution": round(self.contribution, 4),
            "on_topic": round(self.prob, 4),
        }


def chunk_vectors(store: Store, paper_ids: list[str]) -> dict[str, np.ndarray]:
    """paper_id -> matrix of its chunk vectors, read back from Chroma (nothing is re-embedded)."""
    out: dict[str, list] = {}
    for s in range(0, len(paper_ids), 200):
        ids = paper_ids[s : s + 200]
        got = store._run(  # retried once on a Chroma server; a failure is a StoreError
            "reading chunk vectors",
            lambda c, ids=ids: c.get(
                where={"paper_id": {"$in": ids}}, include=["embeddings", "metadatas"]
            ),
        )
        for m, e in zip(got["metadatas"] or [], got["embeddings"], strict=False):
            out.setdefault(m["paper_id"], []).append(np.asarray(e, dtype=np.float32))
    return {pid: np.stack(v) for pid, v in out.items()}


def mmr(relevance: np.ndarray, vectors: np.ndarray, k: int, lam: float = MMR_LAMBDA) -> list[int]:
    """Maximal marginal relevance: k indices, each relevant and unlike those already chosen."""
    n = len(relevance)
    if k >= n:
        return list(np.argsort(-relevance, kind="stable"))
    sims = vectors @ vectors.T
    chosen: list[int] = [int(np.argmax(relevance))]
    rest = set(range(n)) - set(chosen)
    while len(chosen) < k and rest:
        idx = list(rest)
        redundancy = sims[np.ix_(idx, chosen)].max(axis=1)
        scores = lam * relevance[idx] - (1 - lam) * redundancy
        pick = idx[int(np.argmax(scores))]
        chosen.append(pick)
        rest.remove(pick)
    return chosen


# --- themes ------------------------------------------------------------------------------------
def silhouette(dist: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette of a clustering given a distance matrix (singletons count 0)."""
    n = len(labels)
    vals = []
    for i in range(n):
        same = labels == labels[i]
        if same.sum() <= 1:
            vals.append(0.0)
            continue
        a = dist[i, same].sum() / (same.sum() - 1)
        b = min(dist[i, labels == c].mean() for c in set(labels.tolist()) if c != labels[i])
        vals.append((b - a) / max(a, b, 1e-9))
    return float(np.mean(vals))


def cluster(vectors: np.ndarray, max_themes: int = 5) -> list[list[int]]:
    """Group paper vectors into a few themes: Ward linkage, the number of themes by silhouette.

    The vectors are centred first: what all the papers share (the topic itself) is taken out,
    so the themes split on what differs between them.
    """
    n = len(vectors)
    if n <= 3:
        return [list(range(n))]
    from scipy.cluster.hierarchy import fcluster, linkage

    v = vectors - vectors.mean(axis=0)
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
    dist = np.clip(1.0 - v @ v.T, 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    z = linkage(v, method="ward")
    best, best_score = np.ones(n, dtype=int), -1.0
    for k in range(2, min(max_themes, n // 2) + 1):
        labels = fcluster(z, k, criterion="maxclust")
        sizes = Counter(labels.tolist())
        if len(sizes) < 2:
            continue
        score = silhouette(dist, labels)
        # a theme of one paper is hardly a theme: penalise them
        score -= 0.03 * sum(1 for c in sizes.values() if c == 1)
        if score > best_score:
            best, best_score = labels, score
    if best_score < 0.02:
        return [list(range(n))]
    groups: dict[int, list[int]] = {}
    for i, lab in enumerate(best.tolist()):
        groups.setdefault(lab, []).append(i)
    return list(groups.values())


_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
# words of scientific prose that say nothing about a paper's subject
_GENERIC = frozenset(
    """model models large language llm llms task tasks performance result results method methods
    framework frameworks experiment experiments experimental state-of-the-art state art existing
    extensive various data learning training approach approaches technique techniques
    significantly effectively effective efficient efficiently achieve achieves achieving
    demonstrate demonstrates improve improves improved improvement improvements outperform
    outperforms propose proposed proposes novel key challenge challenges challenging issue
    issues problem problems address addresses addressing limited limitation limitations paper
    study work code available publicly github http https www org com benchmark benchmarks
    dataset datasets first second third one two three four five six seven eight nine ten
    multiple several
    different diverse specific general overall higher lower better best high low new
    recent recently remain remains remaining paradigm popular final motivating retaining
    uncover uncovers investigate investigates identify identifies leverage leverages
    leveraging detecting detect external continued face faces iterative simultaneously
    received little followed following enable enables enabling provide provides providing
    strong stronger robust capability capabilities ability abilities while whereas across
    underexplored understanding shown widely practical practice critical crucial important
    significant substantial comprehensive consistently consistent range wide real-world
    real world setting settings scenario scenarios conditions condition level levels
    process processes manner way ways aspect aspects fundamental potential promising""".split()
)


def _surface(word: str) -> str:
    return word if (word.isupper() or any(c.isupper() for c in word[1:])) else word.lower()


def _phrases(text: str, stem) -> dict[str, str]:
    """Candidate label phrases of a text (words and two-word phrases): key (stems) -> surface."""
    out: dict[str, str] = {}
    for sent in split_sentences(text):
        words = _WORD.findall(sent)
        keys = []
        for w in words:
            lw = w.lower()
            bad = (
                lw in STOPWORDS
                or lw in _GENERIC
                or len(lw) < 3
                or lw.endswith("ly")
                or not any(c.isalpha() for c in lw)
            )
            keys.append(None if bad else stem(lw))
        for i, w in enumerate(words):
            if keys[i] is None:
                continue
            out.setdefault(keys[i], _surface(w))
            if i + 1 < len(words) and keys[i + 1] is not None and keys[i] != keys[i + 1]:
                out.setdefault(
                    keys[i] + " " + keys[i + 1], f"{_surface(w)} {_surface(words[i + 1])}"
                )
    return out


def focus_text(title: str, text: str) -> str:
    """What a paper is about: its title, first sentence and contribution sentences."""
    sents = split_sentences(text)
    keep = sents[:1] + [s for s in sents[1:] if contribution_score(s) >= 2.5]
    return ". ".join([title.split(":", 1)[-1].strip()] + keep)


def label_themes(
    groups: list[list[str]],
    texts: dict[str, tuple[str, str]],
    idf: Callable[[str], float],
    exclude: set[str],
    embedder=None,
    centroids: np.ndarray | None = None,
) -> list[list[str]]:
    """Up to three distinguishing phrases per theme (c-TF-IDF over the themes' papers).

    ``texts``: paper id -> (title and abstract, focus text). A phrase scores by the share of the
    theme's papers that use it, times the share of its uses that fall in this theme (what
    distinguishes it from the other themes), times its rarity in the whole index (what
    distinguishes it from scientific prose), with a bonus when the papers' titles or
    contribution sentences use it. With an embedder and the themes' centroids, the best
    candidates are re-ranked by how close each phrase sits to its theme and how far from the
    others (generic words such as "impractical" fall away).
    """
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    full = {pid: _phrases(texts[pid][0], stemmer.stemWord) for g in groups for pid in g}
    focus = {pid: set(_phrases(texts[pid][1], stemmer.stemWord)) for g in groups for pid in g}
    df_all: Counter = Counter()
    for p in full.values():
        df_all.update(p.keys())
    ranked: list[list[tuple[float, str]]] = []
    surfaces: list[dict[str, Counter]] = []
    for g in groups:
        df: Counter = Counter()
        in_focus: Counter = Counter()
        surface: dict[str, Counter] = {}
        for pid in g:
            for k, s in full[pid].items():
                df[k] += 1
                in_focus[k] += k in focus[pid]
                surface.setdefault(k, Counter())[s] += 1
        need = 2 if len(g) >= 2 else 1
        scored = []
        for k, c in df.items():
            words = surface[k].most_common(1)[0][0]
            if c < need or (" " not in words and words.endswith("ed")):
                continue
            if set(tokenize(words)) & exclude:
                continue
            specificity = sum(idf(part) for part in k.split()) / len(k.split())
            bigram = 1.3 if " " in k else 1.0
            bonus = 1.0 + in_focus[k] / len(g)
            score = (c / len(g)) * (c / df_all[k]) * specificity * bigram * bonus
            scored.append((score, k))
        scored.sort(key=lambda x: (-x[0], x[1]))
        ranked.append(scored[:20])
        surfaces.append(surface)
    if embedder is not None and centroids is not None and any(ranked):
        flat = [(i, k) for i, r in enumerate(ranked) for _, k in r]
        vecs = embedder.embed([surfaces[i][k].most_common(1)[0][0] for i, k in flat])
        sims = vecs @ centroids.T  # phrase x theme
        j = 0
        for i, r in enumerate(ranked):
            top = max((sc for sc, _ in r), default=1.0) or 1.0
            new = []
            for sc, k in r:
                own = sims[j, i]
                other = np.delete(sims[j], i).max() if len(groups) > 1 else 0.0
                new.append((0.4 * sc / top + own - 0.5 * max(other, 0.0), k))
                j += 1
            new.sort(key=lambda x: (-x[0], x[1]))
            ranked[i] = new
    labels: list[list[str]] = []
    for r, surface in zip(ranked, surfaces, strict=True):
        chosen: list[str] = []
        for _, k in r:
            parts = {w.rstrip("s") for w in k.split()}
            if any(parts & {w.rstrip("s") for w in o.split()} for o in chosen):
                continue
            chosen.append(k)
            if len(chosen) == 3:
                break
        labels.append([surface[k].most_common(1)[0][0] for k in chosen])
    return labels


# --- the summary record -----------------------------------------------------------------------
@dataclass
class Theme:
    label: str
    paper_ids: list[str]
    sentences: list[AnswerSentence] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    text: str = ""

    def public(self) -> dict:
        return {
            "label": self.label,
            "text": self.text,
            "paper_ids": self.paper_ids,
            "sentences": [s.public() for s in self.sentences],
        }


@dataclass
class Summary:
    topic: str
    summary: str
    abstained: bool
    themes: list[Theme]
    citations: list[Citation]
    sources: list[Hit]  # every paper retrieved for this summary (citations point inside it)
    backend: str = "extractive"
    papers: list[Candidate] = field(default_factory=list)  # the on-topic papers, kept
    omitted: list[Candidate] = field(default_factory=list)  # on topic, left out by max_papers
    timings_ms: dict[str, float] = field(default_factory=dict)
    reason: str | None = None
    usage: dict | None = None
    removed_citations: list[int] = field(default_factory=list)

    @property
    def cited_ids(self) -> list[str]:
        return [c.paper_id for c in self.citations]

    def to_dict(self) -> dict:
        """The shape of ``rag summarize --json``."""
        d = {
            "topic": self.topic,
            "summary": self.summary,
            "abstained": self.abstained,
            "themes": [t.public() for t in self.themes],
            "citations": [c.public() for c in self.citations],
            "backend": self.backend,
            "papers": [
                {"paper_id": c.paper_id, "title": c.hit.paper.title, **c.features()}
                for c in self.papers
            ],
            "retrieved": len(self.sources),
            "omitted": [c.paper_id for c in self.omitted],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }
        if self.reason:
            d["reason"] = self.reason
        if self.usage is not None:
            d["usage"] = self.usage
        if self.removed_citations:
            d["removed_citations"] = self.removed_citations
        return d

    def to_markdown(self) -> str:
        """A report: overview, one section per theme, and a reference list."""
        lines = [f"# Research summary: {self.topic}", ""]
        if self.abstained:
            lines += [self.summary, ""]
            return "\n".join(lines)
        lines += ["## Overview", "", self.summary, ""]
        by_n = {c.paper_id: c for c in self.citations}
        for i, t in enumerate(self.themes, start=1):
            n = len(t.paper_ids)
            lines += [f"## {i}. {t.label} ({n} paper{'s' if n != 1 else ''})", ""]
            if self.backend == "extractive" and t.sentences:
                for pid in t.paper_ids:
                    c = by_n.get(pid)
                    if c is None:
                        continue
                    said = " ".join(s.text for s in t.sentences if c.n in s.citations)
                    lines.append(f"- **{_short_title(c.title)}** [{c.n}]: {said}")
            else:
                lines.append(t.text)
            lines.append("")
        lines += ["## References", ""]
        for c in self.citations:
            url = f" <{c.url}>" if c.url else " (no URL)"
            lines.append(f"[{c.n}] {c.title}. Paper id `{c.paper_id}`.{url}")
        if self.omitted:
            lines += [
                "",
                f"{len(self.omitted)} more on-topic paper(s) were left out by the paper limit: "
                + ", ".join(f"`{c.paper_id}`" for c in self.omitted),
            ]
        lines.append("")
        return "\n".join(lines)

    def to_text(self) -> str:
        """Plain text for the terminal."""
        if self.abstained:
            return self.summary
        out = [self.summary, ""]
        for i, t in enumerate(self.themes, start=1):
            out += [f"{i}. {t.label} ({len(t.paper_ids)} papers)", f"   {t.text}", ""]
        for c in self.citations:
            out.append(f"[{c.n}] {c.title} ({c.paper_id})" + (f" {c.url}" if c.url else ""))
        return "\n".join(out)


def _short_title(title: str) -> str:
    head = title.split(":", 1)[0].strip()
    return head if 0 < len(head) <= 40 else (title if len(title) <= 80 else title[:77] + "…")


def paper_quotes(paper) -> list[str]:
    """What the extractive synthesis quotes of a paper: its contribution sentence, and the
    sentence with its reported numbers when it has one."""
    method = paper.title.split(":", 1)[0] if ":" in paper.title else None
    first = contribution_sentence(paper.text, method)
    numbers = result_sentence(paper.text, exclude=first)
    return [first, numbers] if numbers else [first]


def _join(sentences: list[AnswerSentence]) -> str:
    return " ".join(
        f"{s.text} {_marker(s.citations)}" if s.citations else s.text for s in sentences
    )


def _marker(ns: list[int]) -> str:
    return "[" + ", ".join(str(n) for n in sorted(ns)) + "]"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


# --- the summarizer ---------------------------------------------------------------------------
@dataclass
class Gathered:
    """What broad retrieval and the on-topic cut found for a topic."""

    topic: str
    parts: list[str]
    sources: list[Hit]
    candidates: list[Candidate]  # every retrieved paper, scored, most probable first
    kept: list[Candidate]
    omitted: list[Candidate]
    reason: str | None
    timings_ms: dict[str, float]


class Summarizer:
    """Broad retrieval, on-topic cut, themes, cited synthesis (extractive or by an LLM)."""

    def __init__(self, store: Store, embedder, settings: Settings, idf, cache=None) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.idf = idf
        self.cache = cache  # a rag.answer.SentenceCache (shared with the answerers), or None
        kw = store.keyword()
        self.lexicon = Lexicon(kw.vocab, idf)

    # -- 1. broad retrieval and the on-topic cut ---------------------------------------------
    def gather(
        self, topic: str, max_papers: int | None = None, pool: int | None = None
    ) -> Gathered:
        t0 = time.perf_counter()
        s = self.settings
        max_papers = max_papers or s.summary_max_papers
        pool = pool or s.summary_pool
        parts = topic_parts(topic)
        retriever = Retriever(self.store, self.embedder, s)
        hits: dict[str, Hit] = {}
        for q in parts:
            for h in retriever.retrieve(q, pool, mode="hybrid").hits:
                if h.paper.paper_id not in hits or h.score > hits[h.paper.paper_id].score:
                    hits[h.paper.paper_id] = h
        sources = sorted(hits.values(), key=lambda h: -h.score)
        timings = {"retrieve": (time.perf_counter() - t0) * 1000}
        t1 = time.perf_counter()
        cands = self.score(topic, parts, sources)
        timings["score"] = (time.perf_counter() - t1) * 1000
        kept = [c for c in cands if c.prob >= s.summary_on_topic]
        reason = self.uncovered(topic, cands, kept)
        omitted: list[Candidate] = []
        if reason is None and len(kept) > max_papers:
            rel = np.array([c.prob for c in kept])
            vecs = np.stack([c.vector for c in kept])
            idx = set(mmr(rel, vecs, max_papers))
            omitted = [c for i, c in enumerate(kept) if i not in idx]
            kept = [c for i, c in enumerate(kept) if i in idx]
        if reason is not None:
            kept = []
        return Gathered(topic, parts, sources, cands, kept, omitted, reason, timings)

    def score(self, topic: str, parts: list[str], hits: list[Hit]) -> list[Candidate]:
        """Every retrieved paper with its evidence and on-topic probability, best first."""
        if not hits:
            return []
        qvecs = self.embedder.embed(parts)
        chunks = chunk_vectors(self.store, [h.paper.paper_id for h in hits])
        out: list[Candidate] = []
        for h in hits:
            p = h.paper
            mat = chunks.get(p.paper_id)
            if mat is None:  # catalogue and Chroma disagree (a write in progress): skip
                continue
            dense = float((mat @ qvecs.T).max())
            vec = mat.mean(axis=0)
            vec = vec / (np.linalg.norm(vec) or 1.0)
            text = _NUMERIC_COMPOUND.sub(" ", p.text)  # "3-fold" is not about folding
            toks = set(tokenize(p.title + " " + text))
            ctoks = set(tokenize(p.title + " " + " ".join(contribution_sentences(text))))
            lexical = self.lexicon.best_coverage(parts, toks)
            contrib = self.lexicon.best_coverage(parts, ctoks)
            out.append(Candidate(h, vec, dense, lexical, contrib))
        best = max((c.dense for c in out), default=0.0)
        for c in out:
            c.relative = c.dense / best if best > 0 else 0.0
            c.prob = on_topic_probability(c.dense, c.relative, c.lexical, c.contribution)
        out.sort(key=lambda c: (-c.prob, c.paper_id))
        return out

    def uncovered(self, topic: str, cands: list[Candidate], kept: list[Candidate]) -> str | None:
        """Why the corpus does not cover the topic, or None."""
        if not cands:
            return "no paper in the index matches it"
        best = max(cands, key=lambda c: c.dense)
        if kept and (best.dense >= COVER_DENSE or any(c.lexical >= 0.999 for c in kept)):
            return None
        return (
            f"no abstract contains its words, and the closest passage (in “{best.hit.paper.title}”) "
            f"has similarity {best.dense:.2f}, below the {COVER_DENSE:.2f} needed"
        )

    # -- 2. themes ------------------------------------------------------------------------------
    def themes(self, topic: str, parts: list[str], kept: list[Candidate]) -> list[Theme]:
        vecs = np.stack([c.vector for c in kept])
        groups = cluster(vecs, self.settings.summary_max_themes)
        ordered = []
        for g in groups:
            members = sorted((kept[i] for i in g), key=lambda c: (-c.prob, c.paper_id))
            ordered.append(members)
        ordered.sort(key=lambda m: (-len(m), -m[0].prob))
        exclude = set()
        for p in parts:
            for t in tokenize(p):
                exclude.update(self.lexicon.expand(t))
        texts = {
            c.paper_id: (
                c.hit.paper.title + ". " + c.hit.paper.text,
                focus_text(c.hit.paper.title, c.hit.paper.text),
            )
            for m in ordered
            for c in m
        }
        cents = np.stack([np.mean([c.vector for c in m], axis=0) for m in ordered])
        cents = cents / np.maximum(np.linalg.norm(cents, axis=1, keepdims=True), 1e-9)
        labels = label_themes(
            [[c.paper_id for c in m] for m in ordered],
            texts,
            self.idf,
            exclude,
            self.embedder,
            cents,
        )
        out = []
        for m, terms in zip(ordered, labels, strict=True):
            label = ", ".join(terms) if terms else _short_title(m[0].hit.paper.title)
            out.append(Theme(label, [c.paper_id for c in m], terms=terms))
        return out

    # -- 3. synthesis ---------------------------------------------------------------------------
    def summarize(self, topic: str, max_papers: int | None = None, llm=None) -> Summary:
        """A cited summary of the topic: extractive, or written by ``llm`` (an LLMClient)."""
        t0 = time.perf_counter()
        topic = clean_topic(topic)
        if not topic or not tokenize(topic):
            raise ConfigError("the topic is empty: give a research area, e.g. 'federated learning'")
        g = self.gather(topic, max_papers)
        timings = dict(g.timings_ms)
        if g.reason is not None:
            timings["total"] = (time.perf_counter() - t0) * 1000
            text = f"The indexed abstracts do not cover “{topic}”: {g.reason}."
            return Summary(
                topic, text, True, [], [], g.sources, "extractive", [], [], timings, g.reason
            )
        t1 = time.perf_counter()
        themes = self.themes(topic, g.parts, g.kept)
        timings["themes"] = (time.perf_counter() - t1) * 1000
        t1 = time.perf_counter()
        by_id = {c.paper_id: c for c in g.kept}
        numbering: dict[str, int] = {}
        for t in themes:
            for pid in t.paper_ids:
                numbering.setdefault(pid, len(numbering) + 1)
        if llm is None:
            summary = self._extractive(topic, g, themes, by_id, numbering)
        else:
            summary = self._with_llm(llm, topic, g, themes, by_id, numbering)
        timings["synthesis"] = (time.perf_counter() - t1) * 1000
        timings["total"] = (time.perf_counter() - t0) * 1000
        summary.timings_ms = timings
        return summary

    def _extractive(
        self,
        topic: str,
        g: Gathered,
        themes: list[Theme],
        by_id: dict[str, Candidate],
        numbering: dict[str, int],
    ) -> Summary:
        quotes: dict[str, list[str]] = {}
        for t in themes:
            for pid in t.paper_ids:
                quotes[pid] = paper_quotes(by_id[pid].hit.paper)
                t.sentences += [
                    AnswerSentence(q, [numbering[pid]], support=1.0) for q in quotes[pid]
                ]
            t.text = _join(t.sentences)
        citations = [
            Citation(
                numbering[pid],
                pid,
                by_id[pid].hit.paper.title,
                " … ".join(quotes[pid]),
                None,
                by_id[pid].hit.paper.url,
            )
            for pid in sorted(numbering, key=numbering.get)
        ]
        overview = self.overview_text(topic, g, themes, numbering)
        return Summary(
            topic, overview, False, themes, citations, g.sources, "extractive", g.kept, g.omitted
        )

    def overview_text(
        self, topic: str, g: Gathered, themes: list[Theme], numbering: dict[str, int]
    ) -> str:
        """One paragraph: how many papers, and the themes with their paper counts, cited."""
        n = len(g.kept)
        head = f"{_plural(n, 'paper')} in the collection {'are' if n != 1 else 'is'} on “{topic}”"
        if g.omitted:
            head += (
                f" (and {len(g.omitted)} more, left out by the limit of "
                f"{len(g.kept)}: raise --max-papers to include them)"
            )
        if len(themes) == 1:
            t = themes[0]
            body = (
                f"; they form one theme, {t.label} {_marker([numbering[p] for p in t.paper_ids])}."
            )
        else:
            items = [
                f"{t.label} ({_plural(len(t.paper_ids), 'paper')} "
                f"{_marker([numbering[p] for p in t.paper_ids])})"
                for t in themes
            ]
            body = f". They fall into {len(themes)} themes: " + "; ".join(items) + "."
        return head + body

    # -- 3b. synthesis by an LLM: map (one call per theme), then reduce (one overview call) ----
    def _with_llm(
        self,
        client,
        topic: str,
        g: Gathered,
        themes: list[Theme],
        by_id: dict[str, Candidate],
        numbering: dict[str, int],
    ) -> Summary:
        """Theme syntheses and the overview written by ``client`` (a ``rag.llm.LLMClient``).

        Every reply goes through the same citation check as answers: markers to papers that
        were not given are removed (and reported), each sentence gets a support score against
        the papers it cites. A paper of a theme the model did not cite gets its extractive
        sentence appended, so no kept paper is left out; a theme the model declines, or an
        empty reply, falls back to the extractive text.
        """
        from .answer import SentenceCache
        from .cite import check_answer, filter_citations
        from .llm import SENTINEL, Usage, prompt, says_cannot_answer
        from .support import scorer_for

        s = self.settings
        cache = self.cache or SentenceCache(self.embedder)
        scorer = scorer_for(self.embedder)
        order = sorted(numbering, key=numbering.get)
        hits = [by_id[pid].hit for pid in order]  # hits[n - 1] is paper [n]
        usage = Usage(client.endpoint.model)
        removed: set[int] = set()
        support: dict[int, float] = {}
        snippets: dict[int, str] = {}

        def run(messages: list[dict], valid: list[int]) -> str:
            comp = client.complete(messages)
            usage.add(comp.usage)
            text, gone = filter_citations(comp.text, valid)
            removed.update(gone)
            return "" if says_cannot_answer(text) or text.strip().startswith(SENTINEL) else text

        def check(text: str) -> list[AnswerSentence]:
            sents, cits = check_answer(text, hits, scorer, s.support_threshold, cache)
            for c in cits:
                if c.support is not None and c.support >= support.get(c.n, -1.0):
                    support[c.n] = c.support
                    snippets[c.n] = c.snippet
            return sents

        for t in themes:
            valid = [numbering[pid] for pid in t.paper_ids]
            blocks = self._blocks(t, valid, by_id)
            system = prompt("summarize_theme_system").substitute(
                valid=", ".join(f"[{n}]" for n in valid), sentinel=SENTINEL
            )
            user = prompt("summarize_theme_user").substitute(
                topic=topic, label=t.label, sources="\n".join(blocks)
            )
            text = run(
                [{"role": "system", "content": system}, {"role": "user", "content": user}], valid
            )
            t.sentences = check(text) if text else []
            cited = {n for sent in t.sentences for n in sent.citations}
            for pid in t.paper_ids:  # nothing kept is left out
                n = numbering[pid]
                if n not in cited:
                    for q in paper_quotes(by_id[pid].hit.paper):
                        t.sentences.append(AnswerSentence(q, [n], support=1.0))
                    snippets.setdefault(n, " … ".join(paper_quotes(by_id[pid].hit.paper)))
            t.text = _join(t.sentences)

        valid = list(range(1, len(order) + 1))
        listing = "\n".join(
            f'<theme n="{i}" label="{t.label}" papers="{len(t.paper_ids)}">\n'
            f"{t.text.replace('<', '‹')}\n</theme>"
            for i, t in enumerate(themes, start=1)
        )
        system = prompt("summarize_overview_system").substitute(
            valid=", ".join(f"[{n}]" for n in valid)
        )
        user = prompt("summarize_overview_user").substitute(
            topic=topic, n_papers=len(order), n_themes=len(themes), themes=listing
        )
        overview = run(
            [{"role": "system", "content": system}, {"role": "user", "content": user}], valid
        )
        if overview:
            check(overview)
        else:
            overview = self.overview_text(topic, g, themes, numbering)
        citations = [
            Citation(
                n,
                pid,
                by_id[pid].hit.paper.title,
                snippets.get(n) or " … ".join(paper_quotes(by_id[pid].hit.paper)),
                support.get(n),
                by_id[pid].hit.paper.url,
            )
            for n, pid in enumerate(order, start=1)
        ]
        out = Summary(
            topic, overview, False, themes, citations, g.sources, "llm", g.kept, g.omitted
        )
        out.usage = usage.to_dict()
        out.removed_citations = sorted(removed)
        return out

    def _blocks(self, theme: Theme, valid: list[int], by_id: dict[str, Candidate]) -> list[str]:
        """The theme's papers as numbered <source> blocks that fit the model's context window:
        whole abstracts, else each paper's quoted sentences, else as many papers as fit."""
        from .llm import estimate_tokens, source_block

        s = self.settings
        budget = s.llm_context_window - s.llm_max_tokens - 600  # prompts and headroom
        hits = [by_id[pid].hit for pid in theme.paper_ids]
        full = [source_block(n, h) for n, h in zip(valid, hits, strict=True)]
        if sum(estimate_tokens(b) for b in full) <= budget:
            return full
        short = [
            source_block(n, h, " ".join(paper_quotes(h.paper)))
            for n, h in zip(valid, hits, strict=True)
        ]
        out: list[str] = []
        for b in short:
            budget -= estimate_tokens(b)
            if budget < 0:
                break
            out.append(b)
        if not out:
            raise ConfigError(
                f"RAG_LLM_CONTEXT_WINDOW={s.llm_context_window} leaves no room for a single "
                "paper: raise it, or lower RAG_LLM_MAX_TOKENS"
            )
        return out
