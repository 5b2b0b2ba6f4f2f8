"""Verify: is each claim of a text stated by the passages it cites? Local, offline, explained.

Every sentence goes through separate checks against its cited passages (and their titles):

* **quantities**: each number, percentage, count word, year, range and unit of the claim must be
  stated in a cited passage ("4.2 %" = "4.2 percent", "three" = "3", "2,048" = "2048"; a rounded
  71% states 71.03%). A number the passage does not state makes the claim unsupported, and
  contradicted when the passage's closest sentence states another number of the same kind.
* **names**: acronyms, CamelCase words, names with digits and capitalised words must appear in a
  cited passage or its title (an acronym as itself, or spelled out by consecutive words of one
  phrase there; never by initials scattered over the text).
* **direction and polarity**: the claim is aligned with the passage sentences closest to it; a
  direction word (increase/reduce, improves/degrades, outperforms/underperforms, tighter/looser,
  ...) whose best-matching counterpart in the passage (same axis, overlapping context) points the
  other way, a negation added or dropped over the same words, a mutually exclusive alternative
  (linear/quadratic, online/offline) or a swapped "from A to B" contradicts it.
* **overclaim**: absolute words (every, always, entirely, impossible, guarantees, first ...)
  the passage does not state, itself or in words of the same strength, make it unsupported
  (``rag.answer.overclaim``).
* **closeness**: the similarity score of ``rag.answer.support`` below the threshold makes it
  unsupported.

The verdict is ``contradicted`` if a check finds the passage saying otherwise, else
``unsupported`` if any check fails, else ``supported``; ``reason`` says why in words and
``evidence`` is the passage sentence it rests on (the contradicting one, or the closest).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from ..records import Hit
from ..text import split_sentences, tokenize
from . import claimtext as ct
from .cues import stem
from .evidence import SentenceCache
from .overclaim import overclaim
from .polarity import direction
from .rivals import PhraseIndex
from .rivals import pairs as rival_pairs
from .scope import words
from .support import SupportScorer, clean_claim
from .terms import TermIndex, terms
from .verdicts import (
    CONTRADICTED,
    SUPPORTED,
    UNSUPPORTED,
    VERDICTS,
    Check,
    PassageSentence,
    Source,
    Verdict,
)

__all__ = [
    "CONTRADICTED",
    "SUPPORTED",
    "UNSUPPORTED",
    "VERDICTS",
    "Source",
    "Verdict",
    "Verifier",
    "strip_markers",
]

ALIGN_TOP = 3  # passage sentences a claim is compared with for direction and polarity
ALIGN_FLOOR = 0.35  # below this alignment a passage sentence is not about the claim
_ANY_MARKER = re.compile(r"\s*\[[^\[\]]{1,120}\]")


def strip_markers(sentence: str) -> str:
    """The claim without citation markers of any form ([1], [2, 3], [paper_id])."""
    return clean_claim(_ANY_MARKER.sub(" ", sentence))


class Verifier:
    """Runs the checks; passage sentences and their vectors are cached across calls."""

    def __init__(
        self,
        scorer: SupportScorer,
        threshold: float,
        sentence_cache: SentenceCache | None = None,
    ) -> None:
        self.scorer = scorer
        self.threshold = threshold
        self.cache = sentence_cache or SentenceCache(scorer.embedder)
        self._parsed: dict[str, list[PassageSentence]] = {}
        self._stated: dict[str, tuple[list[ct.Quantity], ct.NameIndex, TermIndex]] = {}
        self._defs: dict[str, dict[str, str]] = {}

    # --- the passage side -------------------------------------------------------------------
    def _sentences(self, src: Source) -> list[PassageSentence]:
        key = src.label + "\x00" + src.paper.paper_id + "\x00" + src.paper.text[:64]
        got = self._parsed.get(key)
        if got is not None:
            return got
        vecs = self.cache.get([Hit(src.paper, 0.0)]).get(src.paper.paper_id)
        sents = split_sentences(src.paper.text) or [src.paper.text]  # split once, not twice
        if vecs is not None and vecs[0] == sents:
            sents, mat = vecs
        else:
            mat = self.scorer.embedder.embed(sents)
        out = []
        for s, v in zip(sents, mat, strict=True):
            ws = words(s)
            out.append(PassageSentence(src.label, s, v, ws, {w.stem for w in ws}))
        if len(self._parsed) > 4096:
            self._parsed.clear()
        self._parsed[key] = out
        return out

    def _support(self, claim: str, srcs: list[Source], vec) -> float:
        """The closeness score of ``rag.answer.support`` with the vectors already at hand."""
        hits = [Hit(s.paper, 0.0) for s in srcs]
        known = self.cache.get(hits)
        m = self.scorer.score_matrix(
            [claim],
            [s.paper.text for s in srcs],
            sentence_vectors=None if vec is None else np.asarray([vec]),
            passage_sentences=[known.get(s.paper.paper_id) for s in srcs],
        )
        return float(m.max()) if m.size else 0.0

    def _support_spelled_out(self, claim: str, srcs: list[Source]) -> float:
        """The closeness of the claim with the acronyms its sources define spelled out: a claim
        written with 'MAMCL' alone against a passage that mostly uses the long form."""
        defined: dict[str, str] = {}
        for s in srcs:
            defined.update(self._defined(s))
        used = {k: v for k, v in defined.items() if re.search(r"\b" + re.escape(k), claim)}
        if not used:
            return 0.0
        long = ct.expand_acronyms(claim, used)
        return self._support(long, srcs, self.scorer.embedder.embed([long])[0])

    def _defined(self, src: Source) -> dict[str, str]:
        key = src.paper.paper_id + "\x00" + src.paper.text[:64]
        got = self._defs.get(key)
        if got is None:
            got = ct.acronym_definitions(src.paper.title + " . " + src.paper.text)
            if len(self._defs) > 4096:
                self._defs.clear()
            self._defs[key] = got
        return got

    def _facts(self, src: Source) -> tuple[list[ct.Quantity], ct.NameIndex, TermIndex, PhraseIndex]:
        """The quantities and names a source states (with its title), parsed once."""
        key = src.paper.paper_id + "\x00" + src.paper.text[:64]
        got = self._stated.get(key)
        if got is None:
            text = src.paper.title + " . " + src.paper.text
            # phrases read with the passage's acronyms spelled out: 'PFT variants' is
            # 'personalized fine-tuning variants'
            defined = self._defined(src)  # of this same text: read once for both
            spelled = ct.expand_acronyms(text, defined)
            names = ct.NameIndex(text, defined)
            got = (ct.quantities(text), names, TermIndex(text), PhraseIndex(spelled))
            if len(self._stated) > 4096:
                self._stated.clear()
            self._stated[key] = got
        return got

    # --- one claim ----------------------------------------------------------------------------
    def verify(
        self,
        claims: Sequence[str],
        sources: Sequence[Sequence[Source]],
        *,
        support: Sequence[float | None] | None = None,
        claim_vectors: np.ndarray | None = None,
    ) -> list[Verdict]:
        """A verdict per claim against its own cited sources (``sources[i]`` for claim ``i``)."""
        texts = [strip_markers(c) for c in claims]
        if claim_vectors is None and texts:
            claim_vectors = self.scorer.embedder.embed([t or "." for t in texts])
        out = []
        for i, (text, srcs) in enumerate(zip(texts, sources, strict=True)):
            sup = support[i] if support is not None else None
            vec = claim_vectors[i] if claim_vectors is not None else None
            out.append(self._one(text, list(srcs), sup, vec))
        return out

    def _one(self, claim: str, srcs: list[Source], sup: float | None, vec) -> Verdict:
        if not srcs:
            return Verdict(UNSUPPORTED, "cites no source", None, None)
        if sup is None:
            sup = self._support(claim, srcs, vec)
        if sup < self.threshold:
            sup = max(sup, self._support_spelled_out(claim, srcs))
        labels = ", ".join(s.label for s in srcs)
        sents = [x for s in srcs for x in self._sentences(s)]
        cw = words(claim)
        cstems = {w.stem for w in cw if w.content}
        ranked = _align(vec, cstems, sents)
        best = ranked[0][1] if ranked else None
        top = [s for a, s in ranked[:ALIGN_TOP] if a >= ALIGN_FLOOR] or ([best] if best else [])
        facts = [self._facts(s) for s in srcs]
        checks = [
            _quantities(claim, [q for f in facts for q in f[0]], labels, ranked),
            _names(claim, facts, labels),
            direction(claim, cw, top, sents),
            overclaim(cw, sents, labels, top),
            _closeness(sup, self.threshold, labels),
        ]
        contra = [c for c in checks if c.verdict == CONTRADICTED]
        unsup = [c for c in checks if c.verdict == UNSUPPORTED]
        if contra:
            verdict, main = CONTRADICTED, contra
        elif unsup:
            verdict, main = UNSUPPORTED, unsup
        else:
            verdict, main = SUPPORTED, []
        evidence = next((c.evidence for c in main if c.evidence), None)
        ev_label = None
        if evidence is None and best is not None:
            evidence = best.text
        for s in sents:
            if s.text == evidence:
                ev_label = s.label
                break
        reason = "; ".join(dict.fromkeys(c.reason for c in main if c.reason))
        if verdict == SUPPORTED:
            reason = f"stated by {ev_label or labels} (closeness {sup:.2f})"
        return Verdict(verdict, reason, evidence, sup, checks, ev_label)


# --- alignment ------------------------------------------------------------------------------------
def _align(
    vec, cstems: set[str], sents: list[PassageSentence]
) -> list[tuple[float, PassageSentence]]:
    """Passage sentences by closeness to the claim: cosine plus content-word overlap."""
    if vec is not None and sents and all(s.vec is not None for s in sents):
        dense = (np.stack([s.vec for s in sents]) @ vec).tolist()
    else:
        dense = [0.0] * len(sents)
    out = []
    for d, s in zip(dense, sents, strict=True):
        lex = len(cstems & s.stems) / len(cstems) if cstems else 0.0
        out.append((0.6 * d + 0.4 * lex, s))
    out.sort(key=lambda x: -x[0])
    return out


def _quote(text: str, n: int = 160) -> str:
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


# --- quantities -------------------------------------------------------------------------------
def _quantities(claim: str, stated: list[ct.Quantity], labels: str, ranked) -> Check:
    qs = ct.quantities(claim)
    if not qs:
        return Check("quantities", SUPPORTED, "no quantities")
    missing = [q for q in qs if not any(ct.same_value(q, p) for p in stated)]
    # a small count the closest sentence states by listing that many items ('A and B'), when
    # it states no count in words or digits itself
    listed = {
        n
        for _, s in ranked[:1]
        if not any(2 <= p.value <= 6 and not p.percent for p in ct.quantities(s.text))
        for n in ct.list_lengths(s.text)
    }
    missing = [q for q in missing if q.percent or q.decimals or q.value not in listed]
    if not missing:
        return Check("quantities", SUPPORTED, "every quantity is stated")
    q = missing[0]
    claimed = {x.value for x in qs}
    # the closest passage sentence that states a number of the same kind the claim lacks
    for _, s in ranked[:4]:
        others = [
            p
            for p in ct.quantities(s.text)
            if p.percent == q.percent and p.year == q.year and p.value not in claimed
        ]
        if others:
            alt = min(others, key=lambda p: _distance(p.value, q.value))
            return Check(
                "quantities",
                CONTRADICTED,
                f"{q.text} is not in {s.label}; {s.label} says {alt.text}",
                s.text,
            )
    more = "" if len(missing) == 1 else f" (nor {', '.join(m.text for m in missing[1:])})"
    return Check("quantities", UNSUPPORTED, f"{q.text} is not stated in {labels}{more}")


def _distance(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-9) + (0 if _digits(a) == _digits(b) else 0.5)


def _digits(v: float) -> str:
    return "".join(sorted(f"{v:g}".replace(".", "")))


# --- names ------------------------------------------------------------------------------------
def _names(claim: str, facts: list, labels: str) -> Check:
    """Every name and lower-case term of the claim is stated by one of the cited passages, and
    no qualifier of a noun is a rival of the passage's qualifier of it (``rivals``)."""
    idx = [f[1] for f in facts]
    tidx = [f[2] for f in facts]
    pidx = [f[3] for f in facts]
    found = ct.names(claim)
    missing = [n for n in found if not any(i.has(n) for i in idx)]
    if missing:
        shown = ", ".join(f"'{n}'" for n in missing[:3])
        verb = "is" if len(missing) == 1 else "are"
        return Check("names", UNSUPPORTED, f"{shown} {verb} not named in {labels}")
    for quals, head in terms(claim):
        lacking = [t.missing(quals, head) for t in tidx]
        if tidx and all(lacking):
            term = " ".join([*quals, head])
            return Check(
                "names", UNSUPPORTED, f"'{term}' is not named in {labels} ('{lacking[0][0]}')"
            )
    cstems = {stem(w) for w in re.findall(r"[A-Za-z]+", claim)}
    for qual, noun in rival_pairs(claim):
        # the first passage with no rival clears the pair: the rest need not be read
        other = []
        for p in pidx:
            if not (found_rival := p.rival(qual, noun, cstems)):
                break
            other.append(found_rival)
        if pidx and len(other) == len(pidx):
            return Check(
                "names",
                UNSUPPORTED,
                f"'{qual} {noun}' is not named in {labels}, which says '{other[0]} {noun}'",
            )
    if not found:
        return Check("names", SUPPORTED, "no names")
    return Check("names", SUPPORTED, "every name is in the cited passage")


# --- closeness -------------------------------------------------------------------------------
def _closeness(sup: float, threshold: float, labels: str) -> Check:
    if sup < threshold:
        return Check(
            "closeness",
            UNSUPPORTED,
            f"not close to {labels} (closeness {sup:.2f}, below {threshold:.2f})",
        )
    return Check("closeness", SUPPORTED, f"closeness {sup:.2f}")


def content_overlap(a: str, b: str) -> float:
    """Share of ``a``'s content words that ``b`` has."""
    ta = set(tokenize(a))
    return len(ta & set(tokenize(b))) / len(ta) if ta else 0.0
