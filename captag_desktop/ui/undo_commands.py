"""Undoable edits: mask strokes (each stores only the rectangle it changed) and repairs."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect
from PySide6.QtGui import QUndoCommand


class MaskEdit(QUndoCommand):
    def __init__(self, layer, rect: QRect, before: np.ndarray, after: np.ndarray, text: str, applied: bool = True):
        super().__init__(text)
        self.layer, self.rect, self.before, self.after = layer, QRect(rect), before, after
        self._skip_first_redo = applied  # a stroke is already on screen when it is pushed

    def redo(self):
        if self._skip_first_redo:
            self._skip_first_redo = False
            return
        self.layer.put_patch(self.rect, self.after)

    def undo(self):
        self.layer.put_patch(self.rect, self.before)


def replace_whole_mask(layer, new_mask: np.ndarray, text: str) -> MaskEdit:
    h, w = layer.mask.shape
    return MaskEdit(layer, QRect(0, 0, w, h), layer.mask.copy(), new_mask.copy(), text, applied=False)


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
