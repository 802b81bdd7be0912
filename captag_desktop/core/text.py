"""Caption tokenisation and vocabulary, shared by training and inference."""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Iterable

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = [PAD, BOS, EOS, UNK]
_WORD = re.compile(r"[a-z]+")


def tokenize(caption: str) -> list[str]:
    """Lowercase words; punctuation and digits are dropped, as BLEU/CIDEr scorers do."""
    return _WORD.findall(caption.lower())


def detokenize(words: Iterable[str]) -> str:
    text = " ".join(words)
    return text[:1].upper() + text[1:]


class Vocab:
    def __init__(self, words: list[str]):
        self.itos = list(words)
        self.stoi = {w: i for i, w in enumerate(self.itos)}
        for i, tok in enumerate(SPECIALS):
            if self.itos[i] != tok:
                raise ValueError("vocabulary must start with the special tokens")

    pad_id, bos_id, eos_id, unk_id = 0, 1, 2, 3

    def __len__(self) -> int:
        return len(self.itos)

    @classmethod
    def build(cls, captions: Iterable[str], min_count: int = 5) -> "Vocab":
        counts = Counter(w for c in captions for w in tokenize(c))
        words = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
        return cls(SPECIALS + words)

    def encode(self, caption: str, max_len: int | None = None) -> list[int]:
        ids = [self.stoi.get(w, self.unk_id) for w in tokenize(caption)]
        if max_len is not None:
            ids = ids[: max_len - 2]
        return [self.bos_id] + ids + [self.eos_id]

    def decode(self, ids: Iterable[int]) -> list[str]:
        out = []
        for i in ids:
            if i == self.eos_id:
                break
            if i in (self.pad_id, self.bos_id):
                continue
            out.append(self.itos[i])
        return out

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.itos, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Vocab":
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))
