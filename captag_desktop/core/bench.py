"""Per-stage timing with models already loaded (the numbers quoted in model cards)."""
from __future__ import annotations

import resource
import statistics
import sys
import time

import numpy as np

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


def _caption_times(pipelines: dict[str, Pipeline], photos, runs: int) -> dict[str, dict]:
    """Per-encoder medians. The encoders take turns photo by photo, so a busy moment on the machine
    falls on both rather than skewing their ratio."""
    from captag_desktop.core.preprocess import encoder_input

    parts = {kind: (p.encoder(), p.decoder("en")) for kind, p in pipelines.items()}
    rows: dict[str, list[dict]] = {kind: [] for kind in pipelines}
    for photo in photos:
        pixels = encoder_input(photo)
        for kind, (enc, dec) in parts.items():
            feats = enc(photo)
            decode = pipelines[kind].decode_for(dec)
            rows[kind].append({
                "beam_size": decode.beam_size,
                "encode_ms": median_ms(lambda: enc(photo), runs),  # resize + normalise + network
                "encoder_net_ms": median_ms(lambda: enc.session.run(enc.outputs, {"pixels": pixels}), runs),
                # a fresh copy each time: the decoder caches its cross-attention inputs in the encoding
                "decode_ms": median_ms(lambda: dec.caption(dict(feats), decode), runs)})
    out = {}
    for kind, kind_rows in rows.items():
        out[kind] = {k: statistics.median(r[k] for r in kind_rows) for k in kind_rows[0]}
        out[kind]["caption_total_ms"] = round(out[kind]["encode_ms"] + out[kind]["decode_ms"], 2)
    return out


def run_bench(images: list[str], runs: int = 20, encoder: str = "both", beam_size: int | None = None) -> dict:
    """Per-stage medians. With encoder="both", Quality and Fast are timed in the same run, so
    their ratio is not skewed by a busy machine at another moment."""
    from captag_desktop.core.captioner import ENCODERS
    from captag_desktop.core.repair import Repairer
    from captag_desktop.core.translate import CAPTION_LANGS

    store = ModelStore()
    kinds = [k for k in ENCODERS if store.has(ENCODERS[k])] if encoder == "both" else [encoder]
    rng = np.random.default_rng(0)
    photos = [load_image(p).rgb for p in images] or [rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)]
    report = {"encoder": kinds[0], "beam_size": beam_size or "each model's own", "photos": len(photos), "runs": runs,
              "encoders": {}}
    pipelines = {}
    for kind in kinds:
        t = time.perf_counter()
        pipelines[kind] = Pipeline(store, encoder=kind, beam_size=beam_size)
        pipelines[kind].warm_up()  # loads every model the timings below use
        report["encoders"][kind] = {"load_ms": round((time.perf_counter() - t) * 1000, 1)}
    for kind, times in _caption_times(pipelines, photos, runs).items():
        report["encoders"][kind].update(times)
    if len(kinds) == 2:
        # the networks' ratio; the resize and normalisation before them are the same code for both
        q, f = (report["encoders"][k]["encoder_net_ms"] for k in ("quality", "fast"))
        report["fast_encoder_speedup"] = round(q / f, 2)
        q, f = (report["encoders"][k]["encode_ms"] for k in ("quality", "fast"))
        report["fast_encode_speedup_with_preprocessing"] = round(q / f, 2)
    report.update(report["encoders"][kinds[0]])  # the chosen encoder's numbers at the top level
    pipeline = pipelines[kinds[0]]
    feats = pipeline.encoder()(photos[0])
    english = pipeline.decoder("en")
    caption = english.caption(feats, pipeline.decode_for(english))
    report["hashtags_ms"] = median_ms(lambda: pipeline.hashtags(feats, caption, 10), runs)
    tags = pipeline.hashtags(feats, caption, 15)

    def translate_all():
        for lang in CAPTION_LANGS:
            pipeline.translator.caption(caption, lang)
            pipeline.translator.hashtags(tags, lang)

    report["translator"] = pipeline.translator.name
    report["translate_ms"] = median_ms(translate_all, runs)  # all four languages, caption + hashtags
    repairer = Repairer(store, "auto")
    img = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    mask = np.zeros((512, 512), np.uint8)
    mask[200:240, 100:400] = 255
    report["repair_method"] = repairer.method
    report["repair_512_ms"] = median_ms(lambda: drive(repairer.repair(img, mask)), max(3, runs // 4))
    report["peak_rss_mb_before_huge"] = peak_rss_mb()
    report.update(huge_photo(pipeline, repairer))
    report["peak_rss_mb"] = peak_rss_mb()
    return report


def huge_photo(pipeline: Pipeline, repairer, h: int = 6000, w: int = 8000) -> dict:
    """An 8000x6000 photo with a few small scratches: caption + repair. Repair works on crops
    around the damage, so memory stays a small multiple of the photo itself."""
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    mask = np.zeros((h, w), np.uint8)
    for y, x in ((500, 700), (3000, 4000), (5200, 7000)):
        mask[y:y + 8, x:x + 300] = 255
    t = time.perf_counter()
    drive(pipeline.describe(img, "huge", ["en"], 10))
    caption_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    drive(repairer.repair(img, mask))
    return {"huge_photo": f"{w}x{h}", "huge_caption_ms": round(caption_ms, 1),
            "huge_repair_ms": round((time.perf_counter() - t) * 1000, 1)}
