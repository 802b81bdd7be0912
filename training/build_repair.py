"""One command: train the inpainting net and the damage detector -> ONNX -> dev evaluation -> manifest + card.

    python -m training.build_repair [--inpaint-minutes 30] [--detect-minutes 20]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from training import evaluate_repair, export_repair, train_repair
from training.manifest_tool import MODELS_DIR, amend_entry, remove_entry
from training.model_card import repair_card, write_card
from training.run_utils import command_line


def record_metrics(report: dict, models_dir: Path = MODELS_DIR) -> None:
    """The dev figures of the card, also on each bundled model's manifest entry (as the captioners have)."""
    names = {m["name"] for m in json.loads((models_dir / "manifest.json").read_text())["models"]}
    split = {"split": report["split"], "images": report["images"]}
    if "inpaint" in names:
        speed = {k: v for k, v in report.get("speed", {}).items() if k.startswith("repair")}
        amend_entry("inpaint", models_dir, metrics_dev={**split, **report["inpaint"], **speed})
    if "damage-detector" in names:
        d = report["detect"]
        amend_entry("damage-detector", models_dir, metrics_dev={**split, "threshold": d["bundled_threshold"], **d["at_bundled"],
                                                                 "detect_512_ms": report.get("speed", {}).get("detect_512_ms")})


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--inpaint-minutes", type=float, default=30)
    ap.add_argument("--detect-minutes", type=float, default=20)
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--inpaint-run", type=Path, default=Path("runs/inpaint"), help="the inpainting net's run folder")
    ap.add_argument("--images", type=int, default=200, help="dev photos to evaluate on")
    args = ap.parse_args(argv)
    runs = {"inpaint": args.inpaint_run, "detect": Path("runs/detect")}
    if not args.skip_train:
        train_repair.main(["--task", "inpaint", "--minutes", str(args.inpaint_minutes), "--crop", "224", "--threads", "2",
                           "--out", str(runs["inpaint"])])
        train_repair.main(["--task", "detect", "--minutes", str(args.detect_minutes), "--out", str(runs["detect"])])
    detector = runs["detect"] / "last.pt"
    if not detector.exists():  # a run recover_repair rebuilt has a summary only
        print(f"no {detector}: the bundled damage detector stays as it is")
    export_repair.export_all(runs["inpaint"] / "last.pt", detector if detector.exists() else None, MODELS_DIR)
    out = Path("runs/repair_eval.json")
    evaluate_repair.main(["--images", str(args.images), "--out", str(out)])
    report = json.loads(out.read_text())
    # Pick the detector threshold on dev: best IoU while flagging <= 1% of clean pixels. The
    # evaluation already swept every threshold, so recording the choice needs no second run.
    detect = report["detect"]
    best = detect["best_threshold_clean_le_1pct"]
    if best != detect["bundled_threshold"]:
        amend_entry("damage-detector", threshold=best)
        detect.update(bundled_threshold=best, at_bundled=detect["sweep"][str(best)])
        out.write_text(json.dumps(report, indent=1) + "\n")
    if report["inpaint"]["psnr_gain_over_telea_db"] <= 0:
        # Ship a learned inpainter only when it beats the classical fill it replaces.
        remove_entry("inpaint", MODELS_DIR)
    record_metrics(report, MODELS_DIR)
    # The card lists each training run's own command first, so its build step never retrains.
    command = command_line("training.build_repair --skip-train", argv, drop=("--skip-train",))
    write_card(MODELS_DIR / "repair.md", repair_card(runs["inpaint"], runs["detect"], out, command))
    print(report)


if __name__ == "__main__":
    main()
