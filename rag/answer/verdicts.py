"""What the claim checker hands back: verdicts, the checks behind them, and what they cite."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..records import Paper

SUPPORTED, UNSUPPORTED, CONTRADICTED = "supported", "unsupported", "contradicted"
VERDICTS = (SUPPORTED, UNSUPPORTED, CONTRADICTED)


@dataclass
class Source:
    """One passage a claim cites: its label as the claim writes it ("[1]") and its paper."""

    label: str
    paper: Paper


@dataclass
class Check:
    name: str  # quantities, names, direction, overclaim, closeness
    verdict: str
    reason: str = ""
    evidence: str | None = None


@dataclass
class Verdict:
    verdict: str
    reason: str
    evidence: str | None
    support: float | None = None
    checks: list[Check] = field(default_factory=list)
    evidence_label: str | None = None

    @property
    def supported(self) -> bool:
        return self.verdict == SUPPORTED

    def public(self) -> dict:
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "evidence": self.evidence,
            "checks": {c.name: c.verdict for c in self.checks},
        }


@dataclass
class PassageSentence:
    """One sentence of a cited passage, parsed once: its words and its vector."""

    label: str
    text: str
    vec: np.ndarray | None
    words: list  # list[rag.answer.scope.Word]
    stems: set[str]
