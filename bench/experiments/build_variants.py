"""Build the graph variants of experiments 2 and 3 once, from today's exported fp32 graph:

  fp32-ortall     ORT_ENABLE_ALL applied offline and saved (optimized_model_filepath)
  fp32-fused      onnxruntime.transformers.optimizer, model_type "bert" (attention, LayerNorm,
                  GELU, bias fusions), 12 heads, hidden 384
  int8-*          see exp3_int8.py (built there, they need calibration texts)
Prints the fused operator counts."""

from __future__ import annotations

import json
from collections import Counter

import onnx
from common import WORK, fp32_path, session

OUT = WORK / "variants"


def op_counts(path) -> dict:
    m = onnx.load(str(path))
    return dict(Counter(n.op_type for n in m.graph.node).most_common())


def build_ortall() -> None:
    import onnxruntime as ort

    dest = OUT / "fp32-ortall.onnx"
    if dest.exists():
        return
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.optimized_model_filepath = str(dest)
    ort.InferenceSession(str(fp32_path()), sess_options=opts, providers=["CPUExecutionProvider"])


def build_fused() -> None:
    from onnxruntime.transformers.optimizer import optimize_model

    dest = OUT / "fp32-fused.onnx"
    if dest.exists():
        return
    opt = optimize_model(
        str(fp32_path()), model_type="bert", num_heads=12, hidden_size=384, opt_level=1
    )
    print("fusion statistics:", opt.get_fused_operator_statistics())
    opt.save_model_to_file(str(dest))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    build_ortall()
    build_fused()
    report = {}
    for p in [fp32_path(), OUT / "fp32-ortall.onnx", OUT / "fp32-fused.onnx"]:
        report[p.name] = op_counts(p)
        session(p)  # loads
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
