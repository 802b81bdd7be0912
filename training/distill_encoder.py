"""Distil the EfficientNet-Lite2 encoder into the small student (training/student_encoder.py).

Loss: feature distillation on the teacher's 7x7x1280 region features (what the caption decoder
attends to) plus T^2 * KL(teacher || student) on ImageNet logits softened with temperature T
(Hinton et al. 2015). The features are ReLU6 outputs, so the feature term is the partial L2 of
Heo et al. 2019 on the student's pre-activation: where the teacher is 0 only a positive student
value is penalised, where it is 6 only a smaller one, elsewhere the squared difference; a
plain MSE after the ReLU6 gives no gradient where the student is wrongly clipped. The teacher's
features come from the cache of training/extract_features.py and its logits from its own
classifier on them, so the teacher never runs here. Augmentation: horizontal flips, with
the teacher's feature map flipped to match. Time-bounded; the best dev checkpoint is kept.

With --caption-decoder, a third term is the cross-entropy of one of the photo's human captions
through that frozen decoder on the student's features. The feature term weighs all 1280
channels alike; this one spends the student's small capacity on what the decoder reads.

    python -m training.distill_encoder --out runs/student --minutes 30
"""
from __future__ import annotations

import copy
import json
import logging
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from captag_desktop.core.images import load_image
from captag_desktop.core.preprocess import PIXEL_MEAN, PIXEL_STD
from captag_desktop.core.text import Vocab
from training.encoder_model import load_encoder
from training.extract_features import load_features
from training.flickr8k import image_path, load_photos, read_captions, read_split
from training.run_utils import add_chain_totals, run_main, run_parser, seed_everything
from training.student_encoder import BLOCKS, StudentEncoder, conv_flops
from training.train_captioner import caption_loss, make_groups

log = logging.getLogger("distill")


def to_pixels(batch: np.ndarray) -> torch.Tensor:
    """uint8 N x 224 x 224 x 3 -> the encoder's normalised N x 3 x 224 x 224 (as preprocess.encoder_input)."""
    x = torch.from_numpy(np.ascontiguousarray(batch)).float()
    return ((x - PIXEL_MEAN) / PIXEL_STD).permute(0, 3, 1, 2).contiguous()


def flip_features(f: torch.Tensor, grid: int = 7) -> torch.Tensor:
    """Mirror B x (grid*grid) x C region features left-right."""
    b, n, c = f.shape
    return f.view(b, grid, grid, c).flip(2).reshape(b, n, c)


def partial_l2(pre: torch.Tensor, target: torch.Tensor, top: float = 6.0) -> torch.Tensor:
    diff = torch.where(target <= 0, F.relu(pre), torch.where(target >= top, F.relu(top - pre), pre - target))
    return (diff ** 2).mean()


class CaptionTerm:
    """Cross-entropy of human captions through a frozen caption decoder, on the student's features."""

    def __init__(self, ckpt: Path, data: Path, names: list[str]):
        from training.export_captioner import load_decoder

        self.decoder = load_decoder(ckpt).eval()  # no dropout: the decoder is a fixed judge here
        for p in self.decoder.parameters():
            p.requires_grad_(False)
        self.vocab = Vocab.load(ckpt.parent / "vocab.json")
        self.captions = read_captions(data, self.vocab.lang)
        self._use(names)

    def _use(self, names: list[str]) -> None:
        rows = {n: i for i, n in enumerate(names)}
        _, self.toks, self.valid = make_groups(names, self.captions, rows, self.vocab, self.decoder.config.max_len)

    def for_names(self, names: list[str]) -> CaptionTerm:
        """The same frozen decoder and captions, scoring other photos (the dev split)."""
        other = copy.copy(self)
        other._use(names)
        return other

    def __call__(self, feats: torch.Tensor, idx: np.ndarray, rng: np.random.Generator | None = None) -> torch.Tensor:
        """With rng, one random caption per photo (training); without, all of them (dev)."""
        valid = self.valid[idx]
        if rng is not None:
            pick = np.array([rng.choice(np.flatnonzero(v)) for v in valid])
            valid = np.zeros_like(valid)
            valid[np.arange(len(idx)), pick] = True
        return caption_loss(self.decoder, feats, self.toks[idx], valid, self.vocab.pad_id)


def distill_loss(student, pixels, t_feats, t_logits, temperature: float, kl_weight: float,
                 caption=None, caption_weight: float = 0.0) -> tuple[torch.Tensor, dict]:
    """caption: feats -> caption cross-entropy (a bound CaptionTerm), or None."""
    pre = student.preactivation(pixels)
    s_feats = F.relu6(pre)
    mse = partial_l2(pre, t_feats)
    s_logp = F.log_softmax(student.logits(s_feats) / temperature, -1)
    t_p = F.softmax(t_logits / temperature, -1)
    kl = F.kl_div(s_logp, t_p, reduction="batchmean") * temperature**2
    loss = mse + kl_weight * kl
    parts = {"mse": mse.item(), "kl": kl.item()}
    if caption is not None:
        xe = caption(s_feats)
        loss = loss + caption_weight * xe
        parts["caption"] = xe.item()
    return loss, parts


@torch.no_grad()
def match_teacher_scale(student, backbone, photos) -> None:
    """Start the adapter's output at the mean and spread of the teacher's last-block output per
    channel, so the frozen head receives inputs on the scale it was trained for."""
    b = backbone.eval()
    x = b._swish(b._bn0(b._conv_stem(to_pixels(photos))))
    for block in b._blocks:
        x = block(x)
    bn = student.adapter[-1]
    bn.bias.copy_(x.mean((0, 2, 3)))
    bn.weight.copy_(x.std((0, 2, 3)))


@torch.no_grad()
def evaluate(student, photos, t_feats, caption: CaptionTerm | None = None) -> dict:
    student.eval()
    mse, cos, xe = [], [], []
    for i in range(0, len(photos), 100):
        s = student(to_pixels(photos[i : i + 100]))
        t = torch.from_numpy(t_feats[i : i + 100].astype(np.float32))
        mse.append(F.mse_loss(s, t).item())
        cos.append(F.cosine_similarity(s.mean(1), t.mean(1)).mean().item())
        if caption is not None:
            xe.append(caption(s, np.arange(i, i + len(s))).item())
    rep = {"dev_feature_mse": round(float(np.mean(mse)), 5), "dev_pooled_cosine": round(float(np.mean(cos)), 4)}
    if caption is not None:
        rep["dev_caption_xe"] = round(float(np.mean(xe)), 4)
    return rep


def dev_objective(rep: dict, caption_weight: float) -> float:
    """What picks the best checkpoint: the feature error, plus the caption term when it is trained."""
    return rep["dev_feature_mse"] + caption_weight * rep.get("dev_caption_xe", 0.0)


def train(args) -> dict:
    seed_everything(args.seed)
    torch.set_num_threads(args.threads)
    out, data = Path(args.out), Path(args.data)
    feats, rows = load_features(Path(args.features))
    train_names = read_split(data, "train")[: args.limit or None]
    dev_names = read_split(data, "dev")[: args.dev_limit or None]
    photos = load_photos(data, "train", args.limit, None if args.limit else Path(args.cache))
    dev_photos = np.stack([load_image(image_path(data, n)).rgb for n in dev_names])
    t_train = np.asarray(feats[[rows[n] for n in train_names]])
    t_dev = np.asarray(feats[[rows[n] for n in dev_names]])
    teacher = load_encoder(args.teacher)
    fc = teacher.backbone._fc.eval()  # the teacher's ImageNet classifier
    student = StudentEncoder(blocks=args.blocks)
    student.classifier.load_state_dict(fc.state_dict())  # same class space from the start
    student.load_teacher_head(teacher.backbone)
    if args.init:  # continue an earlier run (its adapter already matches the teacher's scale)
        student.load_state_dict(torch.load(args.init, map_location="cpu", weights_only=True)["state_dict"])
    else:
        match_teacher_scale(student, teacher.backbone, photos[:64])
    teacher_macs = conv_flops(teacher)
    caption = dev_caption = None
    if args.caption_decoder:
        caption = CaptionTerm(Path(args.caption_decoder), data, train_names)
        dev_caption = caption.for_names(dev_names)
    rng = np.random.default_rng(args.seed)
    log.info("student %d params, %.1fM MACs (teacher %.1fM); %d train / %d dev photos",
             sum(p.numel() for p in student.parameters()), conv_flops(student) / 1e6, teacher_macs / 1e6,
             len(photos), len(dev_photos))
    opt = torch.optim.AdamW([p for p in student.parameters() if p.requires_grad], lr=args.lr, weight_decay=args.weight_decay)
    best, history, step, start = None, [], 0, time.time()
    budget = args.minutes * 60

    def progress() -> float:
        """Share of the run done: of its time budget, or of --max-steps if that ends it sooner."""
        done = (time.time() - start) / budget
        return max(done, step / args.max_steps) if args.max_steps else done

    epoch = 0
    while progress() < 1:
        epoch += 1
        student.train()
        perm = np.random.permutation(len(photos))
        for b in range(0, len(perm) - args.batch + 1, args.batch):
            frac = min(1.0, progress())
            for g in opt.param_groups:  # cosine over the run (time or --max-steps), since the epoch count is unknown
                g["lr"] = args.lr * 0.5 * (1 + math.cos(math.pi * frac))
            idx = np.sort(perm[b : b + args.batch])
            pix = to_pixels(photos[idx])
            tf = torch.from_numpy(t_train[idx].astype(np.float32))
            flip = torch.rand(len(idx)) < 0.5
            pix[flip] = pix[flip].flip(3)
            tf[flip] = flip_features(tf[flip])
            with torch.no_grad():
                tl = fc(tf.mean(1))
            bound = (lambda f, i=idx: caption(f, i, rng)) if caption else None
            loss, parts = distill_loss(student, pix, tf, tl, args.temperature, args.kl_weight, bound, args.caption_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if step % 20 == 0:
                log.info("epoch %d step %d loss %.4f %s %.0fs", epoch, step, loss.item(),
                         " ".join(f"{k} {v:.4f}" for k, v in parts.items()), time.time() - start)
            if progress() >= 1:
                break
        rep = evaluate(student, dev_photos, t_dev, dev_caption)
        rep.update(epoch=epoch, step=step, seconds=round(time.time() - start))
        history.append(rep)
        log.info("epoch %d dev %s", epoch, rep)
        if best is None or dev_objective(rep, args.caption_weight) < dev_objective(best, args.caption_weight):
            best = rep
            torch.save({"state_dict": student.state_dict(), "report": rep, "args": vars(args)}, out / "best.pt")
        (out / "history.json").write_text(json.dumps(history, indent=1))
    summary = {"best_dev": best, "train_seconds": round(time.time() - start), "steps": step,
               "parameters": student.trainable_parameters(),
               "frozen_head_parameters": sum(p.numel() for p in student.head.parameters()),
               "student_macs": conv_flops(student), "teacher_macs": teacher_macs}
    add_chain_totals(summary, args.init)
    (out / "train_summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def parser():
    ap = run_parser(__doc__, "runs/student", seed=23)
    ap.add_argument("--teacher", default="efficientnet-lite2")
    ap.add_argument("--cache", default=".cache/train_photos_224.npy", help="train photos as one uint8 array")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--init", default=None, help="continue from this checkpoint")
    ap.add_argument("--batch", type=int, default=48)
    ap.add_argument("--blocks", type=int, default=BLOCKS, help="Lite0 blocks the student keeps (8-11 stay at 7x7)")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--temperature", type=float, default=4.0)
    ap.add_argument("--kl-weight", type=float, default=0.5)
    ap.add_argument("--caption-decoder", default=None, help="frozen caption decoder checkpoint for the caption term")
    ap.add_argument("--caption-weight", type=float, default=1.0, help="weight of the caption term (with --caption-decoder)")
    ap.add_argument("--max-steps", type=int, default=0,
                    help="also stop after N steps (tests: the same weights on a fast or a busy machine)")
    ap.add_argument("--limit", type=int, default=0, help="use the first N train photos (tests)")
    ap.add_argument("--dev-limit", type=int, default=0)
    return ap


main = run_main(parser, train)


if __name__ == "__main__":
    main()
