"""Decoding a batch photo for the canvas off the GUI thread: a 24-megapixel PNG takes 1-3 s, and clicking
through the strip froze the window that long. Small photos decode at once (a few ms, no flicker), and
the last few decoded photos are kept, so going back and forth is instant."""
from __future__ import annotations

import threading
from collections import OrderedDict

from PIL import Image
from PySide6.QtCore import QObject, Signal

from captag_desktop.core.images import ImageLoadError, LoadedImage, load_image
from captag_desktop.ui.thread_results import ThreadResults

SMALL_PIXELS = 4_000_000  # decodes in well under 0.1 s


def is_small(path: str) -> bool:
    """From the header alone; a file Pillow cannot read counts as small, so its error shows at once."""
    try:
        with Image.open(path) as img:
            w, h = img.size
    except Exception:  # noqa: BLE001 - load_image gives the user-facing message
        return True
    return w * h <= SMALL_PIXELS


class PhotoLoader(QObject):
    loaded = Signal(str, object)  # path, LoadedImage: a photo asked for with request() is ready
    failed = Signal(str, str)  # path, message

    def __init__(self, keep: int = 3, parent=None):
        super().__init__(parent)
        self._cache: OrderedDict[str, LoadedImage] = OrderedDict()
        self._keep = keep
        self._wanted: str | None = None
        # one decoding thread at a time: clicking through ten large photos decodes the last one asked for,
        # not ten at once on two cores
        self._lock = threading.Lock()
        self._next: str | None = None
        self._busy = False
        self._results = ThreadResults(lambda item: self._arrived(*item), self)

    def request(self, path: str) -> LoadedImage | None:
        """The photo now if it is kept or small (ImageLoadError if it cannot be read); else None, and
        `loaded` or `failed` follows. Only the latest request is answered."""
        self._wanted = path
        if path in self._cache:
            self._cache.move_to_end(path)
            return self._cache[path]
        if is_small(path):
            return self._keep_it(path, load_image(path))
        with self._lock:
            self._next = path
            if self._busy:
                return None
            self._busy = True
        self._results.run(self._run, "photo-loader")
        return None

    def cancel(self) -> None:
        self._wanted = None

    def forget(self, path: str) -> None:
        """The file may have changed (opened afresh): decode it again next time."""
        self._cache.pop(path, None)

    def _run(self) -> None:
        while True:
            with self._lock:
                path, self._next = self._next, None
                if path is None:
                    self._busy = False
                    return
            try:
                self._results.put((path, load_image(path), ""))
            except (ImageLoadError, MemoryError) as exc:
                self._results.put((path, None, str(exc) or "not enough memory to open this photo"))

    def _keep_it(self, path: str, loaded: LoadedImage) -> LoadedImage:
        self._cache[path] = loaded
        while len(self._cache) > self._keep:
            self._cache.popitem(last=False)
        return loaded

    def _arrived(self, path: str, loaded: LoadedImage | None, error: str) -> None:
        if loaded is not None:
            self._keep_it(path, loaded)
        if path != self._wanted:
            return
        self._wanted = None
        if loaded is None:
            self.failed.emit(path, error)
        else:
            self.loaded.emit(path, loaded)
