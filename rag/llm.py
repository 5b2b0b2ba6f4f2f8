"""LLM: OpenAI or any OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio).

Two layers, both small:

* ``LLMClient``: ``complete(messages) -> Completion`` and ``stream(messages) -> LLMStream``
  through llama-index's ``OpenAI`` / ``OpenAILike`` classes over an ``openai`` client whose own
  retries are off. Retries with backoff for 429 and 5xx happen here, before the first token
  only; 401, 403 and quota errors fail at once; timeouts (connect, and total per call) come from
  the settings. A stream cut after tokens keeps its text and is marked interrupted. Every error
  is an ``LLMError`` whose message says what to fix and never contains the API key.
* ``LLMAnswerer``: grounded answers. The retrieved sources go to the model as numbered, delimited
  data; the citations of the reply are checked (``rag.cite``): markers to sources that were not
  given are removed and reported, each sentence gets a local support score.

Which server: ``RAG_LLM_BASE_URL`` (key ``RAG_LLM_API_KEY``, optional), else ``OPENAI_BASE_URL``
(key ``RAG_LLM_API_KEY`` or ``OPENAI_API_KEY``), else OpenAI itself with ``OPENAI_API_KEY``.
``OPENAI_API_KEY`` is never sent to a ``RAG_LLM_BASE_URL`` server.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from string import Template

from pydantic import SecretStr

from .answer import (
    Answer,
    Answerer,
    SentenceCache,
    abstain_reason,
    abstention_text,
    score_sentences,
)
from .cite import CitationFilter, check_answer, filter_citations
from .config import Settings
from .errors import ConfigError, LLMError
from .retrieve import Hit, Retrieval
from .support import SupportScorer, scorer_for

OPENAI_URL = "https://api.openai.com/v1"
NO_KEY = "not-needed"  # the openai client wants some key; keyless servers ignore it
SENTINEL = "NOT_IN_SOURCES"

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


# --- which server ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Endpoint:
    """Where model calls go. ``api_key`` is a SecretStr: it never shows in repr or logs."""

    base_url: str | None  # None: OpenAI itself
    api_key: SecretStr | None
    model: str
    url_var: str | None  # the variable the URL came from
    key_var: str | None  # the variable the key came from

    @property
    def url(self) -> str:
        return (self.base_url or OPENAI_URL).rstrip("/")

    @property
    def is_openai(self) -> bool:
        return self.base_url is None or "api.openai.com" in self.base_url

    @property
    def display_url(self) -> str:
        """The URL without any user:password part."""
        return re.sub(r"//[^/@]*@", "//", self.url)

    def key(self) -> str:
        return self.api_key.get_secret_value() if self.api_key else NO_KEY

    def key_hint(self) -> str:
        """Which variable to fix when the server rejects the key."""
        if self.key_var:
            return self.key_var
        return "RAG_LLM_API_KEY" if self.base_url else "OPENAI_API_KEY"


def llm_endpoint(settings: Settings) -> Endpoint | None:
    """The configured chat server, or None when no LLM is configured."""
    s = settings
    if s.llm_base_url:
        key_var = "RAG_LLM_API_KEY" if s.llm_api_key else None
        return Endpoint(s.llm_base_url, s.llm_api_key, s.llm_model, "RAG_LLM_BASE_URL", key_var)
    if s.openai_base_url:
        key = s.llm_api_key or s.openai_api_key
        key_var = (
            "RAG_LLM_API_KEY" if s.llm_api_key else "OPENAI_API_KEY" if s.openai_api_key else None
        )
        return Endpoint(s.openai_base_url, key, s.llm_model, "OPENAI_BASE_URL", key_var)
    if s.openai_api_key:
        return Endpoint(None, s.openai_api_key, s.llm_model, None, "OPENAI_API_KEY")
    return None


def backend_reason(settings: Settings) -> tuple[str, str]:
    """(backend that ``auto`` picks, why), e.g. ("extractive", "no OPENAI_API_KEY ...")."""
    ep = llm_endpoint(settings)
    if ep is None:
        return (
            "extractive",
            "no OPENAI_API_KEY, RAG_LLM_BASE_URL or OPENAI_BASE_URL: extractive answers",
        )
    if ep.url_var:
        return "llm", f"{ep.url_var} is set: model {ep.model} at {ep.display_url}"
    return "llm", f"OPENAI_API_KEY is set: OpenAI model {ep.model}"


_SK = re.compile(r"\b(sk|rk|pk)-[A-Za-z0-9_\-]{6,}")


def redact(text: str, *secrets: SecretStr | str | None) -> str:
    """The text with the given secrets and anything shaped like an API key masked."""
    for sec in secrets:
        val = sec.get_secret_value() if isinstance(sec, SecretStr) else sec
        if val and val != NO_KEY and len(val) >= 4:
            text = text.replace(val, "***")
    return _SK.sub(lambda m: m.group(1) + "-***", text)


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


# --- the client -----------------------------------------------------------------------------
@dataclass
class Completion:
    text: str
    usage: Usage
    finish_reason: str | None = None


def _messages(messages: Sequence) -> list:
    from llama_index.core.llms import ChatMessage

    out = []
    for m in messages:
        if isinstance(m, ChatMessage):
            out.append(m)
        else:
            out.append(ChatMessage(role=m["role"], content=m["content"]))
    return out


def _status(e: Exception) -> int | None:
    return getattr(e, "status_code", None)


def _is_quota(e: Exception) -> bool:
    code = str(getattr(e, "code", "") or "")
    body = str(getattr(e, "body", "") or "") + " " + str(getattr(e, "message", "") or "")
    return code == "insufficient_quota" or "insufficient_quota" in body or "quota" in body.lower()


class LLMClient:
    """Chat calls to the configured server: ``complete`` and ``stream``, with exact retries."""

    def __init__(self, settings: Settings, endpoint: Endpoint | None = None) -> None:
        self.settings = settings
        ep = endpoint or llm_endpoint(settings)
        if ep is None:
            raise ConfigError(
                "no LLM is configured: set OPENAI_API_KEY (OpenAI) or RAG_LLM_BASE_URL "
                "(an OpenAI-compatible server such as Ollama or vLLM), or use --backend extractive"
            )
        self.endpoint = ep
        self._llm = None
        self._client = None
        self._lock = threading.Lock()
        self.sleep = time.sleep  # tests may replace it

    def __repr__(self) -> str:
        return f"LLMClient(model={self.endpoint.model!r}, url={self.endpoint.display_url!r})"

    # -- plumbing --
    @property
    def openai_client(self):
        """The ``openai.OpenAI`` client (its own retries off; timeouts from the settings)."""
        with self._lock:
            if self._client is None:
                import httpx
                import openai

                s = self.settings
                self._client = openai.OpenAI(
                    api_key=self.endpoint.key(),
                    base_url=self.endpoint.url,
                    max_retries=0,
                    timeout=httpx.Timeout(s.llm_timeout, connect=s.llm_connect_timeout),
                )
            return self._client

    @property
    def llm(self):
        """The llama-index LLM: ``OpenAI`` for OpenAI's own models, ``OpenAILike`` otherwise."""
        client = self.openai_client
        with self._lock:
            if self._llm is None:
                s = self.settings
                kw = dict(
                    model=self.endpoint.model,
                    temperature=s.llm_temperature,
                    max_tokens=None,  # given per call (llama-index would override a call's own)
                    max_retries=0,
                    timeout=s.llm_timeout,
                    api_key=self.endpoint.key(),
                    api_base=self.endpoint.url,
                    openai_client=client,
                )
                if self.endpoint.is_openai and _known_openai_model(self.endpoint.model):
                    from llama_index.llms.openai import OpenAI

                    self._llm = OpenAI(**kw)
                else:
                    from llama_index.llms.openai_like import OpenAILike

                    self._llm = OpenAILike(
                        **kw,
                        context_window=s.llm_context_window,
                        is_chat_model=True,
                        is_function_calling_model=False,
                    )
            return self._llm

    def _usage(self, prompt_tokens: int, completion_tokens: int, estimated: bool) -> Usage:
        m = self.endpoint.model
        return Usage(
            m,
            prompt_tokens,
            completion_tokens,
            calls=1,
            estimated=estimated,
            price=price_for(m, self.settings, self.endpoint),
        )

    def _delay(self, attempt: int, e: Exception) -> float:
        delay = self.settings.llm_retry_backoff * (2**attempt)
        resp = getattr(e, "response", None)
        try:
            after = float(resp.headers.get("retry-after")) if resp is not None else None
        except (TypeError, ValueError):
            after = None
        if after is not None:
            delay = max(delay, min(after, 30.0))
        return delay

    def _retryable(self, e: Exception) -> bool:
        import openai

        if isinstance(e, openai.RateLimitError):
            return not _is_quota(e)
        st = _status(e)
        return isinstance(e, openai.APIStatusError) and st is not None and st >= 500

    def error(self, e: Exception, attempts: int = 1) -> LLMError:
        """An ``LLMError`` that says what to fix, with no key in it."""
        import httpx
        import openai

        ep = self.endpoint
        where = ep.display_url
        st = _status(e)
        detail = redact(str(getattr(e, "message", "") or e), ep.api_key, self._all_keys())
        if len(detail) > 300:
            detail = detail[:297] + "..."
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        if isinstance(e, openai.AuthenticationError):
            msg = (
                f"the model server at {where} rejected the API key (HTTP 401): "
                f"check {ep.key_hint()}"
            )
        elif isinstance(e, openai.PermissionDeniedError):
            msg = (
                f"the API key may not use model {ep.model!r} (HTTP 403): check the key's "
                f"permissions or set RAG_LLM_MODEL"
            )
        elif isinstance(e, openai.RateLimitError) and _is_quota(e):
            msg = (
                "the account has no quota left (HTTP 429 insufficient_quota): add credit or "
                "check the plan of the key in "
                f"{ep.key_hint()}, or use --backend extractive"
            )
        elif isinstance(e, openai.RateLimitError):
            msg = (
                f"the model server kept rate-limiting (HTTP 429){tries}: wait and retry, or "
                "raise RAG_LLM_MAX_RETRIES"
            )
        elif isinstance(e, openai.NotFoundError):
            msg = (
                f"model {ep.model!r} was not found at {where} (HTTP 404): set RAG_LLM_MODEL to a "
                "model the server has (`rag status --check` lists them)"
            )
        elif isinstance(e, openai.BadRequestError):
            if "context" in detail.lower() or "too long" in detail.lower():
                msg = (
                    "the prompt is too long for the model (HTTP 400): lower -k or set "
                    "RAG_LLM_CONTEXT_WINDOW to the model's real context window"
                )
            else:
                msg = f"the model server refused the request (HTTP 400): {detail}"
        elif isinstance(e, openai.APIStatusError) and st is not None and st >= 500:
            msg = f"the model server failed (HTTP {st}){tries}: try again later ({detail})"
        elif isinstance(e, openai.APIStatusError):
            msg = f"the model server answered HTTP {st}: {detail}"
        elif isinstance(e, (openai.APITimeoutError, httpx.TimeoutException)):
            msg = (
                f"the model server at {where} did not answer within "
                f"{self.settings.llm_timeout:g}s: raise RAG_LLM_TIMEOUT or check the server"
            )
        elif isinstance(e, (openai.APIConnectionError, httpx.TransportError)):
            msg = (
                f"cannot reach the model server at {where}: is it running? "
                f"(set {ep.url_var or 'RAG_LLM_BASE_URL'} to its URL)"
            )
        else:
            msg = f"the model call failed ({type(e).__name__}): {detail}"
        return LLMError(redact(msg, ep.api_key, self._all_keys()))

    def _all_keys(self) -> str | None:
        s = self.settings
        for k in (s.openai_api_key, s.llm_api_key, s.embed_api_key):
            if k:
                return k.get_secret_value()
        return None

    # -- calls --
    def retrying(self, call, *, errors: tuple = (), on_error=None, on_final=None):
        """``call()``, retried with backoff on 429/5xx; anything else fails at once.

        ``errors`` adds exception types to catch besides ``openai.OpenAIError``; ``on_error``
        runs after every failure (e.g. to close a half-open stream); ``on_final(e)`` may return
        a more specific ``LLMError`` for the error that ends the call.
        """
        import openai

        attempt = 0
        while True:
            try:
                return call(attempt)
            except (openai.OpenAIError, *errors) as e:
                if on_error is not None:
                    on_error()
                if self._retryable(e) and attempt < self.settings.llm_max_retries:
                    self.sleep(self._delay(attempt, e))
                    attempt += 1
                    continue
                mapped = on_final(e) if on_final is not None else None
                raise (mapped or self.error(e, attempt + 1)) from None

    def complete(self, messages: Sequence, *, max_tokens: int | None = None) -> Completion:
        """One chat completion (not streamed), retried on 429/5xx."""
        msgs = _messages(messages)
        kw = {"max_tokens": max_tokens or self.settings.llm_max_tokens}
        resp = self.retrying(lambda _attempt: self.llm.chat(msgs, **kw))
        text = resp.message.content or ""
        counts = resp.additional_kwargs or {}
        finish = None
        raw = resp.raw
        if getattr(raw, "choices", None):
            finish = raw.choices[0].finish_reason
        if counts.get("prompt_tokens") is not None and counts.get("total_tokens"):
            usage = self._usage(counts["prompt_tokens"], counts["completion_tokens"], False)
        else:
            prompt = sum(estimate_tokens(m.content or "") for m in msgs)
            usage = self._usage(prompt, estimate_tokens(text), True)
        return Completion(text, usage, finish)

    def stream(self, messages: Sequence, *, max_tokens: int | None = None) -> LLMStream:
        """A streamed chat completion: iterate for text deltas; then read ``.text``,
        ``.usage``, ``.interrupted`` and ``.error``. Retries happen before the first token only."""
        return LLMStream(self, _messages(messages), max_tokens)

    def models(self) -> list[str]:
        """The model ids the server lists (GET /models)."""
        import openai

        try:
            return sorted(m.id for m in self.openai_client.models.list())
        except openai.OpenAIError as e:
            raise self.error(e) from None


def _known_openai_model(model: str) -> bool:
    try:
        from llama_index.llms.openai.utils import openai_modelname_to_contextsize

        openai_modelname_to_contextsize(model)
        return True
    except Exception:
        return False


class LLMStream:
    """Iterate for text deltas. Afterwards: ``text`` (all of it, once), ``usage``,
    ``finish_reason``, ``interrupted`` (the stream ended early: cut, stalled past the total
    timeout, or no finish reason) and ``error`` (why, or None)."""

    def __init__(self, client: LLMClient, messages: list, max_tokens: int | None) -> None:
        self.client = client
        self.messages = messages
        self.max_tokens = max_tokens
        self.text = ""
        self.usage: Usage | None = None
        self.finish_reason: str | None = None
        self.interrupted = False
        self.error: str | None = None
        self.attempts = 0
        self._counts: dict = {}
        self._started = False

    def _open(self):
        """Start the stream and read up to the first text delta, retrying 429/5xx until then."""
        import httpx

        c = self.client
        kw: dict = {"max_tokens": self.max_tokens or c.settings.llm_max_tokens}
        if c.settings.llm_stream_usage:
            kw["stream_options"] = {"include_usage": True}
        state: dict = {"gen": None}

        def start(attempt: int):
            self.attempts = attempt + 1
            state["gen"] = None
            head: list = []
            gen = state["gen"] = iter(c.llm.stream_chat(self.messages, **kw))
            for resp in gen:
                head.append(resp)
                if resp.delta:
                    break
            return gen, head

        return c.retrying(start, errors=(httpx.HTTPError,), on_error=lambda: _close(state["gen"]))

    def _take(self, resp) -> str:
        if resp.additional_kwargs and resp.additional_kwargs.get("total_tokens"):
            self._counts = resp.additional_kwargs
        raw = resp.raw
        if getattr(raw, "choices", None) and raw.choices[0].finish_reason:
            self.finish_reason = raw.choices[0].finish_reason
        delta = resp.delta or ""
        self.text += delta
        return delta

    def __iter__(self) -> Iterator[str]:
        import httpx
        import openai

        if self._started:
            raise RuntimeError("an LLMStream can be iterated once")
        self._started = True
        c = self.client
        deadline = time.monotonic() + c.settings.llm_timeout
        gen, head = self._open()
        try:
            for resp in head:
                d = self._take(resp)
                if d:
                    yield d
            for resp in gen:
                d = self._take(resp)
                if d:
                    yield d
                if time.monotonic() > deadline:
                    self.interrupted = True
                    self.error = (
                        f"the answer took longer than {c.settings.llm_timeout:g}s "
                        "(RAG_LLM_TIMEOUT) and was cut"
                    )
                    break
        except (openai.OpenAIError, httpx.HTTPError) as e:
            self.interrupted = True
            if isinstance(e, (openai.APITimeoutError, httpx.TimeoutException)):
                self.error = (
                    f"the model server sent nothing for {c.settings.llm_timeout:g}s mid-answer "
                    "(RAG_LLM_TIMEOUT): the answer is cut"
                )
            elif isinstance(e, (openai.APIConnectionError, httpx.TransportError)):
                self.error = "the connection to the model server broke mid-answer: it is cut"
            else:
                self.error = str(c.error(e))
        finally:
            _close(gen)
            if not self.interrupted and self.finish_reason is None and self.text:
                self.interrupted = True
                self.error = "the stream ended without a finish reason (connection closed early)"
            self._finish_usage()

    def _finish_usage(self) -> None:
        c = self.client
        if self._counts:
            self.usage = c._usage(
                self._counts.get("prompt_tokens", 0),
                self._counts.get("completion_tokens", 0),
                False,
            )
        else:
            prompt = sum(estimate_tokens(m.content or "") for m in self.messages)
            self.usage = c._usage(prompt, estimate_tokens(self.text), True)


def _close(gen) -> None:
    close = getattr(gen, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            pass


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


def answer_messages(
    question: str, hits: Sequence[Hit], settings: Settings
) -> tuple[list[dict], int]:
    """The chat messages for a grounded answer, and how many sources fit the context window."""
    system = prompt("answer_system").substitute(
        valid=", ".join(f"[{i}]" for i in range(1, len(hits) + 1)) or "none", sentinel=SENTINEL
    )
    budget = settings.llm_context_window - settings.llm_max_tokens - 64
    budget -= estimate_tokens(system) + estimate_tokens(question) + 60
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
        raise ConfigError(
            f"RAG_LLM_CONTEXT_WINDOW={settings.llm_context_window} leaves no room for a single "
            "source: raise it, or lower RAG_LLM_MAX_TOKENS"
        )
    # the valid numbers are those that fit
    if len(blocks) < len(hits):
        system = prompt("answer_system").substitute(
            valid=", ".join(f"[{i}]" for i in range(1, len(blocks) + 1)), sentinel=SENTINEL
        )
    user = prompt("answer_user").substitute(
        first=1, last=len(blocks), sources="\n".join(blocks), question=question
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


# --- the answerer ---------------------------------------------------------------------------
@dataclass
class _Prepared:
    question: str
    hits: list[Hit]
    messages: list[dict] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    t0: float = 0.0
    abstain: Answer | None = None


class LLMAnswerer(Answerer):
    """Answers written by the model from the numbered sources, with checked citations."""

    name = "llm"

    def __init__(
        self,
        client: LLMClient,
        embedder,
        settings: Settings,
        idf,
        cache: SentenceCache | None = None,
        scorer: SupportScorer | None = None,
    ) -> None:
        self.client = client
        self.embedder = embedder
        self.settings = settings
        self.idf = idf
        self.cache = cache or SentenceCache(embedder)
        self.scorer = scorer or scorer_for(embedder)

    def _prepare(self, question: str, retrieval: Retrieval) -> _Prepared:
        t0 = time.perf_counter()
        s = self.settings
        timings = dict(retrieval.timings_ms)
        reason = abstain_reason(retrieval, s)
        if reason is None and retrieval.query_vector is not None:
            cands = score_sentences(
                question, retrieval.query_vector, retrieval.hits, self.cache, self.idf
            )
            reason = abstain_reason(retrieval, s, cands[0].score if cands else 0.0)
        p = _Prepared(question, list(retrieval.hits), timings=timings, t0=t0)
        if reason is not None:
            timings["answer"] = (time.perf_counter() - t0) * 1000
            p.abstain = Answer(
                question,
                abstention_text(reason),
                True,
                [],
                [],
                self.name,
                timings,
                usage=Usage(self.client.endpoint.model).to_dict(),
                reason=reason,
            )
            return p
        p.messages, fit = answer_messages(question, p.hits, s)
        p.hits = p.hits[:fit]
        return p

    def _finish(
        self, p: _Prepared, text: str, removed: list[int], usage: Usage, error: str | None
    ) -> Answer:
        t1 = time.perf_counter()
        s = self.settings
        interrupted = error is not None
        if not interrupted and (not text.strip() or says_cannot_answer(text)):
            reason = (
                "the model found no answer in the retrieved abstracts"
                if text.strip()
                else "the model returned an empty answer"
            )
            body = text.strip()
            if body.startswith(SENTINEL) or not body:
                body = abstention_text(reason)
            p.timings["answer"] = (time.perf_counter() - p.t0) * 1000
            return Answer(
                p.question,
                body,
                True,
                [],
                p.hits,
                self.name,
                p.timings,
                usage=usage.to_dict(),
                removed_citations=removed,
                reason=reason,
            )
        sentences, citations = check_answer(
            text, p.hits, self.scorer, s.support_threshold, self.cache
        )
        p.timings["check"] = (time.perf_counter() - t1) * 1000
        p.timings["answer"] = (time.perf_counter() - p.t0) * 1000
        return Answer(
            p.question,
            text,
            False,
            citations,
            p.hits,
            self.name,
            p.timings,
            sentences,
            usage=usage.to_dict(),
            removed_citations=removed,
            interrupted=interrupted,
            reason=error,
        )

    def answer(self, question: str, retrieval: Retrieval, **kw) -> Answer:
        """One answer, not streamed (one chat completion)."""
        p = self._prepare(question, retrieval)
        if p.abstain is not None:
            return p.abstain
        t = time.perf_counter()
        comp = self.client.complete(p.messages)
        p.timings["llm"] = (time.perf_counter() - t) * 1000
        text, removed = filter_citations(comp.text, range(1, len(p.hits) + 1))
        return self._finish(p, text, removed, comp.usage, None)

    def stream(self, question: str, retrieval: Retrieval, **kw) -> Iterator[str | Answer]:
        """Text deltas as the model writes them (already citation-filtered), then the Answer.

        The concatenated deltas equal the final ``Answer.answer``.
        """
        p = self._prepare(question, retrieval)
        if p.abstain is not None:
            yield p.abstain.answer
            yield p.abstain
            return
        t = time.perf_counter()
        st = self.client.stream(p.messages)
        filt = CitationFilter(range(1, len(p.hits) + 1))
        shown = ""
        held = ""  # the start of the reply, while it may still be the sentinel
        refusing = False
        for delta in st:
            if "llm_first_token" not in p.timings:
                p.timings["llm_first_token"] = (time.perf_counter() - t) * 1000
            if refusing:
                continue
            if not shown and held is not None:
                held += delta
                head = held.lstrip()
                if SENTINEL.startswith(head):
                    continue  # could still be the sentinel
                if head.startswith(SENTINEL):
                    refusing = True
                    continue
                delta, held = held, None
            out = filt.feed(delta)
            if out:
                shown += out
                yield out
        p.timings["llm"] = (time.perf_counter() - t) * 1000
        usage = st.usage or Usage(self.client.endpoint.model)
        if refusing or (held is not None and held.strip() == SENTINEL):
            ans = self._finish(p, SENTINEL, [], usage, None)
            yield ans.answer
            yield ans
            return
        if held:  # a short reply that was held back entirely
            out = filt.feed(held)
            shown += out
            if out:
                yield out
        tail = filt.flush()
        if tail:
            shown += tail
            yield tail
        ans = self._finish(p, shown, sorted(filt.removed), usage, st.error)
        if ans.answer != shown:
            if shown:  # keep what the user saw as the answer
                ans.answer = shown
            else:  # nothing shown (an empty reply): show the abstention
                yield ans.answer
        yield ans


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
