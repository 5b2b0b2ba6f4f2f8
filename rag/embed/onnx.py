"""all-MiniLM-L6-v2 on ONNX Runtime: exported locally from the packaged weights, no torch at query time.

The export runs once per machine (it needs torch, which is installed anyway) and is cached
under the user cache directory (``RAG_EMBED_CACHE``; default ``~/.cache/rag/onnx``). The graph
is the transformer followed by the same mean pooling and L2 normalisation as
sentence-transformers, so it returns sentence vectors directly. Tokenisation uses the model's
own ``tokenizer.json`` through the ``tokenizers`` library (truncation at 256 tokens, as
sentence-transformers does). ``int8`` is the fp32 graph with dynamically quantised weights
(``onnxruntime.quantization``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
import time
from pathlib import Path

import numpy as np

from ..errors import ConfigError

MAX_SEQ_LENGTH = 256
EXPORT_VERSION = 2  # bump when the exported graph changes
OPSET = 17
VARIANTS = ("fp32", "int8")


def default_cache_dir() -> Path:
    """Where exported graphs live when RAG_EMBED_CACHE is not set."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag" / "onnx"


def _model_key(model_dir: Path) -> str:
    """Changes when the packaged weights change (size and mtime), or the export code does."""
    st = (model_dir / "model.safetensors").stat()
    raw = f"{model_dir.resolve()}|{st.st_size}|{st.st_mtime_ns}|{EXPORT_VERSION}|{OPSET}"
    return hashlib.sha1(raw.encode()).hexdigest()[:12]


def model_file(cache_dir: Path, model_dir: Path, variant: str) -> Path:
    """The path of one exported variant (it may not exist yet)."""
    return cache_dir / f"all-MiniLM-L6-v2-{_model_key(model_dir)}" / f"model-{variant}.onnx"


@contextlib.contextmanager
def _file_lock(path: Path):
    """Serialise exports between processes (tests and servers may start together)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _export_fp32(model_dir: Path, dest: Path) -> None:
    """Trace the packaged model (transformer + mean pooling + L2 norm) into an ONNX file."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import warnings

    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    bert = AutoModel.from_pretrained(
        str(model_dir), local_files_only=True, attn_implementation="eager"
    ).eval()

    class SentenceEncoder(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )[0]
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            summed = (tokens * mask).sum(dim=1)
            counts = torch.clamp(mask.sum(dim=1), min=1e-9)
            pooled = summed / counts
            norm = torch.clamp(pooled.norm(p=2, dim=1, keepdim=True), min=1e-12)
            return pooled / norm

    enc = SentenceEncoder(bert).eval()
    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    types = torch.zeros((2, 16), dtype=torch.long)
    tmp = dest.with_suffix(f".tmp{os.getpid()}")
    axes = {0: "batch", 1: "seq"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            enc,
            (ids, mask, types),
            str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["sentence_embedding"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "sentence_embedding": {0: "batch"},
            },
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    os.replace(tmp, dest)


def _quantize_int8(src: Path, dest: Path) -> None:
    """Dynamic int8 quantisation of the fp32 graph's weights (MatMul/Gemm)."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as e:  # onnxruntime.quantization needs the `onnx` package
        raise ConfigError(
            f"int8 embeddings need the `onnx` package ({e}): pip install onnx, "
            "or set RAG_EMBED_BACKEND=onnx"
        ) from e
    import logging

    tmp = dest.with_suffix(f".tmp{os.getpid()}")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic warns about optional pre-processing
    try:
        # per-channel weights on MatMul only: per-tensor scales (the default) bend the vectors
        # to cosine ~0.93 of fp32; per-channel keeps them at ~0.995
        quantize_dynamic(
            str(src),
            str(tmp),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
    finally:
        root.setLevel(level)
    os.replace(tmp, dest)


def ensure_model(cache_dir: Path, model_dir: Path, variant: str = "fp32") -> Path:
    """The exported graph of ``variant``, exporting (once, under a lock) if it is missing."""
    if variant not in VARIANTS:
        raise ConfigError(f"unknown ONNX variant {variant!r}: use one of {', '.join(VARIANTS)}")
    dest = model_file(cache_dir, model_dir, variant)
    if dest.exists():
        return dest
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(
            f"cannot create the embedding cache {dest.parent} ({e.strerror}): "
            "set RAG_EMBED_CACHE to a writable directory"
        ) from None
    with _file_lock(dest.parent / ".export.lock"):
        if dest.exists():  # another process exported it while we waited
            return dest
        t0 = time.perf_counter()
        fp32 = model_file(cache_dir, model_dir, "fp32")
        if not fp32.exists():
            _export_fp32(model_dir, fp32)
        if variant == "int8":
            _quantize_int8(fp32, dest)
        info = dest.parent / "export.json"
        meta = json.loads(info.read_text()) if info.exists() else {}
        meta[variant] = {
            "source": str(model_dir),
            "seconds": round(time.perf_counter() - t0, 2),
            "opset": OPSET,
            "max_seq_length": MAX_SEQ_LENGTH,
        }
        info.write_text(json.dumps(meta, indent=2))
    return dest


def load_tokenizer(model_dir: Path, padding: bool = True):
    """The model's tokenizer.json with sentence-transformers' truncation (and longest padding)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.enable_truncation(max_length=MAX_SEQ_LENGTH)
    if padding:
        pad_id = tok.token_to_id("[PAD]") or 0
        tok.enable_padding(pad_id=pad_id, pad_token="[PAD]")
    else:
        tok.no_padding()
    return tok


def padded(encs: list, pad_id: int, width: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token ids, attention mask and token types of a batch of encodings as int64 arrays,
    padded to its longest encoding (or to ``width``, if longer)."""
    width = max(width, *(len(e.ids) for e in encs))
    ids = np.full((len(encs), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(encs), width), dtype=np.int64)
    types = np.zeros((len(encs), width), dtype=np.int64)
    for row, e in enumerate(encs):
        n = len(e.ids)
        ids[row, :n] = e.ids
        mask[row, :n] = e.attention_mask
        types[row, :n] = e.type_ids
    return ids, mask, types


class OnnxSession:
    """An ONNX Runtime session over the exported graph plus its tokenizer (thread-safe).

    ``threads``: intra-op threads (None: one per core). ``spinning``: whether idle intra- and inter-op
    threads spin-wait for the next operator; off by default: on 2 cores the spinning took 22-28%
    of the CPU of an ingest without making it faster (bench/experiments/FINDINGS.md)."""

    def __init__(
        self, path: Path, model_dir: Path, threads: int | None = None, spinning: bool = False
    ) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        # no busy-waiting between operators by default: on a small shared machine spinning
        # threads burned twice the CPU of the work itself for short batches (same vectors)
        flag = "1" if spinning else "0"
        opts.add_session_config_entry("session.intra_op.allow_spinning", flag)
        opts.add_session_config_entry("session.inter_op.allow_spinning", flag)
        self.session = ort.InferenceSession(
            str(path), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.tokenizer = load_tokenizer(model_dir, padding=False)
        self.pad_id = self.tokenizer.token_to_id("[PAD]") or 0
        self._tok_lock = threading.Lock()

    def tokenize(self, texts: list[str]) -> list:
        """Each text's encoding (truncated at 256 tokens, not padded)."""
        with self._tok_lock:
            return self.tokenizer.encode_batch([t.strip() for t in texts])

    def run(self, encs: list) -> np.ndarray:
        """L2-normalised float32 sentence vectors of one batch of encodings, padded to its
        longest (the padding is masked out: a text's vector does not depend on its batch)."""
        ids, mask, types = padded(encs, self.pad_id)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        feeds = {k: v for k, v in feeds.items() if k in self.input_names}
        (out,) = self.session.run(None, feeds)
        return np.ascontiguousarray(out, dtype=np.float32)

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 sentence vectors of one batch."""
        return self.run(self.tokenize(texts))
