"""The list of opened photos, with a thumbnail and a status per photo."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImageReader, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem

THUMB = 72
STATUS = {"queued": "waiting", "working": "working…", "done": "done", "failed": "failed"}


def _thumbnail(path: str) -> QIcon:
    reader = QImageReader(path)
    reader.setAutoTransform(True)  # EXIF orientation, like the app's own loader
    size = reader.size()
    if size.isValid():
        reader.setScaledSize(size.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    return QIcon(QPixmap.fromImage(image)) if not image.isNull() else QIcon()


class PhotoStrip(QListWidget):
    photo_chosen = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAccessibleName("Opened photos")
        self.setIconSize(QSize(THUMB, THUMB))
        self.setMinimumWidth(170)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # long camera file names stay readable
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.currentItemChanged.connect(lambda cur, _prev: cur is not None and self.photo_chosen.emit(cur.data(Qt.ItemDataRole.UserRole)))

    def paths(self) -> list[str]:
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())]

    def set_photos(self, paths: list[str]) -> None:
        self.blockSignals(True)
        self.clear()
        for p in paths:
            item = QListWidgetItem(_thumbnail(p), "")
            item.setData(Qt.ItemDataRole.UserRole, p)
            self.addItem(item)
            self.set_status(len(self.paths()) - 1, "queued")
        self.blockSignals(False)

    def set_status(self, index: int, status: str, reason: str = "") -> None:
        item = self.item(index)
        name = Path(item.data(Qt.ItemDataRole.UserRole)).name
        item.setText(f"{name}\n{STATUS.get(status, status)}")
        item.setToolTip(f"{item.data(Qt.ItemDataRole.UserRole)}\n{reason or STATUS.get(status, status)}")
        if status == "failed":
            item.setForeground(Qt.GlobalColor.red)

    def select_path(self, path: str) -> None:
        for i in range(self.count()):
            if self.item(i).data(Qt.ItemDataRole.UserRole) == path:
                self.blockSignals(True)
                self.setCurrentRow(i)
                self.blockSignals(False)
                return
