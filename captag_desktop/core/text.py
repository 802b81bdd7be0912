"""Caption tokenisation and vocabulary, shared by training and inference.

English words are lowercased ASCII letters. Arabic is normalised the usual way for
Arabic NLP (Darwish & Magdy 2014): diacritics and tatweel are stripped and the
alef / alef-maqsura / ta-marbuta variants are folded, so that spelling variants of one
word share one token. The vocabulary remembers each token's most common written form
so that captions are displayed in standard spelling.
"""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = [PAD, BOS, EOS, UNK]
_WORDS = {"en": re.compile(r"[a-z]+"), "ar": re.compile(r"[\u0621-\u064a]+")}
_AR_STRIP = re.compile(r"[\u0640\u064b-\u065f\u0670\u06d6-\u06ed]")  # tatweel, harakat, Quranic marks
_AR_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})


def surface_words(caption: str, lang: str = "en") -> list[str]:
    """Words as written (Arabic without diacritics/tatweel), before folding."""
    if lang == "ar":
        return _WORDS["ar"].findall(_AR_STRIP.sub("", caption))
    return _WORDS["en"].findall(caption.lower())


def normalize_word(word: str, lang: str = "en") -> str:
    return word.translate(_AR_FOLD) if lang == "ar" else word


def tokenize(caption: str, lang: str = "en") -> list[str]:
    """Normalised words; punctuation and digits are dropped, as BLEU/CIDEr scorers do."""
    return [normalize_word(w, lang) for w in surface_words(caption, lang)]


def detokenize(words: Iterable[str], lang: str = "en") -> str:
    text = " ".join(words)
    return text if lang != "en" else text[:1].upper() + text[1:]


class Vocab:
    def __init__(self, words: list[str], lang: str = "en", display: dict[str, str] | None = None):
        self.itos = list(words)
        self.stoi = {w: i for i, w in enumerate(self.itos)}
        self.lang = lang
        self.display = dict(display or {})
        for i, tok in enumerate(SPECIALS):
            if self.itos[i] != tok:
                raise ValueError("vocabulary must start with the special tokens")

    pad_id, bos_id, eos_id, unk_id = 0, 1, 2, 3

    def __len__(self) -> int:
        return len(self.itos)

    @classmethod
    def build(cls, captions: Iterable[str], min_count: int = 5, lang: str = "en") -> "Vocab":
        counts: Counter = Counter()
        spellings: dict[str, Counter] = defaultdict(Counter)
        for c in captions:
            for w in surface_words(c, lang):
                token = normalize_word(w, lang)
                counts[token] += 1
                spellings[token][w] += 1
        words = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
        display = {w: spellings[w].most_common(1)[0][0] for w in words if spellings[w].most_common(1)[0][0] != w}
        return cls(SPECIALS + words, lang, display)

    def encode(self, caption: str, max_len: int | None = None) -> list[int]:
        ids = [self.stoi.get(w, self.unk_id) for w in tokenize(caption, self.lang)]
        if max_len is not None:
            ids = ids[: max_len - 2]
        return [self.bos_id] + ids + [self.eos_id]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Normalised tokens, as scored."""
        out = []
        for i in ids:
            if i == self.eos_id:
                break
            if i in (self.pad_id, self.bos_id):
                continue
            out.append(self.itos[i])
        return out

    def text(self, words: Iterable[str]) -> str:
        """Display text in the most common spelling of each token."""
        return detokenize((self.display.get(w, w) for w in words), self.lang)

    def to_json(self):
        if self.lang == "en" and not self.display:
            return self.itos  # the original list format, still read by every release
        return {"lang": self.lang, "words": self.itos, "display": self.display}

    @classmethod
    def from_json(cls, data) -> "Vocab":
        if isinstance(data, list):
            return cls(data)
        return cls(data["words"], data.get("lang", "en"), data.get("display"))

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Vocab":
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
