"""Rebuild a torch checkpoint of a caption decoder from its bundled ONNX graphs, to continue training it
when the original run folder is gone.

Names: export_decoder keeps most parameter names, but each Linear weight becomes an anonymous
transposed MatMul constant ("onnx::MatMul_352"). Exporting a decoder of the same config with random
weights gives the same graph, and matching its constants to its parameters by value tells which
constant is which parameter. int8 MatMul weights (dynamic quantization: one scale and zero point per
tensor) are dequantized, so the recovered decoder differs from the original by that rounding only.

    python -m training.recover_decoder caption-en-fast --out runs/fast_decoder_recovered
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

from training.caption_model import CaptionDecoder, DecoderConfig
from training.manifest_tool import MODELS_DIR


def graph_constants(path: Path) -> dict[str, np.ndarray]:
    """Every initializer of the graph, int8 MatMul weights dequantized under their float name."""
    import onnx
    from onnx import numpy_helper

    raw = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}
    out = {}
    for name, value in raw.items():
        if name.endswith("_quantized"):
            base = name.removesuffix("_quantized")
            zero = raw[f"{base}_zero_point"].astype(np.float32)
            out[base] = (value.astype(np.float32) - zero) * raw[f"{base}_scale"]
        elif not name.endswith(("_scale", "_zero_point")):
            out[name] = value
    return out


def constant_names(config: DecoderConfig) -> dict[str, tuple[str, bool]]:
    """ONNX constant name -> (parameter name, stored transposed), from a random decoder of this config."""
    from training.export_captioner import export_decoder

    model = CaptionDecoder(config).eval()
    with torch.no_grad():  # distinct values everywhere (layer norms start as all ones), so matching is unique
        for p in model.parameters():
            p.normal_()
    params = {n: p.detach().numpy() for n, p in model.named_parameters()}
    with tempfile.TemporaryDirectory() as tmp:
        init, step = Path(tmp) / "init.onnx", Path(tmp) / "step.onnx"
        export_decoder(model, init, step)
        consts = {**graph_constants(init), **graph_constants(step)}
    names = {}
    for cname, value in consts.items():
        if cname.removeprefix("model.") in params:  # the graphs wrap the decoder as "model"
            names[cname] = (cname.removeprefix("model."), False)
            continue
        for pname, p in params.items():
            if value.shape == p.shape and np.array_equal(value, p):
                names[cname] = (pname, False)
            elif value.ndim == 2 and value.shape == p.shape[::-1] and np.array_equal(value, p.T):
                names.setdefault(cname, (pname, True))  # a tied weight keeps its untransposed source
    return names


def recover(name: str, models_dir: Path = MODELS_DIR) -> tuple[CaptionDecoder, dict]:
    """The decoder registered as `name` (init graph `name`-init, step graph `name`-step) and its manifest entry."""
    manifest = {e["name"]: e for e in json.loads((models_dir / "manifest.json").read_text())["models"]}
    entry = manifest[f"{name}-init"]
    config = DecoderConfig(**entry["config"])
    consts = {}
    for part in ("init", "step"):
        consts.update(graph_constants(models_dir / manifest[f"{name}-{part}"]["file"]))
    mapping = constant_names(config)
    model = CaptionDecoder(config)
    state = model.state_dict()
    filled = set()
    # exact float constants first, so a tied weight takes its float copy rather than a dequantized one
    for cname, (pname, transposed) in sorted(mapping.items(), key=lambda kv: kv[1][1]):
        if pname in filled or cname not in consts:
            continue
        value = consts[cname].T if transposed else consts[cname]
        state[pname] = torch.tensor(value, dtype=torch.float32)  # a copy: onnx arrays are read-only
        filled.add(pname)
    missing = [p for p, _ in model.named_parameters() if p not in filled]
    if missing:
        raise ValueError(f"{name}: no graph constant for {missing[:5]}")
    model.load_state_dict(state)
    return model.eval(), entry


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name", help="manifest name without -init/-step, e.g. caption-en-fast")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    args = ap.parse_args(argv)
    model, entry = recover(args.name, args.models_dir)
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": model.state_dict(), "config": model.config.to_dict(),
                "report": entry.get("metrics_dev", {}), "args": {"recovered_from": args.name}}, args.out / "best.pt")
    lang = entry.get("language", "en")
    shutil.copyfile(args.models_dir / f"caption_{lang}_vocab.json", args.out / "vocab.json")
    print(f"{args.out / 'best.pt'}: {sum(p.numel() for p in model.parameters()):,} parameters from {args.name}")


if __name__ == "__main__":
    main()
