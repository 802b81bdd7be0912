"""A learned hashtag ranker: logistic regression over a few facts about each candidate tag.

The hand-set score (hashtags.Candidates.hand_scores) adds up the word model's chance, a caption
bonus and a popularity prior with weights picked by hand. The ranker learns what each fact is worth
from photos the models never trained on. Measured on dev it learns the hand-set score back, so none
is bundled (models/hashtags-en.md); the app uses one when `tag-ranker` is installed. `features` is
the one place these facts are computed, for training (training/train_tag_ranker.py) and for the app.
"""
from __future__ import annotations

import numpy as np

from captag_desktop.core.hashtags import Candidates, tag_chance, tag_popularity, word_chance

FEATURES = ("chance", "weakest_word", "strongest_word", "tag_model", "in_caption", "caption_rank",
            "caption_chance", "popularity", "compound", "unknown_words")
MODEL_NAME = "tag-ranker"


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def features(found: Candidates, keys: list[str]) -> np.ndarray:
    """(len(keys), len(FEATURES)) for one photo's allowed candidate keys."""
    caption_order = {}
    for t in found.keywords:
        caption_order.setdefault(t.key, len(caption_order))
    rows = []
    for k in keys:
        parts = k.split()
        word_p = [word_chance(w, found.words, found.relevance) for w in parts]
        chance = tag_chance(k, found.words, found.relevance)
        in_caption = k in caption_order
        rows.append([chance, min(word_p), max(word_p), found.relevance.get(k, 0.0), float(in_caption),
                     1.0 / (1 + caption_order[k]) if in_caption else 0.0, chance * in_caption,
                     tag_popularity(k), float(len(parts) > 1), float(any(w not in found.words for w in parts))])
    x = np.asarray(rows, np.float64).reshape(len(keys), len(FEATURES))
    for i in (0, 1, 2, 3):  # probabilities as log-odds, so the weights act on evidence, not on a squashed scale
        x[:, i] = _logit(x[:, i])
    return x


class TagRanker:
    """P(the tag hits), from `features` with weights fitted on held-out photos."""

    def __init__(self, weights: dict[str, float], bias: float, mean: list[float], scale: list[float]):
        if set(weights) != set(FEATURES):
            raise ValueError(f"the tag ranker was fitted on other features: {sorted(weights)}")
        self.w = np.array([weights[f] for f in FEATURES])
        self.bias = bias
        self.mean, self.scale = np.asarray(mean), np.asarray(scale)

    @classmethod
    def load(cls, store) -> "TagRanker":
        d = store.read_json(MODEL_NAME)
        if d.get("features") != list(FEATURES):  # mean and scale are lists in that order
            raise ValueError(f"the tag ranker was fitted on other features: {d.get('features')}")
        return cls(d["weights"], d["bias"], d["mean"], d["scale"])

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.w + self.bias
        return 1 / (1 + np.exp(-z))

    def scores(self, found: Candidates, keys: list[str]) -> dict[str, float]:
        if not keys:
            return {}
        return dict(zip(keys, self.probabilities(features(found, keys)).tolist()))
