"""The main window: photo canvas on the left, results on the right, progress below."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QProgressBar, QPushButton, QSplitter

from captag_desktop.core.pipeline import LANGUAGES, PhotoResult
from captag_desktop.core.edits import Edits, published
from captag_desktop.ui.batch import Batch
from captag_desktop.ui.canvas import ImageCanvas
from captag_desktop.ui.file_dialogs import IMAGE_FILTER, expand_paths
from captag_desktop.ui.help_dialogs import show_about, show_shortcuts
from captag_desktop.ui.job_results import JobResults
from captag_desktop.ui.repair_tools import RepairTools
from captag_desktop.ui.results_panel import MAX_HASHTAGS, ResultsPanel
from captag_desktop.ui.photo_strip import PhotoStrip
from captag_desktop.ui.publishing import Publishing
from captag_desktop.ui.recovery import Recovery
from captag_desktop.ui.settings_menu import SettingsMenu
from captag_desktop.ui.social_engine import SocialEngine, installed_engine
from captag_desktop.ui.worker import JobRunner

class MainWindow(JobResults, QMainWindow):
    def __init__(self, runner: JobRunner | None = None, settings: QSettings | None = None, autosave_dir=None,
                 social_engine: SocialEngine | None | bool = True):
        """social_engine: True = use the Social LLM if it is installed; None/False = never; or an engine."""
        super().__init__()
        self.setWindowTitle("captag")
        self.setMinimumSize(900, 600)  # below this the photo is squeezed to a stamp between the two panels
        self.setAcceptDrops(True)
        self.settings = settings or QSettings("captag", "captag")
        self.runner = runner or JobRunner(parent=self)
        self.current_path: str | None = None
        self.loaded = None  # LoadedImage of the current photo (EXIF, ICC for saving)
        self.last_result: PhotoResult | None = None

        self.canvas = ImageCanvas()
        self.canvas.setAccessibleName("Photo: paint damage here")
        self.results = ResultsPanel()
        self.strip = PhotoStrip()
        self.strip.setVisible(False)
        self.results_by_path: dict[str, PhotoResult] = {}  # the model's results
        self.edits_by_path: dict[str, Edits] = {}  # the creator's edits to them (the photo on screen: in the panel)
        self._loading: str | None = None  # a photo being opened, until it is on the canvas
        self._job_photo: str | None = None  # the photo the running single job (caption, repair, detect) is for
        self._job_kind: str | None = None  # the running job's kind, until it ends
        self._rerun_pending = False  # settings changed during a repair or detection: re-caption after it
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.strip)
        self.split.addWidget(self.canvas)
        self.split.addWidget(self.results)
        self.split.setStretchFactor(0, 0)
        self.split.setStretchFactor(1, 3)
        self.split.setStretchFactor(2, 1)
        self.split.setChildrenCollapsible(False)
        self.setCentralWidget(self.split)

        self.progress = QProgressBar()
        self.progress.setAccessibleName("Progress of the current job")
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.zoom_label = QLabel("")
        self.statusBar().addPermanentWidget(self.zoom_label)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.cancel_button)
        self.statusBar().showMessage("Drop a photo or press Ctrl+O.")

        self.repair = RepairTools(self)
        self.addToolBar(self.repair.toolbar)
        self._build_menus()
        self.canvas.files_dropped.connect(self.open_paths)
        self.canvas.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f}%"))
        self.results.copied.connect(lambda _t: self.statusBar().showMessage("Copied to the clipboard.", 3000))
        self.results.more_ideas.connect(self.more_ideas)
        self.results.count_slider.setValue(int(self.settings.value("hashtags/count", 10)))
        self.results.count_changed.connect(lambda n: self.settings.setValue("hashtags/count", n))
        self.results.composer.set_choice(str(self.settings.value("post/style", "plain")),
                                         str(self.settings.value("post/platform", "instagram")))
        self.results.composer.choice_changed.connect(
            lambda st, pl: (self.settings.setValue("post/style", st), self.settings.setValue("post/platform", pl)))
        self.social_engine = installed_engine(self) if social_engine is True else (social_engine or None)
        if self.social_engine is not None:
            self.results.composer.enable_llm(self.social_engine, self.settings.value("post/llm", True, type=bool))
            self.results.fit_minimum_width()  # its toggle's row
            self.results.composer.llm_changed.connect(lambda on: self.settings.setValue("post/llm", on))
        self._ideas_seed = 0
        self.runner.image_loaded.connect(self._on_image_loaded)
        self.runner.progress.connect(self._on_progress)
        self.batch = Batch(self)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        self._restore()
        self.recovery = Recovery(self, autosave_dir)

    # -- menus and settings ---------------------------------------------------
    def _action(self, menu, text, slot, shortcut=None, checkable=False) -> QAction:
        act = QAction(text, self)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        act.setCheckable(checkable)
        act.triggered.connect(slot)
        menu.addAction(act)
        return act

    def _build_menus(self) -> None:
        m = self.menuBar().addMenu("&File")
        self.open_action = self._action(m, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.open_folder_action = self._action(m, "Open &folder…", self.open_folder_dialog, "Ctrl+Shift+O")
        self.publishing = Publishing(self)
        self.export_action = self._action(m, "&Export results…", self.publishing.export_dialog, "Ctrl+E")
        self.save_copy_action = self._action(m, "Save a &copy with the caption…", self.publishing.save_copy_dialog,
                                             "Ctrl+Shift+S")
        self.sidecar_action = self._action(m, "Write .&xmp sidecars", self.publishing.write_sidecars, "Ctrl+Alt+X")
        m.addAction(self.repair.save_action)
        m.addSeparator()
        m.addAction(self.repair.import_mask_action)
        m.addAction(self.repair.export_mask_action)
        m.addSeparator()
        self._action(m, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        e = self.menuBar().addMenu("&Edit")
        e.addAction(self.repair.undo_action)
        e.addAction(self.repair.redo_action)
        e.addSeparator()
        self.copy_all_action = self._action(e, "Copy &all results", self.results.copy_all, "Ctrl+Shift+C")
        self.copy_image_action = self._action(e, "Copy &image", self.publishing.copy_image, "Ctrl+Shift+I")
        self.cancel_action = self._action(e, "&Cancel", self.cancel, "Esc")
        r = self.menuBar().addMenu("&Repair")
        for a in (self.repair.pan_action, self.repair.brush_action, self.repair.eraser_action):
            r.addAction(a)
        r.addSeparator()
        for a in (self.repair.detect_action, self.repair.clear_action, self.repair.repair_action):
            r.addAction(a)
        v = self.menuBar().addMenu("&View")
        self._action(v, "Zoom &in", lambda: self.canvas.zoom_by(1.25), QKeySequence.StandardKey.ZoomIn)
        self._action(v, "Zoom &out", lambda: self.canvas.zoom_by(0.8), QKeySequence.StandardKey.ZoomOut)
        self._action(v, "&Fit to window", self.canvas.fit, "Ctrl+0")
        self._action(v, "&Actual size", lambda: self.canvas.set_zoom(1.0), "Ctrl+1")
        lm = self.menuBar().addMenu("&Languages")
        self.lang_actions: dict[str, QAction] = {}
        for code, name in LANGUAGES.items():
            act = self._action(lm, f"{name} ({code})", self._languages_changed, checkable=True)
            self.lang_actions[code] = act
        self.settings_menu = SettingsMenu(self, self.menuBar().addMenu("&Settings"))
        h = self.menuBar().addMenu("&Help")
        self._action(h, "&Keyboard shortcuts", lambda: show_shortcuts(self), "F1")
        self._action(h, "&About captag", lambda: show_about(self))

    def options(self) -> dict:
        return self.settings_menu.options()

    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 760)
        state = self.settings.value("window/split")
        if state is None or not self.split.restoreState(state):
            self.split.setSizes([0, self.width() * 64 // 100, self.width() * 36 // 100])
        self.settings_menu.restore()
        chosen = str(self.settings.value("languages", "en")).split(",")
        for code, act in self.lang_actions.items():
            act.setChecked(code in chosen)

    def languages(self) -> list[str]:
        langs = [c for c, a in self.lang_actions.items() if a.isChecked()]
        return langs or ["en"]

    def _languages_changed(self) -> None:
        if not any(a.isChecked() for a in self.lang_actions.values()):  # the menu shows what is captioned
            self.lang_actions["en"].setChecked(True)
            self.statusBar().showMessage("At least one language is needed: English stays on.", 5000)
        chosen = ",".join(self.languages())
        if chosen != str(self.settings.value("languages", "en")):
            self.settings.setValue("languages", chosen)
            self.rerun()

    def rerun(self) -> None:
        """Settings changed: caption the photo on screen again with them (in a batch, every photo, so an
        export has every photo in every chosen language)."""
        if self._job_kind in ("repair", "detect"):  # a new job would cancel it: re-caption when it ends
            self._rerun_pending = True
            self.statusBar().showMessage("The captions follow the new settings when the repair is done.", 5000)
        elif self.batch.running or self.batch.paused or not self.strip.isHidden():
            self.batch.rerun()
        elif self.canvas.has_image():
            self._start(self.canvas.current_image())

    def closeEvent(self, event):
        self.recovery.discard()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/split", self.split.saveState())
        self.runner.shutdown()
        self.strip.stop_thumbnails()
        if self.social_engine is not None:
            self.social_engine.shutdown()
        super().closeEvent(event)

    # -- opening photos --------------------------------------------------------
    def open_dialog(self) -> None:
        start = str(self.settings.value("last_dir", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self, "Open photo", start, IMAGE_FILTER)
        if path:
            self.open_paths([path])

    def open_folder_dialog(self) -> None:
        start = str(self.settings.value("last_dir", str(Path.home())))
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of photos", start)
        if folder:
            self.open_paths([folder])

    def open_paths(self, paths: list[str]) -> None:
        photos = expand_paths(paths)
        if not photos:
            if paths:
                self.statusBar().showMessage(f"No photos found in {paths[0]}.", 5000)
            return
        self.settings.setValue("last_dir", str(Path(photos[0]).parent))
        if len(photos) > 1:
            self.start_batch(photos)
            return
        self.batch.keep_current()
        self.batch.stop("not captioned")
        self.strip.setVisible(False)
        path = photos[0]
        self.batch.forget([path])  # opened afresh
        self.batch.loader.cancel()  # a batch photo still decoding is no longer wanted
        self.current_path = self._loading = path
        self.results.clear("Working…")
        self._start(path)

    def start_batch(self, photos: list[str]) -> None:
        self.batch.start(photos)

    def show_photo(self, path: str) -> None:
        self.batch.show_photo(path)

    def keep_edits(self) -> None:
        """Remember the creator's edits to the photo on screen before the panel shows something else."""
        if self.current_path and self.results.result is not None:
            self.edits_by_path[self.current_path] = self.results.snapshot()

    def show_result_for(self, path: str | None, result: PhotoResult) -> None:
        """Show `result` for the photo on screen (`path`), with the creator's edits so far kept."""
        self.keep_edits()
        self.last_result = result
        self.results.show_result(result, self.edits_by_path.get(path or ""))

    def show_no_photo(self) -> None:
        """An empty canvas, title and zoom: nothing is left on screen posing as a photo that is not there."""
        self.loaded = None
        self.canvas.set_image(None)
        self.repair.reset()
        self.repair.show_history(None)
        self.setWindowTitle("captag")
        self.zoom_label.setText("")

    def open_photos(self) -> list[str]:
        """The photos open now: the strip's in a batch, else the one on screen."""
        if not self.strip.isHidden():
            return self.strip.paths()
        return [self.current_path] if self.current_path else []

    def published_results(self) -> dict[str, PhotoResult]:
        """The open photos' results as the creator would publish them: edits, ticks and the hashtag count
        applied. Not photos captioned earlier in the session (another folder, other languages)."""
        self.keep_edits()
        count = self.results.count_slider.value()
        return {path: published(self.results_by_path[path], self.edits_by_path.get(path), count)
                for path in self.open_photos() if path in self.results_by_path}

    def dragEnterEvent(self, event):
        self.canvas.dragEnterEvent(event)

    def dropEvent(self, event):
        self.canvas.dropEvent(event)

    def begin_job(self, for_photo: bool = True, kind: str = "caption") -> None:
        """for_photo: a job on the photo on screen, whose result belongs to that photo even if the creator
        switches to another one while it runs; False for the batch."""
        self.batch.pause()
        self._job_kind = kind
        if for_photo:
            self._job_photo = self.current_path
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setVisible(True)

    def _start(self, source, hashtag_seed: int | None = None, photo: str | None = None) -> None:
        """Caption `source` (a path or pixels) for `photo` (default: the one on screen)."""
        self.begin_job()
        self._job_photo = photo or self._job_photo
        # Ask for the maximum; the count slider only shows the first N.
        self.runner.submit(source, self.languages(), MAX_HASHTAGS, hashtag_seed, self.options())

    def recaption(self) -> None:
        """The photo on screen changed (a repair undone or redone): caption what would now be published."""
        if self.canvas.has_image():
            self.keep_edits()
            self._start(self.canvas.current_image())

    def more_ideas(self) -> None:
        if self.canvas.has_image():
            self._ideas_seed += 1
            self._start(self.canvas.current_image(), self._ideas_seed)

    def keyPressEvent(self, event):
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.canvas.show_original(True)  # hold Space: before
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event):
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.canvas.show_original(False)
            return
        super().keyReleaseEvent(event)

    def cancel(self) -> None:
        if not self.cancel_button.isHidden():  # the job stops at its next step, which can take a moment on a big photo
            self.cancel_button.setEnabled(False)
            self.statusBar().showMessage("Cancelling…")
        self.runner.cancel()
