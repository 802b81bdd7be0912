"""Evidence from similar photos, added to a caption decoder's word scores (shallow fusion).

The word-neighbours graph (training/build_word_neighbours.py) gives, per content word of the hashtag
vocabulary, how much more often people used it for the training photos most like this one than for
the average photo (a log ratio, its "lift"). Each caption token whose lemma is such a word gets
weight x lift added to its log-probability at every step, so the decoder leans towards what
describers of similar photos said. The weight is the caption model's own, chosen on the dev split
(models/captioner-en.md has the figures).
"""
from __future__ import annotations

import numpy as np

from captag_desktop.core.hashtag_model import word_descriptor
from captag_desktop.core.hashtags import lemma_of
from captag_desktop.core.models import ModelStore
from captag_desktop.core.resources import word_list
from captag_desktop.core.text import Vocab


class WordEvidence:
    """reads_memory: the graph compares photos by a caption decoder's cross-attention keys (the manifest's
    "reads" names that decoder and its sha256), not by the encoder's features."""

    def __init__(self, store: ModelStore, name: str, vocab: Vocab):
        entry = store.entry(name)
        self.reads_memory = entry.raw.get("reads")
        self.session = store.session(name)
        words = store.read_json(entry.raw["vocabulary"])
        index, stop = {w: i for i, w in enumerate(words)}, word_list("stopwords_en.txt")
        pairs = [(t, index[lemma_of(w)]) for t, w in enumerate(vocab.itos)
                 if w.isalpha() and w not in stop and lemma_of(w) in index]
        self.tokens = np.array([t for t, _ in pairs], dtype=np.int64)
        self.words = np.array([i for _, i in pairs], dtype=np.int64)
        self.size = len(vocab)

    def suits(self, store: ModelStore, decoder_init: str) -> bool:
        """Whether the graph's view of photos is one this decoder has: the encoder's features, or the
        cross-attention keys of exactly this decoder file."""
        reads = self.reads_memory
        return not reads or (reads["model"] == decoder_init and store.entry(decoder_init).sha256 == reads["sha256"])

    def lift(self, regions: np.ndarray) -> np.ndarray:
        """The lift of each caption token for one photo's regions (1, regions, channels): encoder features,
        or memory_regions of the decoder's keys when reads_memory; 0 for tokens the graph has no word for."""
        (lift,) = self.session.run(["lift"], {"descriptor": word_descriptor(regions)})
        out = np.zeros(self.size, dtype=np.float32)
        out[self.tokens] = lift[0, self.words]
        return out
