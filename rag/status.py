"""What answers, from which store and model, and why: one description for the CLI and the UI.

No API key is ever part of it, only the variable it comes from."""

from __future__ import annotations

from collections.abc import Callable

from .config import LOCAL_EMBED_MODEL, Settings
from .errors import RagError


def describe(settings: Settings, papers: Callable[[], int], check: bool = False) -> dict:
    """The status dictionary (``rag status --json``); ``papers()`` counts the index (it may
    raise a RagError: no index yet); ``check`` asks the model server for its models."""
    from .llm.endpoint import backend_reason, llm_endpoint

    s = settings
    auto, why = backend_reason(s)
    choice = s.backend.lower()
    backend = auto if choice == "auto" else choice
    if choice != "auto":
        why = f"RAG_BACKEND={choice}" + (f"; {why}" if choice == "llm" else "")
    ep = llm_endpoint(s)
    info: dict = {"backend": backend, "why": why}
    if ep is not None:
        info["llm"] = {
            "model": ep.model,
            "url": ep.display_url,
            "api_key": f"set ({ep.key_var})" if ep.key_var else "none",
            "context_window": s.llm_context_window,
            "timeout_s": s.llm_timeout,
            "connect_timeout_s": s.llm_connect_timeout,
            "max_retries": s.llm_max_retries,
        }
    info["store"] = str(s.store)
    info["collection"] = s.collection or "default"
    info["index"] = s.collection_name()
    try:
        info["papers"] = papers()
    except RagError as e:
        info["papers"] = None
        info["store_note"] = str(e)
    info["embed_model"] = s.embed_model
    if s.embed_model == LOCAL_EMBED_MODEL:
        info["embedding"] = f"{s.embed_model} (local, packaged)"
        try:
            from .embed import resolve_backend
            from .embed.bf16 import MIN_PAPERS

            query, big = resolve_backend(s), resolve_backend(s, bulk=MIN_PAPERS)
            info["embed_backend"] = query
            info["embedding"] += f" · {query}" + (
                f"; ingests of {MIN_PAPERS}+ papers: {big}" if big != query else ""
            )
        except RagError as e:
            info["embedding"] += f" (not usable: {e})"
    else:
        try:
            from .embed.openai import embed_endpoint

            info["embedding"] = f"{s.embed_model} at {embed_endpoint(s).display_url}"
        except RagError as e:
            info["embedding"] = f"{s.embed_model} (not usable: {e})"
    info["top_k"] = s.top_k
    if check:
        info.update(check_models(s))
    return info


def check_models(settings: Settings) -> dict:
    """{"models": [...], "check": "ok: ..." | why not}: what the model server serves."""
    from .llm.client import LLMClient
    from .llm.endpoint import llm_endpoint

    ep = llm_endpoint(settings)
    if ep is None:
        return {"check": "no model server configured"}
    try:
        models = LLMClient(settings, ep).models()
    except RagError as e:
        return {"check": f"failed: {e}"}
    ok = ep.model in models
    return {
        "models": models,
        "check": f"ok: {ep.model} is served"
        if ok
        else f"the server does not list {ep.model}: set RAG_LLM_MODEL to one of them",
    }


def status_lines(info: dict) -> list[str]:
    """The status as the terminal shows it."""
    out = [f"backend:   {info['backend']} ({info['why']})"]
    if "llm" in info:
        m = info["llm"]
        out.append(
            f"model:     {m['model']} at {m['url']} · key {m['api_key']} · context "
            f"{m['context_window']} · timeout {m['timeout_s']:g}s (connect "
            f"{m['connect_timeout_s']:g}s) · {m['max_retries']} retries"
        )
    papers = info["papers"]
    out.append(
        f"store:     {info['store']} · collection {info['collection']} · index {info['index']} · "
        + (f"{papers} papers" if papers is not None else info.get("store_note", "empty"))
    )
    out.append(f"embedding: {info['embedding']}")
    if "check" in info:
        if info.get("models"):
            out.append(f"models:    {', '.join(info['models'])}")
        out.append(f"check:     {info['check']}")
    return out


def settings_table(settings: Settings) -> dict[str, list[dict]]:
    """Group -> [{name, env, value, description}] for every setting; secrets show as set/unset."""
    from pydantic import SecretStr

    out: dict[str, list[dict]] = {}
    for group, names in type(settings).groups().items():
        rows = []
        for name in names:
            field = type(settings).model_fields[name]
            value = getattr(settings, name)
            if isinstance(value, SecretStr):
                value = "set" if value.get_secret_value() else "unset"
            alias = field.validation_alias
            env = alias.choices[0] if alias is not None else f"RAG_{name.upper()}"
            rows.append(
                {
                    "name": name,
                    "env": env,
                    "value": value if isinstance(value, int | float | bool | None) else str(value),
                    "description": field.description or "",
                }
            )
        out[group] = rows
    return out
