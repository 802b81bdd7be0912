"""Results of a plain Python thread, handed to the GUI thread by polling a queue. The worker thread never
touches Qt: emitting a Qt signal from a Python thread crashed PySide6 now and then at interpreter exit
("bool_dealloc") after the UI tests."""
from __future__ import annotations

import queue
import threading
from typing import Callable

from PySide6.QtCore import QObject, QTimer

POLL_MS = 20


class ThreadResults(QObject):
    def __init__(self, on_result: Callable[[tuple], None], parent: QObject | None = None):
        super().__init__(parent)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._on_result = on_result
        self._thread: threading.Thread | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._drain)

    def put(self, item: tuple) -> None:
        """From the worker thread."""
        self._queue.put(item)

    def run(self, work: Callable[[], None], name: str) -> None:
        """Start `work` on a daemon thread (a slow read never holds up quitting) and poll for its results."""
        self._thread = threading.Thread(target=work, name=name, daemon=True)
        self._thread.start()
        self._timer.start()

    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def join(self, seconds: float | None = None) -> bool:
        """Tests: wait for the thread, then deliver what it left. True if it has finished."""
        if self._thread is not None:
            self._thread.join(seconds)
        self._drain()
        return not self.busy()

    def _drain(self) -> None:
        alive = self.busy()  # before emptying: a result put after this check is drained next time
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            self._on_result(item)
        if not alive:
            self._timer.stop()
