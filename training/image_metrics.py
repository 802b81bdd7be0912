"""PSNR inside a mask and SSIM (Wang et al. 2004, Gaussian window), for repair evaluation."""
from __future__ import annotations

import cv2
import numpy as np


def psnr_in_mask(pred: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    """PSNR over the masked (255) pixels only, all channels, 8-bit peak."""
    sel = mask > 0
    if not sel.any():
        return float("inf")
    err = (pred[sel].astype(np.float64) - truth[sel].astype(np.float64)) ** 2
    mse = err.mean()
    return float("inf") if mse == 0 else float(10 * np.log10(255.0 ** 2 / mse))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM over the image, computed on each channel and averaged."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    a, b = a.astype(np.float64), b.astype(np.float64)
    if a.ndim == 2:
        a, b = a[..., None], b[..., None]
    vals = []
    for ch in range(a.shape[2]):
        x, y = a[..., ch], b[..., ch]
        blur = lambda z: cv2.GaussianBlur(z, (11, 11), 1.5)  # noqa: E731
        mx, my = blur(x), blur(y)
        sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
        s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
        vals.append(s.mean())
    return float(np.mean(vals))


def iou(pred: np.ndarray, truth: np.ndarray) -> float:
    p, t = pred > 0, truth > 0
    union = (p | t).sum()
    return 1.0 if union == 0 else float((p & t).sum() / union)
