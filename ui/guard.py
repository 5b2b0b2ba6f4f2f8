"""What stands between the network and the app: hosts, origins, upload sizes, connections.

* ``Guard`` (ASGI, outermost): answers only the host names it serves (DNS rebinding: a page on
  a foreign domain that resolves to 127.0.0.1 sends that domain as Host: 421); refuses any
  request whose Origin is another site (403; the app's own page sends its own origin, scripts
  and gradio_client none), so no foreign page can post questions, ingest abstracts or read an
  answer, and no foreign Origin is ever echoed with credentials; refuses an upload request over
  RAG_UI_MAX_UPLOAD_TOTAL (413) or without a length (411); never fetches remote files; adds
  security headers.
* ``capped_protocol``: the HTTP protocol of the server with a cap on open connections (overall
  and per client address). At a cap the oldest connection that never sent a request is closed
  to make room; only when every one is busy is the new one turned away. A connection that
  sends no complete request within ``IDLE_SECONDS`` is closed. Idle sockets cannot exhaust the
  process's file descriptors, and honest users keep being served.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from contextlib import asynccontextmanager
from urllib.parse import unquote, urlsplit

IDLE_SECONDS = 10.0  # a connection must send its first request within this

# Defence in depth for the page: even a rendering bug could not make the browser load a remote
# image, media, frame or plugin, or send a form elsewhere. (Scripts are gradio's own; its HTML
# component needs eval, so script-src is left alone.)
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; frame-src 'none'; object-src 'none'; "
    "frame-ancestors 'self'; base-uri 'self'; form-action 'self'; "
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'"
)
_REMOTE = re.compile(r"/file[=/]\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARD = frozenset({"0.0.0.0", "::", ""})


def host_name(value: str) -> str:
    """The host of a Host header or netloc, lower-case, without port, brackets or final dot."""
    v = value.strip().lower()
    if v.startswith("["):
        return v[1 : v.find("]")] if "]" in v else v
    if v.count(":") == 1:
        v = v.split(":", 1)[0]
    return v.rstrip(".")


def _netloc(value: str) -> str:
    """host[:port] with the default ports dropped, for comparing an Origin with a Host."""
    v = value.strip().lower()
    for default in (":80", ":443"):
        if v.endswith(default):
            v = v[: -len(default)]
    return v


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def allowed_hosts(bind: str, extra: str = "") -> tuple[frozenset[str], bool]:
    """(host names the app answers to, whether any IP literal is fine too).

    Always the loopback names and the bound address; the names in ``extra`` (comma-separated,
    RAG_UI_ALLOWED_HOSTS; '*' allows every host). Bound to every interface, also this machine's
    names and any IP address (a rebinding page always sends its own domain name, never an IP).
    """
    names = set(LOOPBACK)
    b = host_name(bind)
    any_ip = b in WILDCARD
    if b and not any_ip:
        names.add(b)
    if any_ip:
        for n in (socket.gethostname(), socket.getfqdn()):
            if n:
                names.add(n.lower())
    for n in extra.split(","):
        if n.strip():
            names.add(host_name(n) if n.strip() != "*" else "*")
    return frozenset(names), any_ip


def _plain(status: int, text: str) -> tuple[dict, dict]:
    body = text.encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


class Guard:
    """ASGI middleware: hosts, origins, upload size, remote files, security headers."""

    def __init__(
        self,
        app,
        hosts: frozenset[str] = LOOPBACK,
        any_ip: bool = False,
        upload_limit: int | None = None,
        proxied: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.proxied = proxied  # RAG_UI_ALLOWED_HOSTS: a page from these may be proxied here
        self.hosts = hosts
        self.any_ip = any_ip
        self.upload_limit = upload_limit

    def _host_ok(self, host: str) -> bool:
        name = host_name(host)
        if "*" in self.hosts or name in self.hosts:
            return True
        return self.any_ip and _is_ip(name)

    def _refusal(self, scope, headers: dict[bytes, bytes]) -> tuple[int, str] | None:
        host = headers.get(b"host", b"").decode("latin-1")
        if not self._host_ok(host):
            return 421, (
                f"This server does not serve the host {host_name(host)!r}. If it is yours (a "
                "reverse proxy), add it to RAG_UI_ALLOWED_HOSTS."
            )
        origin = headers.get(b"origin")
        if origin is not None:
            o = origin.decode("latin-1")
            parts = urlsplit(o) if o != "null" else None
            same = parts is not None and _netloc(parts.netloc) == _netloc(host)
            proxied = parts is not None and host_name(parts.netloc) in self.proxied
            if not (same or proxied):
                return 403, "Cross-origin requests are refused: open the app from its own address."
        if scope["type"] != "http":
            return None
        path = unquote(scope.get("path", ""))
        if _REMOTE.search(path):
            return 403, "Remote files are not served."
        if self.upload_limit is not None and scope["method"] == "POST" and path.endswith("/upload"):
            length = headers.get(b"content-length")
            if length is None:
                return 411, "An upload must say its length (Content-Length)."
            try:
                n = int(length)
            except ValueError:
                return 400, "Bad Content-Length."
            if n > self.upload_limit:
                return 413, (
                    f"This upload is {n:,} bytes, over the {self.upload_limit:,}-byte limit of one "
                    "upload (RAG_UI_MAX_UPLOAD_TOTAL): upload fewer files at a time."
                )
        return None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        refused = self._refusal(scope, headers)
        if refused is not None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            start, body = _plain(*refused)
            await send(start)
            await send(body)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                hs = list(message.get("headers", []))
                names = {k.lower() for k, _ in hs}
                for k, v in (
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ):
                    if k not in names:
                        hs.append((k, v))
                message = {**message, "headers": hs}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def guard_first(inner=None):
    """A lifespan that moves ``Guard`` in front of every middleware gradio adds (its CORS one
    among them) before the server takes its first request."""

    @asynccontextmanager
    async def lifespan(app):
        stack = getattr(app, "user_middleware", None)
        if isinstance(stack, list):
            ours = [m for m in stack if getattr(m, "cls", None) is Guard]
            if ours and stack[0] is not ours[0]:
                stack[:] = ours + [m for m in stack if m not in ours]
                app.middleware_stack = None  # rebuilt, in the new order, on the next request
        if inner is None:
            yield
        else:
            async with inner(app) as state:
                yield state

    return lifespan


# --- connections ---------------------------------------------------------------------------------
def capped_protocol(base: type, total: int, per_client: int, idle: float = IDLE_SECONDS) -> type:
    """``base`` (uvicorn's HTTP protocol class) with caps on open connections."""

    class Capped(base):
        _refused = False
        _idle_timer = None
        _since = 0.0

        def _unused(self) -> bool:
            return getattr(self, "cycle", None) is None

        def connection_made(self, transport) -> None:
            peer = transport.get_extra_info("peername")
            ip = peer[0] if isinstance(peer, tuple) and peer else None
            conns = self.server_state.connections
            for mine_only, cap in ((True, per_client), (False, total)):
                scope = [
                    p
                    for p in conns
                    if not mine_only or (ip and (getattr(p, "client", None) or (None,))[0] == ip)
                ]
                if len(scope) < cap:
                    continue
                idle_ones = [p for p in scope if isinstance(p, Capped) and p._unused()]
                if not idle_ones:
                    self._refused = True
                    transport.write(
                        b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                        b"Content-Length: 28\r\nConnection: close\r\n\r\nToo many open connections.\r\n"
                    )
                    transport.close()
                    return
                oldest = min(idle_ones, key=lambda p: p._since)
                oldest._drop()
            self._since = time.monotonic()
            super().connection_made(transport)
            self._idle_timer = self.loop.call_later(idle, self._idle_check)

        def _drop(self) -> None:
            self.server_state.connections.discard(self)
            if self._idle_timer is not None:
                self._idle_timer.cancel()
            self.transport.close()

        def _idle_check(self) -> None:
            if self._unused():
                self._drop()

        def data_received(self, data: bytes) -> None:
            if not self._refused:
                super().data_received(data)

        def connection_lost(self, exc) -> None:
            if self._refused:
                return
            if self._idle_timer is not None:
                self._idle_timer.cancel()
            super().connection_lost(exc)

    Capped.__name__ = f"Capped{base.__name__}"
    return Capped


def harden_server(server, total: int, per_client: int) -> None:
    """Cap the connections of a running uvicorn ``server`` (new connections from now on)."""
    config = getattr(server, "config", None)
    if config is None or not hasattr(config, "http_protocol_class"):
        return
    base = config.http_protocol_class
    if getattr(base, "__name__", "").startswith("Capped"):
        return
    config.http_protocol_class = capped_protocol(base, total, per_client)
