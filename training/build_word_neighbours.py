"""Build the word-neighbours graph: the words people used for the training photos most like this one.

A nearest-neighbour vote, not a trained net (retrieval in the manner of Devlin et al. 2015, "Exploring
nearest neighbor approaches for image captioning"): the photo's descriptor (mean and max over its
regions, as the word model reads) is standardised, projected onto the train split's first principal
components and compared by cosine with every train photo's; the K most similar vote, weighted by a
softmax of their similarity, with the share of their 5 captions that use each word of the hashtag word
model's vocabulary (models/hashtag_words.json). The graph gives that evidence per word, and its lift
over the average train photo (log ratio), which the English caption decoder adds to its word scores
(core.word_evidence). Everything lives inside the ONNX graph: the bank as float16, the caption
counts packed two to a byte.

    python -m training.build_word_neighbours [--install]
"""
from __future__ import annotations

import json
import logging
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from captag_desktop.core.atomic import copy_atomic, write_text_atomic
from captag_desktop.core.hashtag_model import WordRelevance
from captag_desktop.core.models import ModelStore
from captag_desktop.core.text import tokenize
from training import decoder_memory
from training.extract_features import load_features
from training.flickr8k import read_captions
from training.manifest_tool import MODELS_DIR, sha256_of, update_entry
from training.run_utils import command_line, log_to, run_parser
from training.train_hashtag_words import (MEMORY_DESCRIPTOR, VOCAB_FILE, caption_counts, descriptors, precision_at_5,
                                          view_features)

log = logging.getLogger("word_neighbours")
FILE = "word_neighbours.onnx"


@dataclass(frozen=True)
class Language:
    """Where one caption language's graph and word list go. English votes with the hashtag word model's
    lemmas (the caption decoder maps its tokens to them); Arabic with the Arabic decoder's own tokens used
    by at least --min-images train photos."""
    name: str
    file: str
    vocabulary: str  # the word list's manifest name
    vocabulary_file: str
    card: str
    word_model: str  # the word model a --word-model graph reads (its "-memory" view too, when it serves)
    word_model_file: str


LANGUAGES = {"en": Language("word-neighbours", FILE, "hashtag-words-vocab", VOCAB_FILE, "captioner-en.md",
                            "hashtag-words", "hashtag_words.onnx"),
             "ar": Language("word-neighbours-ar", "word_neighbours_ar.onnx", "word-neighbours-ar-vocab",
                            "word_neighbours_ar.json", "captioner-ar.md", "caption-words-ar",
                            "caption_words_ar.onnx")}
EPS = 1e-4  # a word no neighbour used still gets a finite (large negative) lift
WORD_EPS = 3e-2  # the word models are smooth: English 1e-2 / 3e-2 scored alike on dev, Arabic best at 3e-2, 1e-4 lower


class WordNeighbours(nn.Module):
    def __init__(self, mean, std, projection, bank, counts, k: int, temperature: float, per_photo: int = 5):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
        self.register_buffer("projection", torch.as_tensor(projection, dtype=torch.float16))
        self.register_buffer("bank", torch.as_tensor(bank, dtype=torch.float16))
        counts = torch.as_tensor(counts, dtype=torch.uint8)
        if int(counts.max()) > 15:
            raise ValueError("a photo with more than 15 captions does not fit a half byte")
        self.words = counts.shape[1]
        # two counts (at most 15, and a photo has 5 captions) per byte: the graph is 2 MB smaller
        even = torch.nn.functional.pad(counts, (0, self.words % 2))
        self.register_buffer("packed", even[:, 0::2] + even[:, 1::2] * 16)
        self.k, self.temperature, self.per_photo = k, temperature, float(per_photo)  # captions per photo
        self.register_buffer("prior", counts.float().mean(0) / self.per_photo)
        self.register_buffer("word_prior", None)  # with a word model: its train-average probability per word

    def counts(self, rows):
        """The caption counts of the bank's rows (B, K) -> (B, K, words), unpacked in float arithmetic
        (exact for small integers; ONNX bit operations need a newer opset)."""
        packed = self.packed[rows].float()
        high = torch.floor(packed / 16)
        both = torch.stack([packed - 16 * high, high], dim=-1)
        return both.reshape(*packed.shape[:-1], -1)[..., :self.words]

    def forward(self, descriptor, word_probs=None):
        z = ((descriptor - self.mean) / self.std) @ self.projection.float()
        z = z / z.norm(dim=1, keepdim=True).clamp_min(1e-6)
        sims, rows = (z @ self.bank.float().t()).topk(self.k, dim=1)
        weights = torch.softmax(sims / self.temperature, dim=1)
        evidence = torch.einsum("bk,bkw->bw", weights, self.counts(rows) / self.per_photo)
        lift = torch.log(evidence + EPS) - torch.log(self.prior + EPS)
        if word_probs is not None:  # a second opinion: the word model's lift over its own train average
            lift = lift + torch.log(word_probs + WORD_EPS) - torch.log(self.word_prior + WORD_EPS)
        return evidence, lift


def word_list(args, lang: str, names: list[str], captions: dict) -> list[str]:
    """The words the graph votes on: for English the hashtag word model's list; else the language's caption
    decoder tokens that at least --min-images train photos' captions use."""
    if lang == "en":
        return json.loads((Path(args.models_dir) / VOCAB_FILE).read_text())
    tokens = json.loads((Path(args.models_dir) / f"caption_{lang}_vocab.json").read_text())["words"]
    photos = Counter(w for n in names for w in {t for c in captions[n] for t in tokenize(c, lang)})
    return [w for w in tokens if photos[w] >= args.min_images and any(ch.isalpha() for ch in w)]


def fit(x: np.ndarray, counts: np.ndarray, dims: int, k: int, temperature: float, per_photo: int = 5) -> WordNeighbours:
    mean, std = x.mean(0), x.std(0) + 1e-5
    z = (x - mean) / std
    projection = np.linalg.svd(z - z.mean(0), full_matrices=False)[2][:dims].T  # principal axes
    bank = z @ projection
    bank /= np.linalg.norm(bank, axis=1, keepdims=True)
    return WordNeighbours(mean, std, projection, bank, counts, k, temperature, per_photo).eval()


def word_model_prior(args, data: Path, feats, rows, train: list[str]) -> tuple[np.ndarray, dict]:
    """The word model's average probability per word over the train photos, read as the app reads it (both
    views averaged when the decoder view serves the English decoder), and the sha256 of each model used."""
    store, where = ModelStore(Path(args.models_dir), threads=args.threads), LANGUAGES[args.lang]
    relevance = WordRelevance(store, where.word_model, where.vocabulary)
    if relevance.session.get_outputs()[0].shape[-1] != len(relevance.words):
        raise SystemExit(f"{where.word_model} was trained on another word list: train it on this one first")
    memory = None
    if relevance.memory_session is not None:
        memory = load_features(decoder_memory.cache(Path(args.models_dir), Path(args.features).parent, data,
                                                    args.limit)[0])
    probs = [relevance.descriptor_probs(descriptors(feats, rows, names).numpy(),
                                        None if memory is None else descriptors(*memory, names).numpy())
             for names in (train[i:i + 500] for i in range(0, len(train), 500))]
    used = [where.word_model] + ([relevance.memory_name] if memory is not None else [])
    return np.concatenate(probs).mean(0), {name: store.entry(name).sha256 for name in used}


def build(args, argv: list[str] = ()) -> dict:
    """argv: the command line, for the card."""
    torch.set_num_threads(args.threads)
    start, data, out = time.time(), Path(args.data), Path(args.out)
    lang, where = args.lang, LANGUAGES[args.lang]
    captions = read_captions(data, lang)
    feats, rows, train, dev, reads = view_features(args, data)
    vocab = word_list(args, lang, train, captions)
    per_photo = Counter(len(captions[n]) for n in train).most_common(1)[0][0]
    x = descriptors(feats, rows, train).numpy()
    model = fit(x, caption_counts(train, captions, vocab, lang), args.dims, min(args.k, len(train)), args.temperature,
                per_photo)
    word_models, inputs = None, (torch.zeros(1, x.shape[1]),)
    if args.word_model:
        if args.memory:
            raise SystemExit("--word-model: the word model reads the encoder view")
        prior, word_models = word_model_prior(args, data, feats, rows, train)
        model.word_prior = torch.from_numpy(prior).float()
        inputs = inputs + (torch.full((1, len(vocab)), 0.5),)
    with torch.no_grad():
        evidence = model(descriptors(feats, rows, dev))[0]
    out.mkdir(parents=True, exist_ok=True)
    if lang != "en":
        write_text_atomic(out / where.vocabulary_file, json.dumps(vocab, ensure_ascii=False))
    names = ["descriptor", "word_probs"][:len(inputs)]
    torch.onnx.export(model, inputs, str(out / where.file), input_names=names,
                      output_names=["evidence", "lift"], opset_version=17, dynamo=False,
                      do_constant_folding=False,  # keeps the bank float16 and the packed counts uint8 on disk
                      dynamic_axes={n: {0: "batch"} for n in names + ["evidence", "lift"]})
    summary = {"lang": lang, "view": "memory" if args.memory else "image", "reads": reads, "word_models": word_models,
               "words": len(vocab), "train_photos": len(train), "dims": args.dims, "k": model.k,
               "temperature": args.temperature, "seconds": round(time.time() - start, 1),
               "command": command_line("training.build_word_neighbours", list(argv)),
               "dev_word_precision_at_5": round(precision_at_5(  # against the words at least 2 captions use
                   evidence, torch.from_numpy(caption_counts(dev, captions, vocab, lang) >= 2).float()), 4)}
    write_text_atomic(out / "neighbours_summary.json", json.dumps(summary, indent=1))
    if args.install:
        install(out, Path(args.models_dir), summary)
    return summary


def install(run: Path, models_dir: Path, summary: dict) -> dict:
    where = LANGUAGES[summary.get("lang", "en")]
    copy_atomic(run / where.file, models_dir / where.file)
    if where.vocabulary_file != VOCAB_FILE:  # its own word list (English shares the hashtag word model's)
        copy_atomic(run / where.vocabulary_file, models_dir / where.vocabulary_file)
        update_entry({"name": where.vocabulary, "task": "vocabulary", "file": where.vocabulary_file,
                      "license": "Apache-2.0 (built by captag)", "card": where.card,
                      "source": "the caption decoder's words that Flickr8k train captions use"}, models_dir)
    view = ({"reads": summary["reads"], "preprocessing": {"descriptor": MEMORY_DESCRIPTOR}} if summary["reads"] else
            {"preprocessing": {"descriptor": "mean and max over regions of the encoder features"}})
    return update_entry({
        "name": where.name, "task": "word-evidence", "file": where.file, "card": where.card,
        "license": "Apache-2.0 (built by captag); its bank holds features and caption word counts of the Flickr8k "
                   "train split (research use)",
        "source": "Flickr8k train split: photo descriptors and the words of their captions",
        "vocabulary": where.vocabulary, "vocabulary_sha256": sha256_of(models_dir / where.vocabulary_file),
        "build": {k: summary[k] for k in ("dims", "k", "temperature", "train_photos")},
        **view, **({"word_models": summary["word_models"]} if summary.get("word_models") else {}), "metrics_dev": {"word_precision_at_5": summary["dev_word_precision_at_5"]}}, models_dir)


def parser():
    ap = run_parser(__doc__, "runs/word_neighbours", seed=0)
    ap.add_argument("--dims", type=int, default=256, help="principal components kept for the similarity")
    ap.add_argument("--k", type=int, default=50, help="neighbours that vote")
    ap.add_argument("--temperature", type=float, default=0.05, help="softmax temperature over cosine similarity")
    ap.add_argument("--models-dir", default=str(MODELS_DIR), help="where hashtag_words.json is, and --install writes")
    ap.add_argument("--memory", action="store_true",
                    help="compare photos as the English caption decoder sees them (its cross-attention keys, cached in "
                         "the folder of --features) instead of by encoder features")
    ap.add_argument("--word-model", action="store_true",
                    help="the graph also reads the language's word model's probabilities (input word_probs) and adds "
                         "their lift over the train average (English: the hashtag word model)")
    ap.add_argument("--lang", default="en", choices=sorted(LANGUAGES), help="whose captions vote")
    ap.add_argument("--min-images", type=int, default=5, help="non-English: a word must be used for this many train photos")
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
