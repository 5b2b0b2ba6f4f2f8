"""LLM: OpenAI or any OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio).

* ``endpoint``: which server (``RAG_LLM_BASE_URL`` with ``RAG_LLM_API_KEY``, else
  ``OPENAI_BASE_URL``, else OpenAI itself with ``OPENAI_API_KEY``; ``OPENAI_API_KEY`` is never
  sent to a ``RAG_LLM_BASE_URL`` server), and key redaction.
* ``client``: ``LLMClient.complete(messages) -> Completion`` and ``stream(messages) ->
  LLMStream`` through llama-index's ``OpenAI`` / ``OpenAILike`` over an ``openai`` client whose
  own retries are off. Retries with backoff for 429 and 5xx happen here, before the first token
  only; 401, 403 and quota errors fail at once; timeouts come from the settings. A stream cut
  after tokens keeps its text and is marked interrupted. Every error is an ``LLMError`` whose
  message says what to fix and never contains the API key.
* ``usage``: tokens and prices. ``prompts``: the templates (package data) and budgeting.

This package knows nothing of answers: the answerer that uses it is ``rag.answer.generated``.
"""

from .client import Completion, LLMClient
from .endpoint import Endpoint, backend_reason, llm_endpoint, redact
from .stream import LLMStream
from .usage import Usage, UsageTotal, estimate_tokens, merge_usage, price_for

__all__ = [
    "Completion",
    "Endpoint",
    "LLMClient",
    "LLMStream",
    "Usage",
    "UsageTotal",
    "backend_reason",
    "estimate_tokens",
    "llm_endpoint",
    "merge_usage",
    "price_for",
    "redact",
]
