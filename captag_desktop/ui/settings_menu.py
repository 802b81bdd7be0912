"""The Settings menu: encoder, beam size, banned hashtags, output folder, metadata on save.
Every choice is kept in QSettings and sent with each job."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QFileDialog, QInputDialog


class SettingsMenu:
    def __init__(self, window, menu):
        from captag_desktop.core.models import optional_store

        self.win, self.settings = window, window.settings
        store = optional_store()
        has_fast = store is not None and store.has("encoder-fast")
        enc_menu = menu.addMenu("Caption &encoder")
        self.encoder_group = QActionGroup(window)
        self.encoder_actions: dict[str, QAction] = {}
        for kind, label in (("quality", "&Quality (EfficientNet-Lite2)"), ("fast", "&Fast (distilled, for slow computers)")):
            act = self._checkable(enc_menu, label, self.changed)
            act.setEnabled(kind == "quality" or has_fast)
            self.encoder_group.addAction(act)
            self.encoder_actions[kind] = act
        beam_menu = menu.addMenu("&Beam size")
        self.beam_group = QActionGroup(window)
        self.beam_actions: dict[int, QAction] = {}
        # 0: each caption model's own beam size, chosen on the dev split (4 for English, 3 for Arabic)
        for size, label in ((0, "&Best for each model (default)"), (1, "&1 (greedy, fastest)"), (3, "&3"), (5, "&5")):
            act = self._checkable(beam_menu, label, self.changed)
            self.beam_group.addAction(act)
            self.beam_actions[size] = act
        menu.addSeparator()
        self.banned_action = QAction("&Banned hashtags…", window)
        self.banned_action.triggered.connect(self.edit_banned)
        menu.addAction(self.banned_action)
        self.output_action = QAction("&Output folder…", window)
        self.output_action.triggered.connect(self.choose_output_folder)
        menu.addAction(self.output_action)
        self.embed_action = self._checkable(menu, "&Write the caption into saved copies (XMP, EXIF)",
                                            lambda: self.settings.setValue("metadata/embed", self.embed_action.isChecked()))

    def _checkable(self, menu, text, slot) -> QAction:
        act = QAction(text, self.win)
        act.setCheckable(True)
        act.triggered.connect(slot)
        menu.addAction(act)
        return act

    def restore(self) -> None:
        encoder = str(self.settings.value("caption/encoder", "quality"))
        act = self.encoder_actions.get(encoder)
        (act if act is not None and act.isEnabled() else self.encoder_actions["quality"]).setChecked(True)
        beam = self.settings.value("caption/beam")
        if beam is None:  # saved before "Best for each model" existed, when 3 was the default and saved with any change
            old = int(self.settings.value("caption/beam_size", 0))
            beam = old if old in (1, 5) else 0
        self.beam_actions.get(int(beam), self.beam_actions[0]).setChecked(True)
        self.embed_action.setChecked(str(self.settings.value("metadata/embed", "true")).lower() == "true")

    def banned(self) -> list[str]:
        return [t for t in str(self.settings.value("hashtags/banned", "")).split() if t]

    def output_folder(self) -> str | None:
        folder = str(self.settings.value("output_dir", ""))
        return folder if folder and Path(folder).is_dir() else None

    def embed_metadata(self) -> bool:
        return self.embed_action.isChecked()

    def options(self) -> dict:
        encoder = next((k for k, a in self.encoder_actions.items() if a.isChecked()), "quality")
        beam = next((k for k, a in self.beam_actions.items() if a.isChecked()), 0)
        return {"encoder": encoder, "beam_size": beam, "banned_tags": self.banned()}

    def changed(self) -> None:
        opts = self.options()
        self.settings.setValue("caption/encoder", opts["encoder"])
        self.settings.setValue("caption/beam", opts["beam_size"])
        self.win.rerun()

    def edit_banned(self) -> None:
        text, ok = QInputDialog.getMultiLineText(self.win, "Banned hashtags",
                                                 "Never suggest these (one per line or space-separated):",
                                                 "\n".join(self.banned()))
        if ok:
            self.set_banned(text.split())

    def set_banned(self, tags: list[str]) -> None:
        self.settings.setValue("hashtags/banned", " ".join(t.lstrip("#") for t in tags))
        self.win.rerun()

    def choose_output_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.win, "Where saved copies, sidecars and exports go",
                                                  self.output_folder() or str(Path.home()))
        if folder:
            self.settings.setValue("output_dir", folder)
