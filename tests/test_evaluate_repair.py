"""The repair evaluation scores every method on the same seeded masks, through the app's own code path."""
import cv2
import numpy as np
import pytest

from captag_desktop.core.models import ModelStore
from training import evaluate_repair


def _photos(n=2, side=64):
    rng = np.random.default_rng(3)
    y, x = np.mgrid[:side, :side]
    base = np.stack([x * 3, y * 3, (x + y) * 2], -1) % 256
    return np.stack([((base + rng.integers(0, 20, base.shape)) % 256).astype(np.uint8) for _ in range(n)])


def test_every_method_is_scored_on_its_own_fill():
    report = evaluate_repair.eval_inpaint(_photos(), ModelStore())
    assert {"model", "telea", "ns", "psnr_gain_over_telea_db"} <= set(report) and "fsr_fast" not in report
    assert len({report[m]["psnr_in_mask"] for m in ("model", "telea", "ns")}) == 3
    assert all(report[m]["median_fill_ms"] > 0 for m in ("model", "telea", "ns"))


def _mask():
    mask = np.zeros((64, 64), np.uint8)
    mask[20:30, 20:40] = 255
    return mask


@pytest.mark.skipif(not hasattr(cv2, "xphoto"), reason="needs opencv-contrib-python-headless")
def test_fsr_fills_the_mask_and_keeps_the_rest():
    from training.image_metrics import psnr_in_mask

    photo, mask = _photos(1)[0], _mask()
    out = evaluate_repair.fsr_fast(photo, mask)
    assert (out[mask == 0] == photo[mask == 0]).all()
    flat = np.where((mask == 255)[..., None], photo[mask == 0].mean(0).astype(np.uint8), photo)
    assert psnr_in_mask(out, photo, mask) > psnr_in_mask(flat, photo, mask) + 3  # an inverted mask fills nothing


def test_fsr_needs_opencv_contrib_and_says_so(monkeypatch):
    monkeypatch.delattr(cv2, "xphoto", raising=False)
    with pytest.raises(SystemExit, match="opencv-contrib-python-headless"):
        evaluate_repair.fsr_fast(_photos(1)[0], _mask())


def test_one_shape_masks_cover_enough_and_every_method_gets_the_same_one(monkeypatch):
    from training.synthetic_damage import scratch

    make = evaluate_repair.one_shape(scratch, 0.03)
    mask = make(np.random.default_rng(0), 64, 64)
    assert (mask > 0).mean() >= 0.03 and set(np.unique(mask)) <= {0, 255}
    seen = []

    def recorded(rng, h, w):
        seen.append(make(rng, h, w))
        return seen[-1]

    given = []
    monkeypatch.setattr(evaluate_repair, "fsr_fast", lambda p, m: given.append(m) or p)
    evaluate_repair.eval_inpaint(_photos(2), ModelStore(), seed=5, fsr=True, masks=recorded)
    assert len(seen) == 2 and all(g is s for g, s in zip(given, seen))  # one mask per photo, for every method
    rng = np.random.default_rng(5)
    again = [make(rng, 64, 64) for _ in range(2)]
    assert all((a == b).all() for a, b in zip(seen, again))  # seeded
