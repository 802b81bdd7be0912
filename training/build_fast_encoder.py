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
from training import distill_encoder, evaluate_captioner
from training.int8_weights import MATMUL_NOTE
from training.quantize_encoder import WEIGHTS_NOTE, quantize_static_int8
from training.manifest_tool import MODELS_DIR, amend_entry, update_entry
from training.run_utils import add_chain_totals, command_line
from training.student_encoder import BLOCKS, INPUT_SIZE, STUDENT_BACKBONE, StudentEncoder

FILE = "encoder_fast.onnx"
CARD = "encoder-fast.md"


def load_student(ckpt: Path) -> StudentEncoder:
    saved = torch.load(ckpt, map_location="cpu", weights_only=True)
    student = StudentEncoder(pretrained=False, blocks=saved.get("args", {}).get("blocks", BLOCKS))
    student.load_state_dict(saved["state_dict"])
    return student.eval()


def export_student(ckpt: Path, path: Path) -> None:
    student = load_student(ckpt)
    dummy = torch.zeros(1, 3, preprocess.ENCODER_SIZE, preprocess.ENCODER_SIZE)
    torch.onnx.export(student, (dummy,), str(path), input_names=["pixels"], output_names=["features"],
                      dynamic_axes={"pixels": {0: "batch"}, "features": {0: "batch"}}, opset_version=17, dynamo=False)


def student_features(ckpt: Path, data: Path, flip: bool = False) -> Path:
    """The student's region features for the train and dev photos, for fine-tuning the decoder
    (flip: of the mirrored train photos, for augmentation)."""
    from training.extract_features import extract
    from training.flickr8k import read_split

    names = read_split(data, "train") + ([] if flip else read_split(data, "dev"))
    return extract(data, Path(".cache/features"), "student", names, model=load_student(ckpt), flip=flip)


def finetune_decoder(features: Path, init: Path, out: Path, minutes: float, data: Path,
                     teacher_captions: Path | None = None, flipped: Path | None = None) -> None:
    """Briefly adapt the English decoder to the student's features, then export it as caption-en-fast.
    With teacher_captions, the Quality path's caption of each train photo joins its human captions
    (sequence-level distillation); with flipped, mirrored photos' features augment the train photos."""
    from training.export_captioner import DATA_NOTES, export_decoder, load_decoder, quantize_int8
    from training.train_captioner import main as train_main

    extra = ["--extra-captions", str(teacher_captions)] if teacher_captions else []
    extra += ["--flip-features", str(flipped)] if flipped else []
    train_main(["--init", str(init), "--features", str(features), "--out", str(out), "--data", str(data),
                "--epochs", "3", "--lr", "1e-4", "--time-limit", str(minutes)] + extra)
    files = {part: MODELS_DIR / f"caption_en_fast_{part}.onnx" for part in ("init", "step")}
    export_decoder(load_decoder(out / "best.pt"), files["init"], files["step"])
    cfg = torch.load(out / "best.pt", map_location="cpu", weights_only=True)["config"]
    for part, path in files.items():
        quantize_int8(path)
        update_entry({"name": f"caption-en-fast-{part}", "task": f"caption-decoder-{part}", "file": path.name,
                      "config": cfg, "weights": MATMUL_NOTE, "card": CARD,
                      "license": "Apache-2.0 (weights trained by captag)",
                      "source": DATA_NOTES["en"] + "; fine-tuned on encoder-fast features"}, MODELS_DIR)


def training_chain(run: Path) -> dict:
    """This run's summary, with the time and steps of any runs it continued (best.pt args 'init')."""
    s = json.loads((run / "train_summary.json").read_text())
    init = torch.load(run / "best.pt", map_location="cpu", weights_only=True).get("args", {}).get("init")
    if init and "total_train_seconds" not in s:  # runs from before summaries recorded their chain
        add_chain_totals(s, init, training_chain(Path(init).parent))
    return s


def loss_note(run: Path) -> str:
    """The distillation loss of this run, from the arguments saved in its checkpoint."""
    a = torch.load(run / "best.pt", map_location="cpu", weights_only=True).get("args", {})
    note = (f"partial L2 on the pre-ReLU6 features (Heo et al. 2019) + {a.get('kl_weight', 0.5)} x T^2 "
            f"KL(teacher || student), T = {a.get('temperature', 4.0):g}, on ImageNet logits")
    if a.get("caption_decoder"):
        note += (f"; + {a['caption_weight']} x the cross-entropy of a human caption through the frozen decoder "
                 f"`{a['caption_decoder']}` on the student's features")
        if a.get("init"):
            note += f" (this run only; `{a['init']}` had no caption term)"
    return note


def weights_note(calibration_photos: int) -> str:
    return WEIGHTS_NOTE.format(n=calibration_photos) if calibration_photos else "float32"


def card(run: Path, command: str, quality: dict, fast: dict, bench: dict | None,
         teacher_captions: Path | None = None, flipped: bool = False, max_repeats: int = 1,
         calibration_photos: int = 0) -> str:
    s = training_chain(run)
    student = load_student(run / "best.pt")
    width = student.adapter[0].in_channels
    targets = "its human captions"
    if teacher_captions:
        targets += (f" plus the Quality path's captions of the train photos in `{teacher_captions}` (written by "
                    f"`python -m training.teacher_captions --max-repeats {max_repeats}`, which leaves out captions that "
                    f"more than {max_repeats} photo(s) share; sequence-level distillation, Kim & Rush 2016)")
    if flipped:
        targets += "; each train photo is seen mirrored half the time (the student's features of the mirrored photo)"
    rows = [
        ("Data", "Flickr8k train split photos (6,000, 224x224), horizontal flips; teacher features cached by "
                 "`training/extract_features.py`. Hodosh, Young & Hockenmaier 2013, research use."),
        ("License", "Apache-2.0 weights trained by captag; teacher EfficientNet-Lite2 (Apache-2.0, ImageNet)."),
        ("Command", f"`{command}`"),
        ("Training time", f"{s.get('total_train_seconds', s['train_seconds']) / 60:.1f} min, "
                          f"{s.get('total_steps', s['steps'])} steps of 48 photos, on 2 CPU cores"
                          + (f" (continued from `{s['continued_from']}`)" if "continued_from" in s else "")),
        ("Architecture", f"photo average-pooled to {INPUT_SIZE}px; the first {len(student.blocks)} MBConv (depthwise-separable) "
                         f"blocks of {STUDENT_BACKBONE} (ImageNet, Apache-2.0, PyPI) as initialisation, ending in a 7x7x{width} "
                         f"map; per-region adapter (1x1 convs {width}->352->352); the teacher's frozen 1x1 head (conv+BN+ReLU6) to "
                         "1280 channels. No classifier at run time. Decoder: the English decoder fine-tuned on these "
                         f"features (caption-en-fast, int8), with {targets}."),
        ("Parameters", f"{s['parameters']:,}"),
        ("Weights", weights_note(calibration_photos) + (" (`python -m training.quantize_encoder`)" if calibration_photos else "")),
        ("MACs per photo", f"{s['student_macs'] / 1e6:.1f}M vs the teacher's {s['teacher_macs'] / 1e6:.1f}M "
                           f"({s['teacher_macs'] / s['student_macs']:.1f}x fewer)"),
        ("Loss", loss_note(run)),
        ("Dev feature fit", f"MSE {s['best_dev']['dev_feature_mse']}, pooled cosine {s['best_dev']['dev_pooled_cosine']}"),
    ]
    keys = ["length_penalty", "BLEU-1", "BLEU-4", "CIDEr-D", "most_common_caption_share", "median_caption_ms"]
    lines = ["# Fast encoder (encoder-fast)", "",
             "A small CNN distilled from the Quality encoder (EfficientNet-Lite2) for slow computers, with the "
             "English caption decoder briefly fine-tuned on its features.", "", "| | |", "|---|---|"]
    lines += [f"| {a} | {b} |" for a, b in rows]
    lines += ["", f"## Captions on the dev split ({fast['images']} photos, beam {fast['beam_size']}), app code path", "",
              "Each path decodes as the app does, with its own decoder's length penalty.", "",
              "| | Quality | Fast |", "|---|---|---|"]
    lines += [f"| {k} | {quality[k]} | {fast[k]} |" for k in keys]
    drop = 1 - fast["CIDEr-D"] / quality["CIDEr-D"]
    lines += ["", f"CIDEr-D drop: {drop:.1%} relative to Quality. Reproduce with "
              "`python -m training.evaluate_captioner --encoder fast` (and `--encoder quality`)."]
    if bench:
        pre = bench["with_preprocessing"]
        lines += ["", f"Encoder network time, medians in one `captag bench --json` run: Quality {bench['quality']} ms, "
                  f"Fast {bench['fast']} ms ({bench['quality'] / bench['fast']:.1f}x faster). With the shared resize and "
                  f"normalisation of a 640x480 photo: {pre['quality']} ms vs {pre['fast']} ms "
                  f"({pre['quality'] / pre['fast']:.1f}x)."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--limit-eval", type=int, default=0, help="dev photos to caption (0 = all)")
    ap.add_argument("--finetune-minutes", type=float, default=0,
                    help="then adapt the English decoder to the student's features (0 = use it as is)")
    ap.add_argument("--decoder", default="runs/cap1_scst/best.pt", help="the bundled English decoder's checkpoint")
    ap.add_argument("--skip-distill", action="store_true", help="reuse the run's student, still fine-tune the decoder")
    ap.add_argument("--teacher-captions", type=Path, default=None,
                    help="JSON from training.teacher_captions: added to the decoder fine-tuning targets")
    ap.add_argument("--teacher-max-repeats", type=int, default=1,
                    help="when --teacher-captions does not exist yet, write it, keeping captions at most this many photos share")
    ap.add_argument("--flip-augment", action="store_true",
                    help="fine-tune the decoder on the mirrored train photos' student features too")
    ap.add_argument("--length-penalty", type=float, default=0.6,
                    help="the Fast decoder's beam-search length penalty, chosen on dev (saved in the manifest)")
    ap.add_argument("--calibration-photos", type=int, default=200,
                    help="int8-quantize the exported encoder, calibrated on this many train photos (0 = keep float32)")
    own, rest = ap.parse_known_args(argv)
    dargs = distill_encoder.parser().parse_args(rest)
    run = Path(dargs.out)
    if not (own.skip_train or own.skip_distill):
        distill_encoder.main(rest)
    export_student(run / "best.pt", MODELS_DIR / FILE)
    if own.calibration_photos:
        quantize_static_int8(MODELS_DIR / FILE, Path(dargs.data), own.calibration_photos)
    update_entry({"name": "encoder-fast", "task": "image-encoder", "file": FILE, "card": CARD,
                  "weights": weights_note(own.calibration_photos),
                  "license": "Apache-2.0 (weights trained by captag)",
                  "source": "distilled from encoder-quality by training/distill_encoder.py",
                  "preprocessing": {"resize": [preprocess.ENCODER_SIZE, preprocess.ENCODER_SIZE],
                                    "scale": f"(x - {preprocess.PIXEL_MEAN}) / {preprocess.PIXEL_STD}",
                                    "layout": "NCHW RGB float32"}}, MODELS_DIR)
    if own.finetune_minutes > 0 and not own.skip_train:  # --skip-train reuses the fine-tuned decoder too
        if own.teacher_captions and not own.teacher_captions.exists():  # from the bundled Quality decoder
            from training import teacher_captions

            teacher_captions.main(["--max-repeats", str(own.teacher_max_repeats), "--out", str(own.teacher_captions)])
        feats = student_features(run / "best.pt", Path(dargs.data))
        flipped = student_features(run / "best.pt", Path(dargs.data), flip=True) if own.flip_augment else None
        finetune_decoder(feats, Path(own.decoder), run.with_name(run.name + "_decoder"), own.finetune_minutes,
                         Path(dargs.data), own.teacher_captions, flipped)
    amend_entry("caption-en-fast-init", decode={"beam_size": 3, "length_penalty": own.length_penalty})
    # each path as the app runs it: its own decoder's beam size and length penalty
    reports = {kind: evaluate_captioner.evaluate(Path(dargs.data), "dev", None, encoder=kind, limit=own.limit_eval)
               for kind in ("quality", "fast")}
    for kind, rep in reports.items():
        (run / f"eval_dev_{kind}.json").write_text(json.dumps(rep, indent=1))
    from captag_desktop.core.bench import run_bench

    timed = run_bench([], runs=30, encoder="both")["encoders"]
    bench = {kind: timed[kind]["encoder_net_ms"] for kind in ("quality", "fast")}
    bench["with_preprocessing"] = {kind: timed[kind]["encode_ms"] for kind in ("quality", "fast")}
    command = command_line("training.build_fast_encoder", argv, drop=("--skip-train", "--skip-distill"))
    text = card(run, command, reports["quality"], reports["fast"], bench, own.teacher_captions, own.flip_augment,
                own.teacher_max_repeats, own.calibration_photos)
    (MODELS_DIR / CARD).write_text(text, encoding="utf-8")
    print(json.dumps({k: {m: v for m, v in r.items() if m != "examples"} for k, r in reports.items()}))


if __name__ == "__main__":
    main()
