"""The answerer interface: an extractive and an LLM implementation sit behind it."""

from __future__ import annotations

from ..records import Answer, Retrieval


class Answerer:
    """The answerer interface: extractive and LLM implementations sit behind it."""

    name = "base"

    def answer(self, question: str, retrieval: Retrieval, **kw) -> Answer:
        raise NotImplementedError
