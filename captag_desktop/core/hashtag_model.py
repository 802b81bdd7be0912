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


def word_descriptor(features: np.ndarray) -> np.ndarray:
    """Region features (B, N, C) -> mean and max over regions (B, 2C): the word-relevance input.
    The max keeps small things (a ball, a hat) that the mean washes out."""
    f = features.astype(np.float32)
    return np.concatenate([f.mean(axis=1), f.max(axis=1)], axis=1)


def memory_regions(cross_keys: np.ndarray) -> np.ndarray:
    """A caption decoder's cross-attention keys (layers, B, heads, positions, head_dim) -> (B, positions,
    layers * heads * head_dim): the photo as the caption model attends to it, regions by channels, so
    word_descriptor pools it like the encoder's features. The same layout trains and drives the word model."""
    layers, batch, heads, positions, dim = cross_keys.shape
    return cross_keys.transpose(1, 3, 0, 2, 4).reshape(batch, positions, layers * heads * dim)


class WordRelevance:
    """P(a content word is used by >= 2 of 5 people describing the photo), per lemma.

    Two views of the photo, averaged when both are at hand: the encoder's features, and the English
    caption decoder's cross-attention keys (its tuned view of the photo, hashtag-words-memory). The
    second only counts for the decoder it was trained on (the manifest records that file's sha256)."""

    def __init__(self, store: ModelStore, name: str = "hashtag-words", vocabulary: str = "hashtag-words-vocab"):
        """name: the encoder-view model; its decoder view, if any, is `name`-memory (the Arabic caption word
        model, caption-words-ar, has none)."""
        self.session = store.session(name)
        self.words = store.read_json(vocabulary)
        self.memory_session, self.memory_of, self.memory_name = None, None, f"{name}-memory"
        if store.has(self.memory_name):
            reads = store.entry(self.memory_name).raw["reads"]
            if store.has(reads["model"]) and store.entry(reads["model"]).sha256 == reads["sha256"]:
                session = store.session(self.memory_name)
                if session.get_outputs()[0].shape[-1] == len(self.words):  # else trained on another word list
                    self.memory_session, self.memory_of = session, reads["model"]

    def __call__(self, features: np.ndarray, memory: np.ndarray | None = None) -> dict[str, float]:
        """memory: the cross-attention keys of the decoder `memory_of` names, or None."""
        return dict(zip(self.words, self.probs(features, memory)[0].tolist()))

    def probs(self, features: np.ndarray, memory: np.ndarray | None = None) -> np.ndarray:
        """(B, words) for region features and, optionally, that decoder's cross-attention keys."""
        return self.descriptor_probs(word_descriptor(features),
                                     None if memory is None else word_descriptor(memory_regions(memory)))

    def descriptor_probs(self, descriptor: np.ndarray, memory_descriptor: np.ndarray | None = None) -> np.ndarray:
        """The same from descriptors already pooled (the word-neighbours build averages it over train photos)."""
        (probs,) = self.session.run(None, {"descriptor": descriptor})
        if memory_descriptor is not None and self.memory_session is not None:
            (other,) = self.memory_session.run(None, {"descriptor": memory_descriptor})
            probs = (probs + other) / 2
        return probs


class HashtagModel:
    def __init__(self, store: ModelStore):
        self.init = store.session("hashtag-init")
        self.step = store.session("hashtag-step")
        tags = store.read_json("hashtag-tags")
        self.tags = [Tag(k, d) for k, d in zip(tags["tags"], tags["display"])]
        self._by_key = {t.key: t for t in self.tags}
        self.max_tags = store.entry("hashtag-init").raw["config"]["max_tags"]
        self._words = WordRelevance(store) if store.has("hashtag-words") else None

    @property
    def memory_of(self) -> str | None:
        """The caption decoder (e.g. "caption-en-init") whose cross-attention keys word_probs can use."""
        return self._words.memory_of if self._words is not None else None

    def word_probs(self, features: np.ndarray, memory: np.ndarray | None = None) -> dict[str, float]:
        """Per content word, the chance people would use it for this photo ({} without the word model)."""
        return self._words(features, memory) if self._words is not None else {}

    def relevance(self, features: np.ndarray) -> tuple[dict[str, float], tuple]:
        """Per-tag probability that people would use it for this photo, plus the GRU's start state."""
        h, img, rel = self.init.run(None, {"pooled": image_embedding(features)})
        probs = {t.key: float(p) for t, p in zip(self.tags, rel[0, FIRST_TAG:])}
        return probs, (h, img)

    def top(self, relevance: dict[str, float], count: int) -> list[Tag]:
        return [self._by_key[k] for k in sorted(relevance, key=relevance.get, reverse=True)[:count]]

    def sample_ideas(self, state: tuple, count: int, seed: int, tries: int = 12) -> list[Tag]:
        """Sampled tag sequences (temperature 1) until `count` distinct tags or `tries` sequences: one
        sequence ends after a handful of tags, fewer than the count a creator asks for."""
        out: list[Tag] = []
        keys = set()
        for i in range(tries):
            for tag in self.generate(state, count, temperature=1.0, seed=seed * tries + i):
                if tag.key not in keys:
                    keys.add(tag.key)
                    out.append(tag)
            if len(out) >= count:
                break
        return out

    def generate(self, state: tuple, count: int = 10, temperature: float = 0.0, top_p: float = 0.9,
                 seed: int | None = None) -> list[Tag]:
        """Tags in the order the GRU writes them, never repeating. temperature 0 = greedy."""
        rng = np.random.default_rng(seed)
        h, img = state
        token = np.array([BOS], dtype=np.int64)
        used = np.zeros(len(self.tags) + FIRST_TAG, dtype=bool)
        used[BOS] = True
        out: list[Tag] = []
        for t in range(max(count, self.max_tags)):
            logits, h = self.step.run(None, {"token": token, "h": h, "img": img})
            logits = logits[0].astype(np.float64)
            logits[used] = -np.inf
            if t < 3:
                logits[EOS] = -np.inf  # always offer a few ideas
            if temperature > 0:
                scaled = np.exp((logits - logits.max()) / temperature)
                scaled /= scaled.sum()
                order = np.argsort(-scaled)
                keep = order[: int(np.searchsorted(np.cumsum(scaled[order]), top_p)) + 1]
                choice = int(rng.choice(keep, p=scaled[keep] / scaled[keep].sum()))
            else:
                choice = int(np.argmax(logits))
            if choice == EOS or len(out) >= count:
                break
            out.append(self.tags[choice - FIRST_TAG])
            used[choice] = True
            token = np.array([choice], dtype=np.int64)
        return out
