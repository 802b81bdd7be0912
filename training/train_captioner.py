"""Train the caption decoder on cached encoder features, bounded in time.

Every epoch it decodes the dev split greedily, scores CIDEr-D, logs to
<out>/train.log and keeps the best checkpoint in <out>/best.pt.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from captag_desktop.core.text import Vocab, tokenize
from training.caption_model import CaptionDecoder, DecoderConfig, count_parameters
from training.extract_features import load_features
from training.flickr8k import read_captions, read_split
from training.metrics import caption_report
from training.run_utils import add_chain_totals, run_main, run_parser, seed_everything

log = logging.getLogger("train")


def make_groups(names, captions, rows, vocab: Vocab, max_len: int):
    """One row per image: its feature row and a (captions x max_len) token block."""
    per_image = max(len(captions.get(n, [])) for n in names)
    img_rows, toks, valid = [], [], []
    for n in names:
        caps = captions.get(n, [])
        block = np.full((per_image, max_len), vocab.pad_id, dtype=np.int64)
        for j, cap in enumerate(caps):
            ids = vocab.encode(cap, max_len)
            block[j, : len(ids)] = ids
        img_rows.append(rows[n])
        toks.append(block)
        valid.append([j < len(caps) for j in range(per_image)])
    return np.array(img_rows), np.stack(toks), np.array(valid)


def caption_loss(model: CaptionDecoder, feats: torch.Tensor, toks: np.ndarray, valid: np.ndarray, pad_id: int,
                 label_smoothing: float = 0.0) -> torch.Tensor:
    """Teacher-forced cross-entropy of each image's valid captions (toks: images x captions x max_len)."""
    image_index = torch.from_numpy(np.nonzero(valid)[0])
    toks = toks[valid]
    toks = torch.from_numpy(toks[:, : int((toks != pad_id).sum(1).max())])  # trim padding
    logits = model(feats, toks[:, :-1], image_index)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), toks[:, 1:].reshape(-1),
                           ignore_index=pad_id, label_smoothing=label_smoothing)


@torch.no_grad()
def greedy(model: CaptionDecoder, feats: torch.Tensor, vocab: Vocab, max_len: int) -> list[list[str]]:
    ck, cv = model.init_cache(feats)
    c = model.config
    b = feats.shape[0]
    sk = torch.zeros(c.n_layers, b, c.n_heads, 0, c.d_model // c.n_heads)
    sv = sk.clone()
    tok = torch.full((b,), vocab.bos_id, dtype=torch.long)
    out = []
    for t in range(max_len - 1):
        logp, sk, sv = model.step(tok, torch.tensor([t]), sk, sv, ck, cv)
        tok = logp.argmax(-1)
        out.append(tok)
    seqs = torch.stack(out, 1).tolist()
    return [vocab.decode(s) for s in seqs]


def evaluate(model, feats_all, rows, names, captions, vocab: Vocab, max_len) -> dict:
    model.eval()
    hyps = {}
    for i in range(0, len(names), 250):
        chunk = names[i : i + 250]
        f = torch.from_numpy(np.asarray(feats_all[[rows[n] for n in chunk]], dtype=np.float32))
        for n, words in zip(chunk, greedy(model, f, vocab, max_len)):
            hyps[n] = words
    refs = {n: [tokenize(c, vocab.lang) for c in captions[n]] for n in names}
    return caption_report(hyps, refs)


class FlippedFeatures:
    """Augmentation: with probability p, a train photo's features are replaced by those of its mirror
    image (cached by `extract_features --flip`). Flickr8k captions rarely say left or right."""

    def __init__(self, path: Path, p: float):
        feats, self.rows = load_features(path)
        self.feats, self.p = np.asarray(feats), p

    def swap_in(self, batch: np.ndarray, names: list[str]) -> None:
        for i, n in enumerate(names):
            if n in self.rows and np.random.random() < self.p:
                batch[i] = self.feats[self.rows[n]]


def add_flip_options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--flip-features", default=None, help="features of the mirrored train photos (augmentation)")
    ap.add_argument("--flip-prob", type=float, default=0.5)


def check_cut(features: Path, block: int) -> str:
    """The encoder that cached `features`, which must hold that block's output."""
    meta = json.loads(features.with_suffix(".json").read_text())
    cut = meta.get("cut")
    if cut != block:
        raise SystemExit(f"{features} holds block {cut}'s output; tuning from block {block + 1} needs "
                         f"`python -m training.extract_features --cut {block}`")
    return meta["encoder"]


def param_groups(model: CaptionDecoder, args) -> list[dict]:
    """The pretrained encoder top learns slower and is not decayed towards zero."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    top = [p for n, p in named if n.startswith("top.")]
    rest = [p for n, p in named if not n.startswith("top.")]
    groups = [{"params": rest}]
    if top:
        groups.append({"params": top, "lr": args.lr * args.top_lr_scale, "weight_decay": 0.0})
    return groups


def train(args) -> dict:
    seed_everything(args.seed)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    feats_all, rows = load_features(Path(args.features))
    feats_mem = np.asarray(feats_all)  # float16 in RAM; batches are cast on the fly
    flipped = FlippedFeatures(Path(args.flip_features), args.flip_prob) if args.flip_features else None
    captions = read_captions(Path(args.data), args.lang)
    train_names = [n for n in read_split(Path(args.data), "train") if n in rows]
    train_caps = captions
    if args.extra_captions:  # e.g. the teacher's captions (training.teacher_captions); never dev references
        extra = json.loads(Path(args.extra_captions).read_text(encoding="utf-8"))
        train_caps = {n: captions[n] + extra.get(n, []) for n in train_names}
    dev_names = [n for n in read_split(Path(args.data), "dev") if n in rows][: args.dev_limit or None]
    if args.init:  # fine-tune an existing decoder (e.g. on the Fast encoder's features): same vocabulary
        ckpt = torch.load(args.init, map_location="cpu", weights_only=True)
        vocab = Vocab.load(Path(args.init).parent / "vocab.json")
        cfg = DecoderConfig(**ckpt["config"])
        if args.tune_top:
            cfg.top_from = args.tune_top
            for path in filter(None, [args.features, args.flip_features]):
                cfg.top_encoder = check_cut(Path(path), args.tune_top - 1)
        model = CaptionDecoder(cfg)
        missing, unexpected = model.load_state_dict(ckpt["state_dict"], strict=False)
        if unexpected or any(not k.startswith("top.") for k in missing):  # only a new top may be missing
            raise ValueError(f"{args.init} does not fit: missing {missing[:3]}, unexpected {unexpected[:3]}")
        args.max_len = cfg.max_len  # the checkpoint's positions, whatever --max-len says
    else:
        if args.tune_top:
            raise SystemExit("--tune-top needs --init: a trained decoder's gradients, not a random one's, should reach the encoder")
        vocab = Vocab.build((c for n in train_names for c in captions[n]), args.min_count, args.lang)
        cfg = DecoderConfig(vocab_size=len(vocab), feat_dim=feats_mem.shape[2], n_regions=feats_mem.shape[1],
                            d_model=args.d_model, n_heads=args.heads, n_layers=args.layers, d_ff=args.d_model * 4,
                            max_len=args.max_len, dropout=args.dropout)
        model = CaptionDecoder(cfg)
    vocab.save(out / "vocab.json")
    log.info("vocab %d, params %d, train images %d, dev images %d", len(vocab), count_parameters(model), len(train_names), len(dev_names))
    g_rows, g_toks, g_valid = make_groups(train_names, train_caps, rows, vocab, args.max_len)
    steps_per_epoch = math.ceil(len(g_rows) / args.batch)
    total_steps = steps_per_epoch * args.epochs
    opt = torch.optim.AdamW(param_groups(model, args), lr=args.lr, weight_decay=args.weight_decay)
    warmup = min(1000, total_steps // 10 + 1)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, total_steps) / total_steps)))
    best = {"CIDEr-D": -1.0}
    start = time.time()
    history = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = np.random.permutation(len(g_rows))
        total_loss = 0.0
        for s in range(steps_per_epoch):
            idx = perm[s * args.batch : (s + 1) * args.batch]
            f = feats_mem[g_rows[idx]].astype(np.float32)
            if flipped:
                flipped.swap_in(f, [train_names[i] for i in idx])
            loss = caption_loss(model, torch.from_numpy(f), g_toks[idx], g_valid[idx], vocab.pad_id, args.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total_loss += loss.item()
            if s % 100 == 0:
                log.info("epoch %d step %d/%d loss %.3f %.0fs", epoch, s, steps_per_epoch, loss.item(), time.time() - start)
        report = evaluate(model, feats_mem, rows, dev_names, captions, vocab, args.max_len)
        report.update(epoch=epoch, train_loss=round(total_loss / steps_per_epoch, 4), seconds=round(time.time() - start))
        history.append(report)
        log.info("epoch %d dev %s", epoch, report)
        if report["CIDEr-D"] > best["CIDEr-D"]:
            best = report
            torch.save({"state_dict": model.state_dict(), "config": cfg.to_dict(), "report": report, "args": vars(args)}, out / "best.pt")
        (out / "history.json").write_text(json.dumps(history, indent=1))
        if time.time() - start > args.time_limit * 60:
            log.info("time limit reached after epoch %d", epoch)
            break
    summary = {"best_dev_greedy": best, "train_seconds": round(time.time() - start), "parameters": count_parameters(model),
               "vocab_size": len(vocab), "min_count": args.min_count, "lang": args.lang}
    if flipped:
        summary["augmentation"] = f"each train photo seen mirrored with probability {args.flip_prob:g} (its mirror image's features)"
    if args.tune_top:
        summary["top_parameters"] = count_parameters(model.top)
        summary["encoder_tuning"] = (f"encoder blocks {args.tune_top}+ and head tuned with the decoder at "
                                     f"{args.top_lr_scale:g} x its LR, batch-norm statistics frozen")
    add_chain_totals(summary, args.init)
    (out / "train_summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def parser() -> argparse.ArgumentParser:
    ap = run_parser(__doc__, "runs/captioner", seed=13)
    ap.add_argument("--lang", choices=["en", "ar"], default="en", help="caption language (Flickr8k has both)")
    ap.add_argument("--init", default=None, help="start from this checkpoint (its vocab.json alongside)")
    ap.add_argument("--tune-top", type=int, default=0,
                    help="also tune the encoder's blocks from this one on (needs --init and --features of block N-1)")
    ap.add_argument("--top-lr-scale", type=float, default=0.1, help="the tuned encoder blocks' LR relative to --lr")
    ap.add_argument("--extra-captions", default=None, help="JSON {photo: [captions]} added to the train captions")
    add_flip_options(ap)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--time-limit", type=float, default=60.0, help="minutes")
    ap.add_argument("--batch", type=int, default=16, help="images per step (all their captions)")
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--d-model", type=int, default=256)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--max-len", type=int, default=24)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--dev-limit", type=int, default=0)
    return ap


main = run_main(parser, train)


if __name__ == "__main__":
    main()
