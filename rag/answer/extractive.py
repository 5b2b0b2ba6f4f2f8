"""The offline extractive answerer: the sentences of the retrieved abstracts that best answer the question, each cited [n]; it abstains when the evidence is too weak."""

from __future__ import annotations

import time

from ..config import Settings
from ..records import Answer, AnswerSentence, Citation, Retrieval
from .base import Answerer
from .evidence import Candidate, SentenceCache, score_sentences
from .gate import abstain_reason, abstention_text


class ExtractiveAnswerer(Answerer):
    """Offline answers: quoted sentences from the retrieved abstracts, each cited."""

    name = "extractive"

    def __init__(self, embedder, settings: Settings, idf) -> None:
        self.settings = settings
        self.cache = SentenceCache(embedder)
        self.idf = idf

    def answer(self, question: str, retrieval: Retrieval, **kw) -> Answer:
        t0 = time.perf_counter()
        s = self.settings
        hits = retrieval.hits
        reason = abstain_reason(retrieval, s)
        cands: list[Candidate] = []
        if reason is None:
            cands = score_sentences(question, retrieval.query_vector, hits, self.cache, self.idf)
            reason = abstain_reason(retrieval, s, cands[0].score if cands else 0.0)
        timings = dict(retrieval.timings_ms)
        if reason is not None:
            timings["answer"] = (time.perf_counter() - t0) * 1000
            return Answer(
                question, abstention_text(reason), True, [], [], self.name, timings, reason=reason
            )

        best = cands[0].score
        chosen: list[Candidate] = [cands[0]]
        per_paper = {cands[0].n: 1}
        floor = max(s.abstain_sentence, best * 0.82)
        for c in cands[1:]:
            if len(chosen) >= s.max_answer_sentences or c.score < floor:
                break
            if per_paper.get(c.n, 0) >= 2:
                continue
            if any(float(c.vec @ o.vec) > 0.88 for o in chosen):
                continue
            chosen.append(c)
            per_paper[c.n] = per_paper.get(c.n, 0) + 1
        chosen.sort(key=lambda c: (c.n, c.idx))
        sentences = [AnswerSentence(c.text, [c.n], support=1.0) for c in chosen]
        answer_text = " ".join(f"{c.text} [{c.n}]" for c in chosen)
        citations: list[Citation] = []
        for n in sorted({c.n for c in chosen}):
            quoted = [c.text for c in chosen if c.n == n]
            h = hits[n - 1]
            citations.append(
                Citation(n, h.paper.paper_id, h.paper.title, " … ".join(quoted), 1.0, h.paper.url)
            )
        timings["answer"] = (time.perf_counter() - t0) * 1000
        return Answer(question, answer_text, False, citations, hits, self.name, timings, sentences)
