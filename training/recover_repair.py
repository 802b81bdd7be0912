"""Rebuild the inpainter's training run from the bundled ONNX graph and the repair card, to continue
training it when the original run folders are gone.

The inpainting graph keeps every parameter under its torch name, so the weights load exactly.
The card is the record of how the bundled models were trained: the run summaries written here
take their commands, steps and minutes from it, so a later card still names every phase. The
detector's run gets its summary only (its graph folds batch norm into the convolutions, so it
cannot be trained on from there); build_repair keeps the bundled detector when its run has no
checkpoint.

    python -m training.recover_repair --out runs/inpaint_recovered
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import torch

from training.manifest_tool import MODELS_DIR
from training.repair_models import DamageNet, InpaintNet
from training.run_utils import command_line
from training.train_repair import save_checkpoint

CARD = "repair.md"
DETECT_RUN = Path("runs/detect")  # where build_repair reads the detector's run
_PHASES = re.compile(r"`([^`]*)`")
_SCHEDULE = re.compile(r"(\d+) steps of (\d+) crops at (\d+)px in (\d+) min")


def inpainter_from_onnx(path: Path) -> InpaintNet:
    import onnx
    from onnx import numpy_helper

    consts = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}
    deep = sum(f"{name}.a.conv.weight" in consts for name in ("refine3", "refine_b2", "refine_b3", "refine1.0", "refine_full.1"))
    model = InpaintNet(c=consts["e1.conv.weight"].shape[0] // 2, deep=deep)
    state = model.state_dict()
    missing = sorted(set(state) - set(consts))
    if missing:  # the exporter folds constants of equal value into one: an untrained net's zero blocks share it
        raise ValueError(f"{path}: no graph constant for {missing[:5]} (only a trained net's graph can be recovered)")
    model.load_state_dict({k: torch.tensor(consts[k].copy()) for k in state})
    return model


def card_runs(card: str) -> dict[str, dict]:
    """Per task (inpaint, detect): the phases the card's Command row lists for it, and the steps,
    batch, crop and minutes of its description row. Every phase but the detector's and the build
    step belongs to the inpainter (a `cp` of a run folder too)."""
    rows = {line.split("|")[1].strip(): line for line in card.splitlines() if line.startswith("| ")}
    phases = _PHASES.findall(rows["Command"])
    runs = {}
    for task, row in (("inpaint", "Inpainting net"), ("detect", "Detector")):
        steps, batch, crop, minutes = map(int, _SCHEDULE.search(rows[row]).groups())
        runs[task] = {"task": task, "steps": steps, "batch": batch, "crop": crop, "train_seconds": minutes * 60,
                      "command": " then ".join(p for p in phases if ("--task detect" in p) == (task == "detect")
                                               and "training.build_repair" not in p)}
    return runs


def write_summary(out: Path, run: dict, net: torch.nn.Module) -> None:
    run["parameters"] = sum(p.numel() for p in net.parameters())
    out.mkdir(parents=True, exist_ok=True)
    (out / "train_summary.json").write_text(json.dumps(run, indent=1) + "\n")


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("runs/inpaint_recovered"))
    ap.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    args = ap.parse_args(argv)
    runs = card_runs((args.models_dir / CARD).read_text(encoding="utf-8"))
    runs["inpaint"]["command"] += " then " + command_line("training.recover_repair", argv)
    model = inpainter_from_onnx(args.models_dir / "inpaint.onnx")
    write_summary(args.out, runs["inpaint"], model)
    if (DETECT_RUN / "last.pt").exists():
        print(f"{DETECT_RUN} holds a detector run of its own; its summary stays")
    else:
        write_summary(DETECT_RUN, runs["detect"], DamageNet())
    # The optimiser state is gone; a phase started from here with --init begins with a fresh one.
    opt = torch.optim.Adam(model.parameters())
    save_checkpoint(args.out / "last.pt", model, opt, runs["inpaint"]["steps"], runs["inpaint"]["train_seconds"])
    print(f"{args.out / 'last.pt'}: {runs['inpaint']['parameters']:,} parameters, {runs['inpaint']['steps']} steps")


if __name__ == "__main__":
    main()
