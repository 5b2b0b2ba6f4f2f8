"""Tokens and cost of model calls."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..config import Settings
from .endpoint import Endpoint

# USD per million tokens (input, output), OpenAI list prices; override with RAG_LLM_PRICE_*.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "text-embedding-3-small": (0.02, 0.0),
    "text-embedding-3-large": (0.13, 0.0),
    "text-embedding-ada-002": (0.10, 0.0),
}


def price_for(model: str, settings: Settings, endpoint: Endpoint | None = None) -> tuple | None:
    """(USD per 1M input tokens, per 1M output tokens), or None when unknown."""
    if settings.llm_price_input is not None or settings.llm_price_output is not None:
        return (settings.llm_price_input or 0.0, settings.llm_price_output or 0.0)
    if endpoint is not None and not endpoint.is_openai:
        return None  # a self-hosted model: no known price
    for name in sorted(PRICES, key=len, reverse=True):
        if model == name or model.startswith(name + "-"):
            return PRICES[name]
    return None


# --- usage ----------------------------------------------------------------------------------
@dataclass
class Usage:
    """Tokens of one or more model calls, and their cost where the price is known."""

    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    estimated: bool = False  # the server did not report counts: estimated from characters
    price: tuple | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost_usd(self) -> float | None:
        if self.price is None:
            return None
        return (self.prompt_tokens * self.price[0] + self.completion_tokens * self.price[1]) / 1e6

    def add(self, other: Usage) -> Usage:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.calls += other.calls
        self.estimated = self.estimated or other.estimated
        if self.price is None:
            self.price = other.price
        return self

    def to_dict(self) -> dict:
        d = {
            "model": self.model,
            "calls": self.calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6),
        }
        if self.estimated:
            d["estimated"] = True
        return d


class UsageTotal:
    """A run total of answer usages (thread-safe): ``add(answer.usage)``, ``summary()``."""

    def __init__(self) -> None:
        self.answers = 0
        self.calls = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.cost_usd = 0.0
        self.cost_known = True
        self._lock = threading.Lock()

    def add(self, usage: dict | None) -> None:
        if not usage:
            return
        with self._lock:
            self.answers += 1
            self.calls += usage.get("calls", 0)
            self.prompt_tokens += usage.get("prompt_tokens", 0)
            self.completion_tokens += usage.get("completion_tokens", 0)
            if usage.get("cost_usd") is None:
                self.cost_known = self.cost_known and not usage.get("calls")
            else:
                self.cost_usd += usage["cost_usd"]

    def to_dict(self) -> dict:
        return {
            "answers": self.answers,
            "calls": self.calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "cost_usd": round(self.cost_usd, 6) if self.cost_known else None,
        }

    def summary(self) -> str:
        cost = f", ${self.cost_usd:.4f}" if self.cost_known else ", cost unknown"
        return (
            f"{self.answers} answers, {self.calls} model calls, {self.prompt_tokens} prompt + "
            f"{self.completion_tokens} completion tokens{cost}"
        )


def estimate_tokens(text: str) -> int:
    """A rough token count (about 4 characters per token in English)."""
    return max(1, round(len(text) / 4)) if text else 0


def merge_usage(usage: dict | None, extra: Usage | None) -> dict | None:
    """An answer's usage dict with another call's usage (e.g. the follow-up rewrite) added."""
    if extra is None:
        return usage
    if usage is None:
        return extra.to_dict()
    total = Usage(
        usage.get("model", extra.model),
        usage.get("prompt_tokens", 0),
        usage.get("completion_tokens", 0),
        calls=usage.get("calls", 0),
        estimated=bool(usage.get("estimated")),
        price=extra.price,
    )
    if usage.get("cost_usd") is None and usage.get("calls"):
        total.price = None
    return total.add(extra).to_dict()
