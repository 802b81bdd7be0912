"""Which translator writes the non-English languages: an installed model pack, else the offline rules."""
from __future__ import annotations

from captag_desktop.core.models import ModelStore
from captag_desktop.core.translate import Rendering, translate_caption, translate_hashtags


class OfflineTranslator:
    name = "offline lexicon"

    def supports(self, lang: str) -> bool:
        from captag_desktop.core.translate import CAPTION_LANGS

        return lang in CAPTION_LANGS

    def caption(self, text: str, lang: str) -> Rendering:
        return translate_caption(text, lang)

    def hashtags(self, tags: list[str], lang: str) -> list[str]:
        return translate_hashtags(tags, lang).tags


class PreferPack:
    """A model pack for the languages it covers; the offline rules for the rest and for hashtags
    it cannot keep as single words."""

    def __init__(self, pack, fallback: OfflineTranslator):
        self.pack, self.fallback = pack, fallback
        self.name = f"{pack.name} (model pack)"

    def supports(self, lang: str) -> bool:
        return self.pack.supports(lang) or self.fallback.supports(lang)

    def caption(self, text: str, lang: str) -> Rendering:
        if self.pack.supports(lang):
            return Rendering(self.pack.translate([text], lang)[0])
        return self.fallback.caption(text, lang)

    def hashtags(self, tags: list[str], lang: str) -> list[str]:
        if not self.pack.supports(lang) or not tags:
            return self.fallback.hashtags(tags, lang)
        words = [t.lstrip("#") for t in tags]
        out, seen = [], set()
        for text in self.pack.translate(words, lang):
            tag = "#" + "_".join(text.replace("#", "").split())
            if len(tag) > 1 and tag not in seen:
                seen.add(tag)
                out.append(tag)
        return out


def choose_translator(store: ModelStore):
    offline = OfflineTranslator()
    if store.has("translation-pack"):
        from captag_desktop.core.translate.pack import TranslationPack

        return PreferPack(TranslationPack(store), offline)
    return offline
