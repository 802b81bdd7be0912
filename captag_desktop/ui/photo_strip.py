"""The list of opened photos, with a thumbnail and a status per photo."""
from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QImageReader, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from captag_desktop.ui.thread_results import ThreadResults

THUMB = 72
STATUS = {"queued": "waiting", "working": "working…", "done": "done", "failed": "failed"}


def read_thumbnail(path: str) -> QImage:
    """A small QImage of the photo (null if unreadable). Safe off the GUI thread: a PNG or TIFF of
    8000x6000 decodes in full and takes over a second, so the strip never calls this on the GUI thread."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)  # EXIF orientation, like the app's own loader
    size = reader.size()
    if size.isValid():
        reader.setScaledSize(size.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio))
    return reader.read()


def _read_all(paths: list[str], generation: int, cancelled: threading.Event, results: ThreadResults) -> None:
    for path in paths:
        if cancelled.is_set():
            return
        results.put((generation, path, read_thumbnail(path)))


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
        self._generation = 0
        self._cancelled = threading.Event()
        self._results = ThreadResults(lambda item: self._show_thumbnail(*item), self)

    def paths(self) -> list[str]:
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())]

    def set_photos(self, paths: list[str]) -> None:
        """Lists the photos at once; their thumbnails arrive as a background thread reads them."""
        self.blockSignals(True)
        self.clear()
        for p in paths:
            item = QListWidgetItem("")
            item.setData(Qt.ItemDataRole.UserRole, p)
            self.addItem(item)
            self.set_status(len(self.paths()) - 1, "queued")
        self.blockSignals(False)
        self._load_thumbnails(paths)

    def stop_thumbnails(self) -> None:
        """The thumbnails being read are no longer wanted (a new folder, or the window closes: the
        thread stops after the photo it is reading instead of reading the whole folder)."""
        self._cancelled.set()

    def _load_thumbnails(self, paths: list[str]) -> None:
        self.stop_thumbnails()
        self._generation += 1
        self._cancelled = threading.Event()  # one thread at a time would wait for the last folder's
        args = (list(paths), self._generation, self._cancelled, self._results)
        self._results.run(lambda: _read_all(*args), "thumbnails")

    def _show_thumbnail(self, generation: int, path: str, image: QImage) -> None:
        if generation != self._generation or image.isNull():
            return
        for i in range(self.count()):
            if self.item(i).data(Qt.ItemDataRole.UserRole) == path:
                self.item(i).setIcon(QIcon(QPixmap.fromImage(image)))

    def wait_for_thumbnails(self, seconds: float | None = None) -> bool:
        """Tests: block until the background reads are done and shown."""
        return self._results.join(seconds)

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
