"""A folder of photos: the strip on the left, one job that captions them in order, and switching
between them without losing anything: each photo keeps its results, edits, mask and repair."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QRect

from captag_desktop.core.pipeline import PhotoResult
from captag_desktop.ui.photo_loader import PhotoLoader


class Batch:
    def __init__(self, window):
        self.win = window
        self.strip = window.strip
        self.running = False
        self.paused = False  # another job (a repair, a re-caption) took the worker; the batch resumes after it
        self.todo: list[str] = []  # photos the batch has still to caption
        # a photo's painted mask and repaired pixels, while another photo is on screen
        self.kept: dict[str, tuple[np.ndarray | None, np.ndarray | None]] = {}
        self.strip.photo_chosen.connect(self.show_photo)
        self.loader = PhotoLoader(parent=window)
        self.loader.loaded.connect(self._show_pixels)
        self.loader.failed.connect(self._failed_to_open)
        window.runner.item_done.connect(self.on_item_done)

    def start(self, photos: list[str]) -> None:
        win = self.win
        self.keep_current()
        self.forget(photos)  # opened afresh
        win.current_path = win._loading = None  # until the first photo is ready
        self.strip.set_photos(photos)
        self.strip.setVisible(True)
        if win.split.sizes()[0] == 0:
            sizes = win.split.sizes()
            win.split.setSizes([200, max(sizes[1] - 200, 200), sizes[2]])
        win.results.clear(f"Working through {len(photos)} photos…")
        self._submit(photos)

    def forget(self, paths: list[str]) -> None:
        """Photos opened afresh: their earlier edits, mask and repair are dropped, and every undo history
        (the photos opened now start afresh; the others are no longer open)."""
        self.win.repair.forget_histories()
        for path in paths:
            self.win.edits_by_path.pop(path, None)
            self.kept.pop(path, None)
            self.loader.forget(path)

    def _submit(self, photos: list[str]) -> None:
        from captag_desktop.ui.results_panel import MAX_HASHTAGS

        self.keep_current()
        repaired = {p: rgb for p, (_mask, rgb) in self.kept.items() if rgb is not None and p in photos}
        self.win.begin_job(for_photo=False)
        self.running, self.paused, self.todo = True, False, list(photos)
        self.win.runner.submit_batch(photos, self.win.languages(), MAX_HASHTAGS, self.win.options(), repaired)

    def pause(self) -> None:
        """The worker runs one job at a time: another job stops the batch until it is done."""
        if self.running:
            self.running, self.paused = False, True

    def resume(self) -> None:
        """After that job: the photos the batch had not reached yet."""
        if self.paused:
            self.paused = False
            if self.todo:
                self._submit(self.todo)

    def captioned(self, path: str) -> None:
        """A photo captioned by a job of its own (More ideas, a repair): the batch need not do it again."""
        if path in self.todo:
            self.todo.remove(path)
            paths = self.strip.paths()
            if path in paths:
                self.strip.set_status(paths.index(path), "done")

    def keep_repair(self, path: str, rgb: np.ndarray) -> None:
        """A repair that finished after the creator switched to another photo: shown when they come back,
        and undoable there."""
        mask, before = self.kept.get(path, (None, None))
        self.kept[path] = (mask, rgb)
        self.win.repair.add_repair_step(path, before, rgb)

    def finish(self) -> None:
        """The batch job is done: counted over the whole strip, since a resumed job sees only part of it."""
        self.running = False
        results = [self.win.results_by_path.get(p) for p in self.strip.paths()]
        failed = sum(1 for r in results if r is not None and r.error)
        done = sum(1 for r in results if r is not None) - failed
        note = f"; {failed} failed (red in the list; hover for the reason)" if failed else ""
        self.win.statusBar().showMessage(f"Captioned {done} of {len(results)} photos{note}.")

    def stop(self, reason: str) -> None:
        """Cancelled: the photos not reached say so instead of waiting forever."""
        self.running = self.paused = False
        for i, path in enumerate(self.strip.paths()):
            if path in self.todo:
                self.strip.set_status(i, reason)
        self.todo = []

    def rerun(self) -> None:
        """Settings changed while the batch runs: caption every photo again with them, rather than only
        the one on screen (which would cancel the rest). Edits and repairs are kept, and a repaired photo is
        captioned as repaired (_submit keeps the photo on screen's first)."""
        for i in range(self.strip.count()):
            self.strip.set_status(i, "waiting")
        self.win.statusBar().showMessage(f"Settings changed: captioning the {self.strip.count()} photos again.", 5000)
        self._submit(self.strip.paths())

    def on_item_done(self, index: int, result: PhotoResult) -> None:
        win = self.win
        win.results_by_path[result.image] = result
        if result.image in self.todo:
            self.todo.remove(result.image)
        index = self.strip.paths().index(result.image)  # the job's index differs once a batch resumes
        self.strip.set_status(index, "failed" if result.error else "done", result.error or "")
        if win.current_path is None or self.strip.currentRow() < 0:  # show the first one as soon as it is ready
            self.strip.setCurrentRow(index)
        elif result.image == win.current_path and win.canvas.has_image():  # re-captioned while on screen
            win.show_result_for(result.image, result)

    def keep_current(self) -> None:
        """The photo on screen's edits, mask and repair, before something else is shown."""
        win = self.win
        win.keep_edits()
        path, canvas = win.current_path, win.canvas
        if not path or not canvas.has_image():
            return
        mask = canvas.mask()
        if mask.any() or canvas.repaired is not None:
            self.kept[path] = (mask.copy(), canvas.repaired)
        else:
            self.kept.pop(path, None)

    def show_photo(self, path: str) -> None:
        """Switch to a photo of the batch: its results and edits appear at once; its pixels, mask and repair
        as soon as it is decoded (a large photo decodes off the GUI thread, PhotoLoader)."""
        from captag_desktop.core.images import ImageLoadError

        win = self.win
        self.keep_current()
        win.current_path = path
        result = win.results_by_path.get(path)
        if result is not None and result.error:
            self.loader.cancel()
            self._show_nothing(f"Could not process this photo:\n{result.error}")
            return
        try:
            loaded = self.loader.request(path)
        except ImageLoadError as exc:
            self._show_nothing(f"Could not open this photo:\n{exc}")
            return
        self._show_results(path, result)
        if loaded is not None:
            self._show_pixels(path, loaded)
        else:  # nothing of the last photo stays on the canvas, posing as this one
            win.show_no_photo()
            win.setWindowTitle(f"Opening {Path(path).name}… — captag")

    def _show_results(self, path: str, result: PhotoResult | None) -> None:
        win = self.win
        if result is None:
            waiting = path in self.todo and (self.running or self.paused)
            win.results.clear("Waiting for its turn in the batch…" if waiting else
                              "Not captioned: the batch was stopped. Change a language or setting to caption again.")
        else:
            win.last_result = result
            win.results.show_result(result, win.edits_by_path.get(path))

    def _show_pixels(self, path: str, loaded) -> None:
        win = self.win
        if path != win.current_path:
            return
        win._on_image_loaded(loaded.rgb, loaded)  # which brings back the photo's own undo history
        if path in self.kept:
            mask, repaired = self.kept[path]
            if mask is not None and win.repair.undo.count():  # the mask as the creator left it: the history's current state
                win.canvas.mask_layer.put_patch(QRect(0, 0, mask.shape[1], mask.shape[0]), mask)
            elif mask is not None and mask.any():  # history dropped: undoable as one step, and autosaved
                win.repair.set_mask(mask, "Restore mask")
            if repaired is not None:
                win.repair.on_repaired_pixels(repaired)

    def _failed_to_open(self, path: str, message: str) -> None:
        if path == self.win.current_path:
            self._show_nothing(f"Could not open this photo:\n{message}")

    def _show_nothing(self, message: str) -> None:
        self.win.show_no_photo()
        self.win.results.clear(message)
