"""uint8 weights for quantized graphs, so they give the same results on every x86 CPU.

onnxruntime's uint8-activation x int8-weight kernels on x86 CPUs without VNNI (AVX2; AVX-512 before
Cascade Lake; AMD before Zen 4) add each pair of products in a signed 16-bit register, which saturates
when an activation and its weight are both large (2 x 255 x 127 > 32767). A graph quantized and measured on
a VNNI machine then loses accuracy on such a CPU: the Fast captioner's dev CIDEr-D fell from 0.437 to 0.398
on an AMD EPYC with AVX2 only (`python -m training.evaluate_captioner --encoder fast` with models/ as of
commit 68d878c). Its uint8 x uint8 kernels widen to 16 bits before multiplying and cannot
saturate. Moving a symmetric int8 weight to uint8 with zero point 128 is exact (q + 128), so the graph
computes what it was calibrated to compute. (7-bit int8 weights, onnxruntime's `reduce_range`, also avoid
the saturation but lose a bit of every weight: with an earlier, since-deleted version of this script that
halved the weights, the Fast captioner recovered only to 0.417, and the Fast encoder ran 4x slower.)

    python -m training.int8_weights models/encoder_fast.onnx models/caption_en_step.onnx ...
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from captag_desktop.core.atomic import atomic_path
from training.manifest_tool import refresh_converted

MATMUL_NOTE = "int8 dynamic (MatMul, uint8 weights)"  # the manifest's "weights" of a dynamically quantized decoder


def quantized_weights(model) -> list[tuple]:
    """(weight, zero point) initializers of each 8-bit weight onnxruntime's quantizers wrote
    (named W_quantized and W_zero_point)."""
    inits = {i.name: i for i in model.graph.initializer}
    return [(init, inits[f"{name[: -len('_quantized')]}_zero_point"]) for name, init in inits.items()
            if name.endswith("_quantized") and init.data_type in (2, 3)]  # UINT8, INT8


def has_signed_weights(path: Path) -> bool:
    import onnx

    return any(w.data_type == 3 for w, _z in quantized_weights(onnx.load(str(path))))


def to_unsigned(path: Path) -> int:
    """Rewrite the graph at path with each int8 weight as uint8 (q + 128, zero point + 128); returns how
    many weight tensors changed. Graphs with no int8 weights are left as they are."""
    import onnx
    from onnx import numpy_helper

    path = Path(path)
    model = onnx.load(str(path))
    changed = 0
    for weight, zero in quantized_weights(model):
        if weight.data_type != 3:
            continue
        for tensor in (weight, zero):
            shifted = numpy_helper.to_array(tensor).astype(np.int16) + 128
            tensor.CopyFrom(numpy_helper.from_array(shifted.astype(np.uint8), tensor.name))
        changed += 1
    if changed:
        with atomic_path(path) as tmp:
            onnx.save(model, str(tmp))
    return changed


def unsigned_note(note: str) -> str:
    """The manifest's weights note once the int8 weights are stored as uint8."""
    return note.replace("int8 dynamic (MatMul)", MATMUL_NOTE).replace("per-channel Conv weights",
                                                                      "per-channel Conv weights stored as uint8")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("graphs", type=Path, nargs="+")
    args = ap.parse_args(argv)
    for path in args.graphs:
        changed = to_unsigned(path)
        print(f"{path}: {changed} weight tensors now uint8")
        if changed:
            refresh_converted(path, unsigned_note)


if __name__ == "__main__":
    main()
