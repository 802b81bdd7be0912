"""Hashtags: keyword extraction from the caption, merged with the generative model's
tags, deduplicated and ranked.

One rule for word forms: nouns are singular (#dog), verbs take their -ing form
(#running), and noun compounds become CamelCase (#TennisBall).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from nltk.tokenize import TreebankWordTokenizer

from captag_desktop.core.resources import resources_dir, word_list

_tokenizer = TreebankWordTokenizer()
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def tag_words(tag: str) -> list[str]:
    """'#GoldenRetriever' -> ['golden', 'retriever']; '#BMXRace' -> ['bmx', 'race']."""
    return [w.lower() for w in _CAMEL.findall(tag.lstrip("#"))]


@dataclass(frozen=True)
class Lexicon:
    pos: dict[str, str]
    lemma: dict[str, str]
    ing: dict[str, str]
    phrases: dict[tuple[str, str], float]


def _tsv(name: str) -> list[list[str]]:
    lines = (resources_dir() / name).read_text(encoding="utf-8").splitlines()
    return [ln.split("\t") for ln in lines if ln and not ln.startswith("#")]


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    rows = _tsv("lexicon_en.tsv")
    return Lexicon(pos={r[0]: r[2] for r in rows}, lemma={r[0]: r[1] for r in rows},
                   ing={r[0]: r[1] for r in _tsv("verb_ing_en.tsv")},
                   phrases={(r[0], r[1]): float(r[3]) for r in _tsv("phrases_en.tsv")})


def singular(word: str) -> str:
    """Fallback for words the lexicon has never seen."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass(frozen=True)
class Tag:
    key: str  # dedup key: lowercase lemmas joined by spaces
    text: str  # as shown, with '#'

    @property
    def words(self) -> list[str]:
        return self.key.split()


@lru_cache(maxsize=1)
def _not_tags() -> frozenset[str]:
    return word_list("stopwords_en.txt") | word_list("generic_words_en.txt")


@lru_cache(maxsize=1)
def _display_overrides() -> dict[str, str]:
    return {r[0]: r[1] for r in _tsv("tag_display_en.tsv")}


def shown_word(lemma: str) -> str:
    """The lemma as a hashtag shows it: resources/tag_display_en.tsv overrides spaCy's lemma where it
    is not the right word (#pants, not #pant). The models' tag vocabularies are written by
    tag_for_words too, so they get the same forms."""
    return _display_overrides().get(lemma, lemma)


def lemma_of(word: str) -> str:
    lex = lexicon()
    return lex.lemma.get(word) or singular(word)


def tag_for_words(words: list[str]) -> Tag | None:
    """Canonical tag for one word or a compound; None if it is not tag material."""
    words = [w.lower() for w in words if w.isalpha()]
    if not words:
        return None
    lex = lexicon()
    stop = _not_tags()
    if len(words) == 1:
        w = words[0]
        pos = lex.pos.get(w)
        if w in stop or len(w) < 3 or pos not in (None, "NOUN", "PROPN", "VERB"):
            return None
        lemma = lemma_of(w)
        if lemma in stop:
            return None
        shown = lex.ing.get(lemma, w) if pos == "VERB" else shown_word(lemma)
        return Tag(lemma, "#" + shown)
    if words[0] in stop or any(len(w) < 3 for w in words):
        return None
    lemmas = [lemma_of(w) for w in words]
    shown = words[:-1] + [shown_word(lemmas[-1])]  # "tennis balls" -> TennisBall
    return Tag(" ".join(lemmas), "#" + "".join(w.capitalize() for w in shown))


def extract_keywords(caption: str) -> list[Tag]:
    """Nouns and verbs of a caption in order, with known compounds joined."""
    lex = lexicon()
    words = [w.lower() for w in _tokenizer.tokenize(caption) if w.isalpha()]
    tags, i = [], 0
    while i < len(words):
        pair = tag_for_words(words[i:i + 2]) if (tuple(words[i:i + 2]) in lex.phrases) else None
        if pair is not None:
            tag = pair
            i += 2
        else:
            tag = tag_for_words([words[i]])
            i += 1
        if tag is not None:
            tags.append(tag)
    return tags


def caption_tags(caption: str) -> list[Tag]:
    """Keywords, plus each adjective + noun the caption pairs ("black dog" -> #BlackDog)."""
    lex = lexicon()
    tags = extract_keywords(caption)
    keys = {t.key for t in tags}
    words = [w.lower() for w in _tokenizer.tokenize(caption) if w.isalpha()]
    for a, b in zip(words, words[1:]):
        if lex.pos.get(a) == "ADJ" and lex.pos.get(b) == "NOUN":
            tag = tag_for_words([a, b])
            if tag is not None and tag.key not in keys:
                tags.append(tag)
                keys.add(tag.key)
    return tags


def is_allowed(tag: Tag, allow_platform: bool = False, user_banned: frozenset[str] = frozenset()) -> bool:
    banned = word_list("banned_tags.txt") | user_banned
    words = set(tag.words) | {tag.text[1:].lower()}
    if words & banned:
        return False
    return allow_platform or tag.text[1:].lower() not in word_list("platform_tags.txt")


@lru_cache(maxsize=4096)
def popularity(word: str) -> float:
    """wordfreq Zipf frequency scaled to 0..1 (0 when wordfreq is unavailable)."""
    try:
        from wordfreq import zipf_frequency
    except ImportError:
        return 0.0
    return min(zipf_frequency(word, "en"), 7.0) / 7.0


@dataclass
class HashtagOptions:
    count: int = 10
    allow_platform: bool = False
    caption_weight: float = 0.2  # a tag that is also in the caption is more likely right
    popularity_weight: float = 0.05  # among equally likely tags, the ones people search for
    head: int = 5  # the most likely tags first; after them, specific tags before generic ones
    specific_weight: float = 1.2
    tail_pool: int = 35
    banned: frozenset[str] = frozenset()  # the user's own, lowercase, without '#'


def word_chance(word: str, words: dict[str, float], relevance: dict[str, float]) -> float:
    """P(people use this word for the photo): the word model's, or for a word it lacks half the tag model's."""
    return words.get(word, 0.5 * relevance.get(word, 0.0))


def tag_chance(key: str, words: dict[str, float], relevance: dict[str, float]) -> float:
    """P(every word of the tag is one people use for this photo), words taken as independent:
    #BrownDog needs "brown" as much as "dog". A compound with a word the word model lacks (#JungleGym)
    also has the tag model's own relevance for the whole tag."""
    parts = key.split()
    p = math.prod(word_chance(w, words, relevance) for w in parts)
    return p if all(w in words for w in parts) else max(p, relevance.get(key, 0.0))


def tag_popularity(key: str) -> float:
    parts = key.split()
    return sum(popularity(w) for w in parts) / len(parts)


@dataclass
class Candidates:
    """One photo's hashtag candidates and the evidence for them (Pipeline.tag_candidates)."""
    keywords: list[Tag]  # the caption's, in caption order
    generated: list[Tag] = field(default_factory=list)  # the tag model's most relevant ones and the GRU's
    relevance: dict[str, float] = field(default_factory=dict)  # the tag model's, per tag key
    words: dict[str, float] = field(default_factory=dict)  # the word model's, per content word
    likeliest: list[Tag] = field(default_factory=list)  # with sampled ideas: what fills a short list

    def merged(self, opts: HashtagOptions) -> tuple[dict[str, str], list[str]]:
        """(shown text per key, allowed keys in first-seen order): both sources deduplicated by lemma
        key, unsafe and filler tags dropped. A caption compound keeps the caption's spelling."""
        shown: dict[str, str] = {}
        for tag in self.generated:
            shown.setdefault(tag.key, tag.text)
        for tag in self.keywords:
            shown[tag.key] = tag.text if " " in tag.key or tag.key not in shown else shown[tag.key]
        return shown, [k for k in shown if is_allowed(Tag(k, shown[k]), opts.allow_platform, opts.banned)]

    def hand_scores(self, keys: list[str], opts: HashtagOptions) -> dict[str, float]:
        """The hand-set score: the chance the tag applies, a caption bonus and the popularity prior."""
        in_caption = {t.key for t in self.keywords}
        return {k: tag_chance(k, self.words, self.relevance) + opts.caption_weight * (k in in_caption)
                + opts.popularity_weight * tag_popularity(k) for k in keys}


def rank(found: Candidates, opts: HashtagOptions, ranker=None) -> list[str]:
    """The candidates merged, deduplicated and ordered. The first `head` are the likeliest (by the
    learned ranker when one is given, else by the hand-set score); the rest favour specific tags
    (#SoccerBall) over generic ones (#man) that every photo would get."""
    shown, allowed = found.merged(opts)
    # a ranker's probabilities are on the hand-set score's scale (the chance the tag applies), so the
    # tail's specific-over-generic rule below reads either
    score = ranker.scores(found, allowed) if ranker is not None else found.hand_scores(allowed, opts)
    order = sorted(allowed, key=lambda k: (-score[k], k))
    # the tail: the plausible tags (a few times the count), specific ones first
    head, tail = order[: opts.head], order[opts.head: opts.head + opts.tail_pool]
    tail.sort(key=lambda k: (-(score[k] - opts.specific_weight * tag_popularity(k)), k))
    out: list[str] = []
    for key in head + tail:
        if shown[key].lower() not in (t.lower() for t in out):
            out.append(shown[key])
        if len(out) == opts.count:
            break
    return out
