"""Check a draft: every sentence of any text verified against the papers it cites.

Citations may be written as ``[paper_id]`` (``[f18d22164350]``, ``[a1, a2]``), as ``[n]``
with a numbered reference list at the end of the text (lines like ``[1] Title ...`` or
``1. Title ...``, optionally under a "References" heading), whose entries are matched to papers
of the collection by DOI or title, as a DOI (``doi:10.1038/...``, ``https://doi.org/...``) or
as author and year (``(Smith, 2024)``, ``(Smith et al., 2024)``, ``(Smith and Lee, 2024)``,
``Smith et al. (2024)``), matched by the papers' DOI, first author and year
(``rag.citations``). A citation several papers match is reported as ambiguous, one none
matches as unresolved, each on its sentence. Each sentence gets the verifier's verdict, reason and best evidence
sentence (``rag.answer.verify``); a sentence that cites nothing gets the papers that would
support it, found by retrieval and checked the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .answer.verify import SUPPORTED, UNSUPPORTED, Source, Verifier, strip_markers
from .citations import DOI_RE, Resolver, find_citations, parse_label, strip_citations
from .records import Hit, Paper
from .text import split_sentences

_REF_LINE = re.compile(r"^\s*(?:\[(\d{1,3})\]|(\d{1,3})[.)])\s+(\S.*)$")
_REF_HEAD = re.compile(
    r"^\s*(?:#+\s*)?(references|bibliography|works cited|sources)\s*:?\s*$", re.I
)
_MARKER = re.compile(r"\[([^\[\]]{1,200})\]")
_TITLE_TOKEN = re.compile(r"[a-z0-9]+")
_NOT_TITLE = {"and", "et", "al", "the", "for", "with", "from", "journal", "proceedings", "arxiv"}
TITLE_MATCH = 0.6  # share of a paper title's words a reference line must contain
SUGGEST_K = 3  # papers looked at for an uncited sentence


@dataclass
class CheckedSentence:
    text: str
    citations: list[str]  # paper ids
    verdict: str
    reason: str
    evidence: str | None = None
    evidence_paper: str | None = None
    support: float | None = None
    suggestions: list[dict] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # citations (as written) no paper matches
    ambiguous: list[dict] = field(default_factory=list)  # {citation, papers}: several match

    def public(self) -> dict:
        d = {
            "text": self.text,
            "citations": self.citations,
            "verdict": self.verdict,
            "reason": self.reason,
            "evidence": self.evidence,
            "evidence_paper": self.evidence_paper,
            "support": None if self.support is None else round(self.support, 3),
        }
        if self.suggestions:
            d["suggestions"] = self.suggestions
        if self.unknown:
            d["unknown_citations"] = self.unknown
        if self.ambiguous:
            d["ambiguous_citations"] = self.ambiguous
        return d


@dataclass
class CheckReport:
    sentences: list[CheckedSentence]
    references: dict[int, str | None]  # reference number -> paper id (None: not found)

    def counts(self) -> dict[str, int]:
        out = {"supported": 0, "unsupported": 0, "contradicted": 0}
        for s in self.sentences:
            out[s.verdict] = out.get(s.verdict, 0) + 1
        return out

    def to_dict(self) -> dict:
        """The shape of ``rag check --json``."""
        return {
            "sentences": [s.public() for s in self.sentences],
            "references": {str(n): pid for n, pid in self.references.items()},
            "counts": self.counts(),
        }


def split_references(text: str) -> tuple[str, dict[int, str]]:
    """(body, {n: reference line}): the numbered list under a References heading, or the
    trailing block of numbered lines, taken off the text."""
    lines = text.splitlines()
    start = None
    for i, line in enumerate(lines):
        if _REF_HEAD.match(line):
            start = i
    if start is None:
        i = len(lines)
        while i > 0 and (not lines[i - 1].strip() or _REF_LINE.match(lines[i - 1])):
            i -= 1
        if any(_REF_LINE.match(x) for x in lines[i:]):
            start = i
    if start is None:
        return text, {}
    refs: dict[int, str] = {}
    for line in lines[start:]:
        m = _REF_LINE.match(line)
        if m:
            refs[int(m.group(1) or m.group(2))] = m.group(3).strip()
    if not refs:
        return text, {}
    return "\n".join(lines[:start]), refs


def _title_tokens(text: str) -> list[str]:
    return _TITLE_TOKEN.findall(text.lower())


def match_title(line: str, papers: Sequence[Paper]) -> Paper | None:
    """The paper whose title the reference line carries (most of its words, in the line)."""
    have = set(_title_tokens(line))
    line_words = [w for w in have if len(w) > 3 and not w.isdigit() and w not in _NOT_TITLE]
    best, best_score = None, 0.0
    for p in papers:
        words = [w for w in _title_tokens(p.title) if len(w) > 2] or _title_tokens(p.title)
        if not words:
            continue
        score = sum(1 for w in words if w in have) / len(words)
        if line_words:  # a short reference ("ThanoRA", "MoodAngels, 2025") inside the title
            title = set(_title_tokens(p.title))
            score = max(score, sum(1 for w in line_words if w in title) / len(line_words))
        if score > best_score:
            best, best_score = p, score
    return best if best_score >= TITLE_MATCH else None


def _labels(sentence: str) -> list[str]:
    out: list[str] = []
    for m in _MARKER.finditer(sentence):
        for part in re.split(r"\s*[,;]\s*", m.group(1).strip()):
            part = part.strip()
            if re.fullmatch(r"\d{1,3}\s*[-–]\s*\d{1,3}", part):
                a, b = (int(x) for x in re.split(r"\s*[-–]\s*", part))
                out += [str(n) for n in range(a, b + 1)] if 0 <= b - a < 20 else [str(a), str(b)]
            elif part:
                out.append(part)
    return list(dict.fromkeys(out))


def _sentences(body: str) -> list[str]:
    """Sentences of the body, paragraph by paragraph; a marker that opens a sentence belongs
    to the one before it."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n", body):
        for s in split_sentences(para):
            lead = re.match(r"^((?:\[[^\[\]]{1,200}\]\s*)+)(.*)$", s)
            if lead and out:
                out[-1] = out[-1] + " " + lead.group(1).strip()
                s = lead.group(2).strip()
            if s:
                out.append(s)
    return out


def check_text(
    text: str,
    papers: Sequence[Paper],
    verifier: Verifier,
    search: Callable[[str, int], list[Hit]] | None = None,
) -> CheckReport:
    """Verify each sentence of ``text`` against the ``papers`` it cites (see module docstring).
    ``search(query, k)`` finds papers for uncited sentences (no suggestions without it)."""
    by_id = {p.paper_id: p for p in papers}
    resolver = Resolver(papers)
    body, ref_lines = split_references(text)
    references: dict[int, str | None] = {}
    for n, line in ref_lines.items():
        m = re.search(r"\b([0-9a-f]{12})\b", line)
        p = by_id.get(m.group(1)) if m else None
        d = DOI_RE.search(line) or re.search(r"\b(?P<doi>10\.\d{4,9}/\S+)", line)
        if p is None and d:
            c = parse_label(d.group("doi"))
            found = resolver.resolve(c) if c else []
            p = found[0] if len(found) == 1 else None
        p = p or match_title(line, papers)
        references[n] = p.paper_id if p else None
    sents = _sentences(body)
    claims: list[str] = []
    cites: list[list[str]] = []
    sources: list[list[Source]] = []
    unknown: list[list[str]] = []
    ambiguous: list[list[dict]] = []
    for s in sents:
        ids: dict[str, str] = {}
        bad: list[str] = []
        unsure: list[dict] = []
        resolved: list[tuple] = []
        for lab in _labels(s):
            if lab in by_id:
                ids.setdefault(lab, f"[{lab}]")
            elif lab.isdigit() and references.get(int(lab)):
                ids.setdefault(references[int(lab)], f"[{lab}]")
            elif (c := parse_label(lab)) is not None:
                resolved.append((c, resolver.resolve(c)))
            else:
                bad.append(f"[{lab}]")
        inline = find_citations(s)
        resolved += [(c, resolver.resolve(c)) for c in inline]
        for c, found in resolved:
            if len(found) == 1:
                ids.setdefault(found[0].paper_id, c.text)
            elif found:
                unsure.append({"citation": c.text, "papers": [p.paper_id for p in found]})
            else:
                bad.append(c.text)
        claims.append(strip_citations(s, inline))
        cites.append(list(ids))
        sources.append([Source(label, by_id[pid]) for pid, label in ids.items()])
        unknown.append(bad)
        ambiguous.append(unsure)
    verdicts = verifier.verify(claims, sources)
    out: list[CheckedSentence] = []
    rows = zip(sents, claims, cites, sources, unknown, ambiguous, verdicts, strict=True)
    for s, claim, c, srcs, bad, unsure, v in rows:
        ev_paper = next((x.paper.paper_id for x in srcs if x.label == v.evidence_label), None)
        cs = CheckedSentence(
            s, c, v.verdict, v.reason, v.evidence if c else None, ev_paper, v.support, [], bad
        )
        cs.ambiguous = unsure
        notes = []
        if bad:
            verb = "matches" if len(bad) == 1 else "match"
            notes.append(f"{', '.join(bad)} {verb} no paper of the collection")
        for a in unsure:
            shown = ", ".join(f"[{pid}]" for pid in a["papers"])
            notes.append(f"{a['citation']} is ambiguous: {len(a['papers'])} papers match ({shown})")
        if notes:
            note = "; ".join(notes)
            cs.reason = f"{cs.reason}; {note}" if c else note
        if not c:
            cs.verdict = UNSUPPORTED
            cs.suggestions = _suggest(claim, verifier, search) if search else []
            if cs.suggestions:
                ids = ", ".join(f"[{x['paper_id']}]" for x in cs.suggestions)
                cs.reason = (
                    cs.reason + "; " if notes else "cites no source; "
                ) + f"{ids} would support it"
                cs.evidence = cs.suggestions[0]["evidence"]
                cs.evidence_paper = cs.suggestions[0]["paper_id"]
            elif not notes:
                cs.reason = "cites no source"
        out.append(cs)
    return CheckReport(out, references)


def _suggest(sentence: str, verifier: Verifier, search) -> list[dict]:
    """Papers of the collection whose abstract supports the uncited sentence."""
    claim = strip_markers(sentence)
    if len(claim.split()) < 4:
        return []
    hits = search(claim, SUGGEST_K)
    if not hits:
        return []
    verdicts = verifier.verify(
        [claim] * len(hits), [[Source(f"[{h.paper.paper_id}]", h.paper)] for h in hits]
    )
    out = []
    for h, v in zip(hits, verdicts, strict=True):
        if v.verdict == SUPPORTED:
            out.append(
                {
                    "paper_id": h.paper.paper_id,
                    "title": h.paper.title,
                    "support": round(v.support or 0.0, 3),
                    "evidence": v.evidence,
                }
            )
    return out


MARKS = {"supported": "✓", "unsupported": "?", "contradicted": "✗"}


def format_report(report: CheckReport) -> str:
    """Plain text for the terminal: each sentence with its mark, reason and evidence."""
    out = []
    for i, s in enumerate(report.sentences, start=1):
        out.append(f"{i}. {MARKS.get(s.verdict, '?')} {s.verdict}: {s.text}")
        if s.reason:
            out.append(f"   why: {s.reason}")
        if s.evidence:
            src = f" [{s.evidence_paper}]" if s.evidence_paper else ""
            out.append(f"   evidence{src}: “{s.evidence}”")
    missing = [n for n, pid in report.references.items() if pid is None]
    if missing:
        out.append(
            "references not found in the collection: " + ", ".join(f"[{n}]" for n in missing)
        )
    c = report.counts()
    out.append(
        f"{len(report.sentences)} sentences: {c['supported']} supported, "
        f"{c['unsupported']} unsupported, {c['contradicted']} contradicted"
    )
    return "\n".join(out)
