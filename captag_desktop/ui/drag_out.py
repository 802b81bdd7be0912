"""A toolbar button that drags the photo on screen (repaired, if it was) out to other apps:
as image data and as a PNG file in a temporary folder, whichever the target accepts."""
from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QDrag, QPixmap
from PySide6.QtWidgets import QToolButton

from captag_desktop.ui.canvas import rgb_to_qimage


class DragOutButton(QToolButton):
    def __init__(self, image_source, name_source, parent=None):
        super().__init__(parent)
        self._image, self._name = image_source, name_source
        self.setText("Drag out")
        self.setToolTip("Drag the photo (repaired, if you repaired it) into another app or a folder")
        self.setAccessibleName("Drag the photo out")
        self._tmp = tempfile.TemporaryDirectory(prefix="captag-drag-")

    def mime_data(self) -> QMimeData | None:
        rgb = self._image()
        if rgb is None:
            return None
        image = rgb_to_qimage(rgb)
        path = Path(self._tmp.name) / f"{Path(self._name() or 'photo').stem}-captag.png"
        image.save(str(path), "PNG")
        mime = QMimeData()
        mime.setImageData(image)
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        return mime

    def mousePressEvent(self, event):
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        mime = self.mime_data()
        if mime is None:
            return
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.setPixmap(QPixmap.fromImage(mime.imageData()).scaledToWidth(96))
        drag.exec(Qt.DropAction.CopyAction)
