"""Build the word-neighbours graph: the words people used for the training photos most like this one.

A nearest-neighbour vote, not a trained net (retrieval in the manner of Devlin et al. 2015, "Exploring
nearest neighbor approaches for image captioning"): the photo's descriptor (mean and max over its
regions, as the word model reads) is standardised, projected onto the train split's first principal
components and compared by cosine with every train photo's; the K most similar vote, weighted by a
softmax of their similarity, with the share of their 5 captions that use each word of the hashtag word
model's vocabulary (models/hashtag_words.json). The graph gives that evidence per word, and its lift
over the average train photo (log ratio), which the English caption decoder adds to its word scores
(core.word_evidence). Everything lives inside the ONNX graph: the bank as float16, the caption
counts as uint8.

    python -m training.build_word_neighbours [--install]
"""
from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from captag_desktop.core.atomic import copy_atomic, write_text_atomic
from captag_desktop.core.hashtags import lemma_of
from training.evaluate_hashtags import content_word_counts
from training.flickr8k import read_captions
from training.manifest_tool import MODELS_DIR, sha256_of, update_entry
from training.run_utils import command_line, log_to, run_parser
from training.train_hashtag_words import MEMORY_DESCRIPTOR, VOCAB_FILE, descriptors, view_features

log = logging.getLogger("word_neighbours")
FILE = "word_neighbours.onnx"
EPS = 1e-4  # a word no neighbour used still gets a finite (large negative) lift


class WordNeighbours(nn.Module):
    def __init__(self, mean, std, projection, bank, counts, k: int, temperature: float):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
        self.register_buffer("projection", torch.as_tensor(projection, dtype=torch.float16))
        self.register_buffer("bank", torch.as_tensor(bank, dtype=torch.float16))
        self.register_buffer("counts", torch.as_tensor(counts, dtype=torch.uint8))
        self.k, self.temperature = k, temperature
        self.register_buffer("prior", self.counts.float().mean(0) / 5)

    def forward(self, descriptor):
        z = ((descriptor - self.mean) / self.std) @ self.projection.float()
        z = z / z.norm(dim=1, keepdim=True).clamp_min(1e-6)
        sims, rows = (z @ self.bank.float().t()).topk(self.k, dim=1)
        weights = torch.softmax(sims / self.temperature, dim=1)
        evidence = torch.einsum("bk,bkw->bw", weights, self.counts.float()[rows] / 5)
        return evidence, torch.log(evidence + EPS) - torch.log(self.prior + EPS)


def caption_counts(names: list[str], captions: dict, vocab: list[str]) -> np.ndarray:
    """(photos, words) uint8: how many of each photo's captions use the word (lemmatised as the app does)."""
    index = {w: i for i, w in enumerate(vocab)}
    out = np.zeros((len(names), len(vocab)), np.uint8)
    for r, n in enumerate(names):
        for w, k in content_word_counts(captions[n], lemma_of).items():
            if w in index:
                out[r, index[w]] = k
    return out


def fit(x: np.ndarray, counts: np.ndarray, dims: int, k: int, temperature: float) -> WordNeighbours:
    mean, std = x.mean(0), x.std(0) + 1e-5
    z = (x - mean) / std
    projection = np.linalg.svd(z - z.mean(0), full_matrices=False)[2][:dims].T  # principal axes
    bank = z @ projection
    bank /= np.linalg.norm(bank, axis=1, keepdims=True)
    return WordNeighbours(mean, std, projection, bank, counts, k, temperature).eval()


def precision_at_5(evidence: np.ndarray, counts: np.ndarray) -> float:
    """Single-word P@5 against the words at least 2 of 5 captions use (the hashtag evaluation's rule)."""
    top = np.argsort(-evidence, axis=1, kind="stable")[:, :5]
    return float((np.take_along_axis(counts, top, 1) >= 2).mean())


def build(args, argv: list[str] = ()) -> dict:
    """argv: the command line, for the card."""
    torch.set_num_threads(args.threads)
    start, data, out = time.time(), Path(args.data), Path(args.out)
    vocab = json.loads((Path(args.models_dir) / VOCAB_FILE).read_text())
    captions = read_captions(data, "en")
    feats, rows, train, dev, reads = view_features(args, data)
    x = descriptors(feats, rows, train).numpy()
    model = fit(x, caption_counts(train, captions, vocab), args.dims, min(args.k, len(train)), args.temperature)
    with torch.no_grad():
        evidence = model(descriptors(feats, rows, dev))[0].numpy()
    out.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(model, (torch.zeros(1, x.shape[1]),), str(out / FILE), input_names=["descriptor"],
                      output_names=["evidence", "lift"], opset_version=17, dynamo=False,
                      do_constant_folding=False,  # keeps the bank float16 and the counts uint8 on disk
                      dynamic_axes={"descriptor": {0: "batch"}, "evidence": {0: "batch"}, "lift": {0: "batch"}})
    summary = {"view": "memory" if args.memory else "image", "reads": reads, "words": len(vocab), "train_photos": len(train), "dims": args.dims, "k": model.k,
               "temperature": args.temperature, "seconds": round(time.time() - start, 1),
               "command": command_line("training.build_word_neighbours", list(argv)),
               "dev_word_precision_at_5": round(precision_at_5(evidence, caption_counts(dev, captions, vocab)), 4)}
    write_text_atomic(out / "neighbours_summary.json", json.dumps(summary, indent=1))
    if args.install:
        install(out, Path(args.models_dir), summary)
    return summary


def install(run: Path, models_dir: Path, summary: dict) -> dict:
    copy_atomic(run / FILE, models_dir / FILE)
    view = ({"reads": summary["reads"], "preprocessing": {"descriptor": MEMORY_DESCRIPTOR}} if summary["reads"] else
            {"preprocessing": {"descriptor": "mean and max over regions of the encoder features"}})
    return update_entry({
        "name": "word-neighbours", "task": "word-evidence", "file": FILE, "card": "captioner-en.md",
        "license": "Apache-2.0 (built by captag); its bank holds features and caption word counts of the Flickr8k "
                   "train split (research use)",
        "source": "Flickr8k train split: photo descriptors and the words of their captions",
        "vocabulary": "hashtag-words-vocab", "vocabulary_sha256": sha256_of(models_dir / VOCAB_FILE), "build": {k: summary[k] for k in ("dims", "k", "temperature", "train_photos")},
        **view, "metrics_dev": {"word_precision_at_5": summary["dev_word_precision_at_5"]}}, models_dir)


def parser():
    ap = run_parser(__doc__, "runs/word_neighbours", seed=0)
    ap.add_argument("--dims", type=int, default=256, help="principal components kept for the similarity")
    ap.add_argument("--k", type=int, default=50, help="neighbours that vote")
    ap.add_argument("--temperature", type=float, default=0.05, help="softmax temperature over cosine similarity")
    ap.add_argument("--models-dir", default=str(MODELS_DIR), help="where hashtag_words.json is, and --install writes")
    ap.add_argument("--memory", action="store_true",
                    help="compare photos as the English caption decoder sees them (its cross-attention keys, cached in "
                         "the folder of --features) instead of by encoder features")
    ap.add_argument("--install", action="store_true", help="copy the graph into --models-dir and register it")
    ap.add_argument("--limit", type=int, default=0, help="first N photos of each split (tests)")
    return ap


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    log_to(args.out)
    print(json.dumps(build(args, argv)))


if __name__ == "__main__":
    main()
