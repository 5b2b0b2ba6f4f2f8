"""all-MiniLM-L6-v2 in bfloat16 on CPUs that multiply bf16 matrices in hardware (AMX).

Where the processor has AMX (``amx_bf16`` among its flags: Intel Xeon since Sapphire Rapids),
oneDNN runs PyTorch's bf16 matrix products on it several times faster than fp32 on AVX-512.
ONNX Runtime's CPU provider has no bf16 kernels on x86, so this backend is the transformer of
the packaged weights on PyTorch, cast to bfloat16, with the same tokenisation (the model's
``tokenizer.json``, truncated at 256 tokens), token-sorted batches, mean pooling and L2
normalisation as the ONNX graph; pooling and normalisation run in fp32.

Its vectors agree with the fp32 ones to cosine >= 0.9999 on SciFact's chunks and give the same
nDCG@10 (bench/experiments/FINDINGS.md section 13), so they share the fp32 index: a store built
with it is read with ONNX fp32 query vectors, and either can add to it. Without AMX, bf16 would
be emulated and slower than fp32: ``available()`` says whether this machine has it.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import ConfigError

# texts per model call: on 2 cores with AMX, 32 ran 1,302 SciFact chunks in 8.3 s, 16 in 9.5,
# 64 in 10.0 (ONNX Runtime fp32: 26.8 s in batches of 16)
BATCH = 32
CPU_FLAGS = ("amx_bf16",)
# ``RAG_EMBED_INGEST=auto`` uses bf16 for ingests of at least this many papers: below it,
# importing PyTorch and loading the model (about 3 s) costs more than bf16 saves
MIN_PAPERS = 500
# a batch's width in tokens is rounded up to a multiple of this (see Bf16Session.run)
WIDTH_STEP = 32
# at most this many tokens (padding included) go through the model at once: the memory of a
# forward pass grows with it, and glibc keeps what a wide batch freed (ingest's peak RSS over
# 1,500 SciFact abstracts: 962 MB with 32 x 256 tokens, 715 MB with 8 x 256, 772 MB on ONNX)
MAX_TOKENS = 2048


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The processor's feature flags (Linux /proc/cpuinfo; empty elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def available() -> bool:
    """Whether bf16 runs natively here (AMX) and PyTorch is installed."""
    if not any(f in cpu_flags() for f in CPU_FLAGS):
        return False
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def release_memory() -> None:
    """Give the heap's free pages back to the system (glibc keeps what a forward pass freed)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


class Bf16Session:
    """The packaged BERT encoder (all-MiniLM-L6-v2) on PyTorch in bfloat16, plus its tokenizer.

    The forward pass is written here, on ``torch.nn.functional``, from the model's
    ``config.json`` and ``model.safetensors``: importing transformers' BertModel would add about
    150 MB to an ingest's memory for the same arithmetic (embeddings, post-LayerNorm attention and
    GELU feed-forward blocks). ``tests/test_embed_bf16.py`` checks its vectors against the ONNX
    export of sentence-transformers' model."""

    def __init__(self, model_dir: Path, threads: int | None = None) -> None:
        import json

        import torch

        from .onnx import load_tokenizer

        if threads:
            torch.set_num_threads(threads)
        self.torch = torch
        try:
            cfg = json.loads((model_dir / "config.json").read_text())
            if cfg.get("model_type") != "bert" or cfg.get("hidden_act") != "gelu":
                raise ValueError(f"not a BERT encoder with GELU: {cfg.get('model_type')}")
            self.weights = _load_weights(model_dir / "model.safetensors", cfg, torch)
        except Exception as e:  # noqa: BLE001 - an install problem: say what to do
            raise ConfigError(
                f"cannot load the embedding model from {model_dir} for bf16 "
                f"({type(e).__name__}: {e}); set RAG_EMBED_INGEST=query to embed with the "
                "query backend instead"
            ) from None
        self.linear = _fastest_linear(torch)
        self.heads = int(cfg["num_attention_heads"])
        self.eps = float(cfg.get("layer_norm_eps", 1e-12))
        self.tokenizer = load_tokenizer(model_dir, padding=False)
        self.pad_id = self.tokenizer.token_to_id("[PAD]") or 0
        self._lock = threading.Lock()

    def tokenize(self, texts: list[str]) -> list:
        with self._lock:
            return self.tokenizer.encode_batch([t.strip() for t in texts])

    def run(self, encs: list) -> np.ndarray:
        """L2-normalised float32 vectors of one batch, padded to its longest (masked out).

        The width is rounded up to a multiple of ``WIDTH_STEP``: oneDNN keeps kernels and
        buffers per input shape, and one shape per token count raised an ingest's memory by
        about 300 MB over SciFact; the extra padding is masked out like the rest."""
        from .onnx import padded

        width = max(len(e.ids) for e in encs)
        width = -(-width // WIDTH_STEP) * WIDTH_STEP
        ids, mask, types = padded(encs, self.pad_id, width)
        mask = mask.astype(bool)
        rows = max(1, MAX_TOKENS // width)
        parts = [
            self._vectors(ids[i : i + rows], types[i : i + rows], mask[i : i + rows])
            for i in range(0, len(encs), rows)
        ]
        return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)

    def _vectors(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            m = torch.from_numpy(mask)
            hidden = self._encode(torch.from_numpy(ids), torch.from_numpy(types), m).float()
            w = m.unsqueeze(-1).float()
            pooled = (hidden * w).sum(1) / w.sum(1).clamp(min=1e-9)
            out = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return out.numpy()

    def _encode(self, ids, types, mask):
        """BERT's last hidden states (batch, width, hidden) in bf16."""
        F = self.torch.nn.functional
        linear = self.linear
        w, eps, heads = self.weights, self.eps, self.heads
        b, n = ids.shape
        x = w["word"][ids] + w["position"][:n].unsqueeze(0) + w["type"][types]
        x = F.layer_norm(x, x.shape[-1:], w["ln_w"], w["ln_b"], eps)
        keep = mask[:, None, None, :]  # (batch, 1, 1, width): which keys a query may attend to
        d = x.shape[-1]

        def add_norm(x, h, lw: dict, proj: str, norm: str):
            """Post-LayerNorm residual: LayerNorm(x + W h + b)."""
            y = x + linear(h, lw[f"{proj}_w"], lw[f"{proj}_b"])
            return F.layer_norm(y, (d,), lw[f"{norm}_w"], lw[f"{norm}_b"], eps)

        for layer in w["layers"]:
            qkv = linear(x, layer["qkv_w"], layer["qkv_b"])
            q, k, v = (
                t.reshape(b, n, heads, d // heads).transpose(1, 2) for t in qkv.split(d, dim=-1)
            )
            a = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
            a = a.transpose(1, 2).reshape(b, n, d)
            x = add_norm(x, a, layer, "ao", "ln1")
            x = add_norm(x, F.gelu(linear(x, layer["in_w"], layer["in_b"])), layer, "out", "ln2")
        return x


def _fastest_linear(torch):
    """oneDNN's linear (``torch.ops.mkldnn._linear_pointwise``) where this torch has it and it
    gives ``F.linear``'s result: it adds the bias inside the matrix product, where ``F.linear``
    first copies the bias into the output (the encoder 7-8% faster, the same numbers to the
    bit). Else ``F.linear``."""
    F = torch.nn.functional
    try:
        op = torch.ops.mkldnn._linear_pointwise
        g = torch.Generator().manual_seed(0)
        x, w, b = (
            torch.randn(*s, generator=g).to(torch.bfloat16) for s in ((64, 48), (40, 48), (40,))
        )
        with torch.inference_mode():
            if torch.equal(op(x, w, b, "none", [], ""), F.linear(x, w, b)):
                return lambda x, w, b: op(x, w, b, "none", [], "")
    except (AttributeError, RuntimeError, TypeError):
        pass
    return F.linear


def _load_weights(path: Path, cfg: dict, torch) -> dict:
    """The encoder's tensors from safetensors, in bf16 (query, key and value fused in one)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        names = set(f.keys())
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in names else ""

        def t(name: str):
            return f.get_tensor(prefix + name).to(torch.bfloat16).contiguous()

        out = {
            "word": t("embeddings.word_embeddings.weight"),
            "position": t("embeddings.position_embeddings.weight"),
            "type": t("embeddings.token_type_embeddings.weight"),
            "ln_w": t("embeddings.LayerNorm.weight"),
            "ln_b": t("embeddings.LayerNorm.bias"),
            "layers": [],
        }
        for i in range(int(cfg["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            att = p + "attention.self."
            out["layers"].append(
                {
                    "qkv_w": torch.cat([t(att + f"{x}.weight") for x in ("query", "key", "value")]),
                    "qkv_b": torch.cat([t(att + f"{x}.bias") for x in ("query", "key", "value")]),
                    "ao_w": t(p + "attention.output.dense.weight"),
                    "ao_b": t(p + "attention.output.dense.bias"),
                    "ln1_w": t(p + "attention.output.LayerNorm.weight"),
                    "ln1_b": t(p + "attention.output.LayerNorm.bias"),
                    "in_w": t(p + "intermediate.dense.weight"),
                    "in_b": t(p + "intermediate.dense.bias"),
                    "out_w": t(p + "output.dense.weight"),
                    "out_b": t(p + "output.dense.bias"),
                    "ln2_w": t(p + "output.LayerNorm.weight"),
                    "ln2_b": t(p + "output.LayerNorm.bias"),
                }
            )
    return out
