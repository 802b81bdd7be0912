"""Fit the hashtag ranker (core/tag_ranker.py) on dev photos the models never trained on.

The word and tag models were fitted on the train split, so their probabilities are overconfident
there; a ranker fitted on them would learn to trust them too much. So the ranker is fitted on one
part of dev (by default the photos after the first 500) and measured on the other (the first 500,
`evaluate_hashtags --limit 500`). Each photo's candidates come from the app's own pipeline
(Pipeline.tag_candidates), cached per photo range and bundled manifest.

    python -m training.train_tag_ranker --install
"""
from __future__ import annotations

import argparse
import json
import math
import pickle
import statistics
import sys
from pathlib import Path

import numpy as np

from captag_desktop.core.atomic import write_text_atomic
from captag_desktop.core.hashtags import (Candidates, HashtagOptions, lemma_of, rank, tag_chance, tag_words,
                                          word_chance)
from captag_desktop.core.pipeline import Pipeline
from captag_desktop.core.tag_ranker import FEATURES, MODEL_NAME, TagRanker, features
from training.evaluate_hashtags import captioned, precision_at, shared_content_words, tag_hits
from training.flickr8k import DEFAULT_ROOT, read_captions, read_split
from training.manifest_tool import MODELS_DIR, sha256_of, update_entry
from training.run_utils import command_line

COUNT = 10  # as evaluate_hashtags asks


def collect(data: Path, names: list[str], cache: Path | None = None) -> list:
    """(photo, Candidates) for each photo, as the app finds them for its default set. The cache is named
    by the bundled manifest's hash, so retrained models make a new one."""
    if cache:
        cache = cache.with_name(f"{cache.stem}_{sha256_of(MODELS_DIR / 'manifest.json')[:12]}{cache.suffix}")
    if cache and cache.exists():
        return pickle.loads(cache.read_bytes())
    pipe = Pipeline()
    found = [(n, pipe.tag_candidates(encoding, caption, COUNT)) for n, encoding, caption in captioned(pipe, data, names)]
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps(found))
    return found


def rows(found: list, captions: dict[str, list[str]], opts: HashtagOptions, label: str = "all"):
    """Every allowed candidate of every photo: its features (X) and whether it is right (y)."""
    xs, ys = [], []
    for name, cand in found:
        shown, keys = cand.merged(opts)
        if not keys:
            continue
        gold = shared_content_words(captions[name], lemma_of)
        xs.append(features(cand, keys))
        # "any" is the metric's rule; learning it puts #BrownDog above #dog for any dog, brown or not
        ys.append([tag_hits(shown[k], gold, lemma_of, every=label == "all") for k in keys])
    return np.concatenate(xs), np.concatenate(ys).astype(np.float64)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, iters: int = 50) -> TagRanker:
    """Logistic regression by Newton's method on standardised features (convex: no seed, no schedule)."""
    mean, scale = x.mean(0), x.std(0) + 1e-9
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-z @ w))
        grad = z.T @ (p - y) / len(y) + l2 * np.r_[w[:-1], 0]
        hess = (z * (p * (1 - p))[:, None]).T @ z / len(y) + l2 * np.diag(np.r_[np.ones(len(w) - 1), 0])
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return TagRanker(dict(zip(FEATURES, w[:-1].tolist())), float(w[-1]), mean.tolist(), scale.tolist())


def any_word_chance(tag: str, cand: Candidates) -> float:
    """The word model's chance that at least one word of a shown tag applies, its words lemmatised as
    the metric reads them (words as independent, as tag_chance takes them; a tag the word model cannot
    read word by word keeps tag_chance's fallback to the tag model)."""
    lemmas = [lemma_of(w) for w in tag_words(tag)]
    miss_all = math.prod(1 - word_chance(w, cand.words, cand.relevance) for w in lemmas)
    return max(1 - miss_all, tag_chance(" ".join(lemmas), cand.words, cand.relevance))


def believed_hits(cand: Candidates, tags: list[str]) -> float:
    """The word model's own P@5 for these tags: the mean of any_word_chance over the top 5."""
    chances = [any_word_chance(t, cand) for t in tags[:5]]
    return statistics.mean(chances) if chances else 0.0


def best_believed(cand: Candidates, opts: HashtagOptions, every: bool) -> float:
    """The mean of the (up to) 5 highest chances among all candidates that every word of a tag applies
    (`every`), or at least one does (any_word_chance); a shown text counts once, as rank() shows it once.
    With calibrated chances, no ranking of these candidates expects more hits by that rule."""
    shown, keys = cand.merged(opts)
    best: dict[str, float] = {}
    for k in keys:
        chance = tag_chance(k, cand.words, cand.relevance) if every else any_word_chance(shown[k], cand)
        best[shown[k].lower()] = max(best.get(shown[k].lower(), 0.0), chance)
    chances = sorted(best.values(), reverse=True)[:5]
    return statistics.mean(chances) if chances else 0.0


def precision(found: list, captions: dict[str, list[str]], ranker: TagRanker | None) -> dict:
    """P@5 as evaluate_hashtags scores it, "strict": the share of the top 5 with every word right, and
    "believed": the P@5 the word model expects of the same tags (believed_hits), and the most it expects
    of any top 5, every word right or any one (best_believed)."""
    opts = HashtagOptions(count=COUNT)
    tags = {name: rank(cand, opts, ranker) for name, cand in found}

    def mean(score):  # over photos; score(name, candidates, its top tags)
        return round(statistics.mean(score(n, c, tags[n]) for n, c in found), 4)

    return {"precision_at_5_lemma": mean(lambda n, c, t: precision_at(t, captions[n], 5, lemma_of)),
            "precision_at_5_exact": mean(lambda n, c, t: precision_at(t, captions[n], 5, lambda w: w)),
            "strict_precision_at_5": mean(lambda n, c, t: precision_at(t, captions[n], 5, lemma_of, every=True)),
            "believed_precision_at_5": mean(lambda n, c, t: believed_hits(c, t)),
            "best_believed_strict_at_5": mean(lambda n, c, t: best_believed(c, opts, True)),
            "best_believed_at_5": mean(lambda n, c, t: best_believed(c, opts, False))}


def install(ranker: TagRanker, report: dict, command: str, models_dir: Path = MODELS_DIR) -> None:
    body = {"features": list(FEATURES), "weights": dict(zip(FEATURES, ranker.w.tolist())), "bias": ranker.bias,
            "mean": ranker.mean.tolist(), "scale": ranker.scale.tolist()}
    write_text_atomic(models_dir / "tag_ranker.json", json.dumps(body, indent=1) + "\n")
    update_entry({"name": MODEL_NAME, "task": "hashtag-ranking", "file": "tag_ranker.json", "card": "hashtags-en.md",
                  "license": "Apache-2.0 (weights fitted by captag)",
                  "source": "Flickr8k dev split photos (Hodosh, Young & Hockenmaier 2013, research use): the app's own "
                            "candidates for each, labelled by the photo's 5 English captions",
                  "command": command, "metrics_dev": report}, models_dir)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_ROOT)
    ap.add_argument("--held-out", type=int, default=500, help="the first N dev photos measure; the rest fit")
    ap.add_argument("--l2", type=float, default=1e-3)
    ap.add_argument("--cache", type=Path, default=Path(".cache/tag_candidates"))
    ap.add_argument("--label", choices=("all", "any"), default="all",
                    help="what makes a candidate right when fitting (evaluate_hashtags.tag_hits: every word, or any "
                         "one); only 'all' may be installed")
    ap.add_argument("--install", action="store_true")
    args = ap.parse_args(argv)
    if args.install and args.label != "all":
        ap.error("a ranker fitted to the metric's any-word rule games it; it is for measuring only")
    names = read_split(args.data, "dev")
    captions = read_captions(args.data, "en")
    measure = collect(args.data, names[: args.held_out], args.cache / f"dev_0_{args.held_out}.pkl")
    train = collect(args.data, names[args.held_out:], args.cache / f"dev_{args.held_out}_end.pkl")
    ranker = fit(*rows(train, captions, HashtagOptions(count=COUNT), args.label), l2=args.l2)
    report = {"split": "dev", "fitted_on": len(train), "measured_on": len(measure),
              "hand_set": precision(measure, captions, None), "ranker": precision(measure, captions, ranker),
              "weights": dict(zip(FEATURES, np.round(ranker.w, 3).tolist()))}
    print(json.dumps(report, indent=1))
    if args.install:
        install(ranker, report, command_line("training.train_tag_ranker", argv))


if __name__ == "__main__":
    main()
