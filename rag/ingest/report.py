"""What an ingest run did: papers added, updated, removed, rejected (capped per file), repaired."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..parse.common import REJECTS_LISTED_PER_FILE, Reject
from ..parse.library import Skipped


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    rejected: list[Reject] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    repaired: int = 0
    reembedded: int = 0
    keyword_rebuilt: bool = False
    total: int = 0
    # rejections counted but not listed, per file (each file lists its first ones)
    unlisted: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Reject]:
        """The rejections that are errors (entries without an abstract are only skipped)."""
        return [r for r in self.rejected if not isinstance(r, Skipped)]

    @property
    def skipped(self) -> list[Reject]:
        return [r for r in self.rejected if isinstance(r, Skipped)]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.repaired or self.reembedded)

    @property
    def n_rejected(self) -> int:
        """Rejections that are errors, listed or not (skipped entries are not counted)."""
        return len(self.errors) + sum(self.unlisted.values())

    @property
    def failed(self) -> bool:
        """Some records were rejected: the exit code says so."""
        return self.n_rejected > 0

    def unlisted_lines(self) -> list[str]:
        """One line per file whose rejections were too many to list."""
        return [
            f"{src}: {n:,} more record(s) rejected, not listed (the first "
            f"{REJECTS_LISTED_PER_FILE} of the file are)"
            for src, n in self.unlisted.items()
        ]

    @property
    def n_skipped(self) -> int:
        return sum(getattr(r, "count", 0) for r in self.skipped)

    def summary(self) -> str:
        s = (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged, {self.n_rejected} rejected "
            f"({len(self.files)} file(s); {self.total} papers in the index)"
        )
        if self.skipped:
            s += f"; {self.n_skipped} without an abstract skipped"
        if self.repaired:
            s += f"; repaired {self.repaired} paper(s) left half-written by an interrupted run"
        if self.reembedded:
            s += f"; re-embedded {self.reembedded} paper(s) whose vectors were missing"
        if self.keyword_rebuilt:
            s += "; rebuilt the keyword index from the catalogue"
        if not self.changed:
            s += "; nothing to do"
        return s

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "rejected": [r.__dict__ for r in self.errors],
            "skipped": [r.__dict__ for r in self.skipped],
            "files": self.files,
            "rejected_unlisted": dict(self.unlisted),
            "n_rejected": self.n_rejected,
            "repaired": self.repaired,
            "reembedded": self.reembedded,
            "total": self.total,
        }
