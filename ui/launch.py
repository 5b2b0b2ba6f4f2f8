"""Launching the app with safe defaults: 127.0.0.1, no share link, optional login, upload and
connection limits, and the store and the checkout never served."""

from __future__ import annotations

import hmac
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from rag.config import REPO_DIR, Settings
from rag.errors import ConfigError

from .adding import parse_size
from .guard import Guard, allowed_hosts, guard_first, harden_server, host_name
from .handlers import Handlers

CSS = (Path(__file__).with_name("style.css")).read_text(encoding="utf-8")


def load_auth(settings: Settings) -> Callable[[str, str], bool] | None:
    """The login check from RAG_UI_USER/RAG_UI_PASSWORD or RAG_UI_AUTH_FILE, or None for no login."""
    pairs: list[tuple[str, str]] = []
    pw = settings.ui_password.get_secret_value() if settings.ui_password else None
    if settings.ui_user or pw:
        if not (settings.ui_user and pw):
            raise ConfigError(
                "set both RAG_UI_USER and RAG_UI_PASSWORD for the web UI login (or neither)"
            )
        pairs.append((settings.ui_user, pw))
    if settings.ui_auth_file:
        path = Path(settings.ui_auth_file).expanduser()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as e:
            raise ConfigError(
                f"cannot read the login file {path} ({e.strerror}); check RAG_UI_AUTH_FILE"
            ) from None
        for i, line in enumerate(lines, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            user, sep, password = line.partition(":")
            if not sep or not user.strip() or not password:
                raise ConfigError(
                    f"{path}, line {i}: expected 'user:password'; fix the line or remove it"
                )
            pairs.append((user.strip(), password))
        if not pairs:
            raise ConfigError(f"the login file {path} holds no 'user:password' line")
    if not pairs:
        return None
    encoded = [(u.encode(), p.encode()) for u, p in pairs]

    def check(username: str, password: str) -> bool:
        u, p = (username or "").encode(), (password or "").encode()
        ok = False
        for eu, ep in encoded:  # compare against every pair, in constant time
            ok |= hmac.compare_digest(u, eu) & hmac.compare_digest(p, ep)
        return ok

    return check


def blocked_paths(settings: Settings) -> list[str]:
    """What the file routes must never serve: the store, the checkout (and its .env), secrets."""
    upload_dir = Path(
        os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio"
    ).resolve()
    candidates = [
        Path(settings.store),
        REPO_DIR / ".env",
        Path.cwd() / ".env",
        REPO_DIR,
        Path.cwd(),
        Path.home() / ".env",
        Path.home() / ".ssh",
        Path("/etc"),
        Path("/proc"),
        Path("/root"),
    ]
    if settings.ui_auth_file:
        candidates.append(Path(settings.ui_auth_file))
    out: list[str] = []
    for p in candidates:
        rp = p.expanduser().resolve()
        # never block the folder gradio keeps uploads and outputs in (it would break uploads)
        if upload_dir == rp or rp in upload_dir.parents:
            continue
        if str(rp) not in out:
            out.append(str(rp))
    return out


def launch_kwargs(settings: Settings, host: str | None = None, port: int | None = None) -> dict:
    """Everything ``launch`` is given: safe by default, the same for ``rag ui`` and the tests."""
    import gradio as gr
    from starlette.middleware import Middleware

    bind = host or settings.ui_host
    hosts, any_ip = allowed_hosts(bind, settings.ui_allowed_hosts)
    guard = Middleware(
        Guard,
        hosts=hosts,
        any_ip=any_ip,
        upload_limit=parse_size(settings.ui_max_upload_total),
        proxied=frozenset(
            host_name(n) for n in settings.ui_allowed_hosts.split(",") if n.strip() not in ("", "*")
        ),
    )
    return {
        "server_name": bind,
        "server_port": port or settings.ui_port,
        "share": False,
        "show_error": False,
        "auth": load_auth(settings),
        "auth_message": "Log in to the research-abstracts assistant.",
        "max_file_size": settings.ui_max_file_size,
        "allowed_paths": [],
        "blocked_paths": blocked_paths(settings),
        "strict_cors": True,
        "ssr_mode": False,
        "pwa": False,
        "mcp_server": False,
        "enable_monitoring": False,
        "run_history": False,
        "footer_links": [],
        "app_kwargs": {"middleware": [guard], "lifespan": guard_first()},
        "theme": gr.themes.Default(),
        "css": CSS,
    }


def warm_up(h: Handlers) -> None:
    """Load the embedding model and open the index before the first question (best effort)."""
    try:
        h.assistant.search("warm up", k=1)
    except Exception:  # noqa: BLE001 - an empty or missing index is reported in the page instead
        pass


def start(app, settings: Settings, kwargs: dict) -> str:
    """Launch ``app`` in the background with ``kwargs`` (``launch_kwargs``), cap its
    connections, and return its local URL."""
    app.launch(**kwargs, quiet=True, prevent_thread_lock=True)
    harden_server(
        getattr(app, "server", None),
        settings.ui_max_connections,
        settings.ui_max_connections_per_client,
    )
    shown = kwargs["server_name"]
    if shown in ("0.0.0.0", "::", ""):
        shown = "127.0.0.1"
    host = f"[{shown}]" if ":" in shown else shown
    return f"http://{host}:{kwargs['server_port']}"
