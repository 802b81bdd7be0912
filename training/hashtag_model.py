"""A GRU that writes a sequence of hashtags from the pooled image embedding."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

BOS, EOS, FIRST_TAG = 0, 1, 2


@dataclass
class HashtagConfig:
    n_tags: int
    feat_dim: int = 1280
    hidden: int = 384
    emb: int = 128
    dropout: float = 0.3
    max_tags: int = 12

    def to_dict(self):
        return asdict(self)


class HashtagGRU(nn.Module):
    def __init__(self, c: HashtagConfig):
        super().__init__()
        self.config = c
        self.img = nn.Sequential(nn.LayerNorm(c.feat_dim), nn.Dropout(c.dropout), nn.Linear(c.feat_dim, c.hidden), nn.Tanh())
        self.emb = nn.Embedding(c.n_tags + FIRST_TAG, c.emb)
        self.cell = nn.GRUCell(c.emb + c.hidden, c.hidden)
        self.drop = nn.Dropout(c.dropout)
        self.out = nn.Linear(2 * c.hidden, c.n_tags + FIRST_TAG)
        # Multi-label head: P(tag is shared by >= 2 human captions | image), used for ranking.
        self.relevance = nn.Linear(c.hidden, c.n_tags + FIRST_TAG)

    def init_state(self, pooled):
        """-> initial hidden state, image vector fed to every step, per-tag relevance probabilities."""
        img = self.img(pooled)
        return img, img, torch.sigmoid(self.relevance(img))

    def relevance_logits(self, pooled):
        return self.relevance(self.img(pooled))

    def step(self, token, h, img):
        """token (B,), h (B,H), img (B,H) -> logits (B,V), new h. The image feeds every step."""
        h = self.cell(torch.cat([self.drop(self.emb(token)), img], -1), h)
        return self.out(self.drop(torch.cat([h, img], -1))), h

    def forward(self, pooled, tokens):
        """Teacher forcing: tokens (B,T) start with BOS; returns logits (B,T,V)."""
        h, img, _ = self.init_state(pooled)
        logits = []
        for t in range(tokens.shape[1]):
            lg, h = self.step(tokens[:, t], h, img)
            logits.append(lg)
        return torch.stack(logits, 1)
