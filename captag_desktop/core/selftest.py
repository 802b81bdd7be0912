"""`captag --selftest`: prove an installed or frozen app works end to end, offline.

Verifies every model in the manifest (sha256), then runs one photo through
repair -> caption -> hashtags -> every language, and reports each stage's time.
The photo is drawn here (sky, sea, sand, a figure, a scratch), so nothing is read from
outside the bundle.
"""
from __future__ import annotations

import time

import numpy as np

from captag_desktop.core.models import ModelError, ModelStore


def test_photo(size: int = 320) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic beach photo and a mask over a scratch drawn across it (255 = damaged)."""
    h = w = size
    y = np.linspace(0, 1, h)[:, None, None]
    img = np.where(y < 0.45, [110, 160, 230], np.where(y < 0.7, [30, 90, 160], [220, 200, 150])) * np.ones((1, w, 1))
    img[int(h * 0.5):int(h * 0.8), w // 2 - 10:w // 2 + 10] = [200, 40, 40]  # a figure in red
    mask = np.zeros((h, w), np.uint8)
    for i in range(w):
        mask[int(h * 0.3 + 0.2 * i) % h, i] = 255
    img[mask > 0] = 255  # the scratch
    return img.astype(np.uint8), mask


def run_selftest(store: ModelStore | None = None) -> dict:
    from captag_desktop.core.pipeline import LANGUAGES, Pipeline, drive
    from captag_desktop.core.repair import Repairer
    from captag_desktop.core.translate import TAG_LANGS

    store = store or ModelStore()
    report: dict = {"models": {}, "stages_ms": {}}
    required = sorted(n for n, e in store.entries.items() if not e.optional)
    bad = [name for name in required if not store.verify(name)]
    report["models"] = {name: name not in bad for name in required}
    report["optional_models"] = {n: store.installed(n) for n, e in sorted(store.entries.items()) if e.optional}
    from captag_desktop.core.social_llm import llm_runtime_available

    report["llm_runtime"] = llm_runtime_available()  # the Social LLM needs it as well as its model file
    if bad:
        raise ModelError(f"damaged or missing model files: {', '.join(store.entry(n).file for n in bad)}")
    rgb, mask = test_photo()
    t = time.perf_counter()
    repaired = drive(Repairer(store, "auto").repair(rgb, mask))
    report["stages_ms"]["repair"] = round((time.perf_counter() - t) * 1000, 1)
    if store.has("damage-detector"):
        from captag_desktop.core.damage import DamageDetector

        t = time.perf_counter()
        DamageDetector(store).detect(rgb)
        report["stages_ms"]["detect_damage"] = round((time.perf_counter() - t) * 1000, 1)
    t = time.perf_counter()
    result = drive(Pipeline(store).describe(repaired, "selftest", list(LANGUAGES), 8))
    report["stages_ms"]["caption_hashtags_all_languages"] = round((time.perf_counter() - t) * 1000, 1)
    report["captions"], report["hashtags"], report["warnings"] = result.captions, result.hashtags, result.warnings
    missing = [lang for lang in LANGUAGES if lang not in result.captions or not result.captions[lang]]
    report["ok"] = not missing and all(result.hashtags.get(lang) for lang in ("en",) + TAG_LANGS)
    report["missing_languages"] = missing
    return report
