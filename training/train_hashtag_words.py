"""Train the hashtag word-relevance model and export it to ONNX (models/hashtag_words.onnx).

For every content word (nouns, verbs and adjectives, lemmatised by the app's rule) it predicts
the probability that at least 2 of a photo's 5 human captions use it: the same definition the
hashtag evaluation scores. The app ranks a tag by the chance that all of its words are such
words (core.hashtags.tag_chance), so #BrownDog needs "brown" as much as "dog".

An MLP on the mean and max of the encoder's region features (core.hashtag_model.word_descriptor),
standardised inside the graph. With --memory, a second MLP of the same kind on the English caption
decoder's cross-attention keys (training.decoder_memory), exported as hashtag_words_memory.onnx; the app
averages the two. Under a minute each on one CPU thread.

    python -m training.train_hashtag_words [--epochs 10] [--memory]
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
from torch import nn

from captag_desktop.core.atomic import copy_atomic, write_text_atomic
from captag_desktop.core.hashtag_model import word_descriptor
from captag_desktop.core.hashtags import lemma_of
from captag_desktop.core.text import tokenize
from training import decoder_memory
from training.evaluate_hashtags import content_word_counts, shared_content_words
from training.export_captioner import quantize_int8
from training.extract_features import load_features
from training.int8_weights import MATMUL_NOTE
from training.flickr8k import read_captions, read_split
from training.manifest_tool import MODELS_DIR, remove_entry, update_entry
from training.run_utils import run_main, run_parser, seed_everything

log = logging.getLogger("hashtag_words")
FILE, MEMORY_FILE, VOCAB_FILE = "hashtag_words.onnx", "hashtag_words_memory.onnx", "hashtag_words.json"
MEMORY_DESCRIPTOR = "mean and max over positions of the decoder's cross-attention keys (core.hashtag_model.memory_regions)"


class WordRelevance(nn.Module):
    def __init__(self, in_dim: int, n_words: int, hidden: int, dropout: float):
        super().__init__()
        self.register_buffer("mean", torch.zeros(in_dim))
        self.register_buffer("std", torch.ones(in_dim))
        self.net = nn.Sequential(nn.Dropout(dropout), nn.Linear(in_dim, hidden), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, n_words))

    def forward(self, x):
        return self.net((x - self.mean) / self.std)


def descriptors(feats, rows: dict[str, int], names: list[str]) -> torch.Tensor:
    out = [word_descriptor(np.asarray(feats[[rows[n] for n in names[i:i + 500]]])) for i in range(0, len(names), 500)]
    return torch.from_numpy(np.concatenate(out))


def view_features(args, data: Path):
    """The photos' cached regions in the run's view (encoder features, or with args.memory the English
    caption decoder's keys), each row by name, the train and dev names found there, and what the memory
    view was read from (None for the encoder view)."""
    reads = None
    if args.memory:
        features, reads = decoder_memory.cache(Path(args.models_dir), Path(args.features).parent, data, args.limit)
    else:
        features = Path(args.features)
    feats, rows = load_features(features)
    names = [[n for n in read_split(data, split) if n in rows][: args.limit or None] for split in ("train", "dev")]
    return feats, rows, names[0], names[1], reads


def caption_counts(names: list[str], captions: dict, vocab: list[str], lang: str = "en") -> np.ndarray:
    """(photos, words) uint8: how many of each photo's captions use the word (English lemmatised as the app
    does; other languages as their caption decoder's tokens)."""
    index = {w: i for i, w in enumerate(vocab)}
    out = np.zeros((len(names), len(vocab)), np.uint8)
    for r, n in enumerate(names):
        used = (content_word_counts(captions[n], lemma_of) if lang == "en" else
                Counter(w for c in captions[n] for w in set(tokenize(c, lang))))
        for w, k in used.items():
            if w in index:
                out[r, index[w]] = k
    return out


def targets(names, captions, vocab: list[str], share: bool = False, lang: str = "en") -> torch.Tensor:
    """Per photo and word: 1 when at least 2 of its captions use the word (what a hashtag hit means), or with
    `share` the share of its captions that do: a softer target (models/hashtags-en.md has both)."""
    counts = caption_counts(names, captions, vocab, lang).astype(np.float32)
    if not share:
        return torch.from_numpy((counts >= 2).astype(np.float32))
    return torch.from_numpy(counts / np.array([len(captions[n]) for n in names], np.float32)[:, None])


def precision_at_5(probs: torch.Tensor, y: torch.Tensor) -> float:
    return float(y.gather(1, probs.topk(5, dim=1).indices).mean())


def fit(x, y, xd, yd, args) -> tuple[WordRelevance, float, list[dict]]:
    """Train on descriptors x with targets y; keep the epoch whose dev single-word P@5 (hits yd) is best."""
    model = WordRelevance(x.shape[1], y.shape[1], args.hidden, args.dropout)
    model.mean.copy_(x.mean(0))
    model.std.copy_(x.std(0) + 1e-5)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    best, best_state, history = -1.0, None, []
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = torch.randperm(len(x))
        for b in range(0, len(perm), args.batch):
            i = perm[b:b + args.batch]
            loss = F.binary_cross_entropy_with_logits(model(x[i]), y[i])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            p5 = precision_at_5(torch.sigmoid(model(xd)), yd)
        history.append({"epoch": epoch, "loss": round(loss.item(), 4), "dev_word_precision_at_5": round(p5, 4)})
        log.info("epoch %d loss %.4f dev word P@5 %.4f", epoch, loss.item(), p5)
        if p5 > best:
            best, best_state = p5, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    return model.eval(), best, history


def train(args) -> dict:
    seed_everything(args.seed)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    data = Path(args.data)
    captions = read_captions(data, "en")
    if args.memory and args.flip_features:
        raise SystemExit("--flip-features is for the encoder view; the decoder view (--memory) has no mirrored cache")
    feats, rows, train_names, dev_names, reads = view_features(args, data)
    df = Counter(w for n in train_names for w in shared_content_words(captions[n], lemma_of))
    vocab = sorted(w for w, c in df.items() if c >= args.min_images and w.isalpha())
    share = args.targets == "share"
    x, y = descriptors(feats, rows, train_names), targets(train_names, captions, vocab, share)
    if args.flip_features:  # the mirrored photos as extra examples with the same targets
        ff, frows = load_features(Path(args.flip_features))
        mirrored = [n for n in train_names if n in frows]
        x = torch.cat([x, descriptors(ff, frows, mirrored)])
        y = torch.cat([y, targets(mirrored, captions, vocab, share)])
    xd, yd = descriptors(feats, rows, dev_names), targets(dev_names, captions, vocab)  # scored as hits are
    start = time.time()
    model, best, history = fit(x, y, xd, yd, args)
    out.mkdir(parents=True, exist_ok=True)
    export(model, vocab, out / (MEMORY_FILE if args.memory else FILE), x.shape[1])
    summary = {"view": "memory" if args.memory else "image", "reads": reads, "words": len(vocab), "train_examples": len(x), "parameters": sum(p.numel() for p in model.parameters()),
               "train_seconds": round(time.time() - start, 1), "best_dev_word_precision_at_5": round(best, 4),
               "history": history}
    write_text_atomic(out / "words_summary.json", json.dumps(summary, indent=1))
    return {k: v for k, v in summary.items() if k != "history"}


def export(model: WordRelevance, vocab: list[str] | None, onnx_path: Path, in_dim: int) -> None:
    """vocab: written beside the graph as the hashtag word list; None when the graph reads a list of elsewhere."""
    graph = nn.Sequential(model, nn.Sigmoid())
    torch.onnx.export(graph, (torch.zeros(1, in_dim),), str(onnx_path), input_names=["descriptor"],
                      output_names=["probs"], dynamic_axes={"descriptor": {0: "batch"}, "probs": {0: "batch"}},
                      opset_version=17, dynamo=False)
    if vocab is not None:
        write_text_atomic(onnx_path.parent / VOCAB_FILE, json.dumps(vocab))


COMMON = {"license": "Apache-2.0 (weights trained by captag)", "card": "hashtags-en.md", "weights": MATMUL_NOTE,
          "source": "Flickr8k train split; targets: content words shared by >= 2 of 5 captions"}


def install(run: Path, models_dir: Path = MODELS_DIR, memory_run: Path | None = None) -> list[dict]:
    """Copy the exported model (and the memory view, if trained) into models/ and register it. Without a
    memory run, a bundled memory view is dropped: it was trained against the old word list."""
    if memory_run is not None and (memory_run / VOCAB_FILE).read_text() != (run / VOCAB_FILE).read_text():
        raise ValueError(f"{memory_run} was trained on another word list than {run}; train both on the same data")
    for file in (FILE, VOCAB_FILE):
        copy_atomic(run / file, models_dir / file)
    quantize_int8(models_dir / FILE)  # 4x smaller; the caption word evidence reads it too (captioner-en.md)
    entries = [update_entry({"name": "hashtag-words", "task": "hashtag-word-relevance", "file": FILE, **COMMON,
                             "preprocessing": {"descriptor": "mean and max over regions of the encoder features"}},
                            models_dir),
               update_entry({"name": "hashtag-words-vocab", "task": "vocabulary", "file": VOCAB_FILE, **COMMON},
                            models_dir)]
    if memory_run is None:
        remove_entry("hashtag-words-memory", models_dir)
        return entries
    summary = json.loads((memory_run / "words_summary.json").read_text())
    copy_atomic(memory_run / MEMORY_FILE, models_dir / MEMORY_FILE)
    quantize_int8(models_dir / MEMORY_FILE)
    entries.append(update_entry({
        "name": "hashtag-words-memory", "task": "hashtag-word-relevance", "file": MEMORY_FILE, **COMMON,
        "reads": summary["reads"],
        "preprocessing": {"descriptor": MEMORY_DESCRIPTOR}}, models_dir))
    return entries


def parser():
    ap = run_parser(__doc__, "runs/hashtag_words", seed=7)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--targets", default="shared", choices=["shared", "share"],
                    help="shared: 1 when >= 2 of a photo's captions use the word; share: the share of them that do "
                         "(better single-word P@5, worse captions: models/hashtags-en.md)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--dropout", type=float, default=0.5)
    ap.add_argument("--min-images", type=int, default=5, help="a word must be a target for this many train photos")
    ap.add_argument("--memory", action="store_true",
                    help="train the second view, on the English caption decoder's cross-attention keys (cached in the "
                         "folder of --features)")
    ap.add_argument("--models-dir", default=str(MODELS_DIR), help="where the caption decoder for --memory is")
    ap.add_argument("--flip-features", default=None, help="features of the mirrored train photos (augmentation)")
    ap.add_argument("--limit", type=int, default=0, help="first N photos of each split (tests)")
    return ap


main = run_main(parser, train)

if __name__ == "__main__":
    main()
