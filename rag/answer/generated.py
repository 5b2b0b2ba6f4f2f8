"""Answers written by the model from the numbered sources, with checked citations."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ..config import Settings
from ..llm.client import LLMClient
from ..llm.prompts import SENTINEL, answer_messages, says_cannot_answer
from ..llm.usage import Usage
from ..records import Answer, Hit, Retrieval
from .base import Answerer
from .cite import CitationFilter, answer_sentences, check_answer, filter_citations
from .evidence import SentenceCache, score_sentences, side_scores
from .gate import abstention_text, gate_reason
from .llmcheck import second_opinion_for
from .question import analyze
from .support import SupportScorer, scorer_for


def truncation_note(kept: int) -> str:
    """Why an answer ends where it does when the model's reply was over the size cap."""
    return (
        f"the model's reply was longer than {kept:,} characters (4 per token x "
        "RAG_LLM_MAX_TOKENS x 2): the rest was discarded"
    )


# --- the answerer ---------------------------------------------------------------------------
@dataclass
class _Prepared:
    question: str
    hits: list[Hit]
    messages: list[dict] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    t0: float = 0.0
    abstain: Answer | None = None


class LLMAnswerer(Answerer):
    """Answers written by the model from the numbered sources, with checked citations."""

    name = "llm"

    def __init__(
        self,
        client: LLMClient,
        embedder,
        settings: Settings,
        idf,
        cache: SentenceCache | None = None,
        scorer: SupportScorer | None = None,
    ) -> None:
        self.client = client
        self.embedder = embedder
        self.settings = settings
        self.idf = idf
        self.cache = cache or SentenceCache(embedder)
        self.scorer = scorer or scorer_for(embedder)

    def _prepare(self, question: str, retrieval: Retrieval, analysis=None, scope=None) -> _Prepared:
        t0 = time.perf_counter()
        s = self.settings
        timings = dict(retrieval.timings_ms)
        # as the extractive answerer: a list's gate looks at the question's own top k, and a
        # "which of them" follow-up (or a list whose topic's words an on-topic paper holds) is
        # answered
        gates = scope.gates if scope is not None and scope.gates else [retrieval]
        scoped = scope is not None and scope.answerable

        analysis = analysis or analyze(question)

        def best(g: Retrieval) -> float:
            if g.query_vector is None:
                return 1.0  # no vectors (keyword-only retrieval): the passage test decides
            cands = score_sentences(question, g.query_vector, g.hits, self.cache, self.idf)
            x = cands[0].score if cands else 0.0
            if cands and analysis.sides:  # a comparison: each side answered on its own
                vecs = np.asarray(self.embedder.embed(analysis.sides))
                x = max(x, float(side_scores(vecs, analysis.sides, cands, self.idf).max(1).min()))
            return x

        reason = None if scoped else gate_reason(gates, s, best)
        if reason is None and scope is not None and not scope.kept and scope.lacking:
            reason = scope.lacking  # a list whose concepts no on-topic paper holds together
        p = _Prepared(question, list(retrieval.hits), timings=timings, t0=t0)
        if reason is not None:
            timings["answer"] = (time.perf_counter() - t0) * 1000
            p.abstain = Answer(
                question,
                abstention_text(reason),
                True,
                [],
                [],
                self.name,
                timings,
                usage=Usage(self.client.endpoint.model).to_dict(),
                reason=reason,
            )
            return p
        if scope is not None and (analysis.is_list or scope.spread) and scope.kept:
            # a list question: the papers that pass the on-topic test, every one of them
            p.hits = [p.hits[n - 1] for n in scope.kept]
        p.messages, fit = answer_messages(question, p.hits, s, analysis.instructions())
        p.hits = p.hits[:fit]
        return p

    def _finish(
        self,
        p: _Prepared,
        text: str,
        removed: list[int],
        usage: Usage,
        error: str | None,
        truncated: str | None = None,
    ) -> Answer:
        """The checked Answer; ``error``: why the reply was interrupted; ``truncated``: why it
        was cut at the size cap."""
        t1 = time.perf_counter()
        s = self.settings
        interrupted = error is not None
        if not interrupted and (not text.strip() or says_cannot_answer(text)):
            reason = (
                "the model found no answer in the retrieved abstracts"
                if text.strip()
                else "the model returned an empty answer"
            )
            body = text.strip()
            if body.startswith(SENTINEL) or not body:
                body = abstention_text(reason)
            p.timings["answer"] = (time.perf_counter() - p.t0) * 1000
            return Answer(
                p.question,
                body,
                True,
                [],
                p.hits,
                self.name,
                p.timings,
                usage=usage.to_dict(),
                removed_citations=removed,
                reason=reason,
            )
        opinion = second_opinion_for(s, self.client)
        sentences, citations = check_answer(
            text, p.hits, self.scorer, s.support_threshold, self.cache, opinion
        )
        if opinion is not None and opinion.usage is not None:
            usage.add(opinion.usage)
        p.timings["check"] = (time.perf_counter() - t1) * 1000
        p.timings["answer"] = (time.perf_counter() - p.t0) * 1000
        return Answer(
            p.question,
            text,
            False,
            citations,
            p.hits,
            self.name,
            p.timings,
            sentences,
            usage=usage.to_dict(),
            removed_citations=removed,
            interrupted=interrupted,
            reason=error or truncated,
            truncated=truncated is not None,
        )

    def answer(self, question: str, retrieval: Retrieval, **kw) -> Answer:
        """One answer, not streamed (one chat completion)."""
        p = self._prepare(question, retrieval, kw.get("analysis"), kw.get("scope"))
        if p.abstain is not None:
            return p.abstain
        t = time.perf_counter()
        comp = self.client.complete(p.messages)
        p.timings["llm"] = (time.perf_counter() - t) * 1000
        text, removed = filter_citations(comp.text, range(1, len(p.hits) + 1))
        cut = truncation_note(len(comp.text)) if comp.truncated else None
        return self._finish(p, text, removed, comp.usage, None, cut)

    def _warm(self, shown: str, warmed: int) -> int:
        """Embed the finished sentences of a streaming reply ahead of its check."""
        done = [sent for sent, _ in answer_sentences(shown)][:-1]
        if len(done) > warmed:
            self.scorer.warm_claims(done[warmed:])
        return max(warmed, len(done))

    def stream(self, question: str, retrieval: Retrieval, **kw) -> Iterator[str | Answer]:
        """Text deltas as the model writes them (already citation-filtered), then the Answer.

        The concatenated deltas equal the final ``Answer.answer``.
        """
        p = self._prepare(question, retrieval, kw.get("analysis"), kw.get("scope"))
        if p.abstain is not None:
            yield p.abstain.answer
            yield p.abstain
            return
        t = time.perf_counter()
        st = self.client.stream(p.messages)
        filt = CitationFilter(range(1, len(p.hits) + 1))
        shown = ""
        warmed = 0  # sentences already embedded for the check, while the rest streams
        held = ""  # the start of the reply, while it may still be the sentinel
        refusing = False
        for delta in st:
            if "llm_first_token" not in p.timings:
                p.timings["llm_first_token"] = (time.perf_counter() - t) * 1000
            if refusing:
                continue
            if not shown and held is not None:
                held += delta
                head = held.lstrip()
                if SENTINEL.startswith(head):
                    continue  # could still be the sentinel
                if head.startswith(SENTINEL):
                    refusing = True
                    continue
                delta, held = held, None
            out = filt.feed(delta)
            if out:
                shown += out
                yield out
                if any(c in out for c in ".!?\n"):
                    warmed = self._warm(shown, warmed)
        p.timings["llm"] = (time.perf_counter() - t) * 1000
        usage = st.usage or Usage(self.client.endpoint.model)
        if refusing or (held is not None and held.strip() == SENTINEL):
            ans = self._finish(p, SENTINEL, [], usage, None)
            yield ans.answer
            yield ans
            return
        if held:  # a short reply that was held back entirely
            out = filt.feed(held)
            shown += out
            if out:
                yield out
        tail = filt.flush()
        if tail:
            shown += tail
            yield tail
        if st.truncated:
            ans = self._finish(p, shown, sorted(filt.removed), usage, None, st.error)
        else:
            ans = self._finish(p, shown, sorted(filt.removed), usage, st.error)
        if ans.answer != shown:
            if shown:  # keep what the user saw as the answer
                ans.answer = shown
            else:  # nothing shown (an empty reply): show the abstention
                yield ans.answer
        yield ans
