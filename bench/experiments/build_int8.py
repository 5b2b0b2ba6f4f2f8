"""Build the int8 variants of experiment 3 (into WORK/variants), from today's fp32 graph or the
fused one (build_variants.py). Dynamic variants: weights int8 per output channel, activations
quantised at run time. Static (QDQ) variants: activation ranges calibrated on SciFact chunk
texts (the last 256 papers' chunks: never the throughput slices, which are the first ones).

  int8-today        rag's int8 today: quantize_dynamic(per_channel, op_types MatMul)
  int8-constb-ends  today's, with layers 0 and 5 left in fp32 (today's already quantises only
                    the MatMuls with a constant weight: the score products Q.K^T, P.V stay fp32)
  int8-ffn          only the feed-forward MatMuls (intermediate, output dense) quantised
  int8-fused        the fused graph: its MatMuls and Attention (-> QAttention) quantised
  int8-fused-mm     the fused graph: only its MatMuls (Attention, with Q/K/V, stays fp32)
  qdq-minmax        static QDQ, per-channel weights, MatMuls with constant B, MinMax ranges
  qdq-pct           the same with Percentile (99.999) ranges
  nb8-*             MatMulNBits (weight-only block quantisation, 8 bits, symmetric) with
                    accuracy_level 4: activations quantised to int8 per block of the inner
                    dimension at run time (finer than the per-tensor activation scale of the
                    dynamic variants); nb8-b32 (blocks of 32, plain graph), nb8-fused-b32,
                    nb8-fused-b128 (on the fused graph), nb4-fused-b32 (4 bits)
"""

from __future__ import annotations

import logging
import sys
import time

import numpy as np
import onnx
from common import WORK, chunk_texts, fp32_path, raw_tokenizer, scifact_papers

OUT = WORK / "variants"
logging.getLogger().setLevel(logging.ERROR)


def matmul_names(path, pred) -> list[str]:
    m = onnx.load(str(path))
    return [n.name for n in m.graph.node if n.op_type == "MatMul" and pred(n.name)]


def dynamic(name: str, src, **kw) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    dest = OUT / f"{name}.onnx"
    if dest.exists():
        return
    t0 = time.perf_counter()
    quantize_dynamic(str(src), str(dest), weight_type=QuantType.QInt8, per_channel=True, **kw)
    print(f"{name}: {time.perf_counter() - t0:.1f} s", flush=True)


def nbits(name: str, src, bits: int, block: int, accuracy: int = 4) -> None:
    from onnxruntime.quantization.matmul_nbits_quantizer import (
        DefaultWeightOnlyQuantConfig,
        MatMulNBitsQuantizer,
    )

    dest = OUT / f"{name}.onnx"
    if dest.exists():
        return
    t0 = time.perf_counter()
    cfg = DefaultWeightOnlyQuantConfig(
        block_size=block, is_symmetric=True, accuracy_level=accuracy, bits=bits
    )
    q = MatMulNBitsQuantizer(
        str(src),
        bits=bits,
        block_size=block,
        is_symmetric=True,
        accuracy_level=accuracy,
        algo_config=cfg,
    )
    q.process()
    q.model.save_model_to_file(str(dest), use_external_data_format=False)
    print(f"{name}: {time.perf_counter() - t0:.1f} s", flush=True)


class Reader:
    """Calibration batches: corpus chunk texts, token-sorted batches of 16."""

    def __init__(self, texts: list[str]) -> None:
        tok = raw_tokenizer()
        encs = sorted(tok.encode_batch(texts), key=lambda e: len(e.ids))
        self.batches = []
        for s in range(0, len(encs), 16):
            part = encs[s : s + 16]
            n = max(len(e.ids) for e in part)
            ids = np.zeros((len(part), n), dtype=np.int64)
            mask = np.zeros_like(ids)
            for r, e in enumerate(part):
                ids[r, : len(e.ids)] = e.ids
                mask[r, : len(e.ids)] = 1
            self.batches.append(
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )
        self.it = iter(self.batches)

    def get_next(self):
        return next(self.it, None)

    def rewind(self):
        self.it = iter(self.batches)


def static(name: str, src, texts: list[str], method) -> None:
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    dest = OUT / f"{name}.onnx"
    if dest.exists():
        return
    t0 = time.perf_counter()
    extra = {"MatMulConstBOnly": True}
    if method.name == "Percentile":
        extra["CalibPercentile"] = 99.999
    quantize_static(
        str(src),
        str(dest),
        Reader(texts),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=["MatMul"],
        per_channel=True,
        weight_type=QuantType.QInt8,
        activation_type=QuantType.QUInt8,
        calibrate_method=method,
        extra_options=extra,
    )
    print(f"{name}: {time.perf_counter() - t0:.1f} s", flush=True)


def main() -> None:
    from onnxruntime.quantization import CalibrationMethod

    OUT.mkdir(parents=True, exist_ok=True)
    fp32 = fp32_path()
    fused = OUT / "fp32-fused.onnx"
    mm = {"op_types_to_quantize": ["MatMul"]}
    only = set(sys.argv[1:])

    def want(n):
        return not only or n in only

    if want("int8-today"):
        dynamic("int8-today", fp32, **mm)
    if want("int8-constb-ends"):
        ends = matmul_names(fp32, lambda n: "layer.0/" in n or "layer.5/" in n)
        dynamic(
            "int8-constb-ends",
            fp32,
            **mm,
            nodes_to_exclude=ends,
            extra_options={"MatMulConstBOnly": True},
        )
    if want("int8-ffn"):
        ffn = matmul_names(
            fp32,
            lambda n: "intermediate/dense" in n or "/output/dense" in n and "attention" not in n,
        )
        dynamic("int8-ffn", fp32, nodes_to_quantize=ffn, **mm)
    if want("int8-fused"):
        dynamic(
            "int8-fused",
            fused,
            op_types_to_quantize=["MatMul", "Attention"],
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    if want("int8-fused-mm"):
        dynamic(
            "int8-fused-mm",
            fused,
            **mm,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    for name, src, bits, block in (
        ("nb8-b32", fp32, 8, 32),
        ("nb8-fused-b32", fused, 8, 32),
        ("nb8-fused-b128", fused, 8, 128),
        ("nb4-fused-b32", fused, 4, 32),
    ):
        if want(name):
            nbits(name, src, bits, block)
    if any(want(n) for n in ("qdq-minmax", "qdq-pct")):
        papers = scifact_papers()[-256:]
        texts, _ = chunk_texts(papers)
        if want("qdq-minmax"):
            static("qdq-minmax", fp32, texts, CalibrationMethod.MinMax)
        if want("qdq-pct"):
            static("qdq-pct", fp32, texts, CalibrationMethod.Percentile)


if __name__ == "__main__":
    main()
