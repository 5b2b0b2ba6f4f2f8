"""A small OpenAI-compatible HTTP server for the tests: scripted replies, counted requests.

Serves ``/v1/chat/completions`` (JSON, or server-sent events with ``stream: true``),
``/v1/models`` and ``/v1/embeddings`` on 127.0.0.1 at a free port. Each chat request takes the
next scripted ``Reply`` (``FakeOpenAI.script(...)``); with the script empty it answers 500
"no scripted reply", so a test that makes an unexpected call fails loudly. Every request is
recorded (path, JSON body, headers) so tests can assert exact counts.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHAT = "/v1/chat/completions"
EMBED = "/v1/embeddings"
MODELS = "/v1/models"


@dataclass
class Reply:
    """One scripted answer to a chat request."""

    kind: str = "text"  # text | slow | error | hang | cut | stall | keepalive | drip | raw
    content: str = ""
    status: int = 200
    message: str = ""
    code: str | None = None
    headers: dict = field(default_factory=dict)
    seconds: float = 0.0
    after: int = 0  # cut/stall: characters of content sent before the cut or stall
    chunk: int = 6  # characters per streamed delta
    usage: bool = True
    finish: str | None = "stop"
    func: Callable | None = None
    interval: float = 0.5  # keepalive/drip: seconds between sends
    empty: bool = False  # keepalive: empty deltas instead of SSE comments
    step: int = 1  # drip: bytes per send
    body: bytes = b""  # raw: the body (or, streamed, the raw event bytes)
    content_type: str = "application/json"  # raw

    @staticmethod
    def text(content: str, *, chunk: int = 6, usage: bool = True, finish: str | None = "stop"):
        return Reply("text", content, chunk=chunk, usage=usage, finish=finish)

    @staticmethod
    def slow(content: str, *, interval: float = 0.3, chunk: int = 6):
        """A model that writes slowly: streamed, ``chunk`` characters every ``interval``."""
        return Reply("slow", content, interval=interval, chunk=chunk)

    @staticmethod
    def error(status: int, message: str = "error", code: str | None = None, headers=None):
        return Reply("error", status=status, message=message, code=code, headers=headers or {})

    @staticmethod
    def hang(seconds: float):
        """Answer nothing for ``seconds`` (past the client's timeout), then close."""
        return Reply("hang", seconds=seconds)

    @staticmethod
    def cut(content: str, after: int, *, chunk: int = 6):
        """Stream ``content[:after]`` then drop the connection mid-body."""
        return Reply("cut", content, after=after, chunk=chunk)

    @staticmethod
    def stall(content: str, after: int, seconds: float, *, chunk: int = 6):
        """Stream ``content[:after]`` then send nothing for ``seconds``."""
        return Reply("stall", content, after=after, seconds=seconds, chunk=chunk)

    @staticmethod
    def keepalive(seconds: float, *, interval: float = 0.5, empty: bool = False):
        """Stream nothing but SSE keep-alive comments (or empty deltas) every ``interval`` for
        ``seconds``; not streamed, a JSON body preceded by that long a drip of whitespace."""
        return Reply("keepalive", seconds=seconds, interval=interval, empty=empty)

    @staticmethod
    def drip(content: str, *, interval: float = 2.0, step: int = 1):
        """The whole reply (JSON body or event stream), ``step`` bytes every ``interval``."""
        return Reply("drip", content, interval=interval, step=step)

    @staticmethod
    def raw(body: bytes, content_type: str = "application/json", status: int = 200):
        """Exactly these bytes as the body (streamed requests: as the event stream)."""
        return Reply("raw", status=status, body=body, content_type=content_type)

    @staticmethod
    def call(func: Callable[[dict], Reply]):
        """Decide the reply from the request body (e.g. echo what a source says)."""
        return Reply("func", func=func)


@dataclass
class Request:
    path: str
    body: dict
    headers: dict

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))

    def text(self) -> str:
        """All message contents of a chat request, joined."""
        return "\n".join(str(m.get("content", "")) for m in self.body.get("messages", []))


def fake_vector(text: str, dim: int) -> list[float]:
    """A deterministic bag-of-words vector: texts sharing words are close."""
    v = [0.0] * dim
    for w in re.findall(r"[a-z0-9]+", text.lower()):
        h = hashlib.md5(w.encode()).digest()
        v[int.from_bytes(h[:4], "little") % dim] += 1.0 if h[4] & 1 else -1.0
    norm = sum(x * x for x in v) ** 0.5 or 1.0
    return [x / norm for x in v]


def tokens(text: str) -> int:
    return len(text.split())  # the words (runs of non-space), counted in C: fast on 10 MB


class FakeOpenAI:
    """The server. Use as a context manager or call ``start()``/``stop()``."""

    def __init__(self, models=("fake-model",), require_key: str | None = None, embed_dim=64):
        self.models = list(models)
        self.require_key = require_key
        self.embed_dim = embed_dim
        self.replies: deque[Reply] = deque()
        self.embed_replies: deque[Reply] = deque()  # errors to serve before embedding again
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control ---
    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def script(self, *replies: Reply) -> FakeOpenAI:
        with self._lock:
            self.replies.extend(replies)
        return self

    def script_embed(self, *replies: Reply) -> FakeOpenAI:
        """Error replies for the next embedding requests (then it embeds normally)."""
        with self._lock:
            self.embed_replies.extend(replies)
        return self

    def count(self, path: str = CHAT) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.path == path)

    def chat_requests(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == CHAT]

    def reset(self) -> None:
        with self._lock:
            self.replies.clear()
            self.embed_replies.clear()
            self.requests.clear()

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _next(self, body: dict) -> Reply:
        with self._lock:
            r = self.replies.popleft() if self.replies else None
        if r is None:
            return Reply.error(500, "fake server: no scripted reply")
        while r.kind == "func":
            r = r.func(body)
        return r


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_fake: FakeOpenAI

    def log_message(self, *args) -> None:  # quiet
        pass

    # --- helpers ---
    def _json(self, status: int, obj: dict, headers: dict | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _error(self, status: int, message: str, code: str | None = None, headers=None) -> None:
        err = {"message": message, "type": "invalid_request_error", "code": code}
        self._json(status, {"error": err}, headers)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _abort(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _wait(self, seconds: float) -> None:
        self.server_fake._stop.wait(seconds)

    # --- routes ---
    def do_GET(self) -> None:
        fake = self.server_fake
        with fake._lock:
            fake.requests.append(Request(self.path, {}, dict(self.headers)))
        if not self._authorised():
            return
        if self.path.rstrip("/") == MODELS:
            data = [{"id": m, "object": "model", "owned_by": "fake"} for m in fake.models]
            self._json(200, {"object": "list", "data": data})
        else:
            self._error(404, f"no route {self.path}")

    def do_POST(self) -> None:
        fake = self.server_fake
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        with fake._lock:
            fake.requests.append(Request(self.path, body, dict(self.headers)))
        if not self._authorised():
            return
        if self.path == EMBED:
            self._embeddings(body)
        elif self.path == CHAT:
            try:
                self._chat(body)
            except (BrokenPipeError, ConnectionResetError):  # the client stopped reading
                self.close_connection = True
        else:
            self._error(404, f"no route {self.path}")

    def _authorised(self) -> bool:
        key = self.server_fake.require_key
        if key is None:
            return True
        got = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if got == key:
            return True
        # like OpenAI, the message quotes the key it got: the client must not show it
        self._error(401, f"Incorrect API key provided: {got}.", "invalid_api_key")
        return False

    def _embeddings(self, body: dict) -> None:
        fake = self.server_fake
        with fake._lock:
            r = fake.embed_replies.popleft() if fake.embed_replies else None
        if r is not None and r.kind == "error":
            self._error(r.status, r.message, r.code, r.headers)
            return
        inputs = body.get("input", [])
        if isinstance(inputs, str):
            inputs = [inputs]
        data = [
            {"object": "embedding", "index": i, "embedding": fake_vector(t, fake.embed_dim)}
            for i, t in enumerate(inputs)
        ]
        used = sum(tokens(t) for t in inputs)
        self._json(
            200,
            {
                "object": "list",
                "data": data,
                "model": body.get("model"),
                "usage": {"prompt_tokens": used, "total_tokens": used},
            },
        )

    def _chat(self, body: dict) -> None:
        fake = self.server_fake
        r = fake._next(body)
        model = body.get("model", "fake-model")
        prompt_tokens = sum(tokens(str(m.get("content", ""))) for m in body.get("messages", []))
        if r.kind == "error":
            self._error(r.status, r.message, r.code, r.headers)
            return
        if r.kind == "hang":
            self._wait(r.seconds)
            self._abort()
            return
        if r.kind in ("keepalive", "drip", "raw"):
            self._misbehave(r, body, model)
            return
        content = r.content
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": tokens(content),
            "total_tokens": prompt_tokens + tokens(content),
        }
        if not body.get("stream"):
            if r.kind in ("cut", "stall"):  # a body cut short
                data = json.dumps({"id": "x", "choices": [{"message": {"content": content}}]})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2].encode())
                self.wfile.flush()
                if r.kind == "stall":
                    self._wait(r.seconds)
                self._abort()
                return
            msg = {"role": "assistant", "content": content}
            choice = {"index": 0, "message": msg, "finish_reason": r.finish or "stop"}
            out = {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [choice],
            }
            if r.usage:
                out["usage"] = usage
            self._json(200, out)
            return

        # --- server-sent events, chunked transfer ---
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def event(choices: list, extra: dict | None = None) -> None:
            obj = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": choices,
            }
            if extra:
                obj.update(extra)
            self._chunk(f"data: {json.dumps(obj)}\n\n".encode())

        delta0 = {"role": "assistant", "content": ""}
        event([{"index": 0, "delta": delta0, "finish_reason": None}])
        limit = r.after if r.kind in ("cut", "stall") else len(content)
        for i in range(0, limit, r.chunk):
            piece = content[i : min(i + r.chunk, limit)]
            event([{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
            if r.kind == "slow":
                self._wait(r.interval)
        if r.kind == "cut":
            self._abort()
            return
        if r.kind == "stall":
            self._wait(r.seconds)
            self._abort()
            return
        if r.finish:
            event([{"index": 0, "delta": {}, "finish_reason": r.finish}])
        if r.usage and (body.get("stream_options") or {}).get("include_usage"):
            event([], {"usage": usage})
        self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")

    # --- misbehaving servers ---
    def _completion(self, content: str, model: str) -> bytes:
        msg = {"role": "assistant", "content": content}
        out = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": msg, "finish_reason": "stop"}],
        }
        return json.dumps(out).encode()

    def _events(self, content: str, model: str) -> bytes:
        def ev(delta: dict, finish=None) -> bytes:
            obj = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(obj)}\n\n".encode()

        return ev({"content": content}) + ev({}, "stop") + b"data: [DONE]\n\n"

    def _misbehave(self, r: Reply, body: dict, model: str) -> None:
        stream = bool(body.get("stream"))
        if r.kind == "raw":
            self.send_response(r.status)
            self.send_header("Content-Type", r.content_type)
            self.send_header("Content-Length", str(len(r.body)))
            self.end_headers()
            self.wfile.write(r.body)
            self.wfile.flush()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream" if stream else "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if r.kind == "keepalive":
            end = time.monotonic() + r.seconds
            if stream:
                role = {"role": "assistant", "content": ""}
                obj = {
                    "id": "k",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": model,
                    "choices": [{"index": 0, "delta": role}],
                }
                self._chunk(f"data: {json.dumps(obj)}\n\n".encode())
            while time.monotonic() < end and not self.server_fake._stop.is_set():
                if not stream:
                    self._chunk(b" ")
                elif r.empty:
                    obj = {
                        "id": "k",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": model,
                        "choices": [{"index": 0, "delta": {"content": ""}}],
                    }
                    self._chunk(f"data: {json.dumps(obj)}\n\n".encode())
                else:
                    self._chunk(b": keep-alive\n\n")
                self._wait(r.interval)
            data = self._events("late", model) if stream else self._completion("late", model)
        else:  # drip
            data = self._events(r.content, model) if stream else self._completion(r.content, model)
        if r.kind == "drip":
            for i in range(0, len(data), r.step):
                if self.server_fake._stop.is_set():
                    break
                self._chunk(data[i : i + r.step])
                self._wait(r.interval)
        else:
            self._chunk(data)
        self._chunk(b"")
