"""Store a float graph's large weights as float16, each read through a Cast back to float32.

Halves the file while the graph still computes in float32: onnxruntime folds each Cast of a constant
weight when it loads the session, so the running graph holds float32 weights again, rounded once to
float16's 11 significant bits. Used on the Quality encoder to keep the caption weights within 40 MB;
models/captioner-en.md has what it changed.

    python -m training.fp16_weights models/encoder_lite2.onnx
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from captag_desktop.core.atomic import atomic_path
from training.manifest_tool import refresh_converted

NOTE = "float16, read through Casts that onnxruntime folds at load (training.fp16_weights)"
MIN_ELEMENTS = 1024  # small tensors (biases, scales) stay float32: little to gain, and some feed shape logic


def halve(path: Path, min_elements: int = MIN_ELEMENTS) -> int:
    """Rewrite the graph at path; returns how many weights became float16 (0 leaves the file as it was)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    path = Path(path)
    model = onnx.load(str(path))
    graph = model.graph
    casts, changed = [], 0
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT or int(np.prod(init.dims)) < min_elements:
            continue
        half = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), init.name + "_fp16")
        casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT,
                                      name=init.name + "_to_float"))
        init.CopyFrom(half)
        changed += 1
    if changed:
        nodes = casts + list(graph.node)  # the Casts first, so the graph stays topologically sorted
        del graph.node[:]
        graph.node.extend(nodes)
        onnx.checker.check_model(model)
        with atomic_path(path) as tmp:
            onnx.save(model, str(tmp))
    return changed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("graphs", nargs="+", type=Path)
    args = ap.parse_args(argv)
    for g in args.graphs:
        changed = halve(g)
        print(f"{g}: {changed} weights stored as float16")
        if changed:
            refresh_converted(g, lambda _old: NOTE)


if __name__ == "__main__":
    main()
