"""Turns the English caption and hashtags into a ready-to-post text: a style (Plain, Social,
Alt text) and a platform preset (where hashtags go, length, emoji)."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout

from captag_desktop.core.styles import PLATFORMS, compose

STYLE_LABELS = {"plain": "Plain", "social": "Social", "alt": "Alt text"}


class PostComposer(QGroupBox):
    copied = Signal(str)
    choice_changed = Signal(str, str)  # style, platform

    def __init__(self, parent=None):
        super().__init__("Post (English)", parent)
        self.style = QComboBox()
        self.style.setAccessibleName("Caption style")
        for key, label in STYLE_LABELS.items():
            self.style.addItem(label, key)
        self.platform = QComboBox()
        self.platform.setAccessibleName("Platform preset")
        for key, p in PLATFORMS.items():
            self.platform.addItem(p.name, key)
        self.preview = QPlainTextEdit()
        self.preview.setAccessibleName("Post text")
        self.preview.setFixedHeight(self.preview.fontMetrics().lineSpacing() * 4 + 14)
        self.copy_button = QPushButton("Copy post")
        self.copy_button.setToolTip("Copy the post text, hashtags placed for the platform")
        self.copy_button.clicked.connect(self.copy)
        row = QHBoxLayout()
        row.addWidget(self.style)
        row.addWidget(self.platform)
        row.addStretch(1)
        row.addWidget(self.copy_button)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.preview)
        self._caption, self._tags = "", []
        self.style.currentIndexChanged.connect(self._changed)
        self.platform.currentIndexChanged.connect(self._changed)

    def set_choice(self, style: str, platform: str) -> None:
        self.style.setCurrentIndex(max(0, self.style.findData(style)))
        self.platform.setCurrentIndex(max(0, self.platform.findData(platform)))

    def set_content(self, caption: str, hashtags: list[str]) -> None:
        self._caption, self._tags = caption, list(hashtags)
        self.refresh()

    def refresh(self) -> None:
        text = compose(self._caption, self._tags, self.style.currentData(), self.platform.currentData()) if self._caption else ""
        self.preview.setPlainText(text)

    def _changed(self) -> None:
        self.refresh()
        self.choice_changed.emit(self.style.currentData(), self.platform.currentData())

    def text(self) -> str:
        return self.preview.toPlainText().strip()

    def copy(self) -> None:
        if self.text():
            QGuiApplication.clipboard().setText(self.text())
            self.copied.emit(self.text())
