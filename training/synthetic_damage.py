"""Random irregular masks and rendered photo damage, for training and evaluation.

All functions take a numpy Generator so a seed reproduces a data set exactly.
Masks follow the project convention: uint8, 255 = damaged.
"""
from __future__ import annotations

import cv2
import numpy as np


def _polyline(rng, h, w, n_pts, step, smooth=True):
    pts = [np.array([rng.uniform(0, w), rng.uniform(0, h)])]
    angle = rng.uniform(0, 2 * np.pi)
    for _ in range(n_pts - 1):
        angle += rng.normal(0, 0.25 if smooth else 1.0)
        pts.append(pts[-1] + step * np.array([np.cos(angle), np.sin(angle)]))
    return np.array(pts, dtype=np.int32).reshape(-1, 1, 2)


def stroke(rng, h, w):
    m = np.zeros((h, w), np.uint8)
    cv2.polylines(m, [_polyline(rng, h, w, rng.integers(3, 8), rng.uniform(0.05, 0.2) * max(h, w), False)], False,
                  255, int(rng.integers(max(3, w // 40), max(6, w // 12))))
    return m


def scratch(rng, h, w):
    m = np.zeros((h, w), np.uint8)
    cv2.polylines(m, [_polyline(rng, h, w, rng.integers(4, 12), rng.uniform(0.05, 0.12) * max(h, w))], False,
                  255, int(rng.integers(1, 4)))
    return m


def blob(rng, h, w):
    m = np.zeros((h, w), np.uint8)
    for _ in range(rng.integers(1, 4)):
        c = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
        axes = (int(rng.uniform(0.02, 0.1) * w) + 2, int(rng.uniform(0.02, 0.1) * h) + 2)
        cv2.ellipse(m, c, axes, rng.uniform(0, 180), 0, 360, 255, -1)
    return m


def tear(rng, h, w):
    """A jagged region entering from one edge of the photo."""
    m = np.zeros((h, w), np.uint8)
    depth = rng.uniform(0.05, 0.2)
    n = 12
    t = np.linspace(0, 1, n)
    start, length = rng.uniform(0, 0.6), rng.uniform(0.2, 0.4)
    along = (start + t * length)
    inward = depth * np.sin(np.pi * t) + rng.normal(0, depth * 0.15, n)
    side = rng.integers(4)
    if side == 0:
        pts = np.stack([along * w, inward * h], 1)
    elif side == 1:
        pts = np.stack([along * w, h - inward * h], 1)
    elif side == 2:
        pts = np.stack([inward * w, along * h], 1)
    else:
        pts = np.stack([w - inward * w, along * h], 1)
    cv2.fillPoly(m, [pts.astype(np.int32)], 255)
    return m


SHAPES = (stroke, scratch, blob, tear)


def random_mask(rng: np.random.Generator, h: int, w: int, max_cover: float = 0.3) -> np.ndarray:
    """An irregular hole mask (strokes, scratches, blobs, tears) covering 1%..max_cover."""
    m = np.zeros((h, w), np.uint8)
    for _ in range(20):
        shape = SHAPES[rng.choice(4, p=[0.4, 0.25, 0.2, 0.15])]
        m |= shape(rng, h, w)
        cover = (m > 0).mean()
        if cover > max_cover:
            break
        if cover > 0.01 and rng.random() < 0.35:
            break
    return m


def render_damage(rng: np.random.Generator, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paint realistic damage onto a clean photo. Returns (damaged, mask of changed pixels)."""
    h, w = rgb.shape[:2]
    img = rgb.astype(np.float32)
    mask = np.zeros((h, w), np.uint8)
    kinds = rng.choice(["scratch", "crease", "tear", "dust", "stain", "ink"], size=rng.integers(1, 4), replace=True)
    for kind in kinds:
        if kind == "scratch":
            m = scratch(rng, h, w)
            colour = rng.choice([rng.uniform(215, 255), rng.uniform(0, 40)])
            img[m > 0] = colour + rng.normal(0, 6, (int((m > 0).sum()), 1))
        elif kind == "crease":
            m = cv2.polylines(np.zeros((h, w), np.uint8), [_polyline(rng, h, w, 3, 0.5 * max(h, w))], False, 255,
                              int(rng.integers(2, 5)))
            img[m > 0] = img[m > 0] * 0.35 + 0.65 * rng.uniform(200, 245)
        elif kind == "tear":
            m = tear(rng, h, w)
            paper = rng.uniform(220, 250, 3) * np.array([1.0, 0.98, 0.93])
            img[m > 0] = paper + rng.normal(0, 4, (int((m > 0).sum()), 3))
        elif kind == "dust":
            m = np.zeros((h, w), np.uint8)
            for _ in range(rng.integers(10, 60)):
                c = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
                cv2.circle(m, c, int(rng.integers(1, 3)), 255, -1)
            img[m > 0] = rng.choice([rng.uniform(0, 30), rng.uniform(225, 255)])
        elif kind == "stain":
            m = blob(rng, h, w)
            soft = cv2.GaussianBlur(m.astype(np.float32) / 255, (0, 0), 2)[..., None]
            tint = np.array([150, 110, 60], np.float32) * rng.uniform(0.8, 1.2)
            alpha = rng.uniform(0.55, 0.85)
            img = img * (1 - alpha * soft) + tint * alpha * soft
            m = (soft[..., 0] > 0.25).astype(np.uint8) * 255
        else:  # ink
            m = stroke(rng, h, w) if rng.random() < 0.6 else blob(rng, h, w)
            ink = np.array(rng.choice([[20, 30, 90], [15, 15, 20], [120, 20, 30]]), np.float32)
            img[m > 0] = ink + rng.normal(0, 5, (int((m > 0).sum()), 3))
        mask |= m
    return np.clip(img, 0, 255).astype(np.uint8), mask
