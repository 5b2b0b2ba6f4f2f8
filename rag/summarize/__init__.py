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

import time

import numpy as np

from ..config import Settings
from ..errors import ConfigError
from ..records import Hit, Summary, Theme, _short_title
from ..retrieve import Retriever
from ..store import Store
from ..text import tokenize
from . import synthesis
from .evidence import contribution_sentences
from .themes import cluster, focus_text, label_themes
from .topic import (
    _NUMERIC_COMPOUND,
    COVER_DENSE,
    Candidate,
    Gathered,
    Lexicon,
    clean_topic,
    mmr,
    on_topic_probability,
    topic_parts,
)


class Summarizer:
    """Broad retrieval, on-topic cut, themes, cited synthesis (extractive or by an LLM)."""

    def __init__(
        self, store: Store, embedder, settings: Settings, idf, cache=None, filters=None
    ) -> None:
        self.store = store
        self.filters = filters  # a rag.filters.Filters applied inside retrieval, or None
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
            for h in retriever.retrieve(q, pool, mode="hybrid", filters=self.filters).hits:
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
        chunks = self.store.chunk_vectors([h.paper.paper_id for h in hits])
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
            summary = synthesis.extractive(topic, g, themes, by_id, numbering)
        else:
            summary = synthesis.written(
                llm,
                topic,
                g,
                themes,
                by_id,
                numbering,
                settings=self.settings,
                embedder=self.embedder,
                cache=self.cache,
            )
        timings["synthesis"] = (time.perf_counter() - t1) * 1000
        timings["total"] = (time.perf_counter() - t0) * 1000
        summary.timings_ms = timings
        return summary
