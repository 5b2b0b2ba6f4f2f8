"""Settings: read once from the environment (prefix ``RAG_``) and passed down."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
BUNDLED_CORPUS = REPO_DIR / "store" / "corpus"
STORE_FORMAT_VERSION = 1
LOCAL_EMBED_MODEL = "all-MiniLM-L6-v2"


def _default_store() -> Path:
    # A source checkout keeps its index in store/ beside the bundled corpus.
    if (REPO_DIR / "store" / "corpus").is_dir():
        return REPO_DIR / "store"
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "rag"


_CONFIG = SettingsConfigDict(env_prefix="RAG_", extra="ignore", validate_by_name=True)


class StoreSettings(BaseSettings):
    """Where the index lives: a directory, and optionally a Chroma server."""

    model_config = _CONFIG

    store: Path = Field(default_factory=_default_store, description="Directory the index lives in.")
    corpus: Path = Field(BUNDLED_CORPUS, description="What `rag ingest` reads with no PATH.")
    collection: str = Field(
        "default",
        description=(
            "The named collection of the store that is read and written ('default' holds the "
            "bundled abstracts; `rag collections` lists the others)."
        ),
    )
    store_readonly: bool = Field(
        False,
        description=(
            "Open the store read-only: searched, never written (also automatic when its "
            "directory cannot be written, e.g. a read-only mount or chmod a-w)."
        ),
    )
    chroma_host: str | None = Field(
        None, description="Chroma server host (`chroma run`); unset: embedded."
    )
    chroma_port: int = Field(8000, description="Chroma server port.")
    chroma_ssl: bool = Field(False, description="Talk HTTPS to the Chroma server.")
    chroma_token: SecretStr | None = Field(
        None,
        description="Chroma server auth token, sent as 'Authorization: Bearer ...' (never logged).",
    )


class EmbeddingSettings(BaseSettings):
    """The embedding model, how it runs, and how abstracts are chunked."""

    model_config = _CONFIG

    embed_model: str = Field(
        LOCAL_EMBED_MODEL,
        description="'all-MiniLM-L6-v2' (local, packaged) or an OpenAI embedding model name.",
    )
    embed_batch_size: int = Field(64, description="Texts per embedding batch.")
    embed_backend: str = Field(
        "auto",
        description=(
            "How the local model runs: 'onnx' (ONNX Runtime, fp32, exported once from the "
            "packaged weights), 'int8' (the same graph, int8-quantised: its own index), 'torch' "
            "(sentence-transformers), 'bf16' (PyTorch in bfloat16, CPUs with AMX only: the fp32 "
            "index), or 'auto' (onnx when onnxruntime is installed, else torch)."
        ),
    )
    embed_ingest: str = Field(
        "auto",
        description=(
            "How ingest embeds the local model's chunks: 'auto' (bf16 on PyTorch where the CPU "
            "has AMX and the query backend's vectors are fp32's: the same index, about twice as "
            "fast; else the query backend), 'query' (always RAG_EMBED_BACKEND), 'bf16'."
        ),
    )
    embed_cache: Path | None = Field(
        None, description="Where the exported ONNX model is cached (default ~/.cache/rag/onnx)."
    )
    embed_threads: int = Field(0, description="ONNX Runtime intra-op threads (0: one per core).")
    embed_spinning: bool = Field(
        False,
        description=(
            "Let idle ONNX Runtime threads spin-wait between operators (more CPU for little or "
            "no speed on 2 cores; off by default)."
        ),
    )
    embed_base_url: str | None = Field(
        None, description="Server for OpenAI-style embeddings (default: the LLM's, else OpenAI)."
    )
    embed_api_key: SecretStr | None = Field(None, description="Key for RAG_EMBED_BASE_URL.")
    chunk_size: int = Field(200, description="Chunk size in the embedding model's tokens.")
    chunk_overlap: int = Field(40, description="Overlap between chunks, in tokens.")
    chunk_title: str = Field(
        "all",
        description=(
            "Where a record's title goes in the embedded text: 'all' (before every chunk, on top "
            "of chunk_size), 'fit' (before every chunk, counted in chunk_size, at most the "
            "model's 252-token window), 'first' (before the first chunk only, counted in it), "
            "'none' (never embedded; BM25 indexes it in every mode)."
        ),
    )


class RetrievalSettings(BaseSettings):
    """Dense and BM25 rankings and their fusion."""

    model_config = _CONFIG

    top_k: int = Field(5, description="Papers used as sources for an answer.")
    candidates: int = Field(100, description="Candidates each retriever returns before fusion.")
    rrf_k: int = Field(60, description="Reciprocal-rank-fusion constant.")
    dense_weight: float = Field(1.0, description="Weight of the dense ranking in the fusion.")
    keyword_weight: float = Field(1.0, description="Weight of the BM25 ranking in the fusion.")


class AnswerSettings(BaseSettings):
    """Which answerer, and when the evidence is too weak to answer from."""

    model_config = _CONFIG

    backend: str = Field("auto", description="'auto', 'extractive' or 'llm'.")
    abstain_dense: float = Field(
        0.22, description="Abstain when the best passage's cosine similarity is below this."
    )
    abstain_sentence: float = Field(
        0.39,
        description=(
            "Abstain when no sentence scores at least this against the question (calibrated on "
            "eval/questions.jsonl: answerable singles score >= 0.427, off-corpus questions "
            "<= 0.377 but one near miss at 0.45)."
        ),
    )
    support_threshold: float = Field(
        0.5, description="A cited sentence scoring below this against its sources is unsupported."
    )
    verify: str = Field(
        "local",
        description="Claim checks: 'local' (the offline verifier) or 'llm' (plus a model's "
        "second opinion on every answer, one call).",
    )
    max_answer_sentences: int = Field(4, description="Sentences in an extractive answer.")
    max_question_chars: int = Field(
        2000,
        description=(
            "Longest question (or chat message, or summary topic) accepted, in characters, on "
            "every route: CLI, web chat, /ask, /summarize, eval."
        ),
    )
    list_on_topic: float = Field(
        0.5,
        description=(
            "A list question ('which papers ...') lists a retrieved paper when its calibrated "
            "on-topic probability (the summaries' test) is at least this."
        ),
    )


class SummarySettings(BaseSettings):
    """Cited summaries of a research area (`rag summarize`)."""

    model_config = _CONFIG

    summary_pool: int = Field(
        100, description="Papers retrieved for a summary, per part of the topic, before the cut."
    )
    summary_on_topic: float = Field(
        0.5,
        description="Keep a paper when its calibrated on-topic probability is at least this.",
    )
    summary_max_papers: int = Field(
        40, description="At most this many papers in a summary (MMR keeps a diverse subset)."
    )
    summary_max_themes: int = Field(5, description="At most this many themes in a summary.")


class LLMSettings(BaseSettings):
    """The chat model (OpenAI or an OpenAI-compatible server) and its limits."""

    model_config = _CONFIG

    llm_model: str = Field("gpt-4o-mini", description="Chat model name.")
    llm_base_url: str | None = Field(
        None, description="OpenAI-compatible server, e.g. http://localhost:11434/v1"
    )
    llm_api_key: SecretStr | None = Field(
        None, description="Key for the RAG_LLM_BASE_URL server, if it wants one."
    )
    openai_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("OPENAI_API_KEY"),
        description="OpenAI API key (env OPENAI_API_KEY, no prefix).",
    )
    openai_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("OPENAI_BASE_URL"),
        description="OpenAI-compatible base URL (env OPENAI_BASE_URL, no prefix).",
    )
    llm_max_tokens: int = Field(800, description="Most tokens the model may write per answer.")
    llm_retry_backoff: float = Field(
        0.5, description="First retry delay in seconds (doubles per retry)."
    )
    llm_stream_usage: bool = Field(
        True, description="Ask the server for token usage at the end of a stream."
    )
    llm_price_input: float | None = Field(
        None, description="USD per million prompt tokens (default: known OpenAI prices)."
    )
    llm_price_output: float | None = Field(
        None, description="USD per million completion tokens (default: known OpenAI prices)."
    )
    llm_rewrite: bool = Field(
        True, description="Let the model rewrite chat follow-ups (else a local heuristic)."
    )
    llm_context_window: int = Field(16384, description="Context window of the model, in tokens.")
    llm_timeout: float = Field(60.0, description="Total seconds for one model call.")
    llm_connect_timeout: float = Field(5.0, description="Seconds to connect to the model server.")
    llm_max_retries: int = Field(3, description="Retries for 429/5xx before the first token.")
    llm_temperature: float = Field(0.1, description="Sampling temperature.")


class UISettings(BaseSettings):
    """The web UI: address, login, limits."""

    model_config = _CONFIG

    # relevance shown in the UI: a paper's best-chunk cosine to the question, on two cuts
    # calibrated on the dev half of eval/questions.jsonl (bench/calibrate_relevance.py)
    relevance_floor: float = Field(
        0.44, description="Cosine under which a paper is not listed by the corpus search."
    )
    relevance_close: float = Field(0.51, description="Cosine from which a paper is a close match.")
    ui_host: str = Field("127.0.0.1", description="Address the web UI binds.")
    ui_port: int = Field(7860, description="Port the web UI binds.")
    ui_user: str | None = Field(None, description="Login name for the web UI (with ui_password).")
    ui_password: SecretStr | None = Field(None, description="Login password for the web UI.")
    ui_auth_file: Path | None = Field(
        None, description="File of 'user:password' lines for the web UI login."
    )
    ui_max_file_size: str = Field("5mb", description="Largest file the web UI accepts.")
    ui_max_upload_total: str = Field(
        "20mb", description="Most bytes one upload request (all its files together) may carry."
    )
    ui_allowed_hosts: str = Field(
        "",
        description=(
            "Extra comma-separated host names the web UI answers to (e.g. the name a reverse "
            "proxy forwards); 127.0.0.1, localhost, [::1] and --host are always allowed."
        ),
    )
    ui_max_connections: int = Field(
        256, description="Open connections the web UI keeps at once; more are closed at once."
    )
    ui_max_connections_per_client: int = Field(
        64, description="Open connections one client address may keep at once."
    )
    ui_concurrency: int = Field(2, description="Requests the web UI works on at once.")
    ui_queue_size: int = Field(32, description="Requests that may wait; more get 'busy'.")


class Settings(
    StoreSettings,
    EmbeddingSettings,
    RetrievalSettings,
    AnswerSettings,
    SummarySettings,
    LLMSettings,
    UISettings,
):
    """Every knob of the assistant, in named groups. Environment variables are ``RAG_<FIELD>``."""

    model_config = _CONFIG

    @classmethod
    def groups(cls) -> dict[str, list[str]]:
        """Group name -> the names of its fields (``rag status --settings`` lists them)."""
        return {name: list(group.model_fields) for name, group in GROUPS.items()}

    @property
    def is_local_embedding(self) -> bool:
        return self.embed_model == LOCAL_EMBED_MODEL

    @property
    def embed_precision(self) -> str:
        """'int8' for the quantised local model, else 'fp32' (torch and onnx agree to 1e-6, bf16
        to cosine 0.9999 with the same nDCG@10 on SciFact: one index)."""
        backend = self.embed_backend.lower()
        return "int8" if self.is_local_embedding and backend == "int8" else "fp32"

    def index_signature(self) -> dict:
        """What must match between a store and the settings reading it."""
        sig = {
            "format": STORE_FORMAT_VERSION,
            "embed_model": self.embed_model,
            "chunk_size": self.chunk_size,
            "chunk_overlap": self.chunk_overlap,
        }
        if self.chunk_title != "all":  # the older layout keeps its index name
            sig["chunk_title"] = self.chunk_title
        if self.embed_precision != "fp32":  # int8 vectors differ (cosine ~0.99): own index
            sig["embed_precision"] = self.embed_precision
        return sig

    def collection_name(self) -> str:
        """The Chroma collection is named from the signature, so vectors never mix."""
        sig = json.dumps(self.index_signature(), sort_keys=True)
        return "papers-" + hashlib.sha1(sig.encode()).hexdigest()[:10]


def get_settings(**overrides) -> Settings:
    """Settings from the environment, with explicit overrides (None values ignored)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


GROUPS: dict[str, type[BaseSettings]] = {
    "store": StoreSettings,
    "embedding": EmbeddingSettings,
    "retrieval": RetrievalSettings,
    "answer": AnswerSettings,
    "summary": SummarySettings,
    "llm": LLMSettings,
    "ui": UISettings,
}
