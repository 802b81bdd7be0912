"""Image -> English caption with the bundled ONNX encoder and KV-cached decoder."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from captag_desktop.core.beam_search import DecodeOptions, beam_search, greedy_search
from captag_desktop.core.hashtag_model import memory_regions
from captag_desktop.core.models import ModelStore
from captag_desktop.core.preprocess import encoder_input
from captag_desktop.core.resources import word_list
from captag_desktop.core.text import UNK, Vocab

ENCODERS = {"quality": "encoder-quality", "fast": "encoder-fast"}
FEATURES = "features"  # the encoder output every model reads, unless its graph names another
# encoder output name -> 1 x regions x channels float32; caption decoders add their cached
# cross-attention inputs under "<init model>:cross_k" / ":cross_v"
Encoding = dict[str, np.ndarray]


class Encoder:
    def __init__(self, store: ModelStore, kind: str = "quality"):
        if kind not in ENCODERS:
            raise ValueError(f"unknown encoder '{kind}', choose one of {', '.join(ENCODERS)}")
        self.session = store.session(ENCODERS[kind])
        self.outputs = [o.name for o in self.session.get_outputs()]

    def __call__(self, rgb: np.ndarray) -> Encoding:
        """RGB uint8 -> every output of the encoder by name: FEATURES, and for a decoder that tunes the
        encoder's top blocks, the output of the block below them (e.g. "block15")."""
        return dict(zip(self.outputs, self.session.run(self.outputs, {"pixels": encoder_input(rgb)})))


def once_tokens(vocab: Vocab, lang: str) -> frozenset[int]:
    """Content words a caption may use only once. Repeats such as "riding a bike on a bike" are
    decoder stutter; English only, since it needs a stopword list to spare "a", "in", "and"..."""
    if lang != "en":
        return frozenset()
    stop = word_list("stopwords_en.txt")
    return frozenset(i for i, w in enumerate(vocab.itos) if w.isalpha() and w not in stop)


def once_groups(vocab: Vocab, lang: str) -> dict[int, frozenset[int]]:
    """Each once-only content word, with the tokens it rules out once used: itself, and for a noun its
    other number, since "standing on a mountain overlooking the mountains" is the same stutter. A verb
    keeps its noun ("swinging on a swing")."""
    from captag_desktop.core.hashtags import lemma_of, lexicon

    def key(t: int) -> str:
        word = vocab.itos[t]
        return lemma_of(word) if lexicon().pos.get(word, "NOUN") == "NOUN" else word

    forms: dict[str, set[int]] = {}
    tokens = once_tokens(vocab, lang)
    for t in tokens:
        forms.setdefault(key(t), set()).add(t)
    return {t: frozenset(forms[key(t)]) for t in tokens}


class CaptionDecoder:
    def __init__(self, store: ModelStore, lang: str = "en", variant: str = ""):
        """variant "fast": the decoder fine-tuned on the Fast encoder's features (same vocabulary)."""
        name = f"caption-{lang}-{variant}" if variant else f"caption-{lang}"
        self.init_name = f"{name}-init"
        self.init = store.session(self.init_name)
        self.input_name = self.init.get_inputs()[0].name  # which encoder output it reads
        self.step_sess = store.session(f"{name}-step")
        self.vocab = Vocab.from_json(store.read_json(f"caption-{lang}-vocab"))
        cfg = store.entry(self.init_name).raw["config"]
        self.layers, self.heads = cfg["n_layers"], cfg["n_heads"]
        self.head_dim = cfg["d_model"] // cfg["n_heads"]
        self.max_len = cfg["max_len"]
        # the beam size and length penalty chosen on the dev split for this model (its card says which)
        own = store.entry(self.init_name).raw.get("decode", {})
        self.beam_size, self.length_penalty = own.get("beam_size"), own.get("length_penalty")
        # the repeated n-gram it may not write: Arabic blocks bigrams ("في الهواء في الهواء"); English
        # keeps trigrams, since "in a" recurs in good captions
        self.block_repeat_ngram = own.get("block_repeat_ngram", DecodeOptions.block_repeat_ngram)
        self.evidence = None  # optional: without it, captions come from the decoder alone
        if own.get("evidence"):
            from captag_desktop.core.word_evidence import WordEvidence

            self.evidence = WordEvidence.load(store, own["evidence"], self.vocab, self.init_name)
        self.evidence_weight = float(own.get("evidence_weight", 0.0)) if self.evidence is not None else 0.0
        self.banned = (self.vocab.pad_id, self.vocab.bos_id, self.vocab.stoi[UNK])
        self.once = once_groups(self.vocab, lang)

    def _step(self, tokens: np.ndarray, position: int, state: tuple):
        sk, sv, ck, cv = state
        if ck.shape[1] != tokens.shape[0]:  # first step of a beam: one hypothesis
            ck, cv = np.repeat(ck, tokens.shape[0], 1), np.repeat(cv, tokens.shape[0], 1)
        logp, sk, sv = self.step_sess.run(None, {
            "token": tokens, "position": np.array([position], dtype=np.int64),
            "self_k": sk, "self_v": sv, "cross_k": ck, "cross_v": cv})
        return logp, (sk, sv, ck, cv)

    def own_options(self, beam_size: int | None = None) -> DecodeOptions:
        """Beam search as this model was tuned: its own beam size (unless one is given) and length
        penalty, else the defaults. The best beam differs by model: 4 for English, 3 for Arabic."""
        beam = beam_size or self.beam_size or DecodeOptions.beam_size
        own = DecodeOptions(beam, evidence_weight=self.evidence_weight, block_repeat_ngram=self.block_repeat_ngram)
        return own if self.length_penalty is None else replace(own, length_penalty=self.length_penalty)

    def can_read(self, encoding: Encoding) -> bool:
        """Whether the encoding holds what this decoder starts from: its encoder output or its cached keys."""
        return f"{self.init_name}:cross_k" in encoding or self.input_name in encoding

    def cross_attention(self, encoding: Encoding) -> tuple[np.ndarray, np.ndarray]:
        """The decoder's cross-attention keys and values for this photo. Kept in the encoding under
        "<init model>:cross_k" / ":cross_v", because the hashtag word model reads the keys too and
        the tuned top blocks inside the init model are the costly part."""
        key = f"{self.init_name}:cross_k"
        if key not in encoding:
            if not self.can_read(encoding):
                raise ValueError(f"this caption model reads the encoder's '{self.input_name}' output, which the "
                                 f"encoder does not give (it gives {', '.join(k for k in encoding if ':' not in k)}); "
                                 "reinstall the models")
            ck, cv = self.init.run(None, {self.input_name: encoding[self.input_name].astype(np.float32)})
            encoding[key], encoding[f"{self.init_name}:cross_v"] = ck, cv
        return encoding[key], encoding[f"{self.init_name}:cross_v"]

    def initial_state(self, encoding: Encoding) -> tuple:
        ck, cv = self.cross_attention(encoding)
        empty = np.zeros((self.layers, 1, self.heads, 0, self.head_dim), dtype=np.float32)
        return empty, empty.copy(), ck, cv

    def step_with_evidence(self, encoding: Encoding, weight: float):
        """The decoder step, with weight x the word evidence of similar photos added to its scores. A positive
        lift can raise a step's score above 0, so beam search's early stop (which assumes scores only fall)
        is then an approximation; the dev figures in models/captioner-en.md are measured with it."""
        if not weight or self.evidence is None:
            return self._step
        if self.evidence.reads:
            regions = memory_regions(self.cross_attention(encoding)[0])
        elif FEATURES in encoding:
            regions = encoding[FEATURES]
        else:
            return self._step
        relevance = self.evidence.relevance
        memory = self.cross_attention(encoding)[0] if relevance and relevance.memory_of == self.init_name else None
        bias = weight * self.evidence.lift(regions, memory)

        def step(tokens: np.ndarray, position: int, state: tuple):
            logp, state = self._step(tokens, position, state)
            return logp + bias, state
        return step

    def decode_ids(self, encoding: Encoding, opts: DecodeOptions) -> list[int]:
        state = self.initial_state(encoding)
        step = self.step_with_evidence(encoding, opts.evidence_weight)
        max_len = min(opts.max_len, self.max_len - 1)
        if opts.beam_size == 1:
            return greedy_search(step, state, self.vocab.bos_id, self.vocab.eos_id, max_len, self.banned, self.once,
                                 no_stutter=True)
        opts = replace(opts, max_len=max_len)
        return beam_search(step, state, self.vocab.bos_id, self.vocab.eos_id, opts, banned=self.banned, once=self.once,
                           no_stutter=True)

    def caption(self, encoding: Encoding, opts: DecodeOptions = DecodeOptions()) -> str:
        return self.vocab.text(self.vocab.decode(self.decode_ids(encoding, opts)))
