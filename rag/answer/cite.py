"""Cite: check the citations of a generated answer against the sources it was given.

* ``CitationFilter`` removes markers that point at sources that were not given (``[9]`` when
  sources 1..5 were given), works on a stream chunk by chunk, and gives the same text whatever
  the chunking; what it removed is reported.
* ``answer_sentences`` splits an answer into sentences with the source numbers each cites.
* ``check_answer`` verifies every sentence against the passages it cites (``rag.answer.verify``:
  a verdict, a reason and the evidence sentence), and builds the ``Citation`` list (snippet: the cited abstract's sentence
  closest to the claims that cite it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from ..records import AnswerSentence, Citation, Hit
from ..text import MARKER, split_sentences
from .evidence import SentenceCache
from .support import SupportScorer
from .verify import Source, Verifier

_VERIFIERS: dict[tuple[int, float, int], Verifier] = {}


def verifier_for(
    scorer: SupportScorer, threshold: float, cache: SentenceCache | None = None
) -> Verifier:
    """One verifier per scorer, threshold and sentence cache (its parsed passages are kept)."""
    key = (id(scorer), threshold, id(cache))
    v = _VERIFIERS.get(key)
    if v is None or v.scorer is not scorer or (cache is not None and v.cache is not cache):
        if len(_VERIFIERS) > 16:
            _VERIFIERS.clear()
        v = _VERIFIERS[key] = Verifier(scorer, threshold, cache)
    return v


# a citation marker: [1], [1, 2], [1;2], [1-3], [Source 2], [source 1, 3]
_INNER = re.compile(
    r"\s*(?:sources?\s*)?\d{1,3}(?:\s*(?:[-–,;]|and)\s*(?:sources?\s*)?\d{1,3})*\s*", re.I
)
_MARKER_CHARS = frozenset("0123456789 \t\n,;-–sourceandSOURCEAND")


MAX_MARKER = 200  # characters inside a marker's brackets at most ("[Source 1, Source 2 ...]")


def _close_of(text: str, bracket: int) -> int | None:
    """Index of the ``]`` closing a possible marker at ``bracket``; -1 when a character (or the
    length) shows it is not a marker; None when the text ends first (a stream may bring the
    rest). Reads at most MAX_MARKER characters, so filtering stays linear in the text."""
    stop = min(len(text), bracket + 2 + MAX_MARKER)
    for i in range(bracket + 1, stop):
        ch = text[i]
        if ch == "]":
            return i
        if ch not in _MARKER_CHARS:
            return -1
    return None if stop == len(text) and stop < bracket + 2 + MAX_MARKER else -1


def parse_marker(inner: str) -> list[int] | None:
    """The source numbers of a marker's inside ("1, 2", "1-3", "Source 2"), or None if not one."""
    if not _INNER.fullmatch(inner):
        return None
    nums: list[int] = []
    for part in re.split(r"\s*(?:[,;]|and)\s*", inner.strip(), flags=re.I):
        part = re.sub(r"(?i)sources?\s*", "", part).strip()
        if not part:
            continue
        if re.fullmatch(r"\d+\s*[-–]\s*\d+", part):
            a, b = (int(x) for x in re.split(r"\s*[-–]\s*", part))
            if a <= b and b - a < 20:
                nums.extend(range(a, b + 1))
            else:
                nums.extend([a, b])
        else:
            nums.append(int(part))
    out: list[int] = []
    for n in nums:
        if n not in out:
            out.append(n)
    return out or None


class CitationFilter:
    """Streams text through, rewriting citation markers to ``[n, m]`` and dropping invalid ones.

    ``feed(delta)`` returns the text that is safe to show now; ``flush()`` the rest at the end.
    Leading and trailing whitespace of the whole text is dropped; a removed marker takes the
    whitespace before it along, so "claim [9]." becomes "claim.". Linear in the text: held
    back are only the whitespace before a possible marker and a marker not yet closed (at most
    MAX_MARKER characters).
    """

    def __init__(self, valid: Sequence[int]) -> None:
        self.valid = set(valid)
        self.removed: list[int] = []
        self._removed: set[int] = set()
        self._ws: list[str] = []  # whitespace held: shown before what follows, or dropped
        self._mark = ""  # the start of a marker not closed yet
        self._started = False

    def feed(self, delta: str) -> str:
        text = self._mark + delta if self._mark else delta
        self._mark = ""
        return self._emit(self._drain(text, final=False))

    def flush(self) -> str:
        text, self._mark = self._mark, ""
        return self._emit(self._drain(text, final=True))

    def _emit(self, text: str) -> str:
        if not self._started:
            text = text.lstrip()
            if text:
                self._started = True
        return text

    def _plain(self, seg: str, out: list[str]) -> None:
        """Text with no bracket: shown, except its trailing whitespace, which is held."""
        if not seg:
            return
        kept = seg.rstrip()
        if kept:
            if self._ws:
                out.append("".join(self._ws))
                self._ws.clear()
            out.append(kept)
        if len(kept) < len(seg):
            self._ws.append(seg[len(kept) :])

    def _held(self, out: list[str], text: str) -> None:
        """Show the held whitespace, then ``text``."""
        if self._ws:
            out.append("".join(self._ws))
            self._ws.clear()
        out.append(text)

    def _drain(self, text: str, final: bool) -> str:
        out: list[str] = []
        i, n = 0, len(text)
        while i < n:
            j = text.find("[", i)
            if j < 0:
                self._plain(text[i:], out)
                break
            self._plain(text[i:j], out)
            close = _close_of(text, j)
            if close is None and not final:  # the marker may still be coming
                self._mark = text[j:]
                break
            nums = parse_marker(text[j + 1 : close]) if close is not None and close > 0 else None
            if nums is None:  # a bracket, not a marker: plain text from here
                self._held(out, "[")
                i = j + 1
                continue
            keep = [k for k in nums if k in self.valid]
            for k in nums:
                if k not in self.valid and k not in self._removed:
                    self._removed.add(k)
                    self.removed.append(k)
            if keep:
                self._held(out, "[" + ", ".join(str(k) for k in keep) + "]")
            else:
                self._ws.clear()  # a removed marker takes the whitespace before it along
            i = close + 1
        if final:
            self._ws.clear()  # trailing whitespace of the whole text
        return "".join(out)


def filter_citations(text: str, valid: Sequence[int]) -> tuple[str, list[int]]:
    """The whole text through a ``CitationFilter``: (clean text, removed source numbers)."""
    f = CitationFilter(valid)
    clean = f.feed(text) + f.flush()
    return clean, sorted(f.removed)


def marker_numbers(text: str) -> list[int]:
    """Source numbers cited in clean text, in order of first appearance."""
    out: list[int] = []
    for m in MARKER.finditer(text):
        for n in m.group(1).split(", "):
            if int(n) not in out:
                out.append(int(n))
    return out


def answer_sentences(text: str) -> list[tuple[str, list[int]]]:
    """Sentences of a clean answer with the numbers each cites; a marker that opens a sentence
    ("... results. [2] Next ...") belongs to the sentence before it."""
    out: list[tuple[str, list[int]]] = []
    for sent in split_sentences(text):
        lead = re.match(r"^((?:\[\d{1,3}(?:, \d{1,3})*\]\s*)+)", sent)
        if lead and out:
            prev, nums = out[-1]
            out[-1] = (prev + " " + lead.group(1).strip(), nums + marker_numbers(lead.group(1)))
            sent = sent[lead.end() :].strip()
            if not sent:
                continue
        out.append((sent, marker_numbers(sent)))
    return [(s, list(dict.fromkeys(ns))) for s, ns in out]


def check_answer(
    text: str,
    hits: Sequence[Hit],
    scorer: SupportScorer,
    threshold: float,
    sentence_cache: SentenceCache | None = None,
    second_opinion=None,
) -> tuple[list[AnswerSentence], list[Citation]]:
    """Per-sentence verdicts against the cited sources, and the citations of the answer.

    ``text`` must already be filtered (every marker cites one of ``hits``, numbered from 1).
    Each sentence goes through ``rag.answer.verify`` (quantities, names, direction, closeness);
    a sentence without a citation is unsupported with support None. ``second_opinion``
    (``rag.answer.llmcheck``) may revise the verdicts in place with a model's reading.
    """
    parts = answer_sentences(text)
    passages = [h.paper.text for h in hits]
    claims = [s for s, _ in parts]
    known = None
    quoted: dict[str, np.ndarray] = {}
    if sentence_cache is not None and claims:
        got = sentence_cache.get(list(hits))
        known = [got.get(h.paper.paper_id) for h in hits]
        for k in known:  # a sentence quoted from a source has its vector already
            if k is not None:
                quoted.update(zip(k[0], k[1], strict=True))
    claim_vecs = scorer.embed_claims(claims, quoted) if claims else None
    matrix = (
        scorer.score_matrix(claims, passages, sentence_vectors=claim_vecs, passage_sentences=known)
        if claims
        else np.zeros((0, len(hits)))
    )
    sentences: list[AnswerSentence] = []
    verifier = verifier_for(scorer, threshold, sentence_cache)
    cited_nums = [[n for n in nums if 1 <= n <= len(hits)] for _, nums in parts]
    sups = [
        max((float(matrix[i, n - 1]) for n in ns), default=None) for i, ns in enumerate(cited_nums)
    ]
    verdicts = (
        verifier.verify(
            claims,
            [[Source(f"[{n}]", hits[n - 1].paper) for n in ns] for ns in cited_nums],
            support=sups,
            claim_vectors=claim_vecs,
        )
        if claims
        else []
    )
    for (sent, _), nums, sup, v in zip(parts, cited_nums, sups, verdicts, strict=True):
        if not nums:
            sentences.append(
                AnswerSentence(sent, [], None, verdict="unsupported", reason="cites no source")
            )
            continue
        sentences.append(
            AnswerSentence(sent, nums, sup, verdict=v.verdict, reason=v.reason, evidence=v.evidence)
        )
    if second_opinion is not None:
        second_opinion(sentences, [hits[n - 1] for n in range(1, len(hits) + 1)], verdicts)

    cited = sorted({n for s in sentences for n in s.citations})
    citations: list[Citation] = []
    for n in cited:
        h = hits[n - 1]
        rows = [i for i, s in enumerate(sentences) if n in s.citations]
        support = max(float(matrix[i, n - 1]) for i in rows)
        snippet = h.snippet
        if claim_vecs is not None and sentence_cache is not None:
            got = sentence_cache.get([h]).get(h.paper.paper_id)
            if got:
                sents, vecs = got
                target = claim_vecs[rows].mean(axis=0)
                snippet = sents[int(np.argmax(vecs @ target))]
        citations.append(
            Citation(n, h.paper.paper_id, h.paper.title, snippet, support, h.paper.url, h.paper)
        )
    return sentences, citations


def sentences_of(answer) -> list[tuple[str, list[int]]]:
    """(sentence, cited source numbers) of an Answer: its checked sentences when it has them,
    else its text split here."""
    if answer.sentences:
        return [(s.text, list(s.citations)) for s in answer.sentences]
    return answer_sentences(answer.answer)
