"""Damage masks. THE convention, everywhere in public code and files:
a uint8 HxW array (or grayscale PNG) where 255 = damaged, fill this pixel, 0 = keep.
Models that want another convention convert inside their own adapter."""
from __future__ import annotations

import os
import warnings

import numpy as np
from PIL import Image

from captag_desktop.core.atomic import atomic_path

FILL, KEEP = 255, 0


class MaskError(Exception):
    """A mask file is unusable; the message is for the user."""


def normalize_mask(mask: np.ndarray) -> np.ndarray:
    """Any boolean / 0-1 / 0-255 / RGB(A) mask -> uint8 {0, 255}."""
    m = np.asarray(mask)
    if m.ndim == 3:
        m = m[..., 3] if m.shape[2] == 4 and m[..., :3].max() == 0 else m[..., :3].max(axis=2)
    if m.dtype == bool:
        return np.where(m, FILL, KEEP).astype(np.uint8)
    top = m.max(initial=0)
    if top <= 1:
        threshold = 0.5
    elif ((m == 0) | (m == top)).all():  # two levels, e.g. 0 and 100: the bright one marks the damage
        threshold = 0
    else:  # grey levels, e.g. soft brush edges: the brighter half
        threshold = 127
    return np.where(m > threshold, FILL, KEEP).astype(np.uint8)


def load_mask(path: str | os.PathLike, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Read a mask PNG (255 = damaged). If shape is given, the sizes must match."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                img.load()
                arr = np.asarray(img.convert("LA") if img.mode in ("P", "LA", "PA") else img)
    except FileNotFoundError:
        raise MaskError(f"mask not found: {path}") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MaskError(f"mask is too large to open safely: {path}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise MaskError(f"mask is not a readable image: {path} ({exc})") from None
    if arr.ndim == 3 and arr.shape[2] == 2:  # L + alpha: painted where opaque and bright
        arr = np.minimum(arr[..., 0], arr[..., 1])
    mask = normalize_mask(arr)
    if shape is not None and mask.shape != tuple(shape[:2]):
        raise MaskError(f"mask is {mask.shape[1]}x{mask.shape[0]} but the photo is {shape[1]}x{shape[0]}: {path}")
    return mask


def save_mask(mask: np.ndarray, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        Image.fromarray(normalize_mask(mask), "L").save(tmp, format="PNG")


def coverage(mask: np.ndarray) -> float:
    """Fraction of pixels marked damaged."""
    return float((mask == FILL).mean()) if mask.size else 0.0
