"""Score the bundled ONNX captioner (the exact app code path) on a Flickr8k split.

Reads each photo from disk, runs the app's Encoder and beam search, and reports
BLEU-1..4, CIDEr-D, caption diversity and the median caption time per photo.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from captag_desktop.core.captioner import CaptionDecoder, Encoder
from captag_desktop.core.images import load_image
from captag_desktop.core.models import ModelStore, share_threads
from captag_desktop.core.text import tokenize
from training.flickr8k import DEFAULT_ROOT, image_path, read_captions, read_split
from training.metrics import caption_report


def mirror_average(enc, rgb: np.ndarray) -> dict[str, np.ndarray]:
    """The mean of each encoder output for the photo and its mirror image, flipped back so each region
    lines up (regions are a square grid, row by row). Test-time augmentation at twice the encoder cost."""
    own, mirrored = enc(rgb), enc(np.ascontiguousarray(rgb[:, ::-1]))
    out = {}
    for name, feats in own.items():
        side = int(round(feats.shape[1] ** 0.5))
        back = mirrored[name].reshape(feats.shape[0], side, side, -1)[:, :, ::-1].reshape(feats.shape)
        out[name] = (feats + back) / 2
    return out


def evaluate(data: Path, split: str, beam_size: int | None = None, length_penalty: float | None = None, encoder: str = "quality",
             models_dir: Path | None = None, limit: int = 0, lang: str = "en", mirror: bool = False,
             evidence_weight: float | None = None) -> dict:
    """beam_size, length_penalty and evidence_weight None decode as the app does, with the decoder's own (its
    manifest 'decode', else the defaults; evidence_weight 0 turns the similar photos' word evidence off). mirror: an experiment the app does not run, features averaged with the mirror
    image's (mirror_average)."""
    store = ModelStore(models_dir)
    variant = "fast" if encoder == "fast" and store.has(f"caption-{lang}-fast-step") else ""
    enc, dec = Encoder(store, encoder), CaptionDecoder(store, lang, variant)
    opts = dec.own_options(beam_size)
    if length_penalty is not None:
        opts = replace(opts, length_penalty=length_penalty)
    if evidence_weight is not None:
        opts = replace(opts, evidence_weight=evidence_weight)
    names = read_split(data, split)[: limit or None]
    captions = read_captions(data, lang)
    hyps, times, examples = {}, [], []
    for n in names:
        rgb = load_image(image_path(data, n)).rgb
        t = time.perf_counter()
        text = dec.caption(mirror_average(enc, rgb) if mirror else enc(rgb), opts)
        times.append((time.perf_counter() - t) * 1000)
        hyps[n] = tokenize(text, lang)
        if len(examples) < 20:
            examples.append({"image": n, "caption": text, "reference": captions[n][0]})
    refs = {n: [tokenize(c, lang) for c in captions[n]] for n in names}
    report = caption_report(hyps, refs)
    report.update(split=split, lang=lang, encoder=encoder, decoder=f"caption-{lang}{'-' + variant if variant else ''}", beam_size=opts.beam_size, length_penalty=opts.length_penalty,
                  evidence_weight=opts.evidence_weight if dec.evidence is not None else None,
                  mirror_average=mirror,
                  median_caption_ms=round(statistics.median(times), 1), examples=examples)
    return report


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DEFAULT_ROOT)
    ap.add_argument("--split", default="dev", choices=["dev", "train"])
    ap.add_argument("--encoder", default="quality", choices=["quality", "fast"])
    ap.add_argument("--beam-size", type=int, default=None, help="default: the evaluated decoder's own (manifest 'decode'), as in the app")
    ap.add_argument("--length-penalty", type=float, default=None, help="default: the evaluated decoder's own (manifest 'decode'), as in the app")
    ap.add_argument("--evidence-weight", type=float, default=None,
                    help="weight of similar photos' word evidence; default: the decoder's own, as in the app; 0: off")
    ap.add_argument("--models-dir", type=Path, default=None)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--lang", default="en", choices=["en", "ar"])
    ap.add_argument("--mirror-average", action="store_true",
                    help="experiment: average each photo's features with its mirror image's (two encoder passes)")
    ap.add_argument("--out", type=Path, default=None, help="write the report JSON here")
    args = ap.parse_args(argv)
    report = evaluate(args.data, args.split, args.beam_size, args.length_penalty, args.encoder, args.models_dir,
                      args.limit, args.lang, args.mirror_average, args.evidence_weight)
    text = json.dumps(report, indent=1, ensure_ascii=False)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "examples"}))


if __name__ == "__main__":
    share_threads()  # timed as the app runs; only here, as other callers may bring sessions of their own
    main()
