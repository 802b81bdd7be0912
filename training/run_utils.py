"""Small helpers every training run shares: seeding, logging to the run folder, recording
which run a run continued, and wrapping one method of a model as a module for ONNX export."""
from __future__ import annotations

import argparse
import json
import logging
import random
from pathlib import Path

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


FEATURES = ".cache/features/efficientnet-lite2.npy"


def run_parser(description: str, out: str, seed: int) -> argparse.ArgumentParser:
    """A training script's parser with the options every run has: cached features,
    dataset folder, run folder, CPU threads and seed."""
    from training.flickr8k import DEFAULT_ROOT

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--features", default=FEATURES)
    ap.add_argument("--data", default=str(DEFAULT_ROOT))
    ap.add_argument("--out", default=out)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=seed)
    return ap


def log_to(out: str | Path) -> Path:
    """Create the run folder and log INFO lines to <out>/train.log and the console."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s",
                        handlers=[logging.FileHandler(out / "train.log"), logging.StreamHandler()])
    return out


class MethodAsModule(torch.nn.Module):
    """Exports `model.<method>(...)` as the graph's forward (e.g. an incremental step)."""

    def __init__(self, model: torch.nn.Module, method: str):
        super().__init__()
        self.model, self.method = model, method
        self.train(model.training)  # export restores the wrapper's mode on the model afterwards

    def forward(self, *args):
        return getattr(self.model, self.method)(*args)


def command_line(program: str, argv: list[str], drop: tuple[str, ...] = ()) -> str:
    """The command that reproduces a run, for its model card (`drop`: flags that must not appear)."""
    return " ".join(["python -m " + program, *(a for a in argv if a not in drop)])


def run_main(parser_fn, train_fn):
    """The shared command-line entry of a training script: parse, log to the run folder, train, print."""
    def main(argv=None):
        args = parser_fn().parse_args(argv)
        log_to(args.out)
        print(json.dumps(train_fn(args)))
    return main


def add_chain_totals(summary: dict, init: str | Path | None, prior: dict | None = None) -> dict:
    """Note in `summary` that the run continued the one that wrote `init`, with the whole chain's
    training time (and steps, when runs count them), for the model card. `prior` is that run's
    summary; by default it is read from the train_summary.json next to `init`."""
    if init and prior is None:
        earlier = Path(init).parent / "train_summary.json"
        prior = json.loads(earlier.read_text()) if earlier.exists() else None
    if not init or prior is None:
        return summary
    summary["continued_from"] = str(init)
    summary["total_train_seconds"] = summary["train_seconds"] + prior.get("total_train_seconds", prior.get("train_seconds", 0))
    if "steps" in summary:
        summary["total_steps"] = summary["steps"] + prior.get("total_steps", prior.get("steps", 0))
    return summary
