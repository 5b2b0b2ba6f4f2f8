"""The optional LLM judge of an answer's faithfulness."""

from __future__ import annotations

import json
import re

from ..config import Settings
from ..errors import RagError
from ..llm.prompts import prompt
from .context import _usage_numbers


# --- the LLM judge -----------------------------------------------------------------------------------
class LLMJudge:
    """Grades answers with the configured model (OpenAI or OpenAI-compatible, via rag.llm)."""

    def __init__(self, settings: Settings, model: str | None = None) -> None:
        from ..llm.client import LLMClient

        if model:
            settings = settings.model_copy(update={"llm_model": model})
        self.client = LLMClient(settings)
        self.model = self.client.endpoint.model
        self.prompt = prompt("judge").template

    def judge(self, question: str, answer: str, sources: list[tuple[int, str, str]]) -> dict:
        """{"supported": 0..1, "correct": 0..1, "explanation": str, "usage": {...}}."""
        src = "\n\n".join(
            f"<source n={n}>\n{title}\n{text}\n</source>" for n, title, text in sources
        )
        user = f"<question>\n{question}\n</question>\n\n{src}\n\n<answer>\n{answer}\n</answer>"
        comp = self.client.complete(
            [{"role": "system", "content": self.prompt}, {"role": "user", "content": user}],
            max_tokens=300,
        )
        text = comp.text
        found = re.search(r"\{.*\}", text, re.DOTALL)
        try:
            d = json.loads(found.group(0)) if found else {}
            supported = float(d["supported"])
            correct = float(d["correct"])
        except (ValueError, KeyError, TypeError):
            raise RagError(
                f"the LLM judge did not reply with the JSON asked for: {text[:120]!r}"
            ) from None
        return {
            "supported": min(max(supported, 0.0), 1.0),
            "correct": min(max(correct, 0.0), 1.0),
            "explanation": str(d.get("explanation", ""))[:500],
            "usage": _usage_numbers(comp.usage.to_dict()),
        }
