"""Model input preprocessing, implemented once and shared by training and inference.

The encoder was trained (ImageNet, TF EfficientNet-Lite recipe) on pixels scaled as
(x - 127) / 128. Flickr8k photos are already 224x224 squashed, so a user's photo is
squashed to the same size (aspect ratio not kept) to match what the decoder saw.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

ENCODER_SIZE = 224
PIXEL_MEAN = 127.0
PIXEL_STD = 128.0


def resize_for_encoder(rgb: np.ndarray, size: int = ENCODER_SIZE) -> np.ndarray:
    """Squash an RGB uint8 image to size x size with bilinear filtering."""
    if rgb.shape[0] == size and rgb.shape[1] == size:
        return rgb
    img = Image.fromarray(rgb)
    return np.asarray(img.resize((size, size), Image.BILINEAR), dtype=np.uint8)


def encoder_input(rgb: np.ndarray, size: int = ENCODER_SIZE) -> np.ndarray:
    """RGB uint8 HxWx3 -> float32 1x3xSxS normalised tensor for the encoder."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 HxWx3 array, got {rgb.dtype} {rgb.shape}")
    x = resize_for_encoder(rgb, size).astype(np.float32)
    x = (x - PIXEL_MEAN) / PIXEL_STD
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def encoder_batch(images: list[np.ndarray], size: int = ENCODER_SIZE) -> np.ndarray:
    return np.concatenate([encoder_input(im, size) for im in images], axis=0)


def working_size(h: int, w: int, max_side: int, multiple: int = 16) -> tuple[float, int, int]:
    """Scale (<= 1) and size at which a fully convolutional model sees an h x w image:
    the long side at most max_side, each side at least `multiple`."""
    scale = min(1.0, max_side / max(h, w))
    return scale, max(multiple, round(h * scale)), max(multiple, round(w * scale))


def pad_to_multiple(arr: np.ndarray, multiple: int = 16, mode: str = "reflect") -> np.ndarray:
    """Pad the bottom and right edges so height and width are multiples of `multiple`."""
    pad = ((0, -arr.shape[0] % multiple), (0, -arr.shape[1] % multiple)) + ((0, 0),) * (arr.ndim - 2)
    return np.pad(arr, pad, mode=mode)
