"""Evidence from similar photos, added to a caption decoder's word scores (shallow fusion).

A word-neighbours graph (training/build_word_neighbours.py) gives, per word, how much more often people
used it for the training photos most like this one than for the average photo (a log ratio, its
"lift"). English votes on the hashtag vocabulary's lemmas, and each caption token whose lemma is such a
word gets its lift. Arabic votes on the Arabic decoder's own tokens. The decoder adds weight x lift to
those tokens' log-probabilities at every step, so it leans towards what describers of similar photos
said. A graph built with --word-model also reads a word model's probabilities for the photo (English: the
hashtag word model, the same ones the hashtags use; Arabic: caption-words-ar) and adds their lift over
that model's train average: a second opinion, trained rather than retrieved. The weight is the caption
model's own (its manifest "decode"); models/captioner-en.md and captioner-ar.md have the figures.
"""
from __future__ import annotations

import numpy as np

from captag_desktop.core.hashtag_model import WordRelevance, word_descriptor
from captag_desktop.core.hashtags import lemma_of
from captag_desktop.core.models import ModelError, ModelStore
from captag_desktop.core.text import Vocab


class WordEvidence:
    """reads: None when the graph compares photos by the encoder's features; else the caption decoder whose
    cross-attention keys it compares them by (the manifest's "reads": that decoder and its sha256).
    relevance: the word model whose probabilities the graph reads (input "word_probs"), or None."""

    def __init__(self, session, reads: dict | None, words: list[str], vocab: Vocab,
                 relevance: WordRelevance | None = None):
        from captag_desktop.core.captioner import once_tokens  # the caption's content words

        self.session, self.reads, self.relevance = session, reads, relevance
        index = {w: i for i, w in enumerate(words)}
        if vocab.lang == "en":  # the graph votes on lemmas: "dogs" gets the evidence for "dog"
            pairs = [(t, index[lemma_of(vocab.itos[t])]) for t in sorted(once_tokens(vocab, "en"))
                     if lemma_of(vocab.itos[t]) in index]
        else:  # on the decoder's own tokens; words every photo uses ("في") get a lift near 0
            pairs = [(t, index[w]) for t, w in enumerate(vocab.itos) if w in index]
        self.tokens = np.array([t for t, _ in pairs], dtype=np.int64)
        self.words = np.array([i for _, i in pairs], dtype=np.int64)
        self.size = len(vocab)

    @classmethod
    def load(cls, store: ModelStore, name: str, vocab: Vocab, decoder_init: str) -> "WordEvidence | None":
        """The graph for this decoder, or None when it cannot serve it: not installed, damaged, built on
        another word list than the bundled one, comparing photos by another decoder's keys, or reading a
        word model that is missing or was retrained since. Captions then come from the decoder alone."""
        if not store.installed(name):
            return None
        raw = store.entry(name).raw
        vocabulary, reads = raw.get("vocabulary"), raw.get("reads")
        if not vocabulary or not store.installed(vocabulary):
            return None
        if raw.get("vocabulary_sha256") != store.entry(vocabulary).sha256:
            return None  # the word list was retrained since: the graph's columns mean other words
        if reads and (reads["model"] != decoder_init or store.entry(decoder_init).sha256 != reads["sha256"]):
            return None
        try:
            session, relevance = store.session(name), None
            if "word_probs" in {i.name for i in session.get_inputs()}:
                models = raw.get("word_models") or {}  # the encoder-view model first
                if not models or any(
                        not store.installed(m) or store.entry(m).sha256 != sha for m, sha in models.items()):
                    return None  # its average over train photos, inside the graph, would not be this model's
                relevance = WordRelevance(store, next(iter(models)), vocabulary)
                if (relevance.memory_name in models) != (relevance.memory_session is not None):
                    return None  # averaged over other views than the app now reads
            return cls(session, reads, store.read_json(vocabulary), vocab, relevance)
        except ModelError:
            return None

    def lift(self, regions: np.ndarray, memory: np.ndarray | None = None) -> np.ndarray:
        """The lift of each caption token for one photo's regions (1, regions, channels): encoder features,
        or memory_regions of the decoder's keys when `reads`; 0 for tokens the graph has no word for.
        memory: the cross-attention keys the word model's decoder view reads (relevance.memory_of), or None."""
        feeds = {"descriptor": word_descriptor(regions)}
        if self.relevance is not None:
            feeds["word_probs"] = self.relevance.probs(regions, memory)
        (lift,) = self.session.run(["lift"], feeds)
        out = np.zeros(self.size, dtype=np.float32)
        out[self.tokens] = lift[0, self.words]
        return out
