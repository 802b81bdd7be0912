"""One command from teacher features to the bundled "Fast" encoder and its card:
distil -> ONNX export -> manifest -> caption evaluation of both encoders on dev -> card.

    python -m training.build_fast_encoder [--skip-train] [distill_encoder options]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from captag_desktop.core import preprocess
from captag_desktop.core.beam_search import DecodeOptions
from training import distill_encoder, evaluate_captioner
from training.manifest_tool import MODELS_DIR, update_entry
from training.student_encoder import STAGES, StudentEncoder

FILE = "encoder_fast.onnx"
CARD = "encoder-fast.md"


def export_student(ckpt: Path, path: Path) -> None:
    student = StudentEncoder()
    student.load_state_dict(torch.load(ckpt, map_location="cpu", weights_only=True)["state_dict"])
    student.eval()
    dummy = torch.zeros(1, 3, preprocess.ENCODER_SIZE, preprocess.ENCODER_SIZE)
    torch.onnx.export(student, (dummy,), str(path), input_names=["pixels"], output_names=["features"],
                      dynamic_axes={"pixels": {0: "batch"}, "features": {0: "batch"}}, opset_version=17, dynamo=False)


def card(run: Path, command: str, quality: dict, fast: dict, bench: dict | None) -> str:
    s = json.loads((run / "train_summary.json").read_text())
    rows = [
        ("Data", "Flickr8k train split photos (6,000, 224x224), horizontal flips; teacher features cached by "
                 "`training/extract_features.py`. Hodosh, Young & Hockenmaier 2013, research use."),
        ("License", "Apache-2.0 weights trained by captag; teacher EfficientNet-Lite2 (Apache-2.0, ImageNet)."),
        ("Command", f"`{command}`"),
        ("Training time", f"{s['train_seconds'] / 60:.1f} min, {s['steps']} steps, on 2 CPU cores"),
        ("Architecture", f"4x4 stride-4 stem, depthwise-separable stages {STAGES}, 1x1 projection to the teacher's "
                         "1280 channels; no classifier at run time"),
        ("Parameters", f"{s['parameters']:,}"),
        ("MACs per photo", f"{s['student_macs'] / 1e6:.1f}M vs the teacher's {s['teacher_macs'] / 1e6:.1f}M "
                           f"({s['teacher_macs'] / s['student_macs']:.1f}x fewer)"),
        ("Loss", "feature MSE + 0.5 x T^2 KL(teacher || student), T = 4, on ImageNet logits"),
        ("Dev feature fit", f"MSE {s['best_dev']['dev_feature_mse']}, pooled cosine {s['best_dev']['dev_pooled_cosine']}"),
    ]
    keys = ["BLEU-1", "BLEU-4", "CIDEr-D", "most_common_caption_share", "median_caption_ms"]
    lines = ["# Fast encoder (encoder-fast)", "",
             "A small CNN distilled from the Quality encoder (EfficientNet-Lite2); the English caption decoder "
             "runs on its features unchanged.", "", "| | |", "|---|---|"]
    lines += [f"| {a} | {b} |" for a, b in rows]
    lines += ["", f"## Captions on the dev split ({fast['images']} photos, beam {fast['beam_size']}), app code path", "",
              "| | Quality | Fast |", "|---|---|---|"]
    lines += [f"| {k} | {quality[k]} | {fast[k]} |" for k in keys]
    drop = 1 - fast["CIDEr-D"] / quality["CIDEr-D"]
    lines += ["", f"CIDEr-D drop: {drop:.1%} relative to Quality. Reproduce with "
              "`python -m training.evaluate_captioner --encoder fast` (and `--encoder quality`)."]
    if bench:
        lines += ["", f"Encoder time, median over photos in one `captag bench --json` run: Quality "
                  f"{bench['quality']} ms, Fast {bench['fast']} ms ({bench['quality'] / bench['fast']:.1f}x)."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--limit-eval", type=int, default=0, help="dev photos to caption (0 = all)")
    own, rest = ap.parse_known_args(argv)
    dargs = distill_encoder.parser().parse_args(rest)
    run = Path(dargs.out)
    if not own.skip_train:
        distill_encoder.main(rest)
    export_student(run / "best.pt", MODELS_DIR / FILE)
    update_entry({"name": "encoder-fast", "task": "image-encoder", "file": FILE, "card": CARD,
                  "license": "Apache-2.0 (weights trained by captag)",
                  "source": "distilled from encoder-quality by training/distill_encoder.py",
                  "preprocessing": {"resize": [preprocess.ENCODER_SIZE, preprocess.ENCODER_SIZE],
                                    "scale": f"(x - {preprocess.PIXEL_MEAN}) / {preprocess.PIXEL_STD}",
                                    "layout": "NCHW RGB float32"}}, MODELS_DIR)
    opts = DecodeOptions(3, 0.6)
    reports = {kind: evaluate_captioner.evaluate(Path(dargs.data), "dev", opts, kind, limit=own.limit_eval)
               for kind in ("quality", "fast")}
    for kind, rep in reports.items():
        (run / f"eval_dev_{kind}.json").write_text(json.dumps(rep, indent=1))
    from captag_desktop.core.bench import run_bench

    timed = run_bench([], runs=30, encoder="both")["encoders"]
    bench = {kind: timed[kind]["encode_ms"] for kind in ("quality", "fast")}
    command = "python -m training.build_fast_encoder " + " ".join(a for a in argv if a != "--skip-train")
    (MODELS_DIR / CARD).write_text(card(run, command.strip(), reports["quality"], reports["fast"], bench), encoding="utf-8")
    print(json.dumps({k: {m: v for m, v in r.items() if m != "examples"} for k, r in reports.items()}))


if __name__ == "__main__":
    main()
