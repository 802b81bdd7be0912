"""A small Transformer caption decoder attending over encoder spatial features.

Written without nn.Transformer so the same weights serve two graphs: a parallel,
teacher-forced forward for training and an incremental step with a KV cache that
exports cleanly to ONNX for beam search in the app.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class DecoderConfig:
    vocab_size: int
    feat_dim: int = 1280
    n_regions: int = 49
    d_model: int = 256
    n_heads: int = 4
    n_layers: int = 3
    n_memory_layers: int = 1
    d_ff: int = 1024
    max_len: int = 24
    dropout: float = 0.3
    top_from: int = 0  # > 0: the encoder's blocks from this one on are tuned with the decoder (EncoderTop)
    top_encoder: str = "efficientnet-lite2"

    def to_dict(self) -> dict:
        return asdict(self)


class Attention(nn.Module):
    def __init__(self, d: int, heads: int, dropout: float):
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.drop = dropout

    def split(self, x: torch.Tensor) -> torch.Tensor:  # B,T,D -> B,H,T,dh
        b, t, _ = x.shape
        return x.view(b, t, self.h, self.dh).transpose(1, 2)

    def attend(self, q, k, v, mask=None):
        att = (q @ k.transpose(-1, -2)) / (self.dh ** 0.5)
        if mask is not None:
            att = att.masked_fill(mask, float("-inf"))
        att = F.dropout(att.softmax(-1), self.drop, self.training)
        out = att @ v  # B,H,T,dh
        b, _, t, _ = out.shape
        return self.o(out.transpose(1, 2).reshape(b, t, self.h * self.dh))


class FeedForward(nn.Sequential):
    def __init__(self, d: int, d_ff: int, dropout: float):
        super().__init__(nn.Linear(d, d_ff), nn.GELU(), nn.Dropout(dropout), nn.Linear(d_ff, d))


class MemoryLayer(nn.Module):
    """Self-attention among image regions (pre-norm)."""

    def __init__(self, c: DecoderConfig):
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(c.d_model), nn.LayerNorm(c.d_model)
        self.att = Attention(c.d_model, c.n_heads, c.dropout)
        self.ff = FeedForward(c.d_model, c.d_ff, c.dropout)
        self.drop = nn.Dropout(c.dropout)

    def forward(self, x):
        h = self.n1(x)
        x = x + self.drop(self.att.attend(self.att.split(self.att.q(h)), self.att.split(self.att.k(h)), self.att.split(self.att.v(h))))
        return x + self.drop(self.ff(self.n2(x)))


class DecoderLayer(nn.Module):
    def __init__(self, c: DecoderConfig):
        super().__init__()
        self.n1, self.n2, self.n3 = (nn.LayerNorm(c.d_model) for _ in range(3))
        self.self_att = Attention(c.d_model, c.n_heads, c.dropout)
        self.cross_att = Attention(c.d_model, c.n_heads, c.dropout)
        self.ff = FeedForward(c.d_model, c.d_ff, c.dropout)
        self.drop = nn.Dropout(c.dropout)

    def cross_kv(self, memory):
        return self.cross_att.split(self.cross_att.k(memory)), self.cross_att.split(self.cross_att.v(memory))

    def forward(self, x, self_k, self_v, cross_k, cross_v, mask=None):
        """x: B,T,D new positions; self_k/v already include these positions."""
        h = self.n1(x)
        a = self.self_att
        x = x + self.drop(a.attend(a.split(a.q(h)), self_k, self_v, mask))
        h = self.n2(x)
        c = self.cross_att
        x = x + self.drop(c.attend(c.split(c.q(h)), cross_k, cross_v))
        return x + self.drop(self.ff(self.n3(x)))

    def self_kv(self, x):
        h = self.n1(x)
        return self.self_att.split(self.self_att.k(h)), self.self_att.split(self.self_att.v(h))


class CaptionDecoder(nn.Module):
    def __init__(self, c: DecoderConfig):
        super().__init__()
        self.config = c
        self.feat_norm = nn.LayerNorm(c.feat_dim)
        self.feat_proj = nn.Linear(c.feat_dim, c.d_model)
        # One extra memory slot carries the pooled (global) image vector.
        self.region_pos = nn.Parameter(torch.zeros(1, c.n_regions + 1, c.d_model))
        self.memory_layers = nn.ModuleList(MemoryLayer(c) for _ in range(c.n_memory_layers))
        self.memory_norm = nn.LayerNorm(c.d_model)
        self.tok = nn.Embedding(c.vocab_size, c.d_model)
        self.pos = nn.Embedding(c.max_len, c.d_model)
        self.layers = nn.ModuleList(DecoderLayer(c) for _ in range(c.n_layers))
        self.out_norm = nn.LayerNorm(c.d_model)
        self.out = nn.Linear(c.d_model, c.vocab_size, bias=False)
        self.out.weight = self.tok.weight
        self.drop = nn.Dropout(c.dropout)
        self.top = None
        if c.top_from:
            from training.encoder_model import EncoderTop, load_backbone

            self.top = EncoderTop(load_backbone(c.top_encoder), c.top_from)
        nn.init.normal_(self.region_pos, std=0.02)
        nn.init.normal_(self.tok.weight, std=0.02)

    @property
    def input_dim(self) -> int:
        """Channels of the features the decoder takes: the cut encoder's when it tunes the encoder's top."""
        return self.top.in_dim if self.top is not None else self.config.feat_dim

    @property
    def input_regions(self) -> int:
        """Regions of the features the decoder takes: more than it attends to when its top downsamples."""
        return self.config.n_regions * (self.top.region_factor if self.top is not None else 1)

    # -- shared pieces ------------------------------------------------------
    def memory(self, feats: torch.Tensor) -> torch.Tensor:
        """feats: B,N,input_dim -> B,N+1,D"""
        if self.top is not None:
            feats = self.top(feats)
        feats = torch.cat([feats.mean(1, keepdim=True), feats], dim=1)
        m = self.drop(self.feat_proj(self.feat_norm(feats)) + self.region_pos)
        for layer in self.memory_layers:
            m = layer(m)
        return self.memory_norm(m)

    def embed(self, tokens: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        return self.drop(self.tok(tokens) * (self.config.d_model ** 0.5) + self.pos(positions))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.out_norm(x))

    # -- training: all positions at once ------------------------------------
    def forward(self, feats: torch.Tensor, tokens: torch.Tensor, image_index: torch.Tensor | None = None) -> torch.Tensor:
        """image_index maps each caption row to its image row, so the several captions
        of one photo share a single memory computation."""
        mem = self.memory(feats)
        if image_index is not None:
            mem = mem[image_index]
        t = tokens.shape[1]
        x = self.embed(tokens, torch.arange(t, device=tokens.device)[None])
        causal = torch.triu(torch.ones(t, t, dtype=torch.bool, device=tokens.device), 1)
        for layer in self.layers:
            k, v = layer.self_kv(x)
            ck, cv = layer.cross_kv(mem)
            x = layer(x, k, v, ck, cv, causal)
        return self.logits(x)

    # -- inference: cache-based incremental decoding ------------------------
    def init_cache(self, feats: torch.Tensor):
        """feats -> cross_k, cross_v stacked as L,B,H,N+1,dh"""
        mem = self.memory(feats)
        kv = [layer.cross_kv(mem) for layer in self.layers]
        return torch.stack([k for k, _ in kv]), torch.stack([v for _, v in kv])

    def step(self, token, position, self_k, self_v, cross_k, cross_v):
        """token: B int64, position: 1 int64, self_k/v: L,B,H,T,dh (T may be 0).

        Returns log-probabilities B,V and the caches grown to T+1.
        """
        x = self.embed(token[:, None], position[None, :].expand(token.shape[0], 1))
        new_k, new_v = [], []
        for i, layer in enumerate(self.layers):
            k, v = layer.self_kv(x)
            k = torch.cat([self_k[i], k], dim=2)
            v = torch.cat([self_v[i], v], dim=2)
            new_k.append(k)
            new_v.append(v)
            x = layer(x, k, v, cross_k[i], cross_v[i])
        logp = self.logits(x[:, 0]).log_softmax(-1)
        return logp, torch.stack(new_k), torch.stack(new_v)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
