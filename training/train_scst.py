"""Self-critical sequence training (Rennie et al. 2017) of the caption decoder on CIDEr-D.

Starts from the cross-entropy checkpoint. For each photo it samples K captions; each
sample's reward is its CIDEr-D against the photo's references minus the mean reward of
the other K-1 samples (the baseline of Luo 2020). Dev CIDEr-D (greedy) picks the best
checkpoint; time-bounded.

    python -m training.train_scst --init runs/cap1/best.pt --out runs/cap1_scst --minutes 30
"""
from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path

import numpy as np
import torch

from captag_desktop.core.text import Vocab, tokenize
from training.export_captioner import load_decoder
from training.extract_features import load_features
from training.flickr8k import read_captions, read_split
from training.metrics import CiderD
from training.run_utils import run_main, run_parser, seed_everything
from training.train_captioner import (FlippedFeatures, add_flip_options, caption_loss, evaluate, make_groups,
                                      param_groups)

log = logging.getLogger("scst")


@torch.no_grad()
def sample(model, feats, vocab: Vocab, k: int, max_len: int):
    """k multinomial samples per image -> token tensor (B*k, T) without BOS, EOS-terminated."""
    c = model.config
    ck, cv = model.init_cache(feats)
    ck, cv = ck.repeat_interleave(k, 1), cv.repeat_interleave(k, 1)
    n = feats.shape[0] * k
    sk = torch.zeros(c.n_layers, n, c.n_heads, 0, c.d_model // c.n_heads)
    sv = sk.clone()
    tok = torch.full((n,), vocab.bos_id, dtype=torch.long)
    done = torch.zeros(n, dtype=torch.bool)
    out = []
    for t in range(max_len):
        logp, sk, sv = model.step(tok, torch.tensor([t]), sk, sv, ck, cv)
        logp[:, [vocab.pad_id, vocab.bos_id, vocab.unk_id]] = -1e9
        tok = torch.multinomial(logp.exp(), 1)[:, 0]
        tok = torch.where(done, torch.full_like(tok, vocab.pad_id), tok)
        out.append(tok)
        done |= tok == vocab.eos_id
        if done.all():
            break
    return torch.stack(out, 1)


def optimizer(model, args) -> torch.optim.Optimizer:
    if model.top is not None and args.top_lr_scale == 0:
        model.top.requires_grad_(False)  # which also saves its backward pass
    return torch.optim.Adam(param_groups(model, args), lr=args.lr)


def train(args) -> dict:
    seed_everything(args.seed)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    init = Path(args.init)
    model = load_decoder(init)
    vocab = Vocab.load(init.parent / "vocab.json")
    shutil.copyfile(init.parent / "vocab.json", out / "vocab.json")  # the run folder is exportable on its own
    feats_all, rows = load_features(Path(args.features))
    feats_mem = np.asarray(feats_all)
    flipped = FlippedFeatures(Path(args.flip_features), args.flip_prob) if args.flip_features else None
    data = Path(args.data)
    captions = read_captions(data, vocab.lang)
    train_names = [n for n in read_split(data, "train") if n in rows]
    dev_names = [n for n in read_split(data, "dev") if n in rows][: args.dev_limit or None]
    cider = CiderD({n: [tokenize(c, vocab.lang) for c in captions[n]] for n in train_names})
    max_len = model.config.max_len - 1
    opt = optimizer(model, args)
    # Mixed objective (Paulus et al. 2018): a little cross-entropy on the references keeps the policy a
    # language model while it chases CIDEr-D.
    refs = make_groups(train_names, captions, rows, vocab, model.config.max_len) if args.xe_weight else None
    ref_index = {n: i for i, n in enumerate(train_names)}
    best = evaluate(model, feats_mem, rows, dev_names, captions, vocab, model.config.max_len)
    log.info("start dev %s", best)
    torch.save({"state_dict": model.state_dict(), "config": model.config.to_dict(), "report": best}, out / "best.pt")
    start, step = time.time(), 0
    history = [dict(best, step=0)]
    while time.time() - start < args.minutes * 60:
        for b in range(0, len(train_names), args.batch):
            names = [train_names[i] for i in np.random.permutation(len(train_names))[: args.batch]]
            f = feats_mem[[rows[n] for n in names]].astype(np.float32)
            if flipped:
                flipped.swap_in(f, names)
            f = torch.from_numpy(f)
            model.eval()  # sample without dropout
            seqs = sample(model, f, vocab, args.k, max_len)
            words = [vocab.decode(s.tolist()) for s in seqs]
            reward = np.array([cider.score(names[i // args.k], w) for i, w in enumerate(words)]).reshape(-1, args.k)
            baseline = (reward.sum(1, keepdims=True) - reward) / (args.k - 1)
            adv = torch.from_numpy((reward - baseline).reshape(-1)).float()
            model.train(not args.no_dropout)
            inp = torch.cat([torch.full((seqs.shape[0], 1), vocab.bos_id), seqs[:, :-1]], 1)
            logp = model(f, inp, torch.arange(len(names)).repeat_interleave(args.k)).log_softmax(-1)
            tok_logp = logp.gather(2, seqs[:, :, None])[:, :, 0]
            mask = (seqs != vocab.pad_id).float()
            loss = -(adv[:, None] * tok_logp * mask).sum() / mask.sum()
            if refs is not None:
                gi = [ref_index[n] for n in names]
                loss = loss + args.xe_weight * caption_loss(model, f, refs[1][gi], refs[2][gi], vocab.pad_id)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            if step % 20 == 0:
                log.info("step %d reward %.3f length %.1f %.0fs", step, reward.mean(), mask.sum(1).mean(),
                         time.time() - start)
            if step % args.eval_every == 0:
                rep = evaluate(model, feats_mem, rows, dev_names, captions, vocab, model.config.max_len)
                history.append(dict(rep, step=step))
                log.info("step %d dev %s", step, rep)
                if rep["CIDEr-D"] > best["CIDEr-D"]:
                    best = rep
                    torch.save({"state_dict": model.state_dict(), "config": model.config.to_dict(), "report": rep},
                               out / "best.pt")
                (out / "history.json").write_text(json.dumps(history, indent=1))
            if time.time() - start > args.minutes * 60:
                break
    summary = {"best_dev_greedy": best, "scst_seconds": round(time.time() - start), "steps": step}
    (out / "scst_summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def parser():
    ap = run_parser(__doc__, "runs/captioner_scst", seed=17)
    ap.add_argument("--init", default="runs/captioner/best.pt")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--batch", type=int, default=16, help="images per step")
    ap.add_argument("--k", type=int, default=5, help="samples per image")
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--xe-weight", type=float, default=0.0, help="add this x cross-entropy on the references")
    ap.add_argument("--no-dropout", action="store_true",
                    help="score the samples without dropout, so the gradient is for the policy that sampled them")
    ap.add_argument("--top-lr-scale", type=float, default=1.0,
                    help="a tuned encoder top's LR relative to --lr (0 = frozen)")
    add_flip_options(ap)
    ap.add_argument("--dev-limit", type=int, default=0)
    return ap


main = run_main(parser, train)


if __name__ == "__main__":
    main()
