"""The photo -> caption -> hashtags pipeline as generators.

Every `yield` is a progress tick and a cancel point: `drive()` checks the cancel
token between ticks, so a newer photo can stop an older job between stages.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Generator

import numpy as np

from captag_desktop.core.beam_search import DecodeOptions
from captag_desktop.core.models import ModelStore

LANGUAGES = {"en": "English", "ar": "Arabic", "hi": "Hindi", "ta": "Tamil", "te": "Telugu", "bn": "Bengali"}


class Cancelled(Exception):
    pass


class CancelToken:
    def __init__(self):
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@dataclass(frozen=True)
class Progress:
    stage: str
    fraction: float  # 0..1 over the whole job
    message: str = ""


@dataclass
class PhotoResult:
    image: str
    captions: dict[str, str] = field(default_factory=dict)
    hashtags: dict[str, list[str]] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    engines: dict[str, str] = field(default_factory=dict)  # which model or translator wrote each language
    error: str | None = None

    def to_json(self) -> dict:
        if self.error is not None:
            return {"image": self.image, "error": self.error}
        out = {"image": self.image, "captions": self.captions, "hashtags": self.hashtags, "engines": self.engines,
               "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()}}
        if self.warnings:
            out["warnings"] = self.warnings
        return out


Job = Generator[Progress, None, PhotoResult]


def drive(job: Job, cancel: CancelToken | None = None, on_progress: Callable[[Progress], None] | None = None) -> PhotoResult:
    """Run a pipeline generator to completion, honouring cancellation at each tick."""
    try:
        while True:
            if cancel is not None and cancel.cancelled:
                job.close()
                raise Cancelled()
            tick = next(job)
            if on_progress is not None:
                on_progress(tick)
    except StopIteration as stop:
        return stop.value


class Pipeline:
    """Loads each model once, on first use, and reuses it for every photo."""

    def __init__(self, store: ModelStore | None = None, encoder: str = "quality",
                 decode: DecodeOptions = DecodeOptions(), model_length_penalty: bool = True,
                 beam_size: int | None = None):
        self.store = store or ModelStore()
        self.encoder_kind = encoder
        self.decode = decode
        self.model_length_penalty = model_length_penalty  # each caption model's tuned alpha, unless overridden
        self.beam_size = beam_size  # None: each caption model's own (chosen on dev)
        self._encoder = None
        self._decoders: dict[str, object] = {}
        self._hashtag_model = None
        self._tag_ranker = None
        self._translator = None
        self.banned_tags: frozenset[str] = frozenset()
        self.allow_platform_tags = False

    def configure(self, encoder: str | None = None, beam_size: int | None = None, banned_tags=None) -> None:
        """Switch the encoder, beam size (0: each model's own) or banned hashtags between photos; models
        stay loaded. None leaves a setting as it is."""
        if banned_tags is not None:
            self.banned_tags = frozenset(t.lower().lstrip("#") for t in banned_tags if t.strip())
        if encoder is not None and encoder != self.encoder_kind:
            self.encoder_kind, self._encoder = encoder, None
        if beam_size is not None:
            self.beam_size = beam_size or None

    def encoder(self):
        if self._encoder is None:
            from captag_desktop.core.captioner import Encoder

            self._encoder = Encoder(self.store, self.encoder_kind)
        return self._encoder

    def decoder(self, lang: str):
        """The caption decoder for a language; with the Fast encoder, its fine-tuned twin if bundled."""
        variant = "fast" if self.encoder_kind == "fast" and self.store.has(f"caption-{lang}-fast-step") else ""
        if (lang, variant) not in self._decoders:
            from captag_desktop.core.captioner import CaptionDecoder

            self._decoders[(lang, variant)] = CaptionDecoder(self.store, lang, variant)
        return self._decoders[(lang, variant)]

    def decode_for(self, decoder) -> DecodeOptions:
        own = decoder.own_options(self.beam_size)
        if self.model_length_penalty:
            return own
        return replace(self.decode, beam_size=own.beam_size, evidence_weight=own.evidence_weight,
                       block_repeat_ngram=own.block_repeat_ngram)

    def hashtag_model(self):
        """The generative hashtag model, or None when it is not bundled (extraction only)."""
        if self._hashtag_model is None and self.store.has("hashtag-step"):
            from captag_desktop.core.hashtag_model import HashtagModel

            self._hashtag_model = HashtagModel(self.store)
        return self._hashtag_model

    def _english_memory(self, encoding: dict, wanted: str | None):
        """The English decoder's cross-attention keys, when it is the decoder the word model was trained
        on (not with the Fast encoder's own decoder). Cached in the encoding, so captioning pays for it."""
        decoder = self.decoder("en") if wanted is not None else None
        # not with another decoder, nor for a caller that kept only the encoder's "features"
        if decoder is None or decoder.init_name != wanted or not decoder.can_read(encoding):
            return None
        return decoder.cross_attention(encoding)[0]

    def hashtags(self, encoding: dict, caption: str, count: int, seed: int | None = None) -> list[str]:
        """Caption keywords + generated tags, merged and ranked. A seed samples new ideas."""
        from captag_desktop.core.hashtags import HashtagOptions, rank

        found = self.tag_candidates(encoding, caption, count, seed)
        opts = HashtagOptions(count=count, allow_platform=self.allow_platform_tags, banned=self.banned_tags,
                              tail_pool=max(HashtagOptions.tail_pool, count))  # a long list needs a deep pool
        ranker = self.tag_ranker()
        tags = rank(found, opts, ranker)
        if found.likeliest and len(tags) < count:  # "More ideas" samples ran dry: the likeliest others fill up
            have = {t.lower() for t in tags}
            extra = rank(replace(found, generated=found.likeliest), opts, ranker)
            tags += [t for t in extra if t.lower() not in have][: count - len(tags)]
        return tags

    def tag_candidates(self, encoding: dict, caption: str, count: int, seed: int | None = None):
        """Everything the hashtag ranking reads for one photo (hashtags.Candidates): the caption's keywords,
        the tag model's relevant and generated tags, and the word model's probabilities. With a seed, the
        generated tags are sampled ideas and `likeliest` holds the most relevant ones to fill up with."""
        from captag_desktop.core.captioner import FEATURES
        from captag_desktop.core.hashtags import Candidates, caption_tags

        features = encoding[FEATURES]
        model = self.hashtag_model()
        found = Candidates(caption_tags(caption))
        if model is None:
            return found
        found.relevance, state = model.relevance(features)
        found.words = model.word_probs(features, self._english_memory(encoding, model.memory_of))
        likeliest = model.top(found.relevance, max(150, count))
        if seed is None:  # the default set: the most relevant tags plus what the GRU writes
            found.generated = likeliest + model.generate(state, count)
        else:  # "More ideas": sampled sets, still ordered by relevance
            found.generated, found.likeliest = model.sample_ideas(state, count + 5, seed), likeliest
        return found

    def tag_ranker(self):
        """The learned hashtag ranker, or None when it is not bundled (the hand-set score ranks)."""
        if self._tag_ranker is None and self.store.has("tag-ranker"):
            from captag_desktop.core.tag_ranker import TagRanker

            self._tag_ranker = TagRanker.load(self.store)
        return self._tag_ranker

    def available_languages(self) -> list[str]:
        from captag_desktop.core.translate import CAPTION_LANGS

        return [lang for lang in LANGUAGES if self.store.has(f"caption-{lang}-step") or lang in CAPTION_LANGS]

    @property
    def translator(self):
        if self._translator is None:
            from captag_desktop.core.translate.engine import choose_translator

            self._translator = choose_translator(self.store)
        return self._translator

    def warm_up(self) -> None:
        """Load the English path (models, word lists, frequency tables) so the first photo is not slow."""
        # One tiny run through every stage: ONNX Runtime does its lazy set-up on the first call.
        features = self.encoder()(np.zeros((32, 32, 3), np.uint8))
        decoder = self.decoder("en")
        caption = decoder.caption(features, replace(self.decode_for(decoder), beam_size=1, max_len=3))
        self.hashtags(features, caption or "a dog runs", 3)

    def describe(self, rgb: np.ndarray, image: str, langs: list[str] = ("en",), n_hashtags: int = 10,
                 hashtag_seed: int | None = None) -> Job:
        """English is always written first: the other languages start from its caption or hashtags."""
        from captag_desktop.core.translate import CAPTION_LANGS, TAG_LANGS

        result = PhotoResult(image=image)
        t0 = time.perf_counter()
        yield Progress("encode", 0.05, "Looking at the photo…")
        features = self.encoder()(rgb)
        result.timings_ms["encode"] = (time.perf_counter() - t0) * 1000
        yield Progress("caption", 0.3, "Writing the English caption…")
        t = time.perf_counter()
        decoder_en = self.decoder("en")
        english = decoder_en.caption(features, self.decode_for(decoder_en))
        result.timings_ms["caption_en"] = (time.perf_counter() - t) * 1000
        tags_en: list[str] = []
        if n_hashtags > 0:
            t = time.perf_counter()
            # extra English tags, because some may have no translation
            tags_en = self.hashtags(features, english, n_hashtags + 5, hashtag_seed)
            result.timings_ms["hashtags_en"] = (time.perf_counter() - t) * 1000
        if "en" in langs:
            result.captions["en"] = english
            result.engines["en"] = f"captioner ({self.encoder_kind} encoder)"
            if n_hashtags > 0:
                result.hashtags["en"] = tags_en[:n_hashtags]
        others = [lang for lang in langs if lang != "en"]
        spare_en = None  # more English tags, asked for only if a language's translations come up short
        for i, lang in enumerate(others):
            name = LANGUAGES.get(lang, lang)
            yield Progress("translate", 0.5 + 0.45 * i / len(others), f"Writing the {name} caption…")
            t = time.perf_counter()
            if self.store.has(f"caption-{lang}-step"):
                result.captions[lang] = self.decoder(lang).caption(features, self.decode_for(self.decoder(lang)))
                result.engines[lang] = "native captioner"
            elif lang in CAPTION_LANGS:
                rendering = self.translator.caption(english, lang)
                result.captions[lang] = rendering.text
                result.engines[lang] = f"translated: {self.translator.name}"
                if rendering.missing:
                    result.warnings.append(f"{name}: left out words the offline lexicon lacks: {', '.join(rendering.missing)}")
            else:
                result.warnings.append(f"no {name} caption model is installed; skipped '{lang}'")
                continue
            if n_hashtags > 0 and lang in TAG_LANGS:
                tags = self.translator.hashtags(tags_en, lang)
                if len(tags) < n_hashtags:  # tags with no translation, or two that translate alike: top up
                    if spare_en is None:  # after the English list, in its order
                        shown = {t.lower() for t in tags_en}
                        spare_en = tags_en + [t for t in self.hashtags(features, english, n_hashtags + 20, hashtag_seed)
                                              if t.lower() not in shown]
                    tags = self.translator.hashtags(spare_en, lang)
                result.hashtags[lang] = tags[:n_hashtags]
            result.timings_ms[f"caption_{lang}"] = (time.perf_counter() - t) * 1000
        result.timings_ms["total"] = (time.perf_counter() - t0) * 1000
        yield Progress("done", 1.0, "Done")
        return result
