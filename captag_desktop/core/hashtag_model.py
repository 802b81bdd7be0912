"""The generative hashtag GRU (ONNX): greedy for the default ranked set, or
temperature + top-p sampling with a seed for "More ideas"."""
from __future__ import annotations

import numpy as np

from captag_desktop.core.hashtags import Tag
from captag_desktop.core.models import ModelStore

BOS, EOS, FIRST_TAG = 0, 1, 2


def image_embedding(features: np.ndarray) -> np.ndarray:
    """Encoder region features (B, N, C) -> one pooled vector per image (B, C).
    The same vector trains and drives the hashtag model."""
    return features.astype(np.float32).mean(axis=1)


class HashtagModel:
    def __init__(self, store: ModelStore):
        self.init = store.session("hashtag-init")
        self.step = store.session("hashtag-step")
        tags = store.read_json("hashtag-tags")
        self.tags = [Tag(k, d) for k, d in zip(tags["tags"], tags["display"])]
        self.max_tags = store.entry("hashtag-init").raw["config"]["max_tags"]

    def generate(self, features: np.ndarray, count: int = 10, temperature: float = 0.0, top_p: float = 0.9,
                 seed: int | None = None) -> dict[Tag, float]:
        """Returns tag -> relevance (the probability it had when chosen). temperature 0 = greedy."""
        rng = np.random.default_rng(seed)
        h, img = self.init.run(None, {"pooled": image_embedding(features)})
        token = np.array([BOS], dtype=np.int64)
        used = np.zeros(len(self.tags) + FIRST_TAG, dtype=bool)
        used[BOS] = True
        out: dict[Tag, float] = {}
        for t in range(max(count, self.max_tags)):
            logits, h = self.step.run(None, {"token": token, "h": h, "img": img})
            logits = logits[0].astype(np.float64)
            logits[used] = -np.inf
            if t < 3:
                logits[EOS] = -np.inf  # always offer a few ideas
            probs = np.exp(logits - logits.max())
            probs /= probs.sum()
            if temperature > 0:
                scaled = np.exp((np.log(probs + 1e-12)) / temperature)
                scaled[used] = 0
                scaled /= scaled.sum()
                order = np.argsort(-scaled)
                keep = order[: max(1, int(np.searchsorted(np.cumsum(scaled[order]), top_p)) + 1)]
                choice = int(rng.choice(keep, p=scaled[keep] / scaled[keep].sum()))
            else:
                choice = int(np.argmax(probs))
            if choice == EOS or len(out) >= count:
                break
            out[self.tags[choice - FIRST_TAG]] = float(probs[choice])
            used[choice] = True
            token = np.array([choice], dtype=np.int64)
        return out
