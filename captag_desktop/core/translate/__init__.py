"""Offline caption-domain translation of English captions and hashtags.

No translation model can be downloaded here, so the default engine is rule-based:
parse the captioner's English (parse.py), then write it with a bilingual lexicon and
word-order rules (realize.py). It only knows the captioner's vocabulary; words outside
its lexicon are left out and reported, never passed through in English.
"""
from __future__ import annotations

from dataclasses import dataclass

from captag_desktop.core.hashtags import tag_words
from captag_desktop.core.translate.parse import english, parse
from captag_desktop.core.translate.realize import Rendering, lexicon, realise

CAPTION_LANGS = ("hi", "ta", "te", "bn")  # written from the English caption
TAG_LANGS = ("ar",) + CAPTION_LANGS  # hashtags translated from the English ones


def translate_caption(text: str, lang: str) -> Rendering:
    if lang not in CAPTION_LANGS:
        raise ValueError(f"no offline translator for '{lang}'")
    skipped: list[str] = []
    out = realise(parse(text, skipped), lang)
    out.missing = sorted(set(out.missing) | set(skipped))
    return out


def _tag_word(word: str, lex: dict, lang: str) -> tuple[str, str, dict] | None:
    """(kind, translation, lexicon entry) of one English tag word."""
    en = english()
    candidates = [word, en.lemma.get(word, word)]
    if word.endswith("s"):
        candidates.append(word[:-1])
    for w in candidates:
        if w in lex.get("nouns", {}):
            return "noun", lex["nouns"][w]["sg"], lex["nouns"][w]
        if w in lex.get("verbs", {}) and lex["verbs"][w].get("tag"):
            return "verb", lex["verbs"][w]["tag"], lex["verbs"][w]
        if w in lex.get("adjectives", {}):
            entry = lex["adjectives"][w]
            return "adj", entry.get("form") or entry.get("m"), entry
    return None


def translate_hashtag(tag: str, lang: str) -> str | None:
    """'#BlackDog' -> '#काला_कुत्ता'; None when a word is not in the lexicon."""
    lex = lexicon(lang)
    words = tag_words(tag)
    whole = lex.get("nouns", {}).get(" ".join(words))  # "#SoccerBall" -> the lexicon's "soccer ball"
    if whole is not None:
        pieces = [whole["sg"]]
    else:
        found = [_tag_word(w, lex, lang) for w in words]
        if not found or any(f is None for f in found):
            return None
        if lang == "ar":  # Arabic adjectives follow the noun
            found = [f for f in found if f[0] != "adj"] + [f for f in found if f[0] == "adj"]
        head = next((entry for kind, _t, entry in reversed(found) if kind == "noun"), {})
        if lang == "hi" and head.get("gender") == "f":  # #छोटी_लड़की: the adjective agrees
            found = [(k, e.get("f", t) if k == "adj" else t, e) for k, t, e in found]
        pieces = [text for _kind, text, _entry in found]
    return "#" + "_".join("_".join(p.split()) for p in pieces if p)


@dataclass
class TranslatedTags:
    tags: list[str]
    dropped: list[str]  # English tags with no translation


def translate_hashtags(tags: list[str], lang: str) -> TranslatedTags:
    out, dropped, seen = [], [], set()
    for tag in tags:
        t = translate_hashtag(tag, lang)
        if t is None:
            dropped.append(tag)
        elif t not in seen:  # two English tags can share one translation
            seen.add(t)
            out.append(t)
    return TranslatedTags(out, dropped)


__all__ = ["CAPTION_LANGS", "TAG_LANGS", "Rendering", "translate_caption", "translate_hashtag", "translate_hashtags"]
