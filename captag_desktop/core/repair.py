"""Fill damaged pixels: a trained inpainting model (ONNX) or OpenCV's Telea / NS.

Large photos are never downscaled as a whole: each damaged region is cropped with
context, inpainted at the model's scale, and only its masked pixels are pasted back.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generator

import numpy as np

from captag_desktop.core.masks import FILL, normalize_mask
from captag_desktop.core.models import ModelError, ModelStore
from captag_desktop.core.pipeline import Progress
from captag_desktop.core.preprocess import pad_to_multiple, working_size

METHODS = ("auto", "model", "telea", "ns")
MODEL_NAME = "inpaint"
MODEL_SCALE = 256  # the side the inpainting model works best at
MULTIPLE = 16  # the model's input sides must be multiples of this


@dataclass(frozen=True)
class Box:
    y0: int
    x0: int
    y1: int
    x1: int

    def overlaps(self, o: "Box") -> bool:
        return self.y0 < o.y1 and o.y0 < self.y1 and self.x0 < o.x1 and o.x0 < self.x1

    def union(self, o: "Box") -> "Box":
        return Box(min(self.y0, o.y0), min(self.x0, o.x0), max(self.y1, o.y1), max(self.x1, o.x1))


def _grow(lo: int, hi: int, want: int, limit: int) -> tuple[int, int]:
    """Widen [lo, hi) to at least `want` wide, centred, inside [0, limit)."""
    extra = max(0, want - (hi - lo))
    lo, hi = lo - extra // 2, hi + extra - extra // 2
    if lo < 0:
        lo, hi = 0, min(limit, hi - lo)
    if hi > limit:
        lo, hi = max(0, lo - (hi - limit)), limit
    return lo, hi


def region_boxes(mask: np.ndarray, context: int = MODEL_SCALE) -> list[Box]:
    """One box per cluster of damage: the damage plus a margin, at least context x context."""
    import cv2

    h, w = mask.shape
    n, _, stats, _ = cv2.connectedComponentsWithStats((mask == FILL).astype(np.uint8), connectivity=8)
    boxes = []
    for i in range(1, n):
        x, y, bw, bh = stats[i, :4]
        margin = max(16, max(bw, bh) // 4)
        y0, y1 = _grow(y - margin, y + bh + margin, context, h)
        x0, x1 = _grow(x - margin, x + bw + margin, context, w)
        boxes.append(Box(max(0, y0), max(0, x0), min(h, y1), min(w, x1)))
    merged = True
    while merged:  # merge until no two boxes overlap
        merged = False
        out: list[Box] = []
        for b in boxes:
            for i, o in enumerate(out):
                if b.overlaps(o):
                    out[i] = o.union(b)
                    merged = True
                    break
            else:
                out.append(b)
        boxes = out
    return boxes


def inpaint_inputs(rgb: np.ndarray, hole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The inpainting net's two inputs, shared by training and the app: the photo with its
    holes prefilled by Telea (float32 1x3xHxW in [0,1]) and 'valid' (1x1xHxW, 1 = keep),
    both padded to multiples of 16. `hole` is boolean, True = fill."""
    prefilled = classical(rgb, hole.astype(np.uint8) * FILL, "telea")
    img_p = pad_to_multiple(prefilled, MULTIPLE)
    valid = (~pad_to_multiple(hole, MULTIPLE, mode="constant")).astype(np.float32)[None, None]
    return img_p.astype(np.float32).transpose(2, 0, 1)[None] / 255.0, valid


class ModelInpainter:
    """Adapter for the ONNX inpainting net. The net wants a Telea-prefilled image and a
    'valid' mask (1 = keep); `inpaint_inputs` is the only place that converts."""

    def __init__(self, store: ModelStore):
        self.session = store.session(MODEL_NAME)

    def __call__(self, rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import cv2

        h, w = mask.shape
        scale, sh, sw = working_size(h, w, MODEL_SCALE, MULTIPLE)
        img_s = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA) if scale < 1 else rgb
        # Any damaged pixel under a downscaled pixel makes that pixel damaged.
        hole = cv2.resize(mask, (sw, sh), interpolation=cv2.INTER_AREA) > 0 if scale < 1 else mask == FILL
        prefilled, valid = inpaint_inputs(img_s, hole)
        out = self._mirror_averaged(prefilled, valid)
        if scale < 1:
            # A big crop is seen downscaled, so only the net's correction is upscaled and added to a
            # full-resolution Telea fill: thin scratches keep full-resolution detail.
            delta = (out - prefilled[0]).transpose(1, 2, 0)[:sh, :sw] * 255.0
            full = classical(rgb, mask, "telea").astype(np.float32)
            out = full + cv2.resize(delta, (w, h), interpolation=cv2.INTER_LINEAR)
        else:
            out = out.transpose(1, 2, 0)[:h, :w] * 255.0
        filled = np.clip(out + 0.5, 0, 255).astype(np.uint8)
        return np.where((mask == FILL)[..., None], filled, rgb)

    def _mirror_averaged(self, prefilled: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """The net's output for the photo and for its mirror image (mirrored back), averaged:
        one batch of two. Measured on the dev masks it fills the hole closer to the truth than
        either alone, and the net is fast enough to afford it."""
        both = {"prefilled": np.concatenate([prefilled, prefilled[..., ::-1]]),
                "valid": np.concatenate([valid, valid[..., ::-1]])}
        out = self.session.run(["image"], both)[0]
        return (out[0] + out[1][..., ::-1]) / 2


def classical(rgb: np.ndarray, mask: np.ndarray, method: str, radius: int = 3) -> np.ndarray:
    import cv2

    flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    return cv2.cvtColor(cv2.inpaint(bgr, (mask == FILL).astype(np.uint8) * 255, radius, flag), cv2.COLOR_BGR2RGB)


class Repairer:
    """Loads the model once; `repair()` is a pipeline generator (progress + cancel points)."""

    def __init__(self, store: ModelStore | None = None, method: str = "auto"):
        if method not in METHODS:
            raise ValueError(f"unknown repair method '{method}', choose one of {', '.join(METHODS)}")
        self.store = store
        self.requested = method
        self._model: ModelInpainter | None = None
        self.method = self._resolve(method)

    def _resolve(self, method: str) -> str:
        if method in ("telea", "ns"):
            return method
        try:
            self.store = self.store or ModelStore()
            self._model = ModelInpainter(self.store)
            return "model"
        except ModelError as exc:
            if method == "model":
                raise ModelError(f"the trained inpainting model is not available ({exc}); "
                                 "use --method auto, telea or ns") from None
            return "telea"  # auto: fall back to the classical method when no model is bundled

    def _fill(self, crop: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self.method == "model":
            return self._model(crop, mask)
        return classical(crop, mask, self.method)

    def repair(self, rgb: np.ndarray, mask: np.ndarray) -> Generator[Progress, None, np.ndarray]:
        mask = normalize_mask(mask)
        if mask.shape != rgb.shape[:2]:
            raise ValueError(f"mask is {mask.shape[1]}x{mask.shape[0]} but the photo is {rgb.shape[1]}x{rgb.shape[0]}")
        out = rgb.copy()
        boxes = region_boxes(mask)
        for i, b in enumerate(boxes):
            yield Progress("repair", i / max(len(boxes), 1), f"Repairing region {i + 1} of {len(boxes)}…")
            crop_mask = mask[b.y0:b.y1, b.x0:b.x1]
            filled = self._fill(rgb[b.y0:b.y1, b.x0:b.x1], crop_mask)
            region = out[b.y0:b.y1, b.x0:b.x1]
            hole = crop_mask == FILL
            region[hole] = filled[hole]  # paste back only the damaged pixels
        yield Progress("repair", 1.0, "Repaired")
        return out
