"""The offline extractive answerer: the sentences of the retrieved abstracts that answer what the
question asks (each part of it), each cited [n]; it abstains when the evidence is too weak."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import numpy as np

from ..config import Settings
from ..records import Answer, AnswerSentence, Citation, Hit, Retrieval
from ..text import BOILERPLATE, tokenize
from .base import Answerer
from .evidence import (
    _CONTRIB,
    CUE_WEIGHT,
    Candidate,
    SentenceCache,
    asks_where_evaluated,
    asserts,
    continues,
    cue_score,
    is_problem_statement,
    lexical_overlap,
    names_evaluation,
    score_parts,
    score_sentences,
    side_scores,
    states_number,
)
from .gate import abstention_text, gate_reason
from .listing import ListScope
from .question import QuestionAnalysis, analyze, yes_no_statement
from .yesno import AGREES, DENIES, covers, relations, stance

ANSWER_WORDS = 90  # a single-paper answer stops growing past this many words
TOP_PRIOR = 0.03  # the retrieval's first paper is preferred as the one that answers
OTHER_PAPER_MARGIN = 0.1  # another paper's sentence must beat the main paper's by this
# a comparison side's fit to a paper: its closest sentence plus this share of the side's words
# found in the paper's title and abstract (a side is a description of the whole work, which no
# one sentence may hold). Set on the dev halves' comparisons (10 questions): 0 gave citation
# precision and recall 0.95 / 0.95, every value from 0.1 to 0.5 gave 1.0 / 1.0.
SIDE_PAPER = 0.2
STRUCTURAL = ("method", "yesno")  # kinds answered by the sentences after the contribution statement
_RESULT_OPEN = re.compile(
    r"^(?:extensive\s+)?(?:experiments?|evaluations?|results?|empirical|ablations?)\b", re.I
)
_MORE = re.compile(
    r"\b(?:larger|higher|lower|smaller|bigger|more|fewer|less|faster|slower|better|worse|"
    r"how\s+(?:many|much|large|fast))\b",
    re.I,
)
_RESULT_ASK = re.compile(
    r"\b(?:results?|perform\w*|find\w*|found|show\w*|report\w*|achiev\w*|outperform\w*|"
    r"accura\w*|effective\w*|gains?|improv\w*|conclu\w*|observ\w*)\b",
    re.I,
)
_REFERS_BACK = re.compile(
    r"\b(?:it|its|itself|that|this|these|those|they|them|their|the\s+same)\b", re.I
)
FILL_FLOOR = 0.8  # context sentences score at least this share of the abstention floor
REASON_CHAIN = 2  # sentences after a problem statement that may carry it on


def _words(cs) -> int:
    return sum(len(c.text.split()) for c in cs)


class ExtractiveAnswerer(Answerer):
    """Offline answers: quoted sentences from the retrieved abstracts, each cited."""

    name = "extractive"

    def __init__(self, embedder, settings: Settings, idf) -> None:
        self.settings = settings
        self.embedder = embedder
        self.cache = SentenceCache(embedder)
        self.idf = idf

    def answer(
        self,
        question: str,
        retrieval: Retrieval,
        analysis: QuestionAnalysis | None = None,
        scope: ListScope | None = None,
        **kw,
    ) -> Answer:
        t0 = time.perf_counter()
        s = self.settings
        hits = retrieval.hits
        analysis = analysis or analyze(question)
        # the gate looks at the question's own top k (a list's deep retrieval does not make
        # weak evidence look stronger); "which of them ...": the earlier question's papers
        # exist, so the answer is those that match or a plain "none of them", not an
        # abstention; a list whose topic's words an on-topic paper holds is answered too
        gates = scope.gates if scope is not None and scope.gates else [retrieval]
        scoped = scope is not None and scope.answerable
        cands: list[Candidate] = []

        def best(g: Retrieval) -> float:
            got = score_sentences(question, g.query_vector, g.hits, self.cache, self.idf)
            if g is retrieval:
                cands[:] = got
            x = got[0].score if got else 0.0
            if got and analysis.sides:  # a comparison: each side compared answered on its own
                sides = side_scores(self._side_vecs(analysis), analysis.sides, got, self.idf)
                x = max(x, float(sides.max(axis=1).min()))
            return x

        reason = None if scoped else gate_reason(gates, s, best)
        if reason is None and not cands:
            cands = score_sentences(question, retrieval.query_vector, hits, self.cache, self.idf)
        timings = dict(retrieval.timings_ms)

        def done(text: str, chosen: list[Candidate], abstained: bool = False, why=None) -> Answer:
            sentences = [AnswerSentence(c.text, [c.n], support=1.0) for c in chosen]
            citations: list[Citation] = []
            for n in dict.fromkeys(c.n for c in chosen):
                quoted = [c.text for c in chosen if c.n == n]
                h = hits[n - 1]
                citations.append(
                    Citation(
                        n,
                        h.paper.paper_id,
                        h.paper.title,
                        " … ".join(quoted),
                        1.0,
                        h.paper.url,
                        h.paper,
                    )
                )
            citations.sort(key=lambda c: c.n)
            timings["answer"] = (time.perf_counter() - t0) * 1000
            srcs = [] if abstained else hits
            return Answer(
                question,
                text,
                abstained,
                citations,
                srcs,
                self.name,
                timings,
                sentences,
                reason=why,
            )

        if reason is not None:
            return done(abstention_text(reason), [], True, reason)
        if scope is not None and analysis.is_list:
            return self._list_answer(analysis, scope, cands, hits, done)
        if scope is not None and scope.spread and len(scope.kept) > 1:
            return self._spread_answer(question, analysis, scope, cands, done)
        chosen = self._select(question, analysis, cands, hits)
        said = [f"{c.text} [{c.n}]" for c in chosen]
        if analysis.sides and len(chosen) >= 2 and chosen[0].n != chosen[1].n:
            # a comparison names its two sides, each before the sentence of its own paper
            for j, side in enumerate(analysis.sides[:2]):
                said[j] = f"{side[:1].upper() + side[1:]}: {said[j]}"
        lead = ""
        if analysis.kind == "yesno":
            lead, chosen = self._yes_no(analysis, chosen, cands, hits)
            said = [f"{c.text} [{c.n}]" for c in chosen]
        text = " ".join(said)
        return done(f"{lead} {text}" if lead else text, chosen)

    def _yes_no(
        self, analysis: QuestionAnalysis, chosen: list[Candidate], cands: list[Candidate], hits
    ) -> tuple[str, list[Candidate]]:
        """The lead of a yes/no answer and its sentences, the one that settles it first.

        "Yes:" when a sentence of the answering paper's own work states what the question asks
        the same way (each of its directions, requirements and absences: ``rag.answer.yesno``)
        and the claim checker finds nothing of the question contradicted; "No:" when such a
        sentence that asserts states one of them the other way; no lead otherwise. A question
        that asks no direction, requirement or absence is settled only by a first sentence that
        restates it (most of its words) and that the claim checker finds stating it."""
        if not chosen:
            return "", chosen
        claim = yes_no_statement(analysis.text)
        if len(claim.split()) < 3:
            return "", chosen
        from .cite import verifier_for
        from .support import scorer_for
        from .verify import CONTRADICTED, SUPPORTED, Source

        v = verifier_for(scorer_for(self.embedder), self.settings.support_threshold, self.cache)
        n = chosen[0].n
        paper = hits[n - 1].paper
        mine = [c for c in cands if c.n == n]
        at = _own_start(mine).get(n)

        def own(c: Candidate) -> bool:  # the paper's own work, not the background it starts from
            return at is None or c.idx >= at

        def first(c: Candidate) -> list[Candidate]:
            return [c] + [o for o in chosen if o is not c and o.text != c.text]

        rels = relations(claim)
        if rels:
            order = list(chosen) + [c for c in mine if all(c is not o for o in chosen)]
            says = {id(c): stance(rels, c.text) for c in order if own(c)}  # each read once
            agree = [c for c in order if says.get(id(c)) == AGREES]
            deny = [c for c in order if says.get(id(c)) == DENIES and asserts(c.text)]
            if agree and not deny:
                verdict = v.verify([claim], [[Source(f"[{n}]", paper)]])[0]
                names = next((x for x in verdict.checks if x.name == "names"), None)
                if verdict.verdict != CONTRADICTED and (
                    names is None or names.verdict == SUPPORTED
                ):
                    return "Yes:", first(agree[0])
            # a denial that asserts (a finding) outweighs an agreement that only describes
            if deny and not any(asserts(c.text) for c in agree):
                return "No:", first(deny[0])
            return "", chosen
        # no direction, requirement or absence asked: the first sentence alone must state it
        c = chosen[0]
        alone = replace(paper, paper_id=f"{paper.paper_id}#{c.idx}", text=c.text)
        verdict = v.verify([claim], [[Source(f"[{n}]", alone)]])[0]
        if verdict.verdict == SUPPORTED and own(c) and covers(claim, c.text):
            return "Yes:", chosen  # the sentence restates the question, as a statement
        direction = next((x for x in verdict.checks if x.name == "direction"), None)
        if direction is not None and direction.verdict == CONTRADICTED:
            if own(c) and asserts(c.text) and not is_problem_statement(c.text):
                return "No:", chosen
        return "", chosen

    # --- a list: one line per paper that does what is asked ---------------------------------
    def _list_answer(self, analysis, scope: ListScope, cands, hits: list[Hit], done) -> Answer:
        if not scope.kept:
            if scope.restrict and scope.scope_count:
                n = scope.scope_count
                text = (
                    f"None of the {n} paper{'s' if n != 1 else ''} on {scope.scope_topic} "
                    f"mentions {_what(scope.topic)}."
                )
                return done(text, [])
            reason = scope.lacking or f"none of the retrieved papers is about {scope.topic}"
            return done(abstention_text(reason), [], True, reason)
        terms = set(tokenize(scope.topic))
        mine: dict[int, list[tuple[float, Candidate]]] = {}
        for c in cands:
            if c.n in scope.kept:
                x = c.score + 0.3 * lexical_overlap(terms, c.text, self.idf)
                mine.setdefault(c.n, []).append((x, c))
        ranked = {n: [c for _x, c in sorted(xs, key=lambda t: -t[0])] for n, xs in mine.items()}
        for cs in ranked.values():  # "we release X", "our code is at": what it was kept for
            said = next((i for i, c in enumerate(cs) if scope.says(c.text)), 0)
            cs.insert(0, cs.pop(said))
        lines_of = {n: [ranked[n][0]] for n in scope.kept if n in ranked}
        # a short list (one or two papers) says more of each, up to a single answer's length,
        # from the paper's own work (its contribution statement on), not the background before it
        own = _own_start([c for cs in ranked.values() for c in cs])
        floor = self.settings.abstain_sentence * FILL_FLOOR
        more = True
        while more and _words([c for cs in lines_of.values() for c in cs]) < ANSWER_WORDS:
            more = False
            for n, cs in lines_of.items():
                nxt = [
                    c for c in ranked[n][len(cs) :] if c.score >= floor and c.idx >= own.get(n, 0)
                ]
                if nxt and _words([c for v in lines_of.values() for c in v]) < ANSWER_WORDS:
                    cs.append(nxt[0])
                    ranked[n].remove(nxt[0])
                    ranked[n].insert(len(cs) - 1, nxt[0])
                    more = True
        m = len(lines_of)
        if scope.restrict:
            head = (
                f"Of the {scope.scope_count} papers on {scope.scope_topic}, {m} "
                f"{'matches' if m == 1 else 'match'} “{scope.topic}”:"
            )
        elif scope.near:  # no paper holds every concept asked for in its words
            lacking = scope.lacking[:1].upper() + scope.lacking[1:]
            head = f"{lacking} in these words; the nearest:"
        else:
            head = f"{m} paper{'s' if m != 1 else ''} match “{scope.topic}”:"
        lines = [head]
        chosen: list[Candidate] = []
        for n, cs in lines_of.items():
            cs = cs[:1] + sorted(cs[1:], key=lambda c: c.idx)
            said = " ".join(f"{c.text} [{n}]" for c in cs)
            lines.append(f"- {_short(hits[n - 1].paper.title)}: {said}")
            chosen.extend(cs)
        return done("\n".join(lines), chosen)

    # --- a broad "how do X": the answering sentence of each paper that is about X ------------
    def _spread_answer(self, question: str, analysis, scope: ListScope, cands, done) -> Answer:
        ps = score_parts(analysis.parts, None, set(tokenize(question)), cands, self.idf)[0]
        best: dict[int, tuple[float, Candidate]] = {}
        for i, c in enumerate(cands):
            if c.n in scope.kept and (c.n not in best or ps.scores[i] > best[c.n][0]):
                best[c.n] = (float(ps.scores[i]), c)
        floor = self.settings.abstain_sentence * FILL_FLOOR
        chosen = [best[n][1] for n in scope.kept if n in best and best[n][1].score >= floor]
        if len(chosen) < 2:
            return done(" ".join(f"{c.text} [{c.n}]" for c in chosen), chosen)
        head = f"{len(chosen)} papers address this, each in its own way:"
        lines = [head] + [f"- {_short(c.hit.paper.title)}: {c.text} [{c.n}]" for c in chosen]
        return done("\n".join(lines), chosen)

    # --- one or two papers: the sentences that answer each part, then context ----------------
    def _select(
        self, question: str, analysis: QuestionAnalysis, cands: list[Candidate], hits: list[Hit]
    ) -> list[Candidate]:
        s = self.settings
        parts = analysis.parts
        qterms = set(tokenize(question))
        part_vecs = None
        if len(parts) > 1:
            part_vecs = np.asarray(self.embedder.embed([p.text for p in parts]))
        ps = score_parts(parts, part_vecs, qterms, cands, self.idf)
        # the paper that answers: the best mean over parts of its best sentence for that part
        by_paper: dict[int, list[int]] = {}
        for i, c in enumerate(cands):
            by_paper.setdefault(c.n, []).append(i)
        paper_score = {
            n: float(np.mean([p.base[idx].max() for p in ps])) for n, idx in by_paper.items()
        }
        if 1 in paper_score:  # the retrieval's first paper (dense and keywords agree) leads
            paper_score[1] += TOP_PRIOR
        ranked = sorted(paper_score, key=lambda n: -paper_score[n])
        main = ranked[:2] if analysis.kind == "comparison" and len(ranked) > 1 else ranked[:1]
        sides = None
        if analysis.kind == "comparison" and analysis.sides:
            # each side compared gets its own paper: the closest to it, a different one each
            sides = side_scores(self._side_vecs(analysis), analysis.sides, cands, self.idf)
            # per side, each paper's closest sentence; the two papers that together fit the two
            # sides best (not greedily: a long side text can pull the other side's paper)
            fit: dict[tuple[int, int], float] = {}
            for j in range(len(sides)):
                for i, c in enumerate(cands):
                    fit[j, c.n] = max(fit.get((j, c.n), -1.0), float(sides[j, i]))
            for j, side in enumerate(analysis.sides[: len(sides)]):
                terms = set(tokenize(side))
                for n, idx in by_paper.items():
                    paper = cands[idx[0]].hit.paper
                    whole = f"{paper.title}. {paper.text}"
                    fit[j, n] += SIDE_PAPER * lexical_overlap(terms, whole, self.idf)
            papers = list(by_paper)
            pairs = [(fit[0, a] + fit[1, b], a, b) for a in papers for b in papers if a != b]
            if len(sides) == 2 and pairs:
                _x, a, b = max(pairs)
                main = [a, b]

        chosen: list[Candidate] = []

        def add(c: Candidate) -> bool:
            if any(c is o for o in chosen) or any(float(c.vec @ o.vec) > 0.88 for o in chosen):
                return False
            chosen.append(c)
            return True

        if sides is not None:
            # what is compared (the question without its two sides): "the larger average
            # improvement over its baselines"; per side, its paper's sentence that states it
            ask = question
            for side in analysis.sides:
                ask = ask.replace(side, " ")
            ask_vec = np.asarray(self.embedder.embed([ask]))
            wanted = side_scores(ask_vec, [ask], cands, self.idf)[0]
            # a larger/more question compares numbers, a results question findings; otherwise
            # what each does (its method)
            if _MORE.search(ask):
                kind = "quantity"
            elif _RESULT_ASK.search(ask):
                kind = "finding"
            else:
                kind = "method"
            # "the bigger improvement", "higher accuracy": a number that is a result
            kinds = (
                ["quantity", "finding"]
                if kind == "quantity" and _RESULT_ASK.search(ask)
                else [kind]
            )

            # what tells two papers apart is their own work (method, results), not the
            # background both start from: sentences from the contribution statement on count more
            own = _own_start(cands)

            def states(i: int, j: int) -> float:
                # the side picked the paper; within it, what is asked decides
                c = cands[i]
                x = 0.8 * wanted[i] + 0.2 * sides[j, i] + sum(cue_score(c.text, k) for k in kinds)
                if c.idx >= own.get(c.n, 10**6) or (
                    c.n not in own and not is_problem_statement(c.text)
                ):
                    x += CUE_WEIGHT["place"]
                return x

            # per side, its paper's sentences by how well they state what is asked, once
            orders = [
                sorted(by_paper[n], key=lambda i, j=j: -states(i, j)) for j, n in enumerate(main)
            ]
            for n, order in zip(main, orders, strict=True):
                at = own.get(n)
                if (
                    kind == "method"
                    and at is not None
                    and cands[order[0]].idx < at
                    and is_problem_statement(cands[order[0]].text)
                ):
                    # how each does it is told by its own work, not by the problem it starts
                    # from (as for a one-paper "how" question)
                    order = [x for x in order if cands[x].idx >= at] + order
                add(cands[order[0]])
            # then each side's next sentence stating what is asked, before any context (the
            # context is what is closest to the whole question, side descriptions included)
            floor = FILL_FLOOR * s.abstain_sentence
            for order in orders:
                if _words(chosen) >= ANSWER_WORDS:
                    break
                for i in order[1:]:
                    if cands[i].score >= floor and add(cands[i]):
                        break
        for j, part in enumerate(parts if sides is None else []):
            order = np.argsort(-ps[j].scores)
            for n in main:
                i = max(by_paper[n], key=lambda i: ps[j].scores[i])
                if part.kind == "quantity" and not states_number(cands[i].text):
                    # "how many / how large" is answered by a sentence that states a number
                    nums = [x for x in by_paper[n] if states_number(cands[x].text)]
                    if nums:
                        i = max(nums, key=lambda x: ps[j].scores[x])
                if (
                    part.kind == "name"
                    and asks_where_evaluated(part.target)
                    and not names_evaluation(cands[i].text, qterms)
                ):
                    # "on which datasets was it evaluated" is answered by the sentence that
                    # names them ("experiments on X, Y and Z"), however far from the wording
                    named = [x for x in by_paper[n] if names_evaluation(cands[x].text, qterms)]
                    if named:
                        i = max(named, key=lambda x: ps[j].scores[x])
                if part.kind == "method" and is_problem_statement(cands[i].text):
                    # "how is it done" is answered by the paper's own work, not by the problem
                    # it starts from: a sentence from its contribution statement on
                    at = _own_start([cands[x] for x in by_paper[n]]).get(n)
                    if at is not None and cands[i].idx < at:
                        i = max(
                            (x for x in by_paper[n] if cands[x].idx >= at),
                            key=lambda x: ps[j].scores[x],
                        )
                if add(cands[i]) and part.kind == "reason":
                    self._continue_reason(cands[i], hits, chosen)
            top = int(order[0])
            c = cands[top]
            # a part that refers back ("what gains does that give?") is about the same paper
            if c.n not in main and not (j > 0 and _REFERS_BACK.search(part.text)):
                mine = max(ps[j].scores[i] for n in main for i in by_paper[n])
                answers = cue_score(c.text, part.kind, part.target, qterms) > 0
                if answers and ps[j].scores[top] >= mine + OTHER_PAPER_MARGIN:
                    add(c)
        direct = list(chosen)
        if analysis.kind in STRUCTURAL:
            # how it is done: the sentences that follow the contribution statement, in order
            # (a yes/no question is settled by the results too: those are not cut off)
            stop = analysis.kind == "method"
            self._follow_contribution(main[0], cands, chosen, add, stop)
        # context from the answering paper(s): each sentence by its best part score
        fill = []
        for i, c in enumerate(cands):
            if c.n not in main:
                continue
            fill.append((max(float(p.scores[i]) for p in ps), i))
        fill.sort(key=lambda t: -t[0])
        floor = s.abstain_sentence * FILL_FLOOR
        for _x, i in fill:
            if _words(chosen) >= ANSWER_WORDS:
                break
            if cands[i].score >= floor:
                add(cands[i])
        rest = sorted(
            [c for c in chosen if not any(c is d for d in direct)], key=lambda c: (c.n, c.idx)
        )
        return direct + rest

    def _side_vecs(self, analysis: QuestionAnalysis) -> np.ndarray:
        key = tuple(analysis.sides)
        if getattr(self, "_sides_key", None) != key:
            self._sides_key, self._sides_vec = key, np.asarray(self.embedder.embed(analysis.sides))
        return self._sides_vec

    def _follow_contribution(self, n: int, cands, chosen, add, stop_at_results: bool) -> None:
        """After the paper's contribution sentence, the next ones while they go on about it."""
        mine = sorted((c for c in cands if c.n == n), key=lambda c: c.idx)
        at = _own_start(mine).get(n)
        if at is None:
            return
        for c in mine:
            if c.idx <= at or BOILERPLATE.search(c.text) or _words(chosen) >= ANSWER_WORDS:
                continue
            if stop_at_results and _RESULT_OPEN.match(c.text):
                break  # the results start: the method is told
            add(c)

    def _continue_reason(self, c: Candidate, hits: list[Hit], chosen: list[Candidate]) -> None:
        """After a problem statement, the sentences that carry it on (often the reason), up to
        ``REASON_CHAIN`` of them."""
        got = self.cache.get([hits[c.n - 1]]).get(hits[c.n - 1].paper.paper_id)
        if not got or not is_problem_statement(c.text):
            return
        sents, vecs = got
        prev = c.text
        for i in range(c.idx + 1, min(len(sents), c.idx + 1 + REASON_CHAIN)):
            if not continues(prev, sents[i]):
                return
            nxt = Candidate(c.n, c.hit, i, sents[i], vecs[i], c.score, c.dense, c.lexical)
            if all(o.n != c.n or o.idx != i for o in chosen):
                chosen.append(nxt)
            prev = sents[i]


def _own_start(cands: list[Candidate]) -> dict[int, int]:
    """Per paper (by its number), the index of its first sentence among ``cands`` that states
    its contribution ("we propose ..."): where its own work starts, after the background."""
    out: dict[int, int] = {}
    for c in cands:
        if (c.n not in out or c.idx < out[c.n]) and _CONTRIB.search(c.text):
            out[c.n] = c.idx
    return out


def _short(title: str) -> str:
    head = title.split(":", 1)[0].strip()
    return head if 0 < len(head) <= 60 else (title if len(title) <= 90 else title[:87] + "…")


def _what(topic: str) -> str:
    """ "use LoRA" -> "LoRA": the thing a follow-up asks about, as a mention."""
    import re

    t = re.sub(
        r"^(?:uses?|using|involves?|apply|applies|applied\s+to|employs?|relies\s+on|rely\s+on|"
        r"is\s+|are\s+|set\s+in\s+|handles?\s+|mentions?\s+)+",
        "",
        topic.strip(),
        flags=re.I,
    )
    return t or topic
