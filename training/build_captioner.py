"""One command from dataset to bundled model: features -> training -> ONNX -> evaluation -> manifest + card.

    python -m training.build_captioner [--time-limit 60] [train_captioner options]
"""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from pathlib import Path

from training import evaluate_captioner, export_captioner, extract_features, train_captioner, train_scst
from training.manifest_tool import MODELS_DIR, amend_entry
from training.model_card import caption_card, write_card
from training.run_utils import command_line

ENCODER = "efficientnet-lite2"
TITLES = {"en": "English captioner (caption-en)", "ar": "Arabic captioner (caption-ar)"}


def record_command(run: Path, command: str) -> None:
    """Keep the command in the run's summary, so a card for a run that continues this one can name it."""
    path = run / "train_summary.json"
    path.write_text(json.dumps(dict(json.loads(path.read_text()), command=command), indent=1))


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--skip-train", action="store_true", help="reuse the run's best.pt (and its self-critical run's)")
    ap.add_argument("--beam-size", type=int, default=3)
    ap.add_argument("--length-penalty", type=float, default=0.6)
    ap.add_argument("--quantize", action="store_true", help="int8 decoder weights (keeps the bundle under 40 MB)")
    ap.add_argument("--lang", default="en", choices=sorted(TITLES))
    ap.add_argument("--scst-minutes", type=float, default=0, help="then self-critical CIDEr-D training (0 = off)")
    ap.add_argument("--scst-lr", type=float, default=5e-5)
    ap.add_argument("--scst-flip", action="store_true", help="self-critical training sees mirrored photos too (--flip-features)")
    ap.add_argument("--scst-xe-weight", type=float, default=0.0, help="self-critical loss plus this x cross-entropy")
    ap.add_argument("--scst-top-lr-scale", type=float, default=1.0,
                    help="a tuned encoder top's LR in self-critical training, relative to --scst-lr (0 = frozen)")
    own, rest = ap.parse_known_args(argv)
    rest += ["--lang", own.lang]
    targs = train_captioner.parser().parse_args(rest)
    card = f"captioner-{own.lang}.md"
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    data = Path(targs.data)
    extract = ["--data", str(data), "--encoder", ENCODER, "--out", str(Path(targs.features).parent)]
    extract_features.main(extract)
    if targs.tune_top:  # the decoder reads, and tunes from, the output of the block below its top
        extract += ["--cut", str(targs.tune_top - 1)]
        extract_features.main(extract)
    if targs.flip_features:
        extract_features.main(extract + ["--flip"])
    run = Path(targs.out)
    command = command_line("training.build_captioner", argv, drop=("--skip-train",))
    if not own.skip_train:
        train_captioner.main(rest)
        record_command(run, command)
    if own.scst_minutes > 0:
        scst_run = run.with_name(run.name + "_scst")
        if not own.skip_train:
            flips = ["--flip-features", targs.flip_features] if own.scst_flip and targs.flip_features else []
            xe = ["--xe-weight", str(own.scst_xe_weight)] if own.scst_xe_weight else []
            train_scst.main(["--init", str(run / "best.pt"), "--features", targs.features, "--out", str(scst_run),
                             "--minutes", str(own.scst_minutes), "--lr", str(own.scst_lr),
                             "--top-lr-scale", str(own.scst_top_lr_scale)] + flips + xe)
        shutil.copyfile(run / "train_summary.json", scst_run / "train_summary.json")
        run = scst_run
    export_captioner.export_all(run, ENCODER, MODELS_DIR, card, own.quantize, own.lang)
    report = evaluate_captioner.evaluate(data, "dev", own.beam_size, own.length_penalty, lang=own.lang)
    (run / "eval_dev.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    metrics = {k: v for k, v in report.items() if k != "examples"}
    amend_entry(f"caption-{own.lang}-init", metrics_dev=metrics,
                decode={"beam_size": own.beam_size, "length_penalty": own.length_penalty})
    write_card(MODELS_DIR / card, caption_card(run, command, TITLES[own.lang], own.lang))
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
