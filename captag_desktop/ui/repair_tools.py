"""Repair tools for the main window: brush/eraser, undo, detect, repair, compare, save."""
from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QUndoStack
from PySide6.QtWidgets import QComboBox, QFileDialog, QLabel, QSlider, QToolBar

from captag_desktop.core.masks import MaskError, coverage, load_mask, save_mask
from captag_desktop.ui.drag_out import DragOutButton
from captag_desktop.ui.file_dialogs import PHOTO_TYPES, copy_name, save_file_name
from captag_desktop.ui.undo_commands import MaskEdit, RepairEdit, replace_whole_mask


def inpainter_installed() -> bool:
    from captag_desktop.core.models import optional_store

    store = optional_store()
    return store is not None and store.installed("inpaint")  # listed, present and intact


# Photos of a batch whose undo history is kept after switching away. Each history can hold whole-mask copies
# (Detect damage, Import mask), so a long batch of large photos must not keep them all; a photo whose history
# was dropped gets its mask back as one "Restore mask" step.
HISTORIES_KEPT = 8

METHOD_LABELS = {"auto": "Best available", "model": "Trained model", "telea": "OpenCV Telea", "ns": "OpenCV Navier-Stokes"}


class RepairTools(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.win = window
        self.canvas = window.canvas
        # One history per photo, most recently shown last. Own Undo/Redo actions follow the photo's stack:
        # a QUndoGroup doing the same crashed the test suite now and then.
        self._stacks: OrderedDict[str, QUndoStack] = OrderedDict()
        self.undo: QUndoStack | None = None
        self.canvas.stroke_done.connect(self._on_stroke)
        self.last_message = ""  # kept on screen while the repaired photo is re-captioned
        self.toolbar = QToolBar("Repair")
        self.toolbar.setObjectName("repair-toolbar")
        self._build()
        self.canvas.brush_size_changed.connect(self._brush_size_changed)
        self.canvas.set_brush_size(int(self.win.settings.value("repair/brush_size", self.canvas.brush_size)))

    def _act(self, text, slot, shortcut=None, checkable=False, tip=None) -> QAction:
        a = QAction(text, self.win)
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
        a.setCheckable(checkable)
        a.setToolTip(f"{tip or text} ({QKeySequence(shortcut).toString()})" if shortcut else (tip or text))
        a.triggered.connect(slot)
        self.win.addAction(a)
        return a

    def _build(self) -> None:
        tools = QActionGroup(self)
        self.pan_action = self._act("Pan", lambda: self.canvas.set_tool("pan"), "H", True, "Move around the photo")
        self.brush_action = self._act("Brush", lambda: self.canvas.set_tool("brush"), "B", True, "Paint over damage")
        self.eraser_action = self._act("Eraser", lambda: self.canvas.set_tool("eraser"), "E", True, "Erase the mask")
        for a in (self.pan_action, self.brush_action, self.eraser_action):
            tools.addAction(a)
            self.toolbar.addAction(a)
        self.pan_action.setChecked(True)
        self._act("Smaller brush", lambda: self.canvas.set_brush_size(self.canvas.brush_size / 1.25), "[")
        self._act("Larger brush", lambda: self.canvas.set_brush_size(self.canvas.brush_size * 1.25), "]")
        self.size_label = QLabel(f"Brush {self.canvas.brush_size}px")
        self.toolbar.addWidget(self.size_label)
        self.toolbar.addSeparator()
        self.undo_action = self._act("Undo", lambda: self.undo.undo(), "Ctrl+Z", tip="Undo a mask edit or repair")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self._act("Redo", lambda: self.undo.redo(), "Ctrl+Shift+Z", tip="Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.toolbar.addAction(self.undo_action)
        self.toolbar.addAction(self.redo_action)
        self.show_history(None)
        self.clear_action = self._act("Clear mask", self.clear_mask, "Ctrl+Shift+X")
        self.detect_action = self._act("Detect damage", self.detect, "Ctrl+D", tip="Suggest a damage mask to review")
        self.toolbar.addAction(self.clear_action)
        self.toolbar.addAction(self.detect_action)
        self.toolbar.addSeparator()
        self.method = QComboBox()
        for key, label in METHOD_LABELS.items():
            self.method.addItem(label, key)
        self.method.setToolTip("Repair method")
        saved = str(self.win.settings.value("repair/method", "auto"))
        if not inpainter_installed():  # offered only when it can run; "Best available" then means Telea
            item = self.method.model().item(self.method.findData("model"))
            item.setEnabled(False)
            item.setToolTip("The trained inpainting model is not installed")
            saved = "auto" if saved == "model" else saved
        self.method.setCurrentIndex(max(0, self.method.findData(saved)))
        self.method.currentIndexChanged.connect(lambda _i: self.win.settings.setValue("repair/method", self.method.currentData()))
        self.toolbar.addWidget(self.method)
        self.repair_action = self._act("Repair", self.repair, "Ctrl+R", tip="Fill the painted damage")
        self.toolbar.addAction(self.repair_action)
        self.toolbar.addSeparator()
        self.toolbar.addWidget(QLabel("Compare"))
        self.compare = QSlider(Qt.Orientation.Horizontal)
        self.compare.setRange(0, 100)
        self.compare.setMaximumWidth(140)
        self.compare.setToolTip("Left: original, right: repaired. Hold Space to see the original.")
        self.compare.valueChanged.connect(lambda v: self.canvas.set_split(v / 100))
        self.toolbar.addWidget(self.compare)
        self.toolbar.addSeparator()
        self.drag_out = DragOutButton(self.canvas.current_image, lambda: self.win.current_path)
        self.toolbar.addWidget(self.drag_out)
        self.save_action = self._act("Save repaired…", self.save_repaired, "Ctrl+S")
        self.export_mask_action = self._act("Export mask…", self.export_mask)
        self.import_mask_action = self._act("Import mask…", self.import_mask)

    def _brush_size_changed(self, size: int) -> None:
        self.size_label.setText(f"Brush {size}px")
        self.win.settings.setValue("repair/brush_size", size)

    # -- undo histories -------------------------------------------------------------
    def show_history(self, path: str | None) -> None:
        """The photo on screen is `path` (None: no photo): its own history becomes the one Undo and Redo
        act on; if it has steps, the photo's mask is the history's current state."""
        key = path or ""
        stack = self._stacks.pop(key, None)
        if stack is None:
            stack = QUndoStack(self)
            stack.setUndoLimit(100)
            stack.indexChanged.connect(self._sync_undo_actions)
            stack.cleanChanged.connect(self._sync_undo_actions)
        self._stacks[key] = stack
        self.undo = stack
        while len(self._stacks) > HISTORIES_KEPT:
            self._drop(self._stacks.popitem(last=False)[1])
        self._sync_undo_actions()

    def add_repair_step(self, path: str, before, after) -> None:
        """A repair of `path` that finished while another photo was on screen: a step of that photo's own
        history (if it still has one), so Ctrl+Z there takes it back like any repair."""
        stack = self._stacks.get(path)
        if stack is not None and stack is not self.undo:
            stack.push(RepairEdit(self._show_undone_repair, before, after))  # applied when the photo is shown

    def forget_histories(self) -> None:
        """Photos are opened afresh: every history goes, and none is active until a photo is shown."""
        for stack in self._stacks.values():
            self._drop(stack)
        self._stacks.clear()
        self.show_history(None)

    @staticmethod
    def _drop(stack: QUndoStack) -> None:
        stack.clear()
        stack.deleteLater()

    def _sync_undo_actions(self, *_args) -> None:
        for action, word, can, text in ((self.undo_action, "Undo", self.undo.canUndo(), self.undo.undoText()),
                                        (self.redo_action, "Redo", self.undo.canRedo(), self.undo.redoText())):
            action.setEnabled(can)
            action.setText(f"{word} {text}" if can and text else word)

    # -- mask editing -----------------------------------------------------------
    def _on_stroke(self, rect, before, after, text) -> None:
        self.undo.push(MaskEdit(self.canvas, rect, before, after, text))

    def reset(self) -> None:
        """Another photo is on screen (or none): its history is brought back by show_history."""
        self.last_message = ""
        self.compare.setValue(0)

    def set_mask(self, mask: np.ndarray, text: str) -> None:
        self.undo.push(replace_whole_mask(self.canvas, mask, text))

    def clear_mask(self) -> None:
        if self.canvas.mask_layer is not None and self.canvas.mask().any():
            self.set_mask(np.zeros_like(self.canvas.mask()), "Clear mask")

    # -- jobs ---------------------------------------------------------------------
    def repair(self) -> None:
        if not self.canvas.has_image():
            return
        if not self.canvas.mask().any():
            self.win.statusBar().showMessage("Paint over the damage first (B for brush), or use Detect damage.", 5000)
            return
        self.win.begin_job(kind="repair")
        # Repairs always start from the original: the mask describes the original's damage.
        self.win.runner.submit_repair(self.canvas.image, self.canvas.mask(), self.method.currentData())

    def detect(self) -> None:
        if self.canvas.has_image():
            self.win.begin_job(kind="detect")
            self.win.runner.submit_detect(self.canvas.current_image())

    def on_repaired(self, done) -> None:
        before = self.canvas.repaired
        self.on_repaired_pixels(done.image)
        self.undo.push(RepairEdit(self._show_undone_repair, before, done.image))
        self.last_message = (f"Repaired with {METHOD_LABELS.get(done.method, done.method)} in {done.ms:.0f} ms. "
                             "Hold Space to see the original; Ctrl+S saves a copy.")
        self.win.statusBar().showMessage(self.last_message, 8000)

    def on_repaired_pixels(self, rgb) -> None:
        """Show a repaired photo beside the original, split in the middle."""
        self.canvas.set_repaired(rgb)
        self.compare.setValue(50)

    def _show_undone_repair(self, rgb) -> None:
        """Undo or redo of a repair: show that version and caption it, as it is what would be published."""
        self.canvas.set_repaired(rgb)
        self.compare.setValue(0 if rgb is None else 50)
        self.win.recaption()

    def on_detected(self, done) -> None:
        share = coverage(done.mask) * 100
        self.set_mask(done.mask, "Detect damage")
        self.canvas.set_tool("brush")
        self.brush_action.setChecked(True)
        self.win.statusBar().showMessage(
            f"Suggested mask covers {share:.1f}% of the photo. Review it with the brush and eraser, then Repair.", 8000)

    # -- files ----------------------------------------------------------------------
    def _dialog_dir(self) -> str:
        return str(self.win.settings.value("last_dir", str(Path.home())))

    def save_repaired(self) -> None:
        if self.canvas.repaired is None:
            self.win.statusBar().showMessage("Nothing to save yet: repair the photo first (Ctrl+R).", 5000)
            return
        suggestion = copy_name(self.win.current_path, "repaired", self.win.settings_menu.output_folder())
        path = save_file_name(self.win, "Save repaired photo", suggestion, PHOTO_TYPES)
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> bool:
        return self.win.publishing.save_copy_to(path, self.canvas.repaired)

    def export_mask(self) -> None:
        if self.canvas.mask() is None:
            return
        orig = Path(self.win.current_path or "photo")
        path = save_file_name(self.win, "Export mask (white = damaged)", str(orig.with_name(f"{orig.stem}-mask.png")),
                              "PNG (*.png)")
        if path:
            save_mask(self.canvas.mask(), path)
            self.win.statusBar().showMessage(f"Mask saved to {path}", 5000)

    def import_mask(self) -> None:
        if self.canvas.mask() is None:
            return
        path, _ = QFileDialog.getOpenFileName(self.win, "Import mask (white = damaged)", self._dialog_dir(), "PNG (*.png)")
        if path:
            self.import_mask_from(path)

    def import_mask_from(self, path: str) -> bool:
        try:
            mask = load_mask(path, self.canvas.image.shape)
        except MaskError as exc:
            self.win.statusBar().showMessage(str(exc), 8000)
            return False
        self.set_mask(mask, "Import mask")
        share = coverage(mask)
        if share == 0:
            note = "The imported mask marks nothing: white (255) marks the damage, black keeps the photo."
        elif share > 0.6:
            note = (f"The imported mask marks {share:.0%} of the photo. If it is inverted, white (255) should mark the "
                    "damage: Undo (Ctrl+Z) and import the inverted mask.")
        else:
            note = f"Imported the mask: {share:.1%} of the photo is marked for repair."
        self.win.statusBar().showMessage(note, 10000)
        return True
