"""Train the inpainting net or the damage detector on Flickr8k train photos with
synthetic masks / rendered damage. Time-bounded; logs to <out>/train.log.

    python -m training.train_repair --task inpaint --minutes 30
    python -m training.train_repair --task detect --minutes 20
"""
from __future__ import annotations

import argparse
import functools
import json
import logging
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from captag_desktop.core.atomic import write_text_atomic
from captag_desktop.core.repair import inpaint_inputs
from training.flickr8k import DEFAULT_ROOT, load_photos
from training.repair_models import DamageNet, InpaintNet
from training.run_utils import command_line, log_to, seed_everything
from training.synthetic_damage import random_mask, render_damage

log = logging.getLogger("repair")


def _crop(rng, arrays, size):
    h, w = arrays[0].shape[:2]
    y, x = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
    flip = rng.random() < 0.5
    out = []
    for a in arrays:
        c = a[y:y + size, x:x + size]
        out.append(c[:, ::-1] if flip else c)
    return out


def inpaint_batch(rng, photos, batch, size):
    """(prefilled, valid, photo): the net's inputs, made by the app's own `inpaint_inputs`, and the truth."""
    prefilled, valid, imgs = [], [], []
    for i in rng.integers(0, len(photos), batch):
        photo = photos[i]
        mask = random_mask(rng, *photo.shape[:2])  # at full scale, then cropped with the photo
        img, m = _crop(rng, [photo, mask], size)
        p, v = inpaint_inputs(np.ascontiguousarray(img), m > 0)
        prefilled.append(p)
        valid.append(v)
        imgs.append(img)
    img = torch.from_numpy(np.stack(imgs).astype(np.float32) / 255.0).permute(0, 3, 1, 2)
    return torch.from_numpy(np.concatenate(prefilled)), torch.from_numpy(np.concatenate(valid)), img


def detect_batch(rng, photos, batch, size, clean_fraction=0.25):
    imgs, masks = [], []
    for i in rng.integers(0, len(photos), batch):
        photo = photos[i]
        if rng.random() < clean_fraction:
            damaged, mask = photo, np.zeros(photo.shape[:2], np.uint8)
        else:
            damaged, mask = render_damage(rng, photo)
        img, m = _crop(rng, [damaged, mask], size)
        imgs.append(img)
        masks.append(m)
    img = torch.from_numpy(np.stack(imgs).astype(np.float32) / 255.0).permute(0, 3, 1, 2)
    return img, torch.from_numpy((np.stack(masks) > 0).astype(np.float32))[:, None]


def image_gradients(x):
    return x[..., 1:, :] - x[..., :-1, :], x[..., :, 1:] - x[..., :, :-1]


def psnr_in_hole(pred, img, hole):
    """Per-photo PSNR (dB) over the hole pixels, as training.image_metrics scores it (peak 1.0)."""
    mse = ((pred - img) ** 2 * hole).sum((1, 2, 3)) / (3 * hole.sum((1, 2, 3))).clamp(min=1)
    return -10 * torch.log10(mse + 1e-6)


def inpaint_loss(model, prefilled, valid, img, psnr_weight=0.0):
    """6 x L1 in the hole + 2 x gradient L1, minus psnr_weight x the batch's mean per-photo PSNR.
    The PSNR term is the dev metric itself: it weighs each photo's error relative to its own
    size, where L1 lets the photos with big holes dominate."""
    hole = 1 - valid
    pred = model.raw(prefilled, valid)
    l1_hole = (torch.abs(pred - img) * hole).sum() / hole.sum().clamp(min=1)
    comp = img * valid + pred * hole
    (gy_p, gx_p), (gy_t, gx_t) = image_gradients(comp), image_gradients(img)
    grad = F.l1_loss(gy_p, gy_t) + F.l1_loss(gx_p, gx_t)
    loss = 6 * l1_hole + 2 * grad
    if psnr_weight:
        loss = loss - psnr_weight * psnr_in_hole(pred, img, hole).mean()
    return loss


def detect_loss(model, img, mask, pos_weight=3.0):
    logits = model(img)
    bce = F.binary_cross_entropy_with_logits(logits, mask, pos_weight=torch.tensor(pos_weight))
    prob = torch.sigmoid(logits)
    inter = (prob * mask).sum((1, 2, 3))
    dice = 1 - (2 * inter + 1) / (prob.sum((1, 2, 3)) + mask.sum((1, 2, 3)) + 1)
    return bce + 0.5 * dice.mean()


def grow_from(model, init: Path) -> tuple[int, float]:
    """Load another run's weights into a net that may have extra (function-preserving) blocks;
    anything else that does not match is an error. Returns that run's step count and seconds."""
    state = torch.load(init, map_location="cpu", weights_only=True)
    try:
        missing, unexpected = model.load_state_dict(state["model"], strict=False)
    except RuntimeError as e:  # same names, other shapes
        raise SystemExit(f"{init} does not fit this net: {e}") from e
    if unexpected or any(not k.startswith("refine") for k in missing):
        raise SystemExit(f"{init} does not fit this net: missing {missing}, unexpected {unexpected}")
    return state["step"], state.get("seconds", 0.0)


def save_checkpoint(path: Path, model, opt, step: int, seconds: float, ema: dict | None = None) -> None:
    state = {"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "seconds": seconds,
             "config": getattr(model, "config", {})}
    if ema is not None:
        state["ema"] = ema
    torch.save(state, path)


class WeightAverage:
    """An exponential moving average of the weights. Batches of 8 make single steps noisy;
    the average is what gets exported when a run keeps one."""

    def __init__(self, model, decay: float, state: dict | None = None):
        self.decay = decay
        self.weights = {k: v.detach().clone() for k, v in (state or model.state_dict()).items()}

    def update(self, model) -> None:
        with torch.no_grad():
            for k, v in model.state_dict().items():
                if v.is_floating_point():
                    self.weights[k].lerp_(v, 1 - self.decay)
                else:
                    self.weights[k].copy_(v)


def start_state(args, net_cls, ckpt: Path):
    """(net, optimiser, steps so far, seconds so far, weight average or None): resumed from ckpt
    with --resume, grown from --init, or fresh. A resumed net keeps its shape; a fresh one takes
    it from the flags. Earlier phases' commands are put before this one's, so the card names
    every phase."""
    state = torch.load(ckpt, map_location="cpu", weights_only=True) if ckpt.exists() and args.resume else None
    config = state.get("config", {}) if state else ({"deep": args.deep} if args.task == "inpaint" else {})
    if args.init and not state and args.task == "inpaint":  # --init keeps the levels it has; --deep may add more
        grown = torch.load(args.init, map_location="cpu", weights_only=True).get("config", {})
        config = {**grown, "deep": max(args.deep, grown.get("deep", 0))}
    model = net_cls(**config)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    step, seconds, previous = 0, 0.0, None
    if state:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        for g in opt.param_groups:  # a resumed run uses this run's --lr, not the checkpoint's
            g["lr"] = args.lr
        step, seconds, previous = state["step"], state.get("seconds", 0.0), ckpt.parent / "train_summary.json"
    elif args.init:
        step, seconds = grow_from(model, Path(args.init))
        previous = Path(args.init).parent / "train_summary.json"
    if previous and previous.exists():
        args.command = " then ".join(c for c in (json.loads(previous.read_text()).get("command"),
                                                 getattr(args, "command", "")) if c)
    average = WeightAverage(model, args.ema, state.get("ema") if state else None) if args.ema else None
    return model, opt, step, seconds, average


TASKS = {"inpaint": (InpaintNet, inpaint_batch, inpaint_loss), "detect": (DamageNet, detect_batch, detect_loss)}


def train(args) -> dict:
    seed_everything(args.seed)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    photos = load_photos(Path(args.data), "train", args.limit, None if args.limit else Path(args.cache))
    net_cls, make_batch, loss_fn = TASKS[args.task]
    if args.task == "inpaint" and args.psnr_weight:
        loss_fn = functools.partial(inpaint_loss, psnr_weight=args.psnr_weight)
    ckpt = out / "last.pt"
    model, opt, step, earlier, average = start_state(args, net_cls, ckpt)
    start, smooth = time.time(), None  # smooth: the loss's moving average, for the log
    rng = np.random.default_rng(args.seed + step)  # a resumed run does not replay the first run's batches
    log.info("%s: %d params, %d photos", args.task, sum(p.numel() for p in model.parameters()), len(photos))
    model.train()
    layout = torch.contiguous_format
    if args.compile:  # about 1.5x faster inpainting steps on this CPU (the first step takes ~40 s)
        layout = torch.channels_last
        model.to(memory_format=layout)
        model.raw = torch.compile(model.raw)  # the training loss calls raw(); state_dict() is unchanged

    def saved():
        save_checkpoint(ckpt, model, opt, step, earlier + time.time() - start, average.weights if average else None)

    while step < args.steps and time.time() - start < args.minutes * 60:
        if args.lr_final is not None:  # cosine from --lr to --lr-final over this run's time budget
            done = min(1.0, (time.time() - start) / (args.minutes * 60))
            for g in opt.param_groups:
                g["lr"] = args.lr_final + 0.5 * (args.lr - args.lr_final) * (1 + math.cos(math.pi * done))
        batch = [t.contiguous(memory_format=layout) if t.dim() == 4 else t
                 for t in make_batch(rng, photos, args.batch, args.crop)]
        loss = loss_fn(model, *batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if average:
            average.update(model)
        step += 1
        smooth = loss.item() if smooth is None else 0.98 * smooth + 0.02 * loss.item()
        if step % 50 == 0:
            log.info("step %d loss %.4f (smoothed %.4f) %.0fs", step, loss.item(), smooth, time.time() - start)
        if step % 500 == 0:
            saved()
    saved()
    summary = {"task": args.task, "steps": step, "batch": args.batch, "crop": args.crop, "final_loss_ema": smooth,
               "train_seconds": round(earlier + time.time() - start),
               "command": getattr(args, "command", ""), "parameters": sum(p.numel() for p in model.parameters())}
    write_text_atomic(out / "train_summary.json", json.dumps(summary, indent=1))  # a resumed run reads it back
    log.info("done %s", summary)
    return summary


def parser():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--task", choices=sorted(TASKS), required=True)
    ap.add_argument("--data", default=str(DEFAULT_ROOT))
    ap.add_argument("--out", default=None)
    ap.add_argument("--cache", default=".cache/train_photos_224.npy")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--steps", type=int, default=10**9)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=112)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-final", type=float, default=None, help="decay the learning rate to this by the end")
    ap.add_argument("--limit", type=int, default=0, help="only the first N photos (tests)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--deep", type=int, nargs="?", const=1, default=0,
                    help="inpaint: growth levels (1-4 add residual blocks, 5 a full-resolution stage; --deep alone means 1)")
    ap.add_argument("--ema", type=float, default=0.0,
                    help="keep a moving average of the weights with this decay (e.g. 0.999); export uses it")
    ap.add_argument("--compile", action="store_true", help="inpaint: torch.compile the net, channels-last")
    ap.add_argument("--init", default=None, help="start from this run's last.pt (may add --deep's blocks)")
    ap.add_argument("--psnr-weight", type=float, default=0.0,
                    help="inpaint: subtract this x the mean per-photo PSNR in the hole (dB) from the loss")
    return ap


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = parser()
    args = ap.parse_args(argv)
    if args.crop % 16:
        ap.error("--crop must be a multiple of 16 (the nets halve the size four times)")
    if args.compile and args.task != "inpaint":
        ap.error("--compile is for --task inpaint")
    args.command = command_line("training.train_repair", argv)
    args.out = args.out or f"runs/{args.task}"
    log_to(args.out)
    print(json.dumps(train(args)))


if __name__ == "__main__":
    main()
