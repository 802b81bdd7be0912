"""Hashtag quality on a Flickr8k split through the app's pipeline (encoder -> caption -> tags).

A tag hits when one of its words matches a content word used in at least 2 of the
photo's 5 human captions. Reported two ways: exact word match, and after the app's
lemmatisation (so #running matches "runs"). Also: duplicates, distinct tags per
image across the split, and the median time of extraction + generation + ranking.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path

from captag_desktop.core.hashtags import lemma_of, tag_words
from captag_desktop.core.images import load_image
from captag_desktop.core.models import share_threads
from captag_desktop.core.pipeline import Pipeline
from captag_desktop.core.resources import word_list
from captag_desktop.core.text import tokenize
from training.flickr8k import DEFAULT_ROOT, image_path, read_captions, read_split


def content_word_counts(caps: list[str], normalise) -> Counter:
    """How many of the captions use each content word (normalised)."""
    stop = word_list("stopwords_en.txt")
    counts = Counter()
    for c in caps:
        counts.update({normalise(w) for w in tokenize(c) if w not in stop})
    return counts


def shared_content_words(caps: list[str], normalise) -> set[str]:
    return {w for w, n in content_word_counts(caps, normalise).items() if n >= 2}


def tag_hits(tag: str, gold: set[str], normalise, every: bool = False) -> bool:
    """The metric's rule: a tag hits when one of its words is in `gold` (normalised as gold was). With
    `every`, all of them must be: what a creator asks of a tag, so #BrownDog is wrong for a black dog."""
    found = [normalise(w) in gold for w in tag_words(tag)]
    return all(found) if every else any(found)


def precision_at(tags: list[str], caps: list[str], k: int, normalise, every: bool = False) -> float:
    gold = shared_content_words(caps, normalise)
    top = tags[:k]
    if not top:
        return 0.0
    return sum(tag_hits(t, gold, normalise, every) for t in top) / len(top)


def captioned(pipe: Pipeline, data: Path, names: list[str]):
    """(name, encoding, English caption) per photo, captioned as the app does (each model's own settings)."""
    decoder = pipe.decoder("en")
    for n in names:
        feats = pipe.encoder()(load_image(image_path(data, n)).rgb)
        yield n, feats, decoder.caption(feats, pipe.decode_for(decoder))


def evaluate(data: Path, split: str = "dev", limit: int = 0, count: int = 10) -> dict:
    pipe = Pipeline()
    names = read_split(data, split)[: limit or None]
    captions = read_captions(data, "en")
    exact, lemma, dups, all_tags, times, examples = [], [], 0, Counter(), [], []
    for n, feats, caption in captioned(pipe, data, names):
        t = time.perf_counter()
        tags = pipe.hashtags(feats, caption, count)
        times.append((time.perf_counter() - t) * 1000)
        keys = [t.lower() for t in tags]
        dups += len(keys) - len(set(keys))
        all_tags.update(keys)
        exact.append(precision_at(tags, captions[n], 5, lambda w: w))
        lemma.append(precision_at(tags, captions[n], 5, lemma_of))
        if len(examples) < 20:
            examples.append({"image": n, "caption": caption, "hashtags": tags})
    return {"split": split, "images": len(names), "precision_at_5_exact": round(statistics.mean(exact), 4),
            "precision_at_5_lemma": round(statistics.mean(lemma), 4), "duplicate_tags": dups,
            "distinct_tags": len(all_tags), "distinct_tags_per_image": round(len(all_tags) / len(names), 3),
            "median_hashtag_ms": round(statistics.median(times), 2), "examples": examples}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DEFAULT_ROOT)
    ap.add_argument("--split", default="dev")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    report = evaluate(args.data, args.split, args.limit)
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "examples"}))


if __name__ == "__main__":
    share_threads()  # timed as the app runs; only here, as other callers may bring sessions of their own
    main()
