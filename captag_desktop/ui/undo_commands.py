"""Undoable edits: mask strokes (each stores only the rectangle it changed) and repairs."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect
from PySide6.QtGui import QUndoCommand


class _Swap(QUndoCommand):
    """A step between two values: redo applies `after`, undo `before`. `applied`: the step is already on
    screen when it is pushed (a stroke, a repair), so the push's own redo does nothing."""

    def __init__(self, text: str, before, after, applied: bool):
        super().__init__(text)
        self.before, self.after = before, after
        self._skip_first_redo = applied

    def apply(self, value) -> None:
        raise NotImplementedError

    def redo(self):
        if self._skip_first_redo:
            self._skip_first_redo = False
            return
        self.apply(self.after)

    def undo(self):
        self.apply(self.before)


class MaskEdit(_Swap):
    """Applies to the canvas's mask as it is when undone: each photo of a batch keeps its own history, and
    the canvas gets a new mask layer whenever a photo is shown again."""

    def __init__(self, canvas, rect: QRect, before: np.ndarray, after: np.ndarray, text: str, applied: bool = True):
        super().__init__(text, before, after, applied)
        self.canvas, self.rect = canvas, QRect(rect)

    def apply(self, patch: np.ndarray) -> None:
        self.canvas.mask_layer.put_patch(self.rect, patch)


def replace_whole_mask(canvas, new_mask: np.ndarray, text: str) -> MaskEdit:
    h, w = canvas.mask_layer.mask.shape
    return MaskEdit(canvas, QRect(0, 0, w, h), canvas.mask_layer.mask.copy(), new_mask.copy(), text, applied=False)


class RepairEdit(_Swap):
    """A repair as one step: undo shows the photo as it was before it (unrepaired, or the last repair)."""

    def __init__(self, show, before: np.ndarray | None, after: np.ndarray):
        super().__init__("Repair", before, after, applied=True)
        self.show = show

    def apply(self, rgb: np.ndarray | None) -> None:
        self.show(rgb)
