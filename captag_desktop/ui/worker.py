"""Runs pipeline jobs on one background thread; the newest request wins.

Each submission gets an id and a cancel token. Submitting again cancels the
previous token, and the window ignores any signal whose id is not the latest, so a
stale caption can never land on a newer photo.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from captag_desktop.core.images import ImageLoadError, load_image
from captag_desktop.core.masks import MaskError
from captag_desktop.core.models import ModelError
from captag_desktop.core.pipeline import Cancelled, CancelToken, Pipeline, drive


@dataclass
class RepairDone:
    image: np.ndarray
    method: str
    ms: float


@dataclass
class BatchDone:
    done: int
    failed: int
    total: int


@dataclass
class DetectDone:
    mask: np.ndarray
    ms: float


class _Worker(QObject):
    image_loaded = Signal(int, object, object)  # job id, RGB array, LoadedImage
    item_done = Signal(int, int, object)  # job id, index in the batch, PhotoResult
    progress = Signal(int, float, str)
    finished = Signal(int, object)
    failed = Signal(int, str)
    cancelled = Signal(int)

    def __init__(self, pipeline_factory):
        super().__init__()
        self._factory = pipeline_factory
        self._pipeline: Pipeline | None = None
        self._repairers: dict = {}
        self._detector = None

    def _configured(self, options: dict | None) -> Pipeline:
        """The pipeline (made on first use, models loaded once) with this job's settings."""
        if self._pipeline is None:
            self._pipeline = self._factory()
        if options:
            self._pipeline.configure(**options)
        return self._pipeline

    def _describe(self, job_id, token, source, langs, n_hashtags, hashtag_seed=None, options=None):
        if isinstance(source, np.ndarray):
            rgb, name = source, ""
        else:
            self.progress.emit(job_id, 0.01, f"Opening {source}…")
            loaded = load_image(source)
            rgb, name = loaded.rgb, str(source)
            self.image_loaded.emit(job_id, rgb, loaded)
        if token.cancelled:
            raise Cancelled()
        if self._pipeline is None:
            self.progress.emit(job_id, 0.02, "Loading models…")
        job = self._configured(options).describe(rgb, name, langs, n_hashtags, hashtag_seed)
        return drive(job, token, lambda p: self.progress.emit(job_id, p.fraction, p.message))

    def _batch(self, job_id, token, paths, langs, n_hashtags, options=None, pixels=None):
        """Every photo in turn; one that fails is reported and the batch goes on. pixels: photos to caption
        as they are in memory (repaired) rather than as the file is."""
        from captag_desktop.core.pipeline import PhotoResult

        failed = 0
        for i, path in enumerate(paths):
            if token.cancelled:
                raise Cancelled()
            self.progress.emit(job_id, i / len(paths), f"Photo {i + 1} of {len(paths)}: {path}")
            try:
                rgb = pixels[path] if pixels and path in pixels else load_image(path).rgb
                result = drive(self._configured(options).describe(rgb, str(path), langs, n_hashtags), token)
            except (ImageLoadError, ModelError, ValueError) as exc:
                result, failed = PhotoResult(image=str(path), error=str(exc)), failed + 1
            self.item_done.emit(job_id, i, result)
        return BatchDone(len(paths) - failed, failed, len(paths))

    def _repair(self, job_id, token, rgb, mask, method):
        from captag_desktop.core.repair import Repairer

        t = time.perf_counter()
        if method not in self._repairers:
            self.progress.emit(job_id, 0.02, "Loading the repair model…")
            self._repairers[method] = Repairer(method=method)
        rep = self._repairers[method]
        out = drive(rep.repair(rgb, mask), token, lambda p: self.progress.emit(job_id, p.fraction, p.message))
        return RepairDone(out, rep.method, (time.perf_counter() - t) * 1000)

    def _detect(self, job_id, token, rgb):
        from captag_desktop.core.damage import DamageDetector

        t = time.perf_counter()
        self.progress.emit(job_id, 0.1, "Looking for scratches, tears and stains…")
        if self._detector is None:
            self._detector = DamageDetector()
        mask = self._detector.detect(rgb)
        if token.cancelled:
            raise Cancelled()
        return DetectDone(mask, (time.perf_counter() - t) * 1000)

    @Slot(int, str, object, object)
    def run(self, job_id: int, kind: str, args: tuple, token: CancelToken) -> None:
        try:
            if token.cancelled:
                raise Cancelled()
            handler = {"describe": self._describe, "repair": self._repair, "detect": self._detect,
                       "batch": self._batch}[kind]
            self.finished.emit(job_id, handler(job_id, token, *args))
        except Cancelled:
            self.cancelled.emit(job_id)
        except (ImageLoadError, ModelError, MaskError, ValueError) as exc:
            self.failed.emit(job_id, str(exc))
        except Exception as exc:  # keep the worker alive and tell the user; never crash the app
            self.failed.emit(job_id, f"unexpected error: {type(exc).__name__}: {exc}")


class JobRunner(QObject):
    """Owned by the GUI thread. Emits only the signals of the newest job."""

    image_loaded = Signal(object, object)
    item_done = Signal(int, object)  # index in the batch, PhotoResult
    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    _submit = Signal(int, str, object, object)

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
        self._worker.image_loaded.connect(lambda i, rgb, li: self._if_current(i, self.image_loaded, rgb, li))
        self._worker.progress.connect(lambda i, f, m: self._if_current(i, self.progress, f, m))
        self._worker.item_done.connect(lambda i, k, r: self._if_current(i, self.item_done, k, r))
        self._worker.finished.connect(lambda i, r: self._if_current(i, self.finished, r))
        self._worker.failed.connect(lambda i, m: self._if_current(i, self.failed, m))
        self._worker.cancelled.connect(lambda i: self._if_current(i, self.cancelled))
        self._thread.start()

    def _if_current(self, job_id: int, signal, *args) -> None:
        if job_id == self.current_id:
            signal.emit(*args)

    def _start(self, kind: str, *args) -> int:
        self.cancel()
        self.current_id = next(self._ids)
        self._token = CancelToken()
        self._submit.emit(self.current_id, kind, args, self._token)
        return self.current_id

    def submit(self, source, langs: list[str], n_hashtags: int, hashtag_seed: int | None = None,
               options: dict | None = None) -> int:
        """Caption a photo. source: a path to open, or an RGB array already in memory.
        options: Pipeline.configure() keywords (encoder, beam_size), applied in the worker thread."""
        return self._start("describe", source, list(langs), n_hashtags, hashtag_seed, dict(options or {}))

    def submit_batch(self, paths: list[str], langs: list[str], n_hashtags: int, options: dict | None = None,
                     pixels: dict | None = None) -> int:
        """Caption many photos in order; item_done fires for each, finished with a BatchDone.
        pixels: path -> RGB array to caption instead of the file (a repaired photo)."""
        return self._start("batch", list(paths), list(langs), n_hashtags, dict(options or {}), dict(pixels or {}))

    def submit_repair(self, rgb: np.ndarray, mask: np.ndarray, method: str = "auto") -> int:
        return self._start("repair", rgb, mask.copy(), method)

    def submit_detect(self, rgb: np.ndarray) -> int:
        return self._start("detect", rgb)

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()

    def shutdown(self) -> None:
        """Stop the worker thread. A job stops at its next cancel point, but loading a model cannot be
        interrupted, so wait for it: destroying a running QThread would crash the app."""
        self.cancel()
        self._thread.quit()
        self._thread.wait(120000)
