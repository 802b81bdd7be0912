"""Runs pipeline jobs on one background thread; the newest request wins.

Each submission gets an id and a cancel token. Submitting again cancels the
previous token, and the window ignores any signal whose id is not the latest, so a
stale caption can never land on a newer photo.
"""
from __future__ import annotations

import itertools

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from captag_desktop.core.images import ImageLoadError, load_image
from captag_desktop.core.models import ModelError
from captag_desktop.core.pipeline import CancelToken, Cancelled, Pipeline, drive


class _Worker(QObject):
    image_loaded = Signal(int, object, str)  # job id, RGB array, path
    progress = Signal(int, float, str)
    finished = Signal(int, object)  # job id, PhotoResult
    failed = Signal(int, str)
    cancelled = Signal(int)

    def __init__(self, pipeline_factory):
        super().__init__()
        self._factory = pipeline_factory
        self._pipeline: Pipeline | None = None

    @Slot(int, object, object, list, int)
    def run(self, job_id: int, source, token: CancelToken, langs: list, n_hashtags: int) -> None:
        try:
            if token.cancelled:
                raise Cancelled()
            if isinstance(source, np.ndarray):
                rgb, name = source, ""
            else:
                self.progress.emit(job_id, 0.01, f"Opening {source}…")
                rgb, name = load_image(source).rgb, str(source)
                self.image_loaded.emit(job_id, rgb, name)
            if token.cancelled:
                raise Cancelled()
            if self._pipeline is None:
                self.progress.emit(job_id, 0.02, "Loading models…")
                self._pipeline = self._factory()
            job = self._pipeline.describe(rgb, name, langs, n_hashtags)
            result = drive(job, token, lambda p: self.progress.emit(job_id, p.fraction, p.message))
            self.finished.emit(job_id, result)
        except Cancelled:
            self.cancelled.emit(job_id)
        except (ImageLoadError, ModelError) as exc:
            self.failed.emit(job_id, str(exc))
        except Exception as exc:  # keep the worker alive and tell the user; never crash the app
            self.failed.emit(job_id, f"unexpected error: {type(exc).__name__}: {exc}")


class JobRunner(QObject):
    """Owned by the GUI thread. Emits only the signals of the newest job."""

    image_loaded = Signal(object, str)
    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    _submit = Signal(int, object, object, list, int)

    def __init__(self, pipeline_factory=Pipeline, parent=None):
        super().__init__(parent)
        self._ids = itertools.count(1)
        self.current_id = 0
        self._token: CancelToken | None = None
        self._thread = QThread()
        self._thread.setObjectName("captag-worker")
        self._worker = _Worker(pipeline_factory)
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.run)
        self._worker.image_loaded.connect(lambda i, rgb, p: self._if_current(i, self.image_loaded, rgb, p))
        self._worker.progress.connect(lambda i, f, m: self._if_current(i, self.progress, f, m))
        self._worker.finished.connect(lambda i, r: self._if_current(i, self.finished, r))
        self._worker.failed.connect(lambda i, m: self._if_current(i, self.failed, m))
        self._worker.cancelled.connect(lambda i: self._if_current(i, self.cancelled))
        self._thread.start()

    def _if_current(self, job_id: int, signal, *args) -> None:
        if job_id == self.current_id:
            signal.emit(*args)

    def submit(self, source, langs: list[str], n_hashtags: int) -> int:
        """source: a path to open, or an RGB array already in memory."""
        self.cancel()
        self.current_id = next(self._ids)
        self._token = CancelToken()
        self._submit.emit(self.current_id, source, self._token, list(langs), n_hashtags)
        return self.current_id

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()

    def shutdown(self) -> None:
        self.cancel()
        self._thread.quit()
        self._thread.wait(5000)
