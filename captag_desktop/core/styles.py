"""Caption styles and platform presets, from the plain English caption and its hashtags.

- Plain: the captioner's sentence.
- Alt text: literal and accessible ("Photo of a black dog running through the grass."):
  no hashtags, no emoji, no guessing beyond the caption.
- Social: one engaging sentence built from the caption's own parts, optionally with an
  emoji chosen from the caption's nouns. Templates never add a noun the caption lacks.
Platform presets decide length, where hashtags go and whether emoji are used.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from captag_desktop.core.hashtags import tag_words
from captag_desktop.core.translate.parse import english, parse

STYLES = ("plain", "social", "alt")
EMOJI = {
    "dog": "🐶", "puppy": "🐶", "cat": "🐱", "horse": "🐴", "bird": "🐦", "beach": "🏖️", "ocean": "🌊", "wave": "🌊",
    "surf": "🏄", "surfer": "🏄", "snow": "❄️", "ski": "⛷️", "skier": "⛷️", "snowboarder": "🏂", "bike": "🚲",
    "bicycle": "🚲", "biker": "🚴", "motorcycle": "🏍️", "car": "🚗", "boat": "⛵", "kayak": "🛶", "canoe": "🛶",
    "water": "💦", "pool": "🏊", "swim": "🏊", "ball": "⚽", "soccer": "⚽", "football": "🏈", "basketball": "🏀",
    "baseball": "⚾", "tennis": "🎾", "guitar": "🎸", "mountain": "⛰️", "hill": "⛰️", "tree": "🌳", "forest": "🌲",
    "woods": "🌲", "grass": "🌿", "field": "🌾", "city": "🏙️", "street": "🏙️", "skateboard": "🛹", "skateboarder": "🛹",
    "baby": "👶", "child": "🧒", "girl": "👧", "boy": "👦", "crowd": "🎉", "parade": "🎉", "run": "🏃", "jump": "🤸",
    "sand": "🏖️", "lake": "🏞️", "river": "🏞️", "park": "🏞️", "fire": "🔥", "camera": "📸", "picture": "📸",
}
OPENERS = ["{sentence}{excl} {emoji}", "Caught in the moment: {lower}{excl} {emoji}", "Pure joy: {lower}{excl} {emoji}",
           "This is what a good day looks like: {lower}{excl} {emoji}", "Living for moments like this: {lower}{excl} {emoji}"]


# the fixed framing words of the templates ("moment", "joy", "day") describe no entity
_FRAME_WORDS = set(re.findall(r"[a-z]+", " ".join(OPENERS).lower()))
# nor do these mood words a social post uses; anything that could be seen in a photo is not here
_FRAME_WORDS |= {"fun", "time", "vibes", "vibe", "mood", "adventure", "adventures", "life", "moments", "memories"}


@dataclass(frozen=True)
class Platform:
    name: str
    max_chars: int
    max_hashtags: int
    hashtags: str  # "end" (after a blank line), "inline" (same paragraph) or "none"
    emoji: bool


PLATFORMS = {
    "instagram": Platform("Instagram", 2200, 30, "end", True),
    "facebook": Platform("Facebook", 500, 3, "inline", True),
    "whatsapp": Platform("WhatsApp", 300, 0, "none", True),
    "plain": Platform("No platform", 100000, 30, "end", False),
}


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text[:1].upper() + text[1:] if text else text


def alt_text(caption: str) -> str:
    """'A black dog is running through the grass' -> 'Photo of a black dog running through the grass.'"""
    words = caption.strip().rstrip(".").split()
    if not words:
        return ""
    # "X is running" -> "X running": a photo description, not a claim about now
    words = [w for i, w in enumerate(words) if not (w.lower() in ("is", "are") and i + 1 < len(words)
                                                         and words[i + 1].lower().endswith("ing"))]
    body = " ".join(words)
    return f"Photo of {body[:1].lower() + body[1:]}."


def caption_nouns(caption: str) -> set[str]:
    nouns = set()
    for clause in parse(caption):
        for np_ in [clause.subject] + ([clause.obj] if clause.obj else []) + [p[1] for p in clause.phrases]:
            for n in np_.nouns():
                nouns.add(n.head)
                nouns.update(n.modifiers)
        nouns.update(clause.verbs)
    return nouns


def pick_emoji(caption: str) -> str:
    for noun in sorted(caption_nouns(caption), key=lambda n: caption.lower().find(n.split()[0])):
        for word in [noun] + noun.split():
            if word in EMOJI:
                return EMOJI[word]
    return "✨"


def social(caption: str, emoji: bool = True, variant: int | None = None) -> str:
    """One upbeat sentence from the caption's own words; `variant` picks the template (default: by caption)."""
    sentence = _tidy(caption.rstrip("."))
    if not sentence:
        return ""
    if variant is None:
        variant = int(hashlib.sha1(sentence.encode()).hexdigest(), 16)
    template = OPENERS[variant % len(OPENERS)]
    out = template.format(sentence=sentence, lower=sentence[:1].lower() + sentence[1:], excl="!",
                          emoji=pick_emoji(caption) if emoji else "")
    return _tidy(out)


_EMOJI_RE = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+")


def strip_emoji(text: str) -> str:
    return _tidy(_EMOJI_RE.sub("", text))


def new_nouns(rewrite: str, caption: str, hashtags: list[str]) -> set[str]:
    """Nouns in a rewrite that neither the caption nor the hashtags contain (the entity guard)."""
    lex = english()
    allowed = caption_nouns(caption) | {lex.lemma.get(w, w) for w in re.findall(r"[a-z]+", caption.lower())}
    allowed |= _FRAME_WORDS
    for t in hashtags:
        allowed.update(tag_words(t))
        allowed.add(t.lstrip("#").lower())
    found = set()
    for w in re.findall(r"[a-z]+", rewrite.lower()):
        lemma = lex.lemma.get(w, w)
        if lex.pos.get(w) == "NOUN" and lemma not in allowed and w not in allowed:
            found.add(lemma)
    return found


def _place(body: str, tags: list[str], p: Platform) -> str:
    if not tags:
        return body
    return f"{body}\n\n{' '.join(tags)}" if p.hashtags == "end" else f"{body} {' '.join(tags)}"


def compose(caption: str, hashtags: list[str], style: str = "plain", platform: str = "instagram",
            social_body: str | None = None) -> str:
    """The text a creator pastes: styled caption plus hashtags placed as the platform expects.
    `social_body` is a Social sentence already written (by the LLM engine); else the template's."""
    p = PLATFORMS[platform]
    if style == "alt":
        return alt_text(caption)  # accessible text never carries hashtags or emoji
    if style == "social":
        body = social(caption, emoji=p.emoji) if social_body is None else (
            social_body if p.emoji else strip_emoji(social_body))
    else:
        body = _tidy(caption)
    tags = list(hashtags[: p.max_hashtags]) if p.hashtags != "none" else []
    text = _place(body, tags, p)
    while len(text) > p.max_chars and tags:  # drop tags from the end before cutting words
        tags.pop()
        text = _place(body, tags, p)
    return text[: p.max_chars]
