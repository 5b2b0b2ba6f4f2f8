"""The abstention gate: when the retrieved evidence is too weak to answer from."""

from __future__ import annotations

from collections.abc import Callable

from ..config import Settings
from ..records import Retrieval


def abstain_reason(
    retrieval: Retrieval, settings: Settings, best_sentence: float | None = None
) -> str | None:
    """Why the evidence is too weak to answer from, or None."""
    if not retrieval.hits:
        return "no paper in the index matches the question"
    if retrieval.query_vector is not None and retrieval.best_dense < settings.abstain_dense:
        return (
            f"the closest passage (in “{retrieval.hits[0].paper.title}”) has similarity "
            f"{retrieval.best_dense:.2f}, below the {settings.abstain_dense:.2f} needed"
        )
    if best_sentence is not None and best_sentence < settings.abstain_sentence:
        return f"no sentence of the retrieved abstracts answers it well enough (best {best_sentence:.2f})"
    return None


def gate_reason(
    gates: list[Retrieval], settings: Settings, best_sentence: Callable[[Retrieval], float]
) -> str | None:
    """None when any of the retrievals passes both tests (the closest passage, then the best
    sentence by ``best_sentence``), else why the first one fails."""
    first = None
    for g in gates:
        reason = abstain_reason(g, settings)
        if reason is None:
            reason = abstain_reason(g, settings, best_sentence(g))
        if reason is None:
            return None
        first = first or reason
    return first


def abstention_text(reason: str) -> str:
    return f"The indexed abstracts do not answer this question: {reason}."
