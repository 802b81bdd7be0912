"""Export the hashtag GRU to ONNX (init + step graphs) and register it in the manifest."""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import torch

from training.hashtag_model import HashtagConfig, HashtagGRU
from training.manifest_tool import MODELS_DIR, update_entry
from training.run_utils import MethodAsModule

DATA = "Flickr8k train split (6,000 images); targets are caption keywords shared by >= 2 of 5 captions"


def load(run: Path) -> HashtagGRU:
    ckpt = torch.load(run / "hashtag_gru.pt", map_location="cpu", weights_only=True)
    model = HashtagGRU(HashtagConfig(**ckpt["config"]))
    model.load_state_dict(ckpt["state_dict"])
    return model.eval()


def export_all(run: Path, models_dir: Path = MODELS_DIR, metrics: dict | None = None) -> list[dict]:
    model = load(run)
    c = model.config
    pooled = torch.zeros(1, c.feat_dim)
    torch.onnx.export(MethodAsModule(model, "init_state"), (pooled,), str(models_dir / "hashtag_init.onnx"), input_names=["pooled"],
                      output_names=["h", "img", "relevance"],
                      dynamic_axes={n: {0: "batch"} for n in ("pooled", "h", "img", "relevance")},
                      opset_version=17, dynamo=False)
    h = torch.zeros(1, c.hidden)
    torch.onnx.export(MethodAsModule(model, "step"), (torch.tensor([0]), h, h), str(models_dir / "hashtag_step.onnx"),
                      input_names=["token", "h", "img"], output_names=["logits", "new_h"],
                      dynamic_axes={n: {0: "batch"} for n in ("token", "h", "img", "logits", "new_h")},
                      opset_version=17, dynamo=False)
    shutil.copyfile(run / "tags.json", models_dir / "hashtag_tags.json")
    common = {"license": "Apache-2.0 (weights trained by captag)", "card": "hashtags-en.md", "source": DATA}
    entries = [
        {"name": "hashtag-init", "task": "hashtag-generator-init", "file": "hashtag_init.onnx", "config": c.to_dict(),
         "preprocessing": {"pooled": "mean over regions of the encoder-quality features"},
         "metrics_dev": metrics or {}, **common},
        {"name": "hashtag-step", "task": "hashtag-generator-step", "file": "hashtag_step.onnx", **common},
        {"name": "hashtag-tags", "task": "vocabulary", "file": "hashtag_tags.json", **common},
    ]
    return [update_entry(e, models_dir) for e in entries]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--run", type=Path, default=Path("runs/hashtags"))
    ap.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    args = ap.parse_args(argv)
    metrics_path = args.run / "eval_dev.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else None
    for e in export_all(args.run, args.models_dir, metrics):
        print(e["name"], e["size"])


if __name__ == "__main__":
    main()
