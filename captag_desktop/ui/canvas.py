"""The photo view: zoom and pan, a paintable damage mask, and a before/after split."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem, QGraphicsRectItem, QGraphicsScene, QGraphicsView

from captag_desktop.ui.mask_layer import MaskLayer

MIN_ZOOM, MAX_ZOOM = 0.05, 32.0
MIN_BRUSH, MAX_BRUSH = 1, 500
TOOLS = ("pan", "brush", "eraser")


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(rgb)
    h, w, _ = rgb.shape
    # copy() detaches the QImage from the numpy buffer, which may be freed.
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class ImageCanvas(QGraphicsView):
    files_dropped = Signal(list)
    zoom_changed = Signal(float)
    stroke_done = Signal(QRect, object, object, str)  # rect, before, after, "Brush"/"Erase"
    brush_size_changed = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self._item = QGraphicsPixmapItem()
        self._item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self._item)
        # The repaired photo sits in a clipping rectangle: the compare split.
        self._clip = QGraphicsRectItem()
        self._clip.setPen(Qt.PenStyle.NoPen)
        self._clip.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape)
        self._after = QGraphicsPixmapItem(self._clip)
        self._after.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._clip.setZValue(3)  # above the mask overlay: the repaired side shows the result, not the marks
        self.scene().addItem(self._clip)
        self.mask_layer: MaskLayer | None = None
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setMouseTracking(True)
        self.setAcceptDrops(True)
        self.setAccessibleName("Photo")
        self._fit = True
        self.image: np.ndarray | None = None
        self.repaired: np.ndarray | None = None
        self.split = 0.0  # fraction of the width that shows the original when a repair exists
        self.showing_original = False
        self.tool = "pan"
        self.brush_size = 24
        self._stroke_last: QPointF | None = None
        self._stroke_before: np.ndarray | None = None
        self._stroke_rect = QRect()
        self._cursor_pos: QPointF | None = None
        self.set_tool("pan")

    # -- content --------------------------------------------------------------
    def set_image(self, rgb: np.ndarray | None) -> None:
        self.image = rgb
        self.set_repaired(None)
        if self.mask_layer is not None:
            self.scene().removeItem(self.mask_layer)
            self.mask_layer = None
        if rgb is None:
            self._item.setPixmap(QPixmap())
        else:
            self._item.setPixmap(QPixmap.fromImage(rgb_to_qimage(rgb)))
            self.mask_layer = MaskLayer(rgb.shape[:2])
            self._raise_mask(self.tool != "pan")
            self.scene().addItem(self.mask_layer)
        self.scene().setSceneRect(QRectF(self._item.pixmap().rect()))
        self.fit()

    def _raise_mask(self, painting: bool) -> None:
        """While painting, the marks show on both sides of the compare split, or a stroke on the repaired
        side would be invisible; otherwise the repaired side shows the result alone."""
        if self.mask_layer is not None:
            self.mask_layer.setZValue(4 if painting else 2)

    def set_repaired(self, rgb: np.ndarray | None) -> None:
        self.repaired = rgb
        self._after.setPixmap(QPixmap() if rgb is None else QPixmap.fromImage(rgb_to_qimage(rgb)))
        self._update_split()

    def has_image(self) -> bool:
        return self.image is not None

    def mask(self) -> np.ndarray | None:
        return None if self.mask_layer is None else self.mask_layer.mask

    def current_image(self) -> np.ndarray | None:
        """What the photo looks like now: the repaired version if there is one."""
        return self.repaired if self.repaired is not None else self.image

    # -- before / after ------------------------------------------------------
    def set_split(self, fraction: float) -> None:
        self.split = min(1.0, max(0.0, fraction))
        self._update_split()

    def show_original(self, on: bool) -> None:
        self.showing_original = on
        self._update_split()

    def _update_split(self) -> None:
        if self.image is None or self.repaired is None:
            self._clip.setVisible(False)
            return
        h, w = self.image.shape[:2]
        x = w if self.showing_original else w * self.split
        self._clip.setRect(QRectF(x, 0, w - x, h))
        self._clip.setVisible(True)
        self.viewport().update()

    # -- zoom -----------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        self._fit = False
        self.resetTransform()
        self.scale(factor, factor)
        self.zoom_changed.emit(factor)

    def zoom_by(self, step: float) -> None:
        self.set_zoom(self.zoom() * step)

    def fit(self) -> None:
        self._fit = True
        if self.has_image():
            self.fitInView(self._item, Qt.AspectRatioMode.KeepAspectRatio)
            if self.zoom() > MAX_ZOOM:  # a tiny photo (1x1) would fill the window at 76800%
                self.resetTransform()
                self.scale(MAX_ZOOM, MAX_ZOOM)
                self.centerOn(self._item)
        self.zoom_changed.emit(self.zoom())

    def resizeEvent(self, event):
        super().resizeEvent(event)
        if self._fit:
            self.fit()

    # -- tools ------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(tool)
        self.tool = tool
        painting = tool != "pan"
        self._raise_mask(painting)
        self.setDragMode(QGraphicsView.DragMode.NoDrag if painting else QGraphicsView.DragMode.ScrollHandDrag)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if painting else Qt.CursorShape.OpenHandCursor)
        self.viewport().update()

    def set_brush_size(self, size: int) -> None:
        self.brush_size = int(max(MIN_BRUSH, min(MAX_BRUSH, size)))
        self.brush_size_changed.emit(self.brush_size)
        self.viewport().update()

    def wheelEvent(self, event):
        mods = event.modifiers()
        up = event.angleDelta().y() > 0
        if mods & Qt.KeyboardModifier.ShiftModifier or mods & Qt.KeyboardModifier.AltModifier:
            self.set_brush_size(self.brush_size * (1.2 if up else 1 / 1.2))  # brush size: Shift+wheel
        else:
            self.zoom_by(1.25 if up else 0.8)
        event.accept()

    def _painting(self) -> bool:
        return self.tool in ("brush", "eraser") and self.mask_layer is not None

    def mousePressEvent(self, event):
        if self._painting() and event.button() == Qt.MouseButton.LeftButton:
            p = self.mapToScene(event.position().toPoint())
            self._stroke_before = self.mask_layer.mask.copy()
            self._stroke_last = p
            self._stroke_rect = self.mask_layer.stroke(p, p, self.brush_size, self.tool == "eraser")
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event):
        self._cursor_pos = event.position()
        if self._stroke_last is not None:
            p = self.mapToScene(event.position().toPoint())
            rect = self.mask_layer.stroke(self._stroke_last, p, self.brush_size, self.tool == "eraser")
            self._stroke_rect = self._stroke_rect.united(rect)
            self._stroke_last = p
            event.accept()
        else:
            super().mouseMoveEvent(event)
        if self._painting():
            self.viewport().update()

    def mouseReleaseEvent(self, event):
        if self._stroke_last is not None and event.button() == Qt.MouseButton.LeftButton:
            r = self._stroke_rect
            if not r.isEmpty():
                before = self.mask_layer.patch(r, self._stroke_before)
                self.stroke_done.emit(QRect(r), before, self.mask_layer.patch(r), "Erase" if self.tool == "eraser" else "Brush")
            self._stroke_last, self._stroke_before = None, None
            event.accept()
            return
        super().mouseReleaseEvent(event)

    # -- overlays ---------------------------------------------------------------
    def drawForeground(self, painter: QPainter, rect) -> None:
        painter.save()
        painter.resetTransform()
        if not self.has_image():
            painter.setPen(self.palette().placeholderText().color())
            font = painter.font()
            font.setPointSizeF(font.pointSizeF() * 1.4)
            painter.setFont(font)
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter,
                             "Drop a photo here\nor press Ctrl+O to open one")
        else:
            if self._clip.isVisible() and 0 < self.split < 1 and not self.showing_original:
                x = self.mapFromScene(QPointF(self.image.shape[1] * self.split, 0)).x()
                painter.setPen(QPen(QColor(255, 255, 255, 200), 2))
                painter.drawLine(x, 0, x, self.viewport().height())
            if self._painting() and self._cursor_pos is not None:
                r = self.brush_size * self.zoom() / 2
                painter.setPen(QPen(QColor(255, 255, 255, 220), 1))
                painter.drawEllipse(self._cursor_pos, r, r)
        painter.restore()

    def dragEnterEvent(self, event):
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    dragMoveEvent = dragEnterEvent

    def dropEvent(self, event):
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.files_dropped.emit(paths)
        else:
            event.ignore()
