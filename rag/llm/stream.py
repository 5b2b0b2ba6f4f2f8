"""Streamed chat completions: text deltas as they come, within one deadline and the size cap."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import LLMError
from .usage import Usage, estimate_tokens
from .wire import MALFORMED, Call, bound

if TYPE_CHECKING:
    from .client import LLMClient


class LLMStream:
    """Iterate for text deltas. Afterwards: ``text`` (all of it, once), ``usage``,
    ``finish_reason``, ``interrupted`` (the stream ended early: cut, past the total timeout,
    malformed, or no finish reason), ``truncated`` (longer than the cap: the rest was not
    read) and ``error`` (why it was interrupted or truncated, or None)."""

    def __init__(self, client: LLMClient, messages: list, max_tokens: int | None) -> None:
        self.client = client
        self.messages = messages
        self.max_tokens = max_tokens
        self.text = ""
        self.usage: Usage | None = None
        self.finish_reason: str | None = None
        self.interrupted = False
        self.truncated = False
        self.error: str | None = None
        self.attempts = 0
        self._counts: dict = {}
        self._started = False
        self._chunks = 0

    def _open(self, call: Call):
        """Start the stream and read up to the first text delta, retrying 429/5xx until then."""
        import httpx

        c = self.client
        llm = c.llm
        kw: dict = {"max_tokens": self.max_tokens or c.settings.llm_max_tokens}
        if c.settings.llm_stream_usage:
            kw["stream_options"] = {"include_usage": True}
        state: dict = {"gen": None}

        def start(attempt: int):
            self.attempts = attempt + 1
            self._chunks = 0
            state["gen"] = None
            call.new_attempt()
            head: list = []
            with bound(call):
                gen = state["gen"] = iter(llm.stream_chat(self.messages, **kw))
                for resp in gen:
                    self._chunks += 1
                    head.append(resp)
                    if resp.delta:
                        break
            return gen, head

        return c.retrying(
            start,
            errors=(httpx.HTTPError, *MALFORMED),
            on_error=lambda: _close(state["gen"]),
            limits=call,
        )

    def _take(self, resp) -> str:
        if resp.additional_kwargs and resp.additional_kwargs.get("total_tokens"):
            self._counts = resp.additional_kwargs
        raw = resp.raw
        if getattr(raw, "choices", None) and raw.choices[0].finish_reason:
            self.finish_reason = raw.choices[0].finish_reason
        return resp.delta or ""

    def __iter__(self) -> Iterator[str]:
        import httpx
        import openai

        if self._started:
            raise RuntimeError("an LLMStream can be iterated once")
        self._started = True
        c = self.client
        timeout = c.settings.llm_timeout
        where = c.endpoint.display_url
        call, cap = c.call_limits(self.max_tokens or c.settings.llm_max_tokens)
        gen, head = self._open(call)
        try:
            for resp in _chain(head, gen, self):
                d = self._take(resp)
                if len(self.text) + len(d) > cap:
                    d = d[: cap - len(self.text)]
                    self.truncated = True
                self.text += d
                if d:
                    yield d
                if self.truncated:
                    self.error = (
                        f"the reply was longer than {cap:,} characters (4 per token x "
                        "RAG_LLM_MAX_TOKENS x 2) and was cut there"
                    )
                    break
                if time.monotonic() > call.deadline:
                    self.interrupted = True
                    self.error = (
                        f"the answer took longer than {timeout:g}s (RAG_LLM_TIMEOUT) and was cut"
                    )
                    break
        except (openai.OpenAIError, httpx.HTTPError) as e:
            self.interrupted = True
            if isinstance(e, (openai.APITimeoutError, httpx.TimeoutException)):
                self.error = (
                    f"the model server at {where} did not finish the answer within {timeout:g}s "
                    "(RAG_LLM_TIMEOUT, for the whole reply): the answer is cut"
                )
            elif isinstance(e, (openai.APIConnectionError, httpx.TransportError)):
                self.error = "the connection to the model server broke mid-answer: it is cut"
            else:
                self.error = str(c.error(e))
        except MALFORMED as e:
            self.interrupted = True
            self.error = (
                f"the model server at {where} sent a malformed stream event "
                f"({type(e).__name__}): the answer is cut"
            )
        finally:
            _close(gen)
            if call.cut and not self.interrupted and not self.truncated:
                self.truncated = True
                self.error = (
                    f"the reply was over {call.max_bytes:,} bytes and was cut there "
                    "(RAG_LLM_MAX_TOKENS bounds it)"
                )
            ended_early = not self.interrupted and not self.truncated
            if ended_early and self.finish_reason is None and self.text:
                self.interrupted = True
                self.error = "the stream ended without a finish reason (connection closed early)"
            self._finish_usage()
        if self._chunks == 0 and not self.error:
            raise LLMError(
                f"the model server at {where} sent no stream events: check that "
                f"{c.endpoint.url_var or 'RAG_LLM_BASE_URL'} is an OpenAI-compatible API"
            )

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


def _chain(head: list, gen, stream: LLMStream):
    """The responses read while opening, then the rest (counted)."""
    yield from head
    for resp in gen:
        stream._chunks += 1
        yield resp


def _close(gen) -> None:
    close = getattr(gen, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            pass
