"""Beam search and greedy decoding over an incremental (KV-cached) decoder step.

The decoder is abstract: `step(tokens, position, state) -> (logprobs, state)` where
state is a tuple of arrays whose axis `batch_axis` indexes hypotheses, so beams can
be reordered by indexing.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Mapping

import numpy as np

StepFn = Callable[[np.ndarray, int, tuple], tuple[np.ndarray, tuple]]
Once = Mapping[int, frozenset[int]]  # a token that may appear once -> the tokens its use rules out


@dataclass(frozen=True)
class DecodeOptions:
    beam_size: int = 3
    length_penalty: float = 0.6  # GNMT alpha; 0 = plain log-prob sum
    max_len: int = 20
    min_len: int = 3
    block_repeat_ngram: int = 3  # forbid repeating any n-gram of this size; 0 = off
    evidence_weight: float = 0.0  # how much similar photos' words count (core.word_evidence); 0 = off

    def __post_init__(self):
        if self.beam_size < 1:
            raise ValueError("beam_size must be at least 1")
        if self.max_len < 1:
            raise ValueError("max_len must be at least 1")


def _length_norm(length: int, alpha: float) -> float:
    return ((5.0 + length) / 6.0) ** alpha


def ngram_repeaters(seq: list[int], n: int) -> set[int]:
    """The tokens that would repeat an n-gram of seq: each that followed an earlier occurrence of its last
    n - 1 tokens. One pass over seq, instead of testing every candidate token."""
    if n <= 0 or len(seq) < n - 1:
        return set()
    tail = seq[len(seq) - n + 1:]
    return {seq[i + n - 1] for i in range(len(seq) - n + 1) if seq[i:i + n - 1] == tail}


def top_indices(values: np.ndarray, m: int) -> np.ndarray:
    """Indices of the m largest values, largest first, ties in index order: the same as
    np.argsort(-values, kind="stable")[:m], without sorting the whole beam x vocabulary row (that sort
    took about a fifth of the decoding time with the 2,533-word English vocabulary)."""
    if m >= values.size:
        return np.argsort(-values, kind="stable")
    cut = values[np.argpartition(-values, m - 1)[m - 1]]  # the m-th largest
    candidates = np.flatnonzero(values >= cut)  # every tie of the cut, in index order
    return candidates[np.argsort(-values[candidates], kind="stable")][:m]


def _reorder(state: tuple, index: np.ndarray, batch_axis: int) -> tuple:
    return tuple(np.take(s, index, axis=batch_axis) for s in state)


def ruled_out(once: Once, seq: list[int], no_stutter: bool = False) -> set[int]:
    """What `once` rules out after seq; with no_stutter also its last token ("حصان حصان", "a a")."""
    out = set().union(*(once[t] for t in seq if t in once))
    return out | {seq[-1]} if no_stutter and seq else out


def beam_search(step: StepFn, state: tuple, bos: int, eos: int, opts: DecodeOptions,
                batch_axis: int = 1, banned: tuple[int, ...] = (), once: Once = MappingProxyType({}),
                no_stutter: bool = False) -> list[int]:
    """Decode one sequence. `state` is for a single hypothesis (batch size 1).
    A token in `once` rules out the tokens it maps to (itself, its other forms) for the rest of the sequence;
    no_stutter: no token follows itself (captions; a translation's subword pieces may)."""
    k = opts.beam_size
    seqs: list[list[int]] = [[]]
    scores = np.zeros(1, dtype=np.float64)
    tokens = np.array([bos], dtype=np.int64)
    finished: list[tuple[float, list[int]]] = []
    for t in range(opts.max_len):
        logp, state = step(tokens, t, state)
        logp = logp.astype(np.float64)
        if banned:
            logp[:, list(banned)] = -np.inf
        if t < opts.min_len:
            logp[:, eos] = -np.inf
        for i, seq in enumerate(seqs):
            blocked = ruled_out(once, seq, no_stutter) | ngram_repeaters(seq, opts.block_repeat_ngram)
            if blocked:
                logp[i, list(blocked)] = -np.inf
        total = scores[:, None] + logp
        flat = total.ravel()
        order = top_indices(flat, 2 * k)
        new_seqs, new_scores, parents, new_tokens = [], [], [], []
        vocab = logp.shape[1]
        for idx in order:
            if not np.isfinite(flat[idx]):
                break
            parent, tok = divmod(int(idx), vocab)
            seq = seqs[parent] + [tok]
            if tok == eos:
                finished.append((flat[idx] / _length_norm(len(seq) - 1, opts.length_penalty), seq[:-1]))
            else:
                new_seqs.append(seq)
                new_scores.append(flat[idx])
                parents.append(parent)
                new_tokens.append(tok)
            if len(new_seqs) == k:
                break
        best_done = max((s for s, _ in finished), default=-np.inf)
        if not new_seqs:
            break
        # Stop once no live beam can beat the best finished hypothesis.
        best_live = max(new_scores) / _length_norm(opts.max_len, opts.length_penalty) if opts.length_penalty > 0 else max(new_scores)
        if len(finished) >= k and best_done >= best_live:
            break
        seqs, scores = new_seqs, np.array(new_scores)
        tokens = np.array(new_tokens, dtype=np.int64)
        state = _reorder(state, np.array(parents), batch_axis)
    else:
        for s, seq in zip(scores, seqs):
            finished.append((s / _length_norm(len(seq), opts.length_penalty), seq))
    if not finished:
        return seqs[0] if seqs else []
    return max(finished, key=lambda x: x[0])[1]


def greedy_search(step: StepFn, state: tuple, bos: int, eos: int, max_len: int, banned: tuple[int, ...] = (),
                  once: Once = MappingProxyType({}), no_stutter: bool = False) -> list[int]:
    tokens = np.array([bos], dtype=np.int64)
    out: list[int] = []
    for t in range(max_len):
        logp, state = step(tokens, t, state)
        blocked = list(banned) + list(ruled_out(once, out, no_stutter))
        if blocked:
            logp = logp.copy()
            logp[:, blocked] = -np.inf
        tok = int(np.argmax(logp[0]))
        if tok == eos:
            break
        out.append(tok)
        tokens = np.array([tok], dtype=np.int64)
    return out
