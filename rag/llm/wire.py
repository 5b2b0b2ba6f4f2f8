"""The HTTP layer under the openai client: one deadline per call and a cap on reply bytes.

The openai client's read timeout restarts with every byte, so a server that drips a body or
sends keep-alive comments could hold a call forever. Here each chat call carries a ``Call``:
its monotonic deadline (``RAG_LLM_TIMEOUT`` from the request to the last byte, retries
included) and the most bytes its reply may have. ``DeadlineTransport`` gives every socket
operation at most the time left, checks the deadline after every chunk of the body, and at the
deadline shuts the socket down from a timer thread, which wakes a read that is blocked. A body
over the byte cap ends there (``Call.cut``). A 2xx reply that is an HTML page (a web server,
not the API) is refused before its body is read.
"""

from __future__ import annotations

import math
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

CHARS_PER_TOKEN = 4  # generous for English text (OpenAI's tokens average about 4 characters)
MARGIN = 2  # a reply may run to twice what max_tokens allows before it is cut
MIN_BODY_BYTES = 4 * 1024 * 1024
BYTES_PER_CHAR = 64  # stream events carry JSON around every delta


# what a reply that is no OpenAI chat completion makes the openai client or llama-index raise
# (non-JSON body or event, invalid UTF-8, missing "choices", a bare string for a body)
MALFORMED = (ValueError, TypeError, AttributeError, KeyError, IndexError)


def reply_char_cap(max_tokens: int) -> int:
    """Most characters of reply text kept: 4 characters per token x max_tokens x 2."""
    return CHARS_PER_TOKEN * max(1, int(max_tokens)) * MARGIN


def reply_byte_cap(char_cap: int) -> int:
    """Most bytes of a reply body read: max(4 MiB, 64 bytes per character of the text cap)."""
    return max(MIN_BODY_BYTES, BYTES_PER_CHAR * char_cap)


class DeadlineExceeded(httpx.ReadTimeout):
    """The call's total deadline passed (the openai client maps it to APITimeoutError)."""


class NotAnAPIReply(httpx.TransportError):
    """The server answered with something that is no OpenAI API reply (an HTML page)."""


@dataclass
class Call:
    """One model call: how long it may take from its first request on, when it must be over
    (set when that request goes out), and how much of a reply body is read."""

    timeout: float
    max_bytes: int
    deadline: float = math.inf  # time.monotonic() value; inf until the first request
    cut: bool = False  # the body went over max_bytes and was cut there
    head: bytearray = field(default_factory=bytearray)  # the body read (for a cut JSON reply)

    def start(self) -> None:
        """The first request goes out now: the deadline is ``timeout`` from here."""
        if self.deadline == math.inf:
            self.deadline = time.monotonic() + self.timeout

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def new_attempt(self) -> None:
        self.cut = False
        self.head = bytearray()


_local = threading.local()


@contextmanager
def bound(call: Call) -> Iterator[Call]:
    """Requests sent by this thread inside the block belong to ``call``."""
    prev = getattr(_local, "call", None)
    _local.call = call
    try:
        yield call
    finally:
        _local.call = prev


class _Socket:
    """The socket of one request, shut down when the deadline passes (a blocked read wakes)."""

    def __init__(self) -> None:
        self.sock: socket.socket | None = None
        self.fired = False
        self._lock = threading.Lock()

    def take(self, stream) -> None:
        get = getattr(stream, "get_extra_info", None)
        sock = get("socket") if get is not None else None
        if sock is not None:
            with self._lock:
                self.sock = sock
                if self.fired:
                    self._shutdown()

    def fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Body(httpx.SyncByteStream):
    def __init__(self, inner, call: Call, sock: _Socket, timer: threading.Timer) -> None:
        self.inner = inner
        self.call = call
        self.sock = sock
        self.timer = timer

    def __iter__(self) -> Iterator[bytes]:
        call = self.call
        n = 0
        try:
            for chunk in self.inner:
                if time.monotonic() > call.deadline:
                    raise DeadlineExceeded("the total deadline passed")
                room = call.max_bytes - n
                if len(chunk) > room:
                    chunk = chunk[:room]
                    call.cut = True
                n += len(chunk)
                call.head += chunk
                if chunk:
                    yield chunk
                if call.cut:
                    return
        except DeadlineExceeded:
            raise
        except Exception as e:
            if self.sock.fired or time.monotonic() >= call.deadline:
                raise DeadlineExceeded("the total deadline passed") from e
            raise

    def close(self) -> None:
        self.timer.cancel()
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()


_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


class DeadlineTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` that holds each request of a bound ``Call`` to its deadline."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        call: Call | None = getattr(_local, "call", None)
        if call is None:
            return super().handle_request(request)
        call.start()
        left = call.left()
        if left <= 0:
            raise DeadlineExceeded("the total deadline passed", request=request)
        timeouts = dict(request.extensions.get("timeout") or {})
        for k in ("connect", "read", "write", "pool"):
            v = timeouts.get(k)
            timeouts[k] = left if v is None else min(v, left)
        request.extensions["timeout"] = timeouts
        sock = _Socket()
        outer_trace = request.extensions.get("trace")

        def trace(name: str, info: dict) -> None:
            if name.endswith("connect_tcp.complete"):
                sock.take(info.get("return_value"))
            if outer_trace is not None:
                outer_trace(name, info)

        request.extensions["trace"] = trace
        timer = threading.Timer(left, sock.fire)
        timer.daemon = True
        timer.start()
        try:
            resp = super().handle_request(request)
        except Exception as e:
            timer.cancel()
            if sock.fired or call.left() <= 0:
                raise DeadlineExceeded("the total deadline passed", request=request) from e
            raise
        sock.take(resp.extensions.get("network_stream"))
        ctype = resp.headers.get("content-type", "").lower()
        if 200 <= resp.status_code < 300 and "html" in ctype:
            head = b""
            try:
                for chunk in resp.stream:
                    head += chunk
                    if len(head) > 4096:
                        break
            except Exception:  # noqa: BLE001 - only the page's title is wanted
                pass
            finally:
                timer.cancel()
                resp.stream.close()
            m = _TITLE.search(head)
            title = m.group(1).decode("utf-8", "replace").strip()[:80] if m else ""
            what = f"an HTML page ({title!r})" if title else "an HTML page"
            raise NotAnAPIReply(what, request=request)
        resp.stream = _Body(resp.stream, call, sock, timer)
        return resp


def env_proxy(url: str) -> str | None:
    """The proxy the environment sets for ``url`` (HTTPS_PROXY, ALL_PROXY, NO_PROXY), or None."""
    import urllib.request
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or (parts.hostname and urllib.request.proxy_bypass(parts.hostname)):
        return None
    return proxy


def http_client(timeout: httpx.Timeout, url: str = "") -> httpx.Client:
    """The httpx client for model calls to ``url``: deadline-aware, one connection per call (so
    the deadline always knows its socket), through the environment's proxy if it sets one."""
    transport = DeadlineTransport(
        limits=httpx.Limits(max_keepalive_connections=0), proxy=env_proxy(url) if url else None
    )
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)
