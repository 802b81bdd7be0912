"""Train a caption language's word model: for each word of its word-neighbours list, the chance that
people describing the photo in that language use it (at least 2 of its captions do).

The hashtag word model does this for English lemmas; this one does it for the Arabic caption decoder's
own tokens, on the list the Arabic word-neighbours graph votes on (models/word_neighbours_ar.json), so
that graph can add the model's lift to its own (python -m training.build_word_neighbours --lang ar
--word-model). The same small MLP on the encoder features' mean and max, trained in seconds.

    python -m training.train_caption_words --lang ar [--install]
"""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import torch

from captag_desktop.core.atomic import copy_atomic, write_text_atomic
from training.build_word_neighbours import LANGUAGES
from training.flickr8k import read_captions
from training.manifest_tool import MODELS_DIR, sha256_of, update_entry
from training.run_utils import run_main, run_parser, seed_everything
from training.train_hashtag_words import descriptors, export, fit, targets, view_features

log = logging.getLogger("caption_words")


def train(args) -> dict:
    seed_everything(args.seed)
    torch.set_num_threads(args.threads)
    out, data, where = Path(args.out), Path(args.data), LANGUAGES[args.lang]
    if not where.word_model or where.word_model == "hashtag-words":
        raise SystemExit(f"--lang {args.lang}: its word model is trained by training.train_hashtag_words")
    words = json.loads((Path(args.models_dir) / where.vocabulary_file).read_text(encoding="utf-8"))
    captions = read_captions(data, args.lang)
    args.memory = False  # the encoder view: the decoder view is the English decoder's
    feats, rows, train_names, dev_names, _ = view_features(args, data)
    train_names = [n for n in train_names if n in captions]
    dev_names = [n for n in dev_names if n in captions]
    y = targets(train_names, captions, words, args.targets == "share", args.lang)
    yd = targets(dev_names, captions, words, lang=args.lang)  # scored as hits are
    x, xd = descriptors(feats, rows, train_names), descriptors(feats, rows, dev_names)
    start = time.time()
    model, best, history = fit(x, y, xd, yd, args)
    out.mkdir(parents=True, exist_ok=True)
    export(model, None, out / where.word_model_file, x.shape[1])
    summary = {"lang": args.lang, "words": len(words), "train_examples": len(x),
               "parameters": sum(p.numel() for p in model.parameters()), "train_seconds": round(time.time() - start, 1),
               "best_dev_word_precision_at_5": round(best, 4), "history": history}
    write_text_atomic(out / "words_summary.json", json.dumps(summary, indent=1))
    if args.install:
        install(out, args.lang, Path(args.models_dir), summary)
    return {k: v for k, v in summary.items() if k != "history"}


def install(run: Path, lang: str, models_dir: Path, summary: dict) -> dict:
    where = LANGUAGES[lang]
    copy_atomic(run / where.word_model_file, models_dir / where.word_model_file)
    return update_entry({
        "name": where.word_model, "task": "caption-word-relevance", "file": where.word_model_file, "card": where.card,
        "license": "Apache-2.0 (weights trained by captag)",
        "source": f"Flickr8k train split; targets: the {lang} caption words shared by >= 2 of a photo's captions",
        "vocabulary": where.vocabulary, "vocabulary_sha256": sha256_of(models_dir / where.vocabulary_file),
        "preprocessing": {"descriptor": "mean and max over regions of the encoder features"},
        "parameters": summary["parameters"],
        "metrics_dev": {"word_precision_at_5": summary["best_dev_word_precision_at_5"]}}, models_dir)


def parser():
    ap = run_parser(__doc__, "runs/caption_words_ar", seed=7)
    ap.add_argument("--lang", default="ar", choices=sorted(LANGUAGES))
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--dropout", type=float, default=0.5)
    ap.add_argument("--targets", default="shared", choices=["shared", "share"],
                    help="shared: 1 when >= 2 of a photo's captions use the word; share: the share of them that do")
    ap.add_argument("--models-dir", default=str(MODELS_DIR), help="where the word list is, and --install writes")
    ap.add_argument("--install", action="store_true", help="copy the model into --models-dir and register it")
    ap.add_argument("--limit", type=int, default=0, help="first N photos of each split (tests)")
    return ap


main = run_main(parser, train)

if __name__ == "__main__":
    main()
