"""Export a Hugging Face mBART-50 (many-to-many) checkpoint to a captag translation pack.

    python -m training.export_translation CHECKPOINT_DIR OUT_DIR [--quantize]
    captag models install OUT_DIR

The pack holds three ONNX graphs and the checkpoint's own tokenizer.json:
  encoder.onnx       input_ids, attention_mask -> hidden
  decoder_init.onnx  hidden -> cross-attention K/V for every layer (computed once per input)
  decoder_step.onnx  one token + self-attention KV cache -> log-probs, the grown cache
plus pack.json (languages, special ids, shapes), so the app decodes incrementally in numpy
with the same beam search as the captioner. No torch or transformers at run time.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import torch
from torch import nn

from captag_desktop.core.models import file_sha256 as sha256_of
from captag_desktop.core.translate.pack import PACK_FILES
from training.run_utils import MethodAsModule

OPSET = 17
# captag language -> mBART-50 language code
MBART_CODES = {"en": "en_XX", "ar": "ar_AR", "hi": "hi_IN", "ta": "ta_IN", "te": "te_IN", "bn": "bn_IN"}


class IncrementalMBart(nn.Module):
    """The mBART decoder re-expressed with an explicit KV cache, sharing the model's weights."""

    def __init__(self, model):
        super().__init__()
        self.model = model.eval()
        cfg = model.config
        self.layers = model.model.decoder.layers
        self.heads = cfg.decoder_attention_heads
        self.head_dim = cfg.d_model // self.heads
        self.embed_scale = math.sqrt(cfg.d_model) if cfg.scale_embedding else 1.0

    def encode(self, input_ids, attention_mask):
        return self.model.model.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    def _split(self, x):  # B, T, D -> B, H, T, dh
        return x.view(x.shape[0], x.shape[1], self.heads, self.head_dim).transpose(1, 2)

    def init_cache(self, hidden):
        ks = [self._split(layer.encoder_attn.k_proj(hidden)) for layer in self.layers]
        vs = [self._split(layer.encoder_attn.v_proj(hidden)) for layer in self.layers]
        return torch.stack(ks), torch.stack(vs)

    def _attend(self, attn, x, k, v, bias):
        q = self._split(attn.q_proj(x)) * attn.scaling
        w = torch.softmax(q @ k.transpose(-1, -2) + bias, dim=-1)
        out = (w @ v).transpose(1, 2).reshape(x.shape[0], 1, -1)
        return attn.out_proj(out)

    def step(self, token, position, self_k, self_v, cross_k, cross_v, encoder_mask):
        dec = self.model.model.decoder
        x = dec.embed_tokens(token[:, None]) * (self.embed_scale if not hasattr(dec.embed_tokens, "embed_scale") else 1.0)
        x = x + dec.embed_positions.weight[position + dec.embed_positions.offset][None]
        x = dec.layernorm_embedding(x)
        cross_bias = (1.0 - encoder_mask[:, None, None, :].to(x.dtype)) * -1e9
        new_k, new_v = [], []
        for i, layer in enumerate(self.layers):
            h = layer.self_attn_layer_norm(x)
            k = torch.cat([self_k[i], self._split(layer.self_attn.k_proj(h))], 2)
            v = torch.cat([self_v[i], self._split(layer.self_attn.v_proj(h))], 2)
            new_k.append(k)
            new_v.append(v)
            x = x + self._attend(layer.self_attn, h, k, v, 0.0)
            h = layer.encoder_attn_layer_norm(x)
            x = x + self._attend(layer.encoder_attn, h, cross_k[i], cross_v[i], cross_bias)
            h = layer.final_layer_norm(x)
            x = x + layer.fc2(layer.activation_fn(layer.fc1(h)))
        x = dec.layer_norm(x)
        logits = self.model.lm_head(x[:, 0]) + self.model.final_logits_bias
        return logits.log_softmax(-1), torch.stack(new_k), torch.stack(new_v)


def export_pack(checkpoint: Path, out: Path, quantize: bool = False, name: str | None = None) -> dict:
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    model = AutoModelForSeq2SeqLM.from_pretrained(checkpoint).eval()
    if model.config.model_type != "mbart":
        raise SystemExit(f"{checkpoint}: model type '{model.config.model_type}' is not supported (mBART-50 is)")
    tok = AutoTokenizer.from_pretrained(checkpoint)
    out.mkdir(parents=True, exist_ok=True)
    inc = IncrementalMBart(model)
    ids = torch.tensor([[5, 6, 7, 2], [5, 6, 2, 1]])
    mask = (ids != model.config.pad_token_id).long()
    with torch.no_grad():
        torch.onnx.export(MethodAsModule(inc, "encode"), (ids, mask), str(out / "encoder.onnx"),
                          input_names=["input_ids", "attention_mask"], output_names=["hidden"],
                          dynamic_axes={"input_ids": {0: "b", 1: "s"}, "attention_mask": {0: "b", 1: "s"},
                                        "hidden": {0: "b", 1: "s"}}, opset_version=OPSET, dynamo=False)
        hidden = inc.encode(ids, mask)
        torch.onnx.export(MethodAsModule(inc, "init_cache"), (hidden,), str(out / "decoder_init.onnx"),
                          input_names=["hidden"], output_names=["cross_k", "cross_v"],
                          dynamic_axes={"hidden": {0: "b", 1: "s"}, "cross_k": {1: "b", 3: "s"}, "cross_v": {1: "b", 3: "s"}},
                          opset_version=OPSET, dynamo=False)
        ck, cv = inc.init_cache(hidden)
        sk = torch.zeros(len(inc.layers), 2, inc.heads, 1, inc.head_dim)
        args = (torch.tensor([3, 4]), torch.tensor([1]), sk, sk.clone(), ck, cv, mask)
        cache = {1: "b", 3: "past"}
        torch.onnx.export(MethodAsModule(inc, "step"), args, str(out / "decoder_step.onnx"),
                          input_names=["token", "position", "self_k", "self_v", "cross_k", "cross_v", "encoder_mask"],
                          output_names=["logprobs", "new_self_k", "new_self_v"],
                          dynamic_axes={"token": {0: "b"}, "self_k": cache, "self_v": cache, "cross_k": {1: "b", 3: "s"},
                                        "cross_v": {1: "b", 3: "s"}, "encoder_mask": {0: "b", 1: "s"},
                                        "logprobs": {0: "b"}, "new_self_k": {1: "b", 3: "next"}, "new_self_v": {1: "b", 3: "next"}},
                          opset_version=OPSET, dynamo=False)
    if quantize:
        from training.export_captioner import quantize_int8

        for f in ("encoder.onnx", "decoder_init.onnx", "decoder_step.onnx"):
            quantize_int8(out / f)
    tok.backend_tokenizer.save(str(out / "tokenizer.json"))
    vocab = tok.get_vocab()
    meta = {
        "name": name or checkpoint.name, "model_type": "mbart", "source": str(checkpoint),
        "layers": len(inc.layers), "heads": inc.heads, "head_dim": inc.head_dim,
        "max_positions": model.config.max_position_embeddings,
        "pad_id": model.config.pad_token_id, "eos_id": model.config.eos_token_id,
        "decoder_start_id": model.config.decoder_start_token_id,
        "languages": {lang: vocab[code] for lang, code in MBART_CODES.items() if code in vocab},
        "source_language": "en",
    }
    meta["files"] = {f: sha256_of(out / f) for f in PACK_FILES}
    (out / "pack.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", type=Path, help="a Hugging Face mBART-50 many-to-many folder")
    ap.add_argument("out", type=Path)
    ap.add_argument("--quantize", action="store_true", help="int8 weights (about 4x smaller)")
    ap.add_argument("--name", default=None)
    args = ap.parse_args(argv)
    print(json.dumps(export_pack(args.checkpoint, args.out, args.quantize, args.name), indent=1))


if __name__ == "__main__":
    main()
