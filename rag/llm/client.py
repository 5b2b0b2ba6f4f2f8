"""Chat calls to the configured server, with retries, one total deadline, bounded replies and
one-line errors."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ..config import Settings
from ..errors import ConfigError, LLMError
from .endpoint import Endpoint, llm_endpoint, redact
from .stream import LLMStream
from .usage import Usage, estimate_tokens, price_for
from .wire import MALFORMED, Call, NotAnAPIReply, bound, http_client, reply_byte_cap, reply_char_cap


# --- the client -----------------------------------------------------------------------------
@dataclass
class Completion:
    text: str
    usage: Usage
    finish_reason: str | None = None
    truncated: bool = False  # the reply was longer than the cap and was cut there


def _cause(e: BaseException, kind: type) -> BaseException | None:
    """``e`` or the first exception of ``kind`` among its causes."""
    seen = 0
    while e is not None and seen < 10:
        if isinstance(e, kind):
            return e
        e = e.__cause__ or e.__context__
        seen += 1
    return None


_CONTENT = re.compile(rb'"message"\s*:\s*\{.*?"content"\s*:\s*"', re.S)


def salvage_content(body: bytes, cap: int) -> str | None:
    """The start of the reply text of a JSON chat completion cut short, or None."""
    m = _CONTENT.search(body[:65536]) or re.search(rb'"content"\s*:\s*"', body[:65536])
    if m is None:
        return None
    s = body[m.end() : m.end() + 12 * cap + 16].decode("utf-8", "ignore")
    try:
        return json.decoder.scanstring(s, 0)[0][:cap]  # the string ends within the window
    except ValueError:
        pass
    for k in range(7):  # drop half an escape (a lone backslash, half a \\uXXXX) at the cut
        try:
            return json.loads('"' + s[: len(s) - k] + '"')[:cap]
        except ValueError:
            continue
    return None


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
                timeout = httpx.Timeout(s.llm_timeout, connect=s.llm_connect_timeout)
                self._client = openai.OpenAI(
                    api_key=self.endpoint.key(),
                    base_url=self.endpoint.url,
                    max_retries=0,
                    timeout=timeout,
                    http_client=http_client(timeout, self.endpoint.url),
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
        detail = " ".join(detail.split())
        if len(detail) > 300:
            detail = detail[:297] + "..."
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        page = _cause(e, NotAnAPIReply)
        if page is not None:
            msg = (
                f"the model server at {where} answered with {page} instead of an OpenAI API "
                f"reply: set {ep.url_var or 'RAG_LLM_BASE_URL'} to the server's OpenAI-compatible "
                "API (its URL usually ends in /v1)"
            )
        elif isinstance(e, MALFORMED):
            msg = (
                f"the model server at {where} sent a reply that is not an OpenAI chat completion "
                f"({type(e).__name__}: {detail[:120]}): check that "
                f"{ep.url_var or 'RAG_LLM_BASE_URL'} is an OpenAI-compatible API"
            )
        elif isinstance(e, openai.AuthenticationError):
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
                f"{self.settings.llm_timeout:g}s (RAG_LLM_TIMEOUT, for the whole reply): raise "
                "RAG_LLM_TIMEOUT or check the server"
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
    def retrying(self, call, *, errors: tuple = (), on_error=None, on_final=None, limits=None):
        """``call()``, retried with backoff on 429/5xx; anything else fails at once.

        ``errors`` adds exception types to catch besides ``openai.OpenAIError``; ``on_error``
        runs after every failure (e.g. to close a half-open stream); ``on_final(e)`` may return
        a more specific ``LLMError`` for the error that ends the call. No retry starts after
        the deadline of ``limits`` (a ``Call``).
        """
        import openai

        attempt = 0
        while True:
            try:
                return call(attempt)
            except (openai.OpenAIError, *errors) as e:
                if on_error is not None:
                    on_error()
                delay = self._delay(attempt, e)
                in_time = limits is None or time.monotonic() + delay < limits.deadline
                if self._retryable(e) and attempt < self.settings.llm_max_retries and in_time:
                    self.sleep(delay)
                    attempt += 1
                    continue
                mapped = on_final(e) if on_final is not None else None
                raise (mapped or self.error(e, attempt + 1)) from None

    def call_limits(self, max_tokens: int) -> tuple[Call, int]:
        """(the time limit and byte cap of one call, the cap on its reply text)."""
        cap = reply_char_cap(max_tokens)
        return Call(self.settings.llm_timeout, reply_byte_cap(cap)), cap

    def complete(self, messages: Sequence, *, max_tokens: int | None = None) -> Completion:
        """One chat completion (not streamed), retried on 429/5xx, within RAG_LLM_TIMEOUT from
        the request to the last byte; a reply over the cap is cut there (``truncated``)."""
        msgs = _messages(messages)
        mt = max_tokens or self.settings.llm_max_tokens
        llm = self.llm
        call, cap = self.call_limits(mt)

        def attempt(_attempt: int):
            call.new_attempt()
            with bound(call):
                try:
                    return llm.chat(msgs, max_tokens=mt)
                except ValueError:
                    if not call.cut:
                        raise
                    text = salvage_content(bytes(call.head), cap)
                    if text is None:
                        raise
                    return text  # the JSON was cut at the byte cap: keep its text's start

        resp = self.retrying(attempt, errors=MALFORMED, limits=call)
        if isinstance(resp, str):
            prompt = sum(estimate_tokens(m.content or "") for m in msgs)
            return Completion(resp, self._usage(prompt, estimate_tokens(resp), True), None, True)
        text = resp.message.content or ""
        truncated = len(text) > cap
        text = text[:cap]
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
        return Completion(text, usage, finish, truncated)

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
