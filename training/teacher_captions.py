"""The Quality path's own captions for the train photos: targets for sequence-level knowledge
distillation (Kim & Rush 2016) of the Fast path's decoder, so it learns to say what the Quality
path says from the student's features, next to the human captions.

    python -m training.teacher_captions [--out runs/teacher_captions_en.json]

Uses the cached teacher features and the bundled English decoder (beam search, its length penalty).
A decoder that tuned the encoder's top reads block N's output: its cache sits beside the features
as <encoder>_cut<N>.npy (`python -m training.extract_features --cut N`).
"""
from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np

from captag_desktop.core.atomic import write_text_atomic
from captag_desktop.core.captioner import CaptionDecoder
from captag_desktop.core.models import ModelStore
from training.export_captioner import tapped_block
from training.extract_features import load_features
from training.flickr8k import DEFAULT_ROOT, read_split
from training.run_utils import FEATURES


def cache_for(decoder_input: str, features: Path) -> Path:
    """The cache of the encoder output a decoder reads: `features` itself, or its block-N cut beside it."""
    block = tapped_block(decoder_input)
    if block is None:
        return features
    path = features.with_name(f"{features.stem}_cut{block}.npy")
    if not path.exists():
        raise SystemExit(f"the English decoder reads block {block}'s output: run "
                         f"`python -m training.extract_features --cut {block} --out {features.parent}` first")
    return path


def teacher_captions(features: Path, data: Path, limit: int = 0, models_dir: Path | None = None) -> dict[str, list[str]]:
    decoder = CaptionDecoder(ModelStore(models_dir), "en")
    opts = decoder.own_options(3)
    feats, rows = load_features(cache_for(decoder.input_name, Path(features)))
    names = [n for n in read_split(data, "train") if n in rows][: limit or None]
    reads = decoder.input_name
    return {n: [decoder.caption({reads: np.asarray(feats[rows[n]], dtype=np.float32)[None]}, opts)] for n in names}


def drop_common(caps: dict[str, list[str]], max_repeats: int) -> dict[str, list[str]]:
    """Keep a photo's teacher caption only when at most max_repeats train photos share it. The
    Quality path's fall-back captions ("a brown dog is running through the grass") are targets
    the Fast decoder otherwise learns to give to too many photos."""
    counts = Counter(c for cs in caps.values() for c in cs)
    return {n: kept for n, cs in caps.items() if (kept := [c for c in cs if counts[c] <= max_repeats])}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--features", type=Path, default=Path(FEATURES))
    ap.add_argument("--data", type=Path, default=DEFAULT_ROOT)
    ap.add_argument("--out", type=Path, default=Path("runs/teacher_captions_en.json"))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--max-repeats", type=int, default=0,
                    help="drop teacher captions that more than this many train photos share (0 = keep all)")
    args = ap.parse_args(argv)
    t = time.time()
    caps = teacher_captions(args.features, args.data, args.limit)
    if args.max_repeats:
        caps = drop_common(caps, args.max_repeats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out, json.dumps(caps, ensure_ascii=False))
    print(json.dumps({"photos": len(caps), "seconds": round(time.time() - t, 1), "out": str(args.out)}))


if __name__ == "__main__":
    main()
