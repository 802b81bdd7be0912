"""Autosave of the unsaved mask while it changes, and the offer to restore it after a crash."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox

from captag_desktop.core.autosave import clear_session, load_session, save_session

INTERVAL_MS = 5000


class Recovery:
    def __init__(self, window, folder: Path | None = None):
        self.win, self.folder = window, folder
        self._saved = None  # (photo, undo index) last written: each photo has its own undo history
        self.pending = None  # a Session waiting for its photo to finish loading
        self.timer = QTimer(window)
        self.timer.timeout.connect(self.autosave)
        self.timer.start(INTERVAL_MS)

    def autosave(self) -> bool:
        """Write the mask if it changed since the last autosave; True if written."""
        win = self.win
        mask = win.canvas.mask()
        state = (win.current_path, win.repair.undo.index())
        if mask is None or not win.current_path or state == self._saved or win.repair.undo.isClean():
            return False
        try:
            save_session(win.current_path, mask, self.folder)
        except OSError:
            return False  # a full disk must not interrupt painting; the next tick tries again
        self._saved = state
        return True

    def discard(self) -> None:
        """The work is safe (closed normally): no recovery offer next time."""
        clear_session(self.folder)

    def offer(self, ask=None) -> bool:
        """If the last session ended with unsaved mask edits, ask to restore them. True if restoring."""
        session = load_session(self.folder)
        if session is None:
            return False
        if not Path(session.photo).exists():
            clear_session(self.folder)
            return False
        ask = ask or (lambda text: QMessageBox.question(self.win, "Restore unsaved work?", text)
                      == QMessageBox.StandardButton.Yes)
        if not ask(f"captag did not close normally. Restore the unsaved damage mask for {Path(session.photo).name}?"):
            clear_session(self.folder)
            return False
        self.pending = session
        self.win.open_paths([session.photo])
        return True

    def apply_pending(self, path: str) -> None:
        """Called when a photo has loaded: put the recovered mask back on it (undoable)."""
        s, self.pending = self.pending, None
        if s is None or str(Path(s.photo)) != str(Path(path)):
            self.pending = s if s is not None and str(Path(s.photo)) != str(Path(path)) else None
            return
        if self.win.canvas.image is not None and s.mask.shape == self.win.canvas.image.shape[:2]:
            self.win.repair.set_mask(s.mask, "Restore unsaved mask")
            self.win.statusBar().showMessage("Restored the unsaved mask from the last session.", 8000)
