"""Which server model calls go to (OpenAI or any OpenAI-compatible one), and key redaction."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import SecretStr

from ..config import Settings

OPENAI_URL = "https://api.openai.com/v1"
NO_KEY = "not-needed"  # the openai client wants some key; keyless servers ignore it


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


def secrets_of(settings: Settings) -> list[str]:
    """Every key and token the settings hold (to mask them wherever text is written)."""
    out = []
    for sec in (
        settings.openai_api_key,
        settings.llm_api_key,
        settings.embed_api_key,
        getattr(settings, "chroma_token", None),
        settings.ui_password,
    ):
        val = sec.get_secret_value() if isinstance(sec, SecretStr) else sec
        if val and val != NO_KEY and len(val) >= 4:
            out.append(val)
    return out


def redact_all(obj, *secrets: SecretStr | str | None):
    """``obj`` (str, or dicts and lists of them) with every string passed through ``redact``."""
    if isinstance(obj, str):
        return redact(obj, *secrets)
    if isinstance(obj, dict):
        return {k: redact_all(v, *secrets) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [redact_all(v, *secrets) for v in obj]
    return obj
