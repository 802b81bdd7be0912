"""What the main window does with the worker's reports: a photo loaded, progress, a job's result, a
failure or a cancel. A job's result belongs to the photo it was asked for (`_job_photo`), which may no
longer be the one on screen."""
from __future__ import annotations

from pathlib import Path

from captag_desktop.ui.worker import BatchDone, DetectDone, RepairDone

TINY_SIDE = 32


class JobResults:
    """Mixed into MainWindow; uses its canvas, panel, batch, repair tools and status bar."""

    def _on_image_loaded(self, rgb, loaded) -> None:
        self._loading = None
        self.loaded = loaded
        self.canvas.set_image(rgb)
        self.repair.reset()
        self.repair.show_history(self.current_path)
        self.recovery.apply_pending(str(loaded.path))
        h, w, _ = rgb.shape
        self.setWindowTitle(f"{Path(str(loaded.path)).name} ({w}×{h}) — captag")

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 100))
        if self.cancel_button.isEnabled():  # else "Cancelling…" stays until the job stops
            self.statusBar().showMessage(message)

    def _done(self) -> None:
        self._job_kind = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)

    def _on_finished(self, result) -> None:
        self._done()
        photo = self._job_photo
        elsewhere = photo != self.current_path  # the creator switched photos while the job ran
        if isinstance(result, RepairDone):
            if elsewhere:
                self.batch.keep_repair(photo, result.image)
            else:
                self.repair.on_repaired(result)
                self.keep_edits()
                self.results.clear("Updating the caption for the repaired photo…")
            self._start(result.image, photo=photo)  # caption what the creator will publish
            return
        if isinstance(result, DetectDone):
            if elsewhere:
                self.statusBar().showMessage("The damage suggestion was for another photo: open it and ask again.", 5000)
            else:
                self.repair.on_detected(result)
            self._carry_on()
            return
        if isinstance(result, BatchDone):
            self.batch.finish()
            return
        if photo:
            if not result.image:  # captioned from pixels (a repair, a re-run): still this photo
                result.image = photo
            self.results_by_path[photo] = result
            self.batch.captioned(photo)
        if not elsewhere:
            self.show_result_for(photo, result)  # keeps e.g. a caption written before asking for more ideas
            total = result.timings_ms.get("total", 0.0)
            done = f"Caption and hashtags in {total:.0f} ms."
            image = self.canvas.image
            if image is not None and min(image.shape[:2]) < TINY_SIDE:  # the models see 224 px: this is a guess
                done += f" The photo is only {image.shape[1]}×{image.shape[0]} pixels, so the caption is a guess."
            frames = getattr(self.loaded, "frames", 1)
            if frames > 1:  # else the creator may expect the whole animation to be described or repaired
                done += f" It is animated ({frames} frames): captag describes and repairs its first frame only."
            self.statusBar().showMessage(f"{self.repair.last_message} {done}" if self.repair.last_message else done, 8000)
        self._carry_on()

    def _carry_on(self) -> None:
        """After a job on one photo: settings changed meanwhile re-caption now; else a paused batch resumes."""
        if self._rerun_pending:
            self._rerun_pending = False
            self.rerun()
        else:
            self.batch.resume()

    def _forget_unopened(self) -> bool:
        """A photo that never opened (it failed, or was cancelled while loading): do not leave the last one on
        screen posing as it. True if there was one."""
        if self._loading is None:
            return False
        self._loading = self.current_path = None
        self.show_no_photo()
        return True

    def _on_failed(self, message: str) -> None:
        self._done()
        if self.batch.running:
            self.batch.stop("not captioned")
        else:
            self._carry_on()
        self.statusBar().showMessage(message)
        if not self._forget_unopened() and self._job_photo != self.current_path:
            return  # another photo's job: the one on screen is as it was
        earlier = self.results_by_path.get(self.current_path or "")
        if earlier is not None and not earlier.error:  # e.g. More ideas failed: the results stay, with the edits
            self.show_result_for(self.current_path, earlier)
            return
        # Not a modal box: the user may be dropping photos in quick succession.
        self.results.clear(f"Could not process this photo:\n{message}")

    def _on_cancelled(self) -> None:
        self._done()
        if self.batch.paused or self._rerun_pending:  # a job on one photo was cancelled: the rest carries on
            self._carry_on()
        else:
            self.batch.stop("cancelled")
        self.statusBar().showMessage("Cancelled.", 3000)
        if self._forget_unopened() or self.results.result is None:  # not a "Working…" that never ends
            self.results.clear("Cancelled. Open the photo again, or change a language or setting, to caption it.")
