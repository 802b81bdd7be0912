"""Damage detection: a small U-Net (ONNX) proposes a mask (255 = damaged) for the
user to review and edit. It is a suggestion; nothing is repaired automatically."""
from __future__ import annotations

import numpy as np

from captag_desktop.core.masks import FILL, KEEP
from captag_desktop.core.models import ModelStore
from captag_desktop.core.preprocess import pad_to_multiple, working_size

MODEL_NAME = "damage-detector"
WORK_SIDE = 768  # long side the detector runs at; thin scratches survive this scale
MULTIPLE = 16


def detector_input(rgb: np.ndarray) -> np.ndarray:
    """RGB uint8 HxW (multiples of 16) -> 1x3xHxW float32 in [0, 1]. Shared with training."""
    return np.ascontiguousarray(rgb.astype(np.float32).transpose(2, 0, 1)[None] / 255.0)


class DamageDetector:
    def __init__(self, store: ModelStore | None = None, threshold: float | None = None):
        store = store or ModelStore()
        self.session = store.session(MODEL_NAME)
        # The manifest carries the threshold chosen on the dev split (IoU vs clean-photo false alarms).
        self.threshold = threshold if threshold is not None else float(store.entry(MODEL_NAME).raw.get("threshold", 0.5))

    def probabilities(self, rgb: np.ndarray) -> np.ndarray:
        import cv2

        h, w = rgb.shape[:2]
        scale, sh, sw = working_size(h, w, WORK_SIDE, MULTIPLE)
        small = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA) if scale < 1 else rgb
        padded = pad_to_multiple(small, MULTIPLE)
        logits = self.session.run(["logits"], {"image": detector_input(padded)})[0][0, 0, :small.shape[0], :small.shape[1]]
        prob = 1.0 / (1.0 + np.exp(-logits))
        if scale < 1:
            prob = cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR)
        return prob

    def detect(self, rgb: np.ndarray) -> np.ndarray:
        return np.where(self.probabilities(rgb) > self.threshold, FILL, KEEP).astype(np.uint8)
