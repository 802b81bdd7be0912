"""The creator's edits to a photo's results, and what is published with them: export, saved metadata
and sidecars carry exactly what the results panel shows (edited caption, ticked tags, the first N)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from captag_desktop.core.pipeline import PhotoResult


@dataclass
class LanguageEdits:
    caption: str | None = None  # the creator's own caption; None = the model's
    base_tags: list[str] = field(default_factory=list)  # the model's tags these edits were made on
    tags: list[str] = field(default_factory=list)  # base_tags with the creator's renames
    off: set[int] = field(default_factory=set)  # positions the creator unticked


Edits = dict[str, LanguageEdits]


def tags_for(result: PhotoResult, lang: str, edits: LanguageEdits | None) -> tuple[list[str], set[int]]:
    """The tag list and unticked positions to show. Tag edits were made on one set of model tags and
    are dropped when the model writes a new set (More ideas, a re-caption); caption edits are kept."""
    model = result.hashtags.get(lang, [])
    if edits is None or edits.base_tags != model:
        return list(model), set()
    return list(edits.tags), set(edits.off)


def published(result: PhotoResult, edits: Edits | None, count: int) -> PhotoResult:
    """The result as the creator would publish it: their captions, and of the first `count` tags
    the ticked, non-empty ones."""
    if result.error is not None:
        return result
    edits = edits or {}
    captions, hashtags = {}, {}
    for lang, caption in result.captions.items():
        e = edits.get(lang)
        captions[lang] = e.caption if e is not None and e.caption is not None else caption
        tags, off = tags_for(result, lang, e)
        hashtags[lang] = [t for i, t in enumerate(tags[:count]) if i not in off and t]
    return replace(result, captions=captions, hashtags=hashtags)
