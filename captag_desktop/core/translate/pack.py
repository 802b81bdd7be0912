"""An installed translation model pack (mBART-50 exported by training/export_translation.py).

ONNX encoder + incremental decoder with a KV cache. The decoder starts from the model's
decoder-start token and is forced to emit the target-language token next, as mBART-50
requires. Several texts (a caption and its hashtags) share one encoder batch and one
batched greedy decode; a single text can use beam search instead.
"""
from __future__ import annotations


import numpy as np

from captag_desktop.core.beam_search import DecodeOptions, beam_search
from captag_desktop.core.models import ModelStore

PACK_FILES = ("encoder.onnx", "decoder_init.onnx", "decoder_step.onnx", "tokenizer.json")
PACK_MODELS = {"translation-encoder": "encoder.onnx", "translation-decoder-init": "decoder_init.onnx",
               "translation-decoder-step": "decoder_step.onnx", "translation-tokenizer": "tokenizer.json"}


class TranslationPack:
    def __init__(self, store: ModelStore, max_len: int = 64):
        self.meta = store.read_json("translation-pack")
        self.name = self.meta.get("name", "translation pack")
        self.encoder = store.session("translation-encoder")
        self.init = store.session("translation-decoder-init")
        self.step_sess = store.session("translation-decoder-step")
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(store.verified_path("translation-tokenizer")))
        self.max_len = max_len
        m = self.meta
        self.pad, self.eos, self.start = m["pad_id"], m["eos_id"], m["decoder_start_id"]
        self.src_id = m["languages"][m.get("source_language", "en")]

    def supports(self, lang: str) -> bool:
        return lang in self.meta["languages"]

    def encode_batch(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        rows = [[self.src_id] + e.ids[: self.max_len - 2] + [self.eos]
                for e in self.tokenizer.encode_batch(texts, add_special_tokens=False)]
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), self.pad, dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = r
        return ids, (ids != self.pad).astype(np.int64)

    def _run_step(self, tokens, position, sk, sv, ck, cv, mask):
        return self.step_sess.run(None, {"token": tokens.astype(np.int64), "position": np.array([position], dtype=np.int64),
                                         "self_k": sk, "self_v": sv, "cross_k": ck, "cross_v": cv, "encoder_mask": mask})

    def _start(self, ids: np.ndarray, mask: np.ndarray, lang: str):
        """Encode, then feed the decoder-start and forced language tokens: returns the cache after both."""
        hidden = self.encoder.run(["hidden"], {"input_ids": ids, "attention_mask": mask})[0]
        ck, cv = self.init.run(None, {"hidden": hidden})
        m, b = self.meta, ids.shape[0]
        sk = np.zeros((m["layers"], b, m["heads"], 0, m["head_dim"]), dtype=np.float32)
        sv = sk.copy()
        for pos, tok in enumerate((self.start, m["languages"][lang])):
            logp, sk, sv = self._run_step(np.full(b, tok), pos, sk, sv, ck, cv, mask)
        return logp, (sk, sv, ck, cv, mask)

    def greedy_ids(self, texts: list[str], lang: str) -> list[list[int]]:
        ids, mask = self.encode_batch(texts)
        logp, (sk, sv, ck, cv, mask) = self._start(ids, mask, lang)
        out = [[] for _ in texts]
        done = np.zeros(len(texts), dtype=bool)
        for pos in range(2, self.max_len):
            tok = logp.argmax(-1)
            for i, t in enumerate(tok):
                if not done[i]:
                    if t == self.eos:
                        done[i] = True
                    else:
                        out[i].append(int(t))
            if done.all():
                break
            logp, sk, sv = self._run_step(np.where(done, self.pad, tok), pos, sk, sv, ck, cv, mask)
        return out

    def beam_ids(self, text: str, lang: str, opts: DecodeOptions) -> list[int]:
        ids, mask = self.encode_batch([text])
        _logp, state = self._start(ids, mask, lang)
        lang_id = self.meta["languages"][lang]

        def step(tokens, t, state):
            sk, sv, ck, cv, mask = state
            if ck.shape[1] != tokens.shape[0]:
                ck, cv, mask = (np.repeat(a, tokens.shape[0], 0 if a.ndim == 2 else 1) for a in (ck, cv, mask))
                sk, sv = (np.repeat(a, tokens.shape[0], 1) for a in (sk, sv))
            if t == 0:  # the language token was already fed; re-feeding would shift positions
                return _logp.repeat(tokens.shape[0], 0), (sk, sv, ck, cv, mask)
            logp, sk, sv = self._run_step(tokens, t + 1, sk, sv, ck, cv, mask)
            return logp, (sk, sv, ck, cv, mask)

        opts = DecodeOptions(opts.beam_size, opts.length_penalty, min(opts.max_len, self.max_len), 1, 0)
        return beam_search(step, state, lang_id, self.eos, opts, batch_axis=1, banned=(self.pad,))

    def translate(self, texts: list[str], lang: str, opts: DecodeOptions | None = None) -> list[str]:
        if opts is not None and opts.beam_size > 1 and len(texts) == 1:
            seqs = [self.beam_ids(texts[0], lang, opts)]
        else:
            seqs = self.greedy_ids(texts, lang)
        return [self.tokenizer.decode(s, skip_special_tokens=True).strip() for s in seqs]
