"""Cache the English caption decoder's cross-attention keys for every Flickr8k photo: the second view of
the photo the hashtag word model reads (core.hashtag_model.memory_regions).

It runs the bundled decoder's init model (ONNX, as the app does) on the cached encoder output that model
reads: the block below its tuned top (training.extract_features --cut N, extracted here if missing). The
cache is keyed by the decoder file's sha256, so a retrained captioner gets a fresh one.

It runs 64 photos at a time, while the app runs one. The init model's int8 tuned blocks scale their
activations over the whole batch, so the keys differ a little from the app's (up to 0.4 where they reach
4.7). Caching one photo at a time and retraining gave dev P@5 0.476 against the bundled view's 0.477, so
the batched cache, which reproduces the bundled view, stays.

    python -m training.decoder_memory [--models-dir models] [--out .cache/features]
"""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import numpy as np

from captag_desktop.core.hashtag_model import memory_regions
from captag_desktop.core.models import ModelStore
from training.export_captioner import tapped_block
from training.extract_features import extract, load_features, write_rows
from training.flickr8k import DEFAULT_ROOT, read_split
from training.manifest_tool import MODELS_DIR

log = logging.getLogger("decoder_memory")
DECODER = "caption-en-init"


def cache(models_dir: Path = MODELS_DIR, out_dir: Path = Path(".cache/features"), data: Path = DEFAULT_ROOT,
          limit: int = 0, encoder: str = "efficientnet-lite2", decoder: str = DECODER) -> tuple[Path, dict]:
    """Path of the (photos, positions, channels) float16 cache, and what it was read from
    ({"model": decoder, "sha256": ...}, for the word model's manifest entry)."""
    store = ModelStore(models_dir, threads=2)
    reads = {"model": decoder, "sha256": store.entry(decoder).sha256}
    names = read_split(data, "train")[: limit or None] + read_split(data, "dev")[: limit or None]
    npy, meta = out_dir / f"memory_{decoder}.npy", out_dir / f"memory_{decoder}.json"
    if meta.exists() and json.loads(meta.read_text()) == {"names": names, "reads": reads}:
        log.info("decoder memory already cached at %s", npy)
        return npy, reads
    session = store.session(decoder)
    input_name = session.get_inputs()[0].name
    feats, rows = load_features(extract(data, out_dir, encoder, names, cut=tapped_block(input_name)))

    def chunks():
        for i in range(0, len(names), 64):
            block = np.asarray(feats[[rows[n] for n in names[i:i + 64]]], dtype=np.float32)
            yield memory_regions(session.run(None, {input_name: block})[0])

    write_rows(npy, len(names), chunks())
    meta.write_text(json.dumps({"names": names, "reads": reads}))
    log.info("wrote %s for %d photos", npy, len(names))
    return npy, reads


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    ap.add_argument("--out", type=Path, default=Path(".cache/features"))
    ap.add_argument("--data", type=Path, default=DEFAULT_ROOT)
    ap.add_argument("--limit", type=int, default=0, help="only the first N images of each split (tests)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    print(cache(args.models_dir, args.out, args.data, args.limit)[0])


if __name__ == "__main__":
    main()
