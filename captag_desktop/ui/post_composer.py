"""Turns the English caption and hashtags into a ready-to-post text: a style (Plain, Social,
Alt text) and a platform preset (where hashtags go, length, emoji)."""
from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QCheckBox, QComboBox, QGroupBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout

from captag_desktop.core.social_llm import PROMPT_TAGS
from captag_desktop.core.styles import PLATFORMS, compose

STYLE_LABELS = {"plain": "Plain", "social": "Social", "alt": "Alt text"}


class PostComposer(QGroupBox):
    copied = Signal(str)
    choice_changed = Signal(str, str)  # style, platform
    llm_changed = Signal(bool)

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
        self.preview.setTabChangesFocus(True)
        self.preview.setFixedHeight(self.preview.fontMetrics().lineSpacing() * 4 + 14)
        self.copy_button = QPushButton("Copy post")
        self.copy_button.setToolTip("Copy the post text, hashtags placed for the platform")
        self.copy_button.clicked.connect(self.copy)
        # shown only when the optional Social LLM is installed (enable_llm)
        self.llm_toggle = QCheckBox("Local AI rewrite")
        self.llm_toggle.setAccessibleName("Rewrite the Social caption with the local AI model")
        self.llm_toggle.setToolTip("Social style only: SmolLM2, on this computer. A rewrite that names anything "
                                   "the caption and hashtags do not is replaced by the template.")
        self.llm_toggle.setVisible(False)
        self.llm_note = QLabel("")
        self.llm_note.setAccessibleName("Which engine wrote the Social caption")
        self.llm_note.setWordWrap(True)
        self.llm_note.setVisible(False)
        row = QHBoxLayout()
        row.addWidget(self.style)
        row.addWidget(self.platform)
        row.addStretch(1)
        row.addWidget(self.copy_button)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.llm_toggle)  # a row of its own, so a narrow panel need not scroll sideways
        lay.addWidget(self.preview)
        lay.addWidget(self.llm_note)
        self._caption, self._tags = "", []
        self._engine = None
        self._rewrites: dict = {}  # (caption, top tags) -> SocialText
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(400)
        self._debounce.timeout.connect(self._send_request)
        self.style.currentIndexChanged.connect(self._changed)
        self.platform.currentIndexChanged.connect(self._changed)
        self.llm_toggle.toggled.connect(self._changed)

    def enable_llm(self, engine, on: bool = True) -> None:
        """Offer the Local AI rewrite (the model is installed); `engine` is a SocialEngine."""
        self._engine = engine
        engine.finished.connect(self._on_rewrite)
        self.llm_toggle.setChecked(on)
        self.llm_toggle.setVisible(True)
        self.refresh()

    def _llm_key(self):
        return (self._caption, tuple(self._tags[:PROMPT_TAGS]))  # all that the rewrite depends on

    def _social_body(self) -> str | None:
        """The LLM's sentence for the current content, asking for it when it is not known yet."""
        if self._engine is None or not self.llm_toggle.isChecked() or self.style.currentData() != "social":
            self.llm_note.setVisible(False)
            return None
        key = self._llm_key()
        done = self._rewrites.get(key)
        if done is None:
            self._debounce.start()  # restarted by every edit: typing asks once, after a pause
            self._show_note("Rewriting with the local AI model…")
            return None
        self._show_note("Written by the local AI model (SmolLM2)." if done.engine == "llm"
                        else f"Template used: {done.note}.")
        return done.text if done.engine == "llm" else None

    def _send_request(self) -> None:
        if self._engine is not None and self._caption and self._llm_key() not in self._rewrites:
            self._engine.request(self._llm_key(), self._caption, list(self._tags), True)

    def _show_note(self, text: str) -> None:
        self.llm_note.setText(text)
        self.llm_note.setVisible(True)

    def _on_rewrite(self, key, result) -> None:
        if key != self._llm_key():
            return
        if result.retry:  # a failure of the moment (runtime, loading): show it, ask again next time
            self._show_note(f"Template used: {result.note}.")
            return
        self._rewrites[key] = result
        self.refresh()

    def set_choice(self, style: str, platform: str) -> None:
        self.style.setCurrentIndex(max(0, self.style.findData(style)))
        self.platform.setCurrentIndex(max(0, self.platform.findData(platform)))

    def set_content(self, caption: str, hashtags: list[str]) -> None:
        self._caption, self._tags = caption, list(hashtags)
        self.refresh()

    def refresh(self) -> None:
        self.llm_toggle.setEnabled(self.style.currentData() == "social")  # the rewrite is for Social only
        if not self._caption:
            self.llm_note.setVisible(False)
        body = self._social_body() if self._caption else None
        text = compose(self._caption, self._tags, self.style.currentData(), self.platform.currentData(),
                       social_body=body) if self._caption else ""
        self.preview.setPlainText(text)

    def _changed(self) -> None:
        self.refresh()
        self.choice_changed.emit(self.style.currentData(), self.platform.currentData())
        self.llm_changed.emit(self.llm_toggle.isChecked())

    def text(self) -> str:
        return self.preview.toPlainText().strip()

    def copy(self) -> None:
        if self.text():
            QGuiApplication.clipboard().setText(self.text())
            self.copied.emit(self.text())
