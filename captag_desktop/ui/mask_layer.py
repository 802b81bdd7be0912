"""The editable damage mask drawn over the photo.

The numpy mask (255 = damaged) is the single source of truth. QPainter draws straight
into its buffer through a Grayscale8 QImage, and the overlay shows the same buffer
through an Indexed8 colour table, so no per-stroke conversion of the whole photo.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

OVERLAY = QColor(255, 40, 80)
OVERLAY_ALPHA = 120


def rect_slices(rect: QRect) -> tuple[slice, slice]:
    """numpy row/column slices for a QRect (its bottom/right edges are inclusive)."""
    return slice(rect.top(), rect.bottom() + 1), slice(rect.left(), rect.right() + 1)


class MaskLayer(QGraphicsItem):
    def __init__(self, shape: tuple[int, int]):
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self.mask = np.zeros(shape, dtype=np.uint8)
        h, w = shape
        self._paint_img = QImage(self.mask.data, w, h, w, QImage.Format.Format_Grayscale8)
        self._view_img = QImage(self.mask.data, w, h, w, QImage.Format.Format_Indexed8)
        table = [QColor(OVERLAY.red(), OVERLAY.green(), OVERLAY.blue(), OVERLAY_ALPHA * i // 255).rgba() for i in range(256)]
        self._view_img.setColorTable(table)

    def boundingRect(self) -> QRectF:
        h, w = self.mask.shape
        return QRectF(0, 0, w, h)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        r = option.exposedRect.toAlignedRect().intersected(QRect(0, 0, self.mask.shape[1], self.mask.shape[0]))
        if not r.isEmpty():
            painter.drawImage(r, self._view_img, r)

    # -- editing ----------------------------------------------------------------
    def patch(self, rect: QRect, source: np.ndarray | None = None) -> np.ndarray:
        """A copy of the rectangle from the mask (or from an earlier snapshot of it)."""
        return (self.mask if source is None else source)[rect_slices(rect)].copy()

    def put_patch(self, rect: QRect, values: np.ndarray) -> None:
        self.mask[rect_slices(rect)] = values
        self.update(QRectF(rect))

    def stroke(self, a: QPointF, b: QPointF, size: float, erase: bool) -> QRect:
        """Draw one round segment; returns the changed rectangle (clipped to the mask)."""
        painter = QPainter(self._paint_img)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # keep the mask strictly 0/255
        pen = QPen(QColor(0, 0, 0) if erase else QColor(255, 255, 255), size, Qt.PenStyle.SolidLine,
                   Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        if a == b:
            painter.drawPoint(a)
        else:
            painter.drawLine(QLineF(a, b))
        painter.end()
        pad = int(size / 2) + 2
        rect = QRectF(a, b).normalized().toAlignedRect().adjusted(-pad, -pad, pad, pad)
        rect = rect.intersected(QRect(0, 0, self.mask.shape[1], self.mask.shape[0]))
        self.update(QRectF(rect))
        return rect
