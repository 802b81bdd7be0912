"""Per-stage timing with models already loaded (the numbers quoted in model cards)."""
from __future__ import annotations

import statistics
import time

import numpy as np

from captag_desktop.core.beam_search import DecodeOptions
from captag_desktop.core.images import load_image
from captag_desktop.core.models import ModelStore
from captag_desktop.core.pipeline import Pipeline


def median_ms(fn, runs: int = 5) -> float:
    """Median wall time of fn in ms after one warm-up call."""
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 2)


def run_bench(images: list[str], runs: int = 20, encoder: str = "quality", beam_size: int = 3) -> dict:
    t = time.perf_counter()
    pipeline = Pipeline(ModelStore(), encoder=encoder, decode=DecodeOptions(beam_size=beam_size))
    pipeline.warm_up()
    load_ms = (time.perf_counter() - t) * 1000
    if images:
        photos = [load_image(p).rgb for p in images]
    else:
        rng = np.random.default_rng(0)
        photos = [rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)]
    enc, dec = pipeline.encoder(), pipeline.decoder("en")
    feats = [enc(p) for p in photos]
    per_photo = []
    for i, p in enumerate(photos):
        per_photo.append({
            "encode_ms": median_ms(lambda: enc(p), runs),
            "decode_ms": median_ms(lambda: dec.caption(feats[i], pipeline.decode), runs),
        })
    encode = statistics.median(x["encode_ms"] for x in per_photo)
    decode = statistics.median(x["decode_ms"] for x in per_photo)
    return {"encoder": encoder, "beam_size": beam_size, "photos": len(photos), "runs": runs,
            "load_ms": round(load_ms, 1), "encode_ms": encode, "decode_ms": decode,
            "caption_total_ms": round(encode + decode, 2)}
