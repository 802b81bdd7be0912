"""Undoable edits: mask strokes (each stores only the rectangle it changed) and repairs."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect
from PySide6.QtGui import QUndoCommand


class MaskEdit(QUndoCommand):
    """Applies to the canvas's mask as it is when undone: each photo of a batch keeps its own history, and
    the canvas gets a new mask layer whenever a photo is shown again."""

    def __init__(self, canvas, rect: QRect, before: np.ndarray, after: np.ndarray, text: str, applied: bool = True):
        super().__init__(text)
        self.canvas, self.rect, self.before, self.after = canvas, QRect(rect), before, after
        self._skip_first_redo = applied  # a stroke is already on screen when it is pushed

    def redo(self):
        if self._skip_first_redo:
            self._skip_first_redo = False
            return
        self.canvas.mask_layer.put_patch(self.rect, self.after)

    def undo(self):
        self.canvas.mask_layer.put_patch(self.rect, self.before)


def replace_whole_mask(canvas, new_mask: np.ndarray, text: str) -> MaskEdit:
    h, w = canvas.mask_layer.mask.shape
    return MaskEdit(canvas, QRect(0, 0, w, h), canvas.mask_layer.mask.copy(), new_mask.copy(), text, applied=False)


class RepairEdit(QUndoCommand):
    """A repair as one step: undo shows the photo as it was before it (unrepaired, or the last repair)."""

    def __init__(self, show, before: np.ndarray | None, after: np.ndarray):
        super().__init__("Repair")
        self.show, self.before, self.after = show, before, after
        self._skip_first_redo = True  # the repair is on screen when it is pushed

    def redo(self):
        if self._skip_first_redo:
            self._skip_first_redo = False
            return
        self.show(self.after)

    def undo(self):
        self.show(self.before)
