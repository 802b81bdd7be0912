"""Hashtags from a caption's content words (extraction only; ranking comes later)."""
from __future__ import annotations

from captag_desktop.core.resources import word_list
from captag_desktop.core.text import tokenize


def _singular(word: str) -> str:
    # One rule for plurals: drop a final "s" unless that would break the word.
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def hashtags_from_caption(caption: str, limit: int = 10) -> list[str]:
    stop = word_list("stopwords_en.txt")
    tags: list[str] = []
    for word in tokenize(caption):
        if word in stop or len(word) < 3:
            continue
        tag = "#" + _singular(word)
        if tag not in tags:
            tags.append(tag)
    return tags[:limit]
