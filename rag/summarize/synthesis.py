"""Synthesis: the cited text of a summary, extractive or written by an LLM (map per theme, reduce)."""

from __future__ import annotations

from ..config import Settings
from ..records import AnswerSentence, Citation, Summary, Theme
from .evidence import paper_quotes
from .topic import Candidate, Gathered


def _join(sentences: list[AnswerSentence]) -> str:
    return " ".join(
        f"{s.text} {_marker(s.citations)}" if s.citations else s.text for s in sentences
    )


def _marker(ns: list[int]) -> str:
    return "[" + ", ".join(str(n) for n in sorted(ns)) + "]"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def extractive(
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
            t.sentences += [AnswerSentence(q, [numbering[pid]], support=1.0) for q in quotes[pid]]
        t.text = _join(t.sentences)
    citations = [
        Citation(
            numbering[pid],
            pid,
            by_id[pid].hit.paper.title,
            " … ".join(quotes[pid]),
            None,
            by_id[pid].hit.paper.url,
            by_id[pid].hit.paper,
        )
        for pid in sorted(numbering, key=numbering.get)
    ]
    overview = overview_text(topic, g, themes, numbering)
    return Summary(
        topic, overview, False, themes, citations, g.sources, "extractive", g.kept, g.omitted
    )


def overview_text(topic: str, g: Gathered, themes: list[Theme], numbering: dict[str, int]) -> str:
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
        body = f"; they form one theme, {t.label} {_marker([numbering[p] for p in t.paper_ids])}."
    else:
        items = [
            f"{t.label} ({_plural(len(t.paper_ids), 'paper')} "
            f"{_marker([numbering[p] for p in t.paper_ids])})"
            for t in themes
        ]
        body = f". They fall into {len(themes)} themes: " + "; ".join(items) + "."
    return head + body


def written(
    client,
    topic: str,
    g: Gathered,
    themes: list[Theme],
    by_id: dict[str, Candidate],
    numbering: dict[str, int],
    *,
    settings: Settings,
    embedder,
    cache=None,
) -> Summary:
    """Theme syntheses and the overview written by ``client`` (a ``rag.llm.LLMClient``).

    Every reply goes through the same citation check as answers: markers to papers that
    were not given are removed (and reported), each sentence gets a support score against
    the papers it cites. A paper of a theme the model did not cite gets its extractive
    sentence appended, so no kept paper is left out; a theme the model declines, or an
    empty reply, falls back to the extractive text.
    """
    from ..answer.cite import check_answer, filter_citations
    from ..answer.evidence import SentenceCache
    from ..answer.llmcheck import second_opinion_for
    from ..answer.support import scorer_for
    from ..llm.prompts import SENTINEL, prompt, says_cannot_answer
    from ..llm.usage import Usage

    s = settings
    cache = cache or SentenceCache(embedder)
    scorer = scorer_for(embedder)
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
        opinion = second_opinion_for(s, client)
        sents, cits = check_answer(text, hits, scorer, s.support_threshold, cache, opinion)
        if opinion is not None and opinion.usage is not None:
            usage.add(opinion.usage)
        for c in cits:
            if c.support is not None and c.support >= support.get(c.n, -1.0):
                support[c.n] = c.support
                snippets[c.n] = c.snippet
        return sents

    for t in themes:
        valid = [numbering[pid] for pid in t.paper_ids]
        blocks = theme_blocks(t, valid, by_id, settings)
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
        overview = overview_text(topic, g, themes, numbering)
    citations = [
        Citation(
            n,
            pid,
            by_id[pid].hit.paper.title,
            snippets.get(n) or " … ".join(paper_quotes(by_id[pid].hit.paper)),
            support.get(n),
            by_id[pid].hit.paper.url,
            by_id[pid].hit.paper,
        )
        for n, pid in enumerate(order, start=1)
    ]
    out = Summary(topic, overview, False, themes, citations, g.sources, "llm", g.kept, g.omitted)
    out.usage = usage.to_dict()
    out.removed_citations = sorted(removed)
    return out


def theme_blocks(
    theme: Theme, valid: list[int], by_id: dict[str, Candidate], settings: Settings
) -> list[str]:
    """The theme's papers as numbered <source> blocks that fit the model's context window:
    whole abstracts, else each paper's quoted sentences, else as many papers as fit."""
    from ..llm.prompts import no_room, source_block, source_budget
    from ..llm.usage import estimate_tokens

    budget = source_budget(settings, margin=600)  # the theme prompts and headroom
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
        raise no_room(settings, "paper")
    return out
