"""Prompt templates (package data), source blocks and context-window budgeting."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from importlib import resources
from string import Template

from ..config import Settings
from ..errors import ConfigError
from ..records import Hit
from .usage import estimate_tokens

SENTINEL = "NOT_IN_SOURCES"


# --- prompts --------------------------------------------------------------------------------
@cache
def prompt(name: str) -> Template:
    """A prompt template from rag/prompts/<name>.txt (``$placeholders``)."""
    return Template(resources.files("rag").joinpath("prompts", f"{name}.txt").read_text("utf-8"))


_TAG = re.compile(r"<\s*/?\s*sources?\b", re.I)


def _data(text: str) -> str:
    """Source text as inert data: it cannot open or close a <source> tag."""
    return _TAG.sub(lambda m: m.group(0).replace("<", "‹"), text)


def source_block(n: int, hit: Hit, text: str | None = None) -> str:
    title = _data(hit.paper.title).replace('"', "'")
    return f'<source id="{n}" title="{title}">\n{_data(text or hit.paper.text)}\n</source>'


def source_budget(settings: Settings, *fixed: str, margin: int = 64) -> int:
    """Tokens left for source blocks in one call: the context window less the reply
    (RAG_LLM_MAX_TOKENS), the fixed texts of the prompt and a margin."""
    used = sum(estimate_tokens(t) for t in fixed)
    return settings.llm_context_window - settings.llm_max_tokens - margin - used


def no_room(settings: Settings, what: str) -> ConfigError:
    """The error when not even one source fits the context window."""
    return ConfigError(
        f"RAG_LLM_CONTEXT_WINDOW={settings.llm_context_window} leaves no room for a single "
        f"{what}: raise it, or lower RAG_LLM_MAX_TOKENS"
    )


def answer_messages(
    question: str, hits: Sequence[Hit], settings: Settings, instructions: str = ""
) -> tuple[list[dict], int]:
    """The chat messages for a grounded answer, and how many sources fit the context window;
    ``instructions`` says what the answer must cover (the question's kind and parts)."""
    system = prompt("answer_system").substitute(
        valid=", ".join(f"[{i}]" for i in range(1, len(hits) + 1)) or "none", sentinel=SENTINEL
    )
    budget = source_budget(settings, system, question + instructions, margin=124)
    blocks: list[str] = []
    for n, h in enumerate(hits, start=1):
        block = source_block(n, h)
        cost = estimate_tokens(block)
        if cost > budget:
            room = budget * 4 - 200
            if room >= 400:
                blocks.append(source_block(n, h, h.paper.text[:room].rsplit(" ", 1)[0] + " …"))
            break
        blocks.append(block)
        budget -= cost
    if not blocks:
        raise no_room(settings, "source")
    # the valid numbers are those that fit
    if len(blocks) < len(hits):
        system = prompt("answer_system").substitute(
            valid=", ".join(f"[{i}]" for i in range(1, len(blocks) + 1)), sentinel=SENTINEL
        )
    user = prompt("answer_user").substitute(
        first=1,
        last=len(blocks),
        sources="\n".join(blocks),
        question=question,
        instructions=(instructions.strip() + "\n\n") if instructions.strip() else "",
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}], len(blocks)


_CANNOT = re.compile(
    r"\b(?:do(?:es)?\s+not|don't|doesn't|cannot|can't|can\s*not|no\s+information|not\s+enough)\b"
    r".{0,80}\b(?:answer|contain|mention|provide|address|say|discuss|information|cover)",
    re.I | re.S,
)


def says_cannot_answer(text: str) -> bool:
    """The model's reply is a refusal: the sentinel, or a short uncited 'the sources do not...'."""
    t = text.strip()
    if t.startswith(SENTINEL) or t.strip(" .") == SENTINEL:
        return True
    return "[" not in t and len(t) < 400 and bool(_CANNOT.search(t))
