"""Static int8 quantization of an encoder graph (weights and activations), calibrated on train photos.

The Fast encoder is small enough that per-op overhead and float convolutions dominate its time;
int8 convolutions (this CPU has AVX512-VNNI) run it about 2x faster. Activation ranges come from
MinMax calibration over the first N train photos, preprocessed exactly as the app does, so the
result is deterministic. The Quality encoder stays float: its features feed every other model.

    python -m training.quantize_encoder models/encoder_fast.onnx [--photos 200]

It then reports how far the int8 features are from the float graph's on the first 200 dev photos.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np

from captag_desktop.core.atomic import atomic_path
from captag_desktop.core.images import load_image
from captag_desktop.core.preprocess import encoder_batch, encoder_input
from training.flickr8k import DEFAULT_ROOT, image_path, read_split
from training.int8_weights import to_unsigned

INPUT = "pixels"
WEIGHTS_NOTE = "int8 static (QDQ: per-channel Conv weights stored as uint8, activations calibrated on {n} train photos)"


def is_quantized(path: Path) -> bool:
    import onnx

    return any(n.op_type in ("QuantizeLinear", "QLinearConv") for n in onnx.load(str(path)).graph.node)


def calibration_inputs(data: Path, photos: int):
    """The first `photos` train photos, preprocessed as the app does, one graph input dict each."""
    for name in read_split(data, "train")[:photos]:
        yield {INPUT: encoder_input(load_image(image_path(data, name)).rgb)}


def quantize_static_int8(path: Path, data: Path = DEFAULT_ROOT, photos: int = 200) -> None:
    """Replaces the float graph at path by its int8 version. Refuses a graph that is already quantized,
    since calibrating on quantized activations would compound the error."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    path = Path(path)
    if is_quantized(path):
        raise ValueError(f"{path} is already quantized; export the float graph again first")

    class Reader(CalibrationDataReader):
        inputs = calibration_inputs(Path(data), photos)

        def get_next(self):
            return next(self.inputs, None)

    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(path), str(prepared), skip_symbolic_shape=True)
        with atomic_path(path) as out:
            quantize_static(str(prepared), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    to_unsigned(path)  # exact, and cannot saturate on CPUs without VNNI


def feature_error(float_path: Path, int8_path: Path, data: Path = DEFAULT_ROOT, photos: int = 200) -> dict:
    """Mean absolute error of the int8 graph's features relative to the float graph's mean magnitude, and
    the mean cosine of each photo's features, on the first dev photos."""
    import onnxruntime as ort

    pixels = encoder_batch([load_image(image_path(data, n)).rgb for n in read_split(data, "dev")[:photos]])
    want, got = (ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, {INPUT: pixels})[0]
                 .reshape(len(pixels), -1) for p in (float_path, int8_path))
    cosine = (want * got).sum(1) / (np.linalg.norm(want, axis=1) * np.linalg.norm(got, axis=1) + 1e-12)
    return {"relative_mae": round(float(np.abs(got - want).mean() / np.abs(want).mean()), 4),
            "mean_cosine": round(float(cosine.mean()), 4), "dev_photos": len(pixels)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--data", type=Path, default=DEFAULT_ROOT)
    ap.add_argument("--photos", type=int, default=200, help="train photos for activation calibration")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        original = Path(tmp) / "float.onnx"
        shutil.copyfile(args.model, original)
        quantize_static_int8(args.model, args.data, args.photos)
        print(f"{args.model}: {args.model.stat().st_size:,} bytes, {WEIGHTS_NOTE.format(n=args.photos)}")
        print(feature_error(original, args.model, args.data))


if __name__ == "__main__":
    main()
