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
    return np.stack([(base + rng.integers(0, 20, base.shape)).astype(np.uint8) for _ in range(n)])


def test_every_method_is_scored_and_the_gain_is_model_minus_telea():
    report = evaluate_repair.eval_inpaint(_photos(), ModelStore())
    assert {"model", "telea", "ns"} <= set(report) and "fsr_fast" not in report
    assert report["psnr_gain_over_telea_db"] == pytest.approx(
        report["model"]["psnr_in_mask"] - report["telea"]["psnr_in_mask"], abs=2e-3)
    assert report["telea"] != report["ns"]  # each method fills on its own


def test_fsr_needs_opencv_contrib_and_says_so(monkeypatch):
    monkeypatch.delattr(cv2, "xphoto", raising=False)
    mask = np.zeros((64, 64), np.uint8)
    mask[20:30, 20:40] = 255
    with pytest.raises(SystemExit, match="opencv-contrib-python-headless"):
        evaluate_repair.fsr_fast(_photos(1)[0], mask)


def test_one_shape_masks_cover_enough_and_every_method_gets_the_same_one():
    from training.synthetic_damage import scratch

    make = evaluate_repair.one_shape(scratch, 0.03)
    mask = make(np.random.default_rng(0), 64, 64)
    assert (mask > 0).mean() >= 0.03 and set(np.unique(mask)) <= {0, 255}
    seen = []

    def recorded(rng, h, w):
        seen.append(make(rng, h, w))
        return seen[-1]

    evaluate_repair.eval_inpaint(_photos(2), ModelStore(), seed=5, masks=recorded)
    assert len(seen) == 2  # one mask per photo, shared by the methods
    again = [make(r, 64, 64) for r in [np.random.default_rng(5)] for _ in range(2)]
    assert all((a == b).all() for a, b in zip(seen, again))  # seeded
