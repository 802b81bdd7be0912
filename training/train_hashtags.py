"""Train the hashtag GRU on cached encoder features; evaluate, export ONNX, write the card.

Targets per photo are the caption keywords (captag_desktop.core.hashtags, the same
code the app uses) that at least 2 of its 5 human captions share, most shared first.

    python -m training.train_hashtags [--minutes 15]
"""
from __future__ import annotations

import json
import logging
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from captag_desktop.core.hashtag_model import image_embedding
from captag_desktop.core.hashtags import extract_keywords
from training.extract_features import load_features
from training.flickr8k import read_captions, read_split
from training.hashtag_model import BOS, EOS, FIRST_TAG, HashtagConfig, HashtagGRU
from training.run_utils import run_main, run_parser, seed_everything

log = logging.getLogger("hashtags")


def image_targets(caps: list[str], min_shared: int = 2, max_tags: int = 10) -> tuple[list[str], dict[str, str]]:
    counts, shown = Counter(), {}
    for c in caps:
        tags = {t.key: t.text for t in extract_keywords(c)}
        counts.update(tags.keys())
        for k, v in tags.items():
            shown.setdefault(k, v)
    keys = [k for k, n in sorted(counts.items(), key=lambda x: (-x[1], x[0])) if n >= min_shared]
    return keys[:max_tags], shown


def build_vocab(names, captions, min_images: int = 3):
    per_image, shown_all, df = {}, Counter(), Counter()
    for n in names:
        keys, shown = image_targets(captions[n])
        per_image[n] = keys
        df.update(keys)
        for k in keys:
            shown_all[(k, shown[k])] += 1
    vocab = sorted(k for k, c in df.items() if c >= min_images)
    display = {}
    for (k, text), _ in shown_all.most_common():
        display.setdefault(k, text)
    return vocab, {k: display[k] for k in vocab}, per_image


def encode_targets(names, targets, index, rows, max_tags):
    seqs = [[BOS] + [index[k] for k in targets[n] if k in index][: max_tags - 1] + [EOS] for n in names]
    tok = np.full((len(seqs), max(len(s) for s in seqs)), -100, dtype=np.int64)
    for i, s in enumerate(seqs):
        tok[i, : len(s)] = s
    return tok, np.array([rows[n] for n in names])


def multi_hot(tok: torch.Tensor, size: int) -> torch.Tensor:
    """Target sequences (B,T) -> (B,V) with 1 for every tag present (BOS/EOS/padding excluded)."""
    hot = torch.zeros(tok.shape[0], size)
    valid = tok >= FIRST_TAG
    rows = torch.arange(tok.shape[0])[:, None].expand_as(tok)
    hot[rows[valid], tok[valid]] = 1.0
    return hot


@torch.no_grad()
def sequence_loss(model, pooled, x_rows, tok) -> float:
    model.eval()
    t = torch.from_numpy(tok)
    logits = model(torch.from_numpy(pooled[x_rows]), t[:, :-1].clamp(min=0))
    model.train()
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), t[:, 1:].reshape(-1), ignore_index=-100).item()


def train(args) -> dict:
    seed_everything(args.seed)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = Path(args.data)
    captions = read_captions(data, "en")
    feats, rows = load_features(Path(args.features))
    pooled = np.concatenate([image_embedding(np.asarray(feats[i:i + 500])) for i in range(0, len(feats), 500)])
    train_names = [n for n in read_split(data, "train") if n in rows]
    vocab, display, targets = build_vocab(train_names, captions, args.min_images)
    index = {k: i + FIRST_TAG for i, k in enumerate(vocab)}
    cfg = HashtagConfig(n_tags=len(vocab), feat_dim=pooled.shape[1], hidden=args.hidden, dropout=args.dropout)
    model = HashtagGRU(cfg)
    tok, x_rows = encode_targets(train_names, targets, index, rows, cfg.max_tags)
    dev_names = [n for n in read_split(data, "dev") if n in rows]
    dev_targets = {n: image_targets(captions[n])[0] for n in dev_names}
    dev_tok, dev_rows = encode_targets(dev_names, dev_targets, index, rows, cfg.max_tags)
    best_dev, best_state = float("inf"), None
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    start, epoch = time.time(), 0
    while epoch < args.epochs and time.time() - start < args.minutes * 60:
        epoch += 1
        model.train()
        perm = np.random.permutation(len(tok))
        total = 0.0
        for b in range(0, len(perm), args.batch):
            idx = perm[b:b + args.batch]
            t = torch.from_numpy(tok[idx])
            inp = t[:, :-1].clamp(min=0)
            x = torch.from_numpy(pooled[x_rows[idx]])
            logits = model(x, inp)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), t[:, 1:].reshape(-1), ignore_index=-100,
                                   label_smoothing=0.05)
            loss = loss + args.relevance_weight * F.binary_cross_entropy_with_logits(
                model.relevance_logits(x), multi_hot(t, logits.shape[-1]))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        dev_loss = sequence_loss(model, pooled, dev_rows, dev_tok)
        log.info("epoch %d loss %.4f dev loss %.4f %.0fs", epoch, total / len(perm), dev_loss, time.time() - start)
        if dev_loss < best_dev:  # keep the epoch that generalises best
            best_dev, best_state = dev_loss, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    torch.save({"state_dict": model.state_dict(), "config": cfg.to_dict()}, out / "hashtag_gru.pt")
    (out / "tags.json").write_text(json.dumps({"tags": vocab, "display": [display[k] for k in vocab]}, ensure_ascii=False))
    summary = {"epochs": epoch, "best_dev_loss": round(best_dev, 4), "train_seconds": round(time.time() - start), "tags": len(vocab),
               "parameters": sum(p.numel() for p in model.parameters())}
    (out / "train_summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def parser():
    ap = run_parser(__doc__, "runs/hashtags", seed=5)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--minutes", type=float, default=15)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--hidden", type=int, default=384)
    ap.add_argument("--dropout", type=float, default=0.5)
    ap.add_argument("--relevance-weight", type=float, default=20.0, help="multi-label BCE weight (BCE is per tag, so small)")
    ap.add_argument("--min-images", type=int, default=3)
    ap.add_argument("--skip-train", action="store_true", help="(build_hashtags) reuse the run")
    return ap


main = run_main(parser, train)


if __name__ == "__main__":
    main()
