"""Export the inpainting net and the damage detector to ONNX and register them."""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from training.manifest_tool import MODELS_DIR, update_entry
from training.repair_models import DamageNet, InpaintNet

OPSET = 17
DATA = ("Flickr8k train split photos (6,000, 224x224) with synthetic masks/damage from training/synthetic_damage.py; "
        "Hodosh, Young, Hockenmaier 2013, research use")


def load(task: str, ckpt: Path) -> torch.nn.Module:
    state = torch.load(ckpt, map_location="cpu", weights_only=True)
    model = (InpaintNet if task == "inpaint" else DamageNet)(**state.get("config", {}))
    model.load_state_dict(state.get("ema", state["model"]))  # a run's weight average, when it kept one
    return model.eval()


def export_inpaint(model: InpaintNet, path: Path) -> None:
    x, v = torch.rand(1, 3, 64, 64), torch.ones(1, 1, 64, 64)
    axes = {0: "batch", 2: "height", 3: "width"}
    torch.onnx.export(model, (x, v), str(path), input_names=["prefilled", "valid"], output_names=["image"],
                      dynamic_axes={"prefilled": axes, "valid": axes, "image": axes}, opset_version=OPSET, dynamo=False)


def export_detector(model: DamageNet, path: Path) -> None:
    axes = {0: "batch", 2: "height", 3: "width"}
    torch.onnx.export(model, (torch.rand(1, 3, 64, 64),), str(path), input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": axes, "logits": axes}, opset_version=OPSET, dynamo=False)


def export_all(inpaint_ckpt: Path | None, detect_ckpt: Path | None, models_dir: Path = MODELS_DIR,
               threshold: float = 0.5) -> list[dict]:
    entries = []
    if inpaint_ckpt:
        export_inpaint(load("inpaint", inpaint_ckpt), models_dir / "inpaint.onnx")
        entries.append(update_entry({
            "name": "inpaint", "task": "inpainting", "file": "inpaint.onnx", "card": "repair.md",
            "license": "Apache-2.0 (weights trained by captag)", "source": DATA,
            "preprocessing": {"prefilled": "RGB float32 in [0,1], damaged pixels filled by OpenCV Telea (radius 3), sides multiple of 16",
                              "valid": "1 = keep, 0 = fill (the adapter converts from the public 255 = fill mask)"},
        }, models_dir))
    if detect_ckpt:
        export_detector(load("detect", detect_ckpt), models_dir / "damage_detector.onnx")
        entries.append(update_entry({
            "name": "damage-detector", "task": "damage-detection", "file": "damage_detector.onnx", "card": "repair.md",
            "threshold": threshold,
            "license": "Apache-2.0 (weights trained by captag)", "source": DATA,
            "preprocessing": {"image": "RGB float32 in [0,1], long side <= 768, sides multiple of 16",
                              "logits": "sigmoid > threshold -> 255 (damaged)"},
        }, models_dir))
    return entries


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--inpaint", type=Path, default=Path("runs/inpaint/last.pt"))
    ap.add_argument("--detect", type=Path, default=Path("runs/detect/last.pt"))
    ap.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    args = ap.parse_args(argv)
    for e in export_all(args.inpaint if args.inpaint.exists() else None,
                        args.detect if args.detect.exists() else None, args.models_dir):
        print(e["name"], e["size"])


if __name__ == "__main__":
    main()
