"""Per-stage timing with models already loaded (the numbers quoted in model cards)."""
from __future__ import annotations

import resource
import statistics
import sys
import time

import numpy as np

from captag_desktop.core.beam_search import DecodeOptions
from captag_desktop.core.images import load_image
from captag_desktop.core.models import ModelStore
from captag_desktop.core.pipeline import Pipeline, drive


def median_ms(fn, runs: int = 5) -> float:
    """Median wall time of fn in ms after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 2)


def peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def run_bench(images: list[str], runs: int = 20, encoder: str = "quality", beam_size: int = 3) -> dict:
    from captag_desktop.core.repair import Repairer

    store = ModelStore()
    t = time.perf_counter()
    pipeline = Pipeline(store, encoder=encoder, decode=DecodeOptions(beam_size=beam_size))
    pipeline.warm_up()  # loads every model the timings below use
    load_ms = (time.perf_counter() - t) * 1000
    rng = np.random.default_rng(0)
    photos = [load_image(p).rgb for p in images] or [rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)]
    enc, dec = pipeline.encoder(), pipeline.decoder("en")
    rows = []
    for p in photos:
        feats = enc(p)
        caption = dec.caption(feats, pipeline.decode)
        rows.append({
            "encode_ms": median_ms(lambda: enc(p), runs),
            "decode_ms": median_ms(lambda: dec.caption(feats, pipeline.decode), runs),
            "hashtags_ms": median_ms(lambda: pipeline.hashtags(feats, caption, 10), runs),
        })
    report = {"encoder": encoder, "beam_size": beam_size, "photos": len(photos), "runs": runs, "load_ms": round(load_ms, 1)}
    for key in rows[0]:
        report[key] = statistics.median(r[key] for r in rows)
    report["caption_total_ms"] = round(report["encode_ms"] + report["decode_ms"], 2)
    repairer = Repairer(store, "auto")
    img = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    mask = np.zeros((512, 512), np.uint8)
    mask[200:240, 100:400] = 255
    report["repair_method"] = repairer.method
    report["repair_512_ms"] = median_ms(lambda: drive(repairer.repair(img, mask)), max(3, runs // 4))
    report["peak_rss_mb"] = peak_rss_mb()
    return report
