"""Evidence: the sentences of the retrieved abstracts, embedded once, scored against a question."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..records import Hit
from ..text import BOILERPLATE, split_sentences, tokenize
from .vectors import VectorCache

# --- scoring shared by the answerers -----------------------------------------------------------
_CONTRIB = re.compile(
    r"\b(?:we|this paper|this work|our (?:method|approach|framework))\s+(?:propose|introduce|present|develop|design|find|show|demonstrate)",
    re.IGNORECASE,
)


# the sentence that introduces the paper's work ("we propose X", "this paper presents Y"):
# its contribution, not a result it reports
_INTRODUCES = re.compile(
    r"\b(?:we|this\s+(?:paper|work|study|article)|in\s+this\s+(?:paper|work),?\s+we)\s+"
    r"(?:first\s+|further\s+|then\s+|also\s+)?(?:propose|introduce|present|develop|design|devise|"
    r"build|construct|release|formalize|define)\w*\b",
    re.IGNORECASE,
)


class SentenceCache:
    """Sentence vectors (and title vectors) of papers, computed once per paper per process."""

    def __init__(self, embedder, size: int = 4096) -> None:
        self.embedder = embedder
        self.size = size
        self._data: OrderedDict[str, tuple[list[str], np.ndarray]] = OrderedDict()
        self._titles = VectorCache(embedder, size, batch_size=64)
        self._lock = threading.Lock()

    def titles(self, hits: list[Hit]) -> np.ndarray:
        """The vectors of the titles of ``hits``' papers, one row each, in order (the concept
        test of list questions reads them for every question)."""
        rows = self._titles.rows([h.paper.paper_id for h in hits], [h.paper.title for h in hits])
        return np.vstack(rows)

    def get(self, hits: list[Hit]) -> dict[str, tuple[list[str], np.ndarray]]:
        need = []
        with self._lock:
            for h in hits:
                if h.paper.paper_id not in self._data:
                    need.append(h)
        if need:
            sents = [split_sentences(h.paper.text) or [h.paper.text] for h in need]
            flat = [s for ss in sents for s in ss]
            vecs = self.embedder.embed(flat, batch_size=64)
            i = 0
            with self._lock:
                for h, ss in zip(need, sents, strict=True):
                    self._data[h.paper.paper_id] = (ss, vecs[i : i + len(ss)])
                    i += len(ss)
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
        with self._lock:
            return {
                h.paper.paper_id: self._data[h.paper.paper_id]
                for h in hits
                if h.paper.paper_id in self._data
            }


def lexical_overlap(question_terms: set[str], sentence: str, idf) -> float:
    """IDF-weighted share of the question's content words that the sentence contains."""
    if not question_terms:
        return 0.0
    st = set(tokenize(sentence))
    total = sum(idf(t) for t in question_terms)
    got = sum(idf(t) for t in question_terms if t in st)
    return got / total if total else 0.0


@dataclass
class Candidate:
    n: int  # source number
    hit: Hit
    idx: int  # sentence position in the abstract
    text: str
    vec: np.ndarray
    score: float
    dense: float
    lexical: float


def score_sentences(
    question: str, qvec: np.ndarray, hits: list[Hit], cache: SentenceCache, idf
) -> list[Candidate]:
    qterms = set(tokenize(question))
    out: list[Candidate] = []
    for n, h in enumerate(hits, start=1):
        got = cache.get([h]).get(h.paper.paper_id)
        if not got:
            continue
        sents, vecs = got
        sims = vecs @ qvec
        for i, (s, v, sim) in enumerate(zip(sents, vecs, sims, strict=True)):
            if len(s.split()) < 5:
                continue
            lex = lexical_overlap(qterms, s, idf)
            score = 0.65 * float(sim) + 0.35 * lex + 0.04 * h.score
            if BOILERPLATE.search(s) and len(s.split()) < 25:
                score -= 0.15
            if _CONTRIB.search(s):
                score += 0.03
            out.append(Candidate(n, h, i, s, v, score, float(sim), lex))
    out.sort(key=lambda c: -c.score)
    return out


# --- what a sentence answers: cue families per kind of answer --------------------------------
# a reason, by the connective that gives it: cause ("because", "due to", "stems from"),
# purpose ("to address", "in order to") or means ("by doing", "which allows")
_CAUSE_CUE = re.compile(
    r"\b(?:because|since|due\s+to|owing\s+to|as\s+a\s+(?:result|consequence)|attribut\w+\s+to|"
    r"motivated\s+by|stems?\s+from|caused\s+by|causes?|arises?\s+from|results?\s+(?:in|from)|"
    r"resulting\s+in|leads?\s+to|lead\s+to|leading\s+to|given\s+that|the\s+reason|"
    r"(?:this|which|that)\s+(?:makes|limits|prevents|hinders|restricts|causes|means)|making\s+"
    r"(?:it|them|this|these)|therefore|hence|thus|consequently|thereby|in\s+turn|"
    r"increases?\s+(?:linearly|quadratically|exponentially)|"
    r"(?:we|our)\s+(?:observe|find|found|show|uncover|reveal|identify)\w*\s+that)\b",
    re.IGNORECASE,
)
_PURPOSE_CUE = re.compile(
    r"\b(?:to\s+(?:address|tackle|overcome|mitigate|alleviate|resolve|solve|remedy|avoid|"
    r"prevent|handle|counter|bridge|close|fill)|in\s+order\s+to|so\s+as\s+to|so\s+that|"
    r"aim(?:s|ed|ing)?\s+(?:to|at))\b",
    re.IGNORECASE,
)
_MEANS_CUE = re.compile(
    r"\b(?:by\s+\w+ing|(?:which|that|this)\s+(?:allows|enables|lets|helps|ensures)|allowing|"
    r"enabling|ensuring)\b",
    re.IGNORECASE,
)
# what is wrong: the evaluative words a problem statement (and a "why is X hard?") uses
_NEGATIVE = re.compile(
    r"\b(?:hard|harder|difficult\w*|challeng\w*|impractical|infeasible|costly|expensive|"
    r"prohibitive\w*|slow\w*|inefficien\w*|insufficien\w*|inadequate\w*|limit\w*|fail\w*|"
    r"struggl\w*|suffer\w*|lag\w*|underperform\w*|poor\w*|degrad\w*|damag\w*|harm\w*|"
    r"hurt\w*|disrupt\w*|unreliable|unstable|instabilit\w*|overfit\w*|bias\w*|drift\w*|"
    r"bottleneck\w*|lack\w*|scarc\w*|shortage\w*|mismatch\w*|noisy|noise|vulnerab\w*|"
    r"risk\w*|prone|error-prone|problem\w*|issue\w*|obstacle\w*|barrier\w*|gap|"
    r"ignor\w*|overlook\w*|neglect\w*|unclear|unsatisf\w*|not\s+(?:enough|sufficient|"
    r"satisf\w*|practical|feasible|scal\w*)|cannot|unable|without|rely\s+(?:too\s+)?"
    r"(?:heavily\s+|much\s+)?on|over-\w+|excessive\w*|redundan\w*|hinder\w*|restrict\w*)\b",
    re.IGNORECASE,
)
_REASON_CUE = re.compile(
    "|".join(f"(?:{r.pattern})" for r in (_CAUSE_CUE, _PURPOSE_CUE, _MEANS_CUE)), re.IGNORECASE
)
_PROBLEM = re.compile(
    r"\b(?:however|challeng\w*|remain\w*|suffer\w*|struggle\w*|limitation\w*|problem\w*|"
    r"issue\w*|difficult\w*|hard|unclear|lack\w*|fail\w*|insufficient|impractical|costly|"
    r"despite|although|yet|but)\b",
    re.IGNORECASE,
)
_CONTINUES = re.compile(
    r"^(?:this|these|such|it|they|that|those|as\s+a\s+result|consequently|thus|hence|"
    r"because|since|moreover|furthermore|in\s+particular|specifically|for\s+example|"
    r"for\s+instance|namely|worse|additionally|also)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(?:%|percent|x\b|×|k\b|m\b|b\b|"
    r"million|billion|thousand|fold|times|points?|pp\b))?"
    r"|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|"
    r"thousands?|single|double)\b",
    re.IGNORECASE,
)
_NAMEISH = re.compile(
    r"\b(?:[A-Z][a-z]+[A-Z][\w-]*|[A-Z]{2,}[\w-]*|[A-Z][a-z]*-[A-Z0-9][\w-]*|[A-Z][a-z]+\d[\w-]*)"
)
_NAME_CUE = re.compile(r"\b(?:called|named|dubbed|termed|namely|coined|denoted)\b|:\s", re.I)
_FINDING_CUE = re.compile(
    r"\b(?:outperform\w*|improv\w*|achiev\w*|surpass\w*|exceed\w*|beat\w*|gain\w*|"
    r"show(?:s|ed|n)?\s+that|demonstrat\w*|reveal\w*|find\s+that|found\s+that|results?|"
    r"experiments?|significant\w*|consistent\w*|state-of-the-art|better|superior|"
    r"effective\w*|reduc\w*|increas\w*|only\s+modest|observe\w*|align\w*|competitive)\b",
    re.IGNORECASE,
)
_METHOD_CUE = re.compile(
    r"\b(?:we\s+(?:propose|introduce|present|develop|design|devise|formulate|leverage|use|"
    r"employ|adopt|train|model|cast|treat|reformulate)|by\s+\w+ing|via|through|leverag\w*|"
    r"consists?\s+of|compris\w*|first\w*|then|module|mechanism|framework|pipeline|"
    r"strategy|design\w*|integrat\w*|combin\w*|enabl\w*|optimi[sz]\w*|regulari[sz]\w*)\b",
    re.IGNORECASE,
)

# what a model was evaluated on is named after an evaluation word: "experiments on X, Y and Z"
_EVAL_TARGET = re.compile(r"(?:datasets?|benchmarks?|tasks?|models?|baselines?)$", re.I)
_EVAL_ON = re.compile(
    r"\b(?:experiments?|evaluat\w+|tested|tests|results?|benchmark\w*|trained|validated|"
    r"comparisons?)\s+(?:\w+\s+){0,2}?(?:on|across|over|using|with|against)\s+"
    r"(?:the\s+|three\s+|two\s+|four\s+|five\s+|several\s+|multiple\s+)?(?:[\w-]+\s+){0,3}?"
    r"[A-Z][\w-]*",
)

# what settles a yes/no question: a sentence that asserts the thing ("there is an upper bound",
# "we prove that", "X can ...", "outperforms"), more than one that merely describes
_ASSERT_CUE = re.compile(
    r"\b(?:there\s+(?:is|are|exists?)|we\s+(?:prove|show|find|demonstrate|confirm|verify|"
    r"validate|establish|observe)|(?:show|prove|demonstrate|confirm|reveal|indicate|suggest|"
    r"verify|validate)(?:s|d|ed)?\s+that|(?:is|are)\s+(?:able|capable)\s+(?:to|of)|can\s+"
    r"(?:be\s+)?\w+|cannot|outperform\w*|surpass\w*|achiev\w*\s+(?:a\s+)?\d|"
    r"align\w*\s+with|consistent(?:ly)?\s+(?:improv|outperform)\w*)",
    re.IGNORECASE,
)

# bonus of a sentence per kind of answer wanted (tuned on the dev half of eval/questions.jsonl)
CUE_WEIGHT = {
    "reason": 0.08,
    "reason_means": 0.04,
    "problem": 0.05,
    "quantity": 0.07,
    "quantity_target": 0.10,
    "name": 0.06,
    "name_cue": 0.04,
    "name_eval": 0.1,
    "finding": 0.05,
    "finding_result": 0.05,
    "method": 0.03,
    "yesno": 0.03,
    "yesno_assert": 0.06,
    "comparison": 0.04,
    "place": 0.12,
}
# where in an abstract a kind's answer sits relative to the contribution sentence:
# +1 at or after it (how it is done, what was found), -1 at or before it (why)
PLACE = {"method": 1, "yesno": 1, "finding": 1, "quantity": 1, "reason": -1}


def is_problem_statement(sentence: str) -> bool:
    """Does the sentence state a problem or gap (the reason often follows it)?"""
    return bool(_PROBLEM.search(sentence) or _NEGATIVE.search(sentence))


def continues(prev: str, sentence: str) -> bool:
    """Does ``sentence`` carry on the point of the sentence before it ("This ...", "because",
    or another statement of what is wrong that is not yet the paper's own contribution)?"""
    if _CONTRIB.search(sentence):
        return False
    return bool(
        _CONTINUES.match(sentence.strip())
        or _CAUSE_CUE.search(sentence)
        or _NEGATIVE.search(sentence)
    )


def asserts(sentence: str) -> bool:
    """Does the sentence assert or deny something (a finding, "there is", "X can", "we show
    that"), rather than describe what the paper does ("we propose X, which ...")?"""
    if _HOPE.search(sentence) or BOILERPLATE.search(sentence):
        return False  # "we hope this work can shed light on ...": an outlook, not a finding
    if _GENERIC_CLAIM.search(sentence) and not _NUMBER_ONLY.search(sentence):
        return False  # "demonstrate the effectiveness of our method": asserts nothing asked
    return bool(_ASSERT_CUE.search(sentence) or _RESULT_SAYS.search(sentence))


_GENERIC_CLAIM = re.compile(
    r"\b(?:effectiveness|efficacy|superiority|validity|potential|feasibility|usefulness|"
    r"advantages?|merits?)\s+(?:and\s+\w+\s+)?of\s+(?:our|the\s+proposed|this|the|these)\b",
    re.IGNORECASE,
)
_NUMBER_ONLY = re.compile(r"\d")
_HOPE = re.compile(
    r"\b(?:we|i)\s+(?:hope|believe|envision|expect|anticipate)\b|\b(?:shed|sheds)\s+light\b|"
    r"\b(?:paves?|pave)\s+the\s+way\b|\bfuture\s+(?:research|work|directions?)\b",
    re.IGNORECASE,
)


_RESULT_SAYS = re.compile(
    r"\b(?:results?|experiments?|evaluations?|analys[ie]s|ablations?|findings?|evidence)\b"
    r"[^.;]{0,80}?\b(?:show|reveal|demonstrat|confirm|indicat|suggest|validat|verif|highlight)\w*",
    re.IGNORECASE,
)


def states_number(sentence: str) -> bool:
    """Does the sentence state a number (digits or a count word)?"""
    return bool(_NUMBER.search(sentence))


def asks_where_evaluated(target: str) -> bool:
    """Is the artifact asked for where the work was evaluated ("which datasets/benchmarks")?"""
    return bool(target and _EVAL_TARGET.match(target))


def names_evaluation(sentence: str, asked: set[str]) -> bool:
    """Does the sentence say where the work was evaluated, by name ("experiments on X, Y and
    Z")? At least two names the question does not already hold."""
    names = {
        m.group(0) for m in _NAMEISH.finditer(sentence) if not set(tokenize(m.group(0))) <= asked
    }
    return len(names) >= 2 and bool(_EVAL_ON.search(sentence))


def introduces(sentence: str) -> bool:
    """Does the sentence introduce the paper's own work ("we propose X", "this paper presents")?"""
    return bool(_INTRODUCES.search(sentence))


def is_negative(text: str) -> bool:
    """Does the text say that something is wrong (hard, costly, failing, lacking, ...)?"""
    return bool(_NEGATIVE.search(text))


def reason_cue(sentence: str, target: str = "") -> float:
    """How much the sentence gives a reason: a causal connective most, a purpose or a means
    less; for a question about a problem (``target == "problem"``: "why is X hard?"), also a
    sentence that says what is wrong, and a purpose ("to address this, we propose") does not
    count: it answers why the paper's method exists, not why the problem does."""
    w = CUE_WEIGHT
    problem = target == "problem"
    x = 0.0
    if _CAUSE_CUE.search(sentence):
        x = w["reason"]
    elif _MEANS_CUE.search(sentence) or (not problem and _PURPOSE_CUE.search(sentence)):
        x = w["reason_means"]
    if problem and _NEGATIVE.search(sentence) and not _CONTRIB.search(sentence):
        x += w["problem"]
    return x


def _stem_set(words: str) -> set[str]:
    return set(tokenize(words))


def cue_score(sentence: str, kind: str, target: str = "", asked: set[str] | None = None) -> float:
    """How much the sentence looks like the kind of answer wanted (0 when it does not)."""
    w = CUE_WEIGHT
    if kind == "reason":
        return reason_cue(sentence, target)
    if kind == "quantity":
        nums = list(_NUMBER.finditer(sentence))
        if not nums:
            return 0.0
        bonus = w["quantity"]
        if target:
            want = _stem_set(target)
            for m in nums:
                after = sentence[m.end() : m.end() + 60]
                near = set(tokenize(" ".join(after.split()[:5])))
                # "populations of up to 40": the noun may also stand just before the number
                before = sentence[max(0, m.start() - 40) : m.start()].split()[-4:]
                near |= set(tokenize(" ".join(before)))
                if want & near:
                    return bonus + w["quantity_target"]
        return bonus
    if kind == "name":
        asked = asked or set()
        names = [
            m.group(0)
            for m in _NAMEISH.finditer(sentence)
            if not (set(tokenize(m.group(0))) <= asked)
        ]
        bonus = w["name"] if names else 0.0
        if names and _NAME_CUE.search(sentence):
            bonus += w["name_cue"]
        if len(set(names)) >= 2:  # "on X, Y and Z": several names listed
            bonus += w["name_cue"]
            if target and _EVAL_TARGET.match(target) and _EVAL_ON.search(sentence):
                bonus += w["name_eval"]  # "experiments on X, Y and Z": where it was evaluated
        return bonus
    if kind == "finding":
        # a sentence that reports a result ("experiments show", "we find that", "outperforms")
        # more than one that only names a quality ("effective", "improved")
        x = w[kind] if _FINDING_CUE.search(sentence) else 0.0
        return x + (w["finding_result"] if x and asserts(sentence) else 0.0)
    if kind == "comparison":
        return w[kind] if _FINDING_CUE.search(sentence) else 0.0
    if kind == "method":
        return w["method"] if _METHOD_CUE.search(sentence) else 0.0
    if kind == "yesno":
        if _ASSERT_CUE.search(sentence):
            return w["yesno_assert"]
        hit = _FINDING_CUE.search(sentence) or _METHOD_CUE.search(sentence)
        return w["yesno"] if hit else 0.0
    return 0.0


def side_scores(side_vecs: np.ndarray, sides: list[str], cands: list[Candidate], idf) -> np.ndarray:
    """A comparison: each candidate's closeness to each side compared (sides x candidates)."""
    out = np.zeros((len(sides), len(cands)))
    for j, side in enumerate(sides):
        terms = set(tokenize(side))
        for i, c in enumerate(cands):
            out[j, i] = 0.65 * float(c.vec @ side_vecs[j]) + 0.35 * lexical_overlap(
                terms, c.text, idf
            )
    return out


@dataclass
class PartScores:
    """Sentence scores for one part of a question: closeness plus the part's cue."""

    kind: str
    scores: np.ndarray  # one per candidate, in the order of the candidates list
    base: np.ndarray  # the same without the place bonus (for choosing the paper)


def score_parts(
    parts: list,
    part_vecs: np.ndarray | None,
    question_terms: set[str],
    cands: list[Candidate],
    idf,
) -> list[PartScores]:
    """Per part of the question, each candidate's score for answering that part.

    A part's score mixes the whole question's score (shared context: "it" in the second part
    refers to the first) with the part's own closeness and words, plus its kind's cue.
    """
    out = []
    single = len(parts) == 1
    # where each abstract states its contribution ("we propose ..."): the motivation comes
    # before it, the method and the results at and after it
    contrib: dict[int, int] = {}
    for c in cands:
        if _CONTRIB.search(c.text) and c.idx < contrib.get(c.n, 10**6):
            contrib[c.n] = c.idx
    for j, part in enumerate(parts):
        pterms = set(tokenize(part.text)) or question_terms
        target = getattr(part, "target", "")
        xs = np.zeros(len(cands))
        place = np.zeros(len(cands))
        for i, c in enumerate(cands):
            cue = cue_score(c.text, part.kind, target, question_terms)
            at = contrib.get(c.n)
            if at is not None:
                where = PLACE.get(part.kind, 0)
                if (where > 0 and c.idx >= at) or (where < 0 and c.idx <= at):
                    place[i] = CUE_WEIGHT["place"]
                if part.kind == "finding" and introduces(c.text) and not asserts(c.text):
                    place[i] = 0.0  # what was found comes after the work is introduced
            if single or part_vecs is None:
                xs[i] = c.score + cue
            else:
                own = 0.65 * float(c.vec @ part_vecs[j]) + 0.35 * lexical_overlap(
                    pterms, c.text, idf
                )
                xs[i] = 0.5 * c.score + 0.5 * own + cue
        out.append(PartScores(part.kind, xs + place, xs))
    return out
