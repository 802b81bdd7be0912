import numpy as np
import pytest

from training.image_metrics import iou, psnr_in_mask, ssim


def test_psnr_only_counts_masked_pixels():
    truth = np.zeros((4, 4, 3), np.uint8)
    pred = truth.copy()
    pred[0, 0] = 10  # error inside the mask
    pred[3, 3] = 255  # error outside the mask: ignored
    mask = np.zeros((4, 4), np.uint8)
    mask[0, :2] = 255
    # MSE over 2 pixels x 3 channels: (3 * 100) / 6 = 50
    assert psnr_in_mask(pred, truth, mask) == pytest.approx(10 * np.log10(255 ** 2 / 50))


def test_ssim_identity_and_degradation():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
    assert ssim(a, a) == pytest.approx(1.0)
    noisy = np.clip(a + rng.normal(0, 40, a.shape), 0, 255).astype(np.uint8)
    assert ssim(a, noisy) < 0.9


def test_iou():
    a = np.zeros((2, 2), np.uint8)
    b = a.copy()
    a[0, :] = 255
    b[0, 0] = 255
    assert iou(a, b) == 0.5
    assert iou(np.zeros((2, 2)), np.zeros((2, 2))) == 1.0
