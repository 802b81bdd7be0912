"""Captions and hashtags per language, each with its own Copy button."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from captag_desktop.core.edits import Edits, LanguageEdits, published, tags_for
from captag_desktop.core.pipeline import LANGUAGES, PhotoResult
from captag_desktop.ui.hashtag_editor import HashtagEditor
from captag_desktop.ui.post_composer import PostComposer

MAX_HASHTAGS = 30

RTL = {"ar"}


class _Field(QWidget):
    """A labelled, editable text box with a Copy button."""

    copied = Signal(str)

    def __init__(self, title: str, rtl: bool = False, lines: int = 3, parent=None):
        super().__init__(parent)
        self.edit = QPlainTextEdit()
        self.edit.setAccessibleName(title)
        self.edit.setTabChangesFocus(True)  # a caption has no use for a tab; keyboard users move on with Tab
        self.edit.setFixedHeight(self.edit.fontMetrics().lineSpacing() * lines + 14)
        if rtl:
            self.edit.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
            # the paragraphs too, or a right-to-left caption starts at the left edge
            option = self.edit.document().defaultTextOption()
            option.setTextDirection(Qt.LayoutDirection.RightToLeft)
            option.setAlignment(Qt.AlignmentFlag.AlignRight)
            self.edit.document().setDefaultTextOption(option)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip(f"Copy the {title.lower()} to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        head = QHBoxLayout()
        head.addWidget(QLabel(f"<b>{title}</b>"))
        head.addStretch(1)
        head.addWidget(self.copy_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(head)
        lay.addWidget(self.edit)

    def text(self) -> str:
        return self.edit.toPlainText().strip()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
        self.copied.emit(self.text())


class ResultsPanel(QScrollArea):
    copied = Signal(str)
    more_ideas = Signal()
    count_changed = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setMinimumWidth(320)
        body = QWidget()
        self._layout = QVBoxLayout(body)
        self._hint = QLabel("Captions and hashtags appear here.")
        self._hint.setWordWrap(True)
        self._layout.addWidget(self._hint)
        count_row = QHBoxLayout()
        self.count_label = QLabel()
        self.count_slider = QSlider(Qt.Orientation.Horizontal)
        self.count_slider.setRange(1, MAX_HASHTAGS)
        self.count_slider.setAccessibleName("Number of hashtags")
        self.count_slider.valueChanged.connect(self._count_changed)
        count_row.addWidget(self.count_label)
        count_row.addWidget(self.count_slider, 1)
        self._layout.addLayout(count_row)
        self._groups: dict[str, tuple[QGroupBox, _Field, HashtagEditor]] = {}
        self.shown: list[str] = []
        self.result: PhotoResult | None = None  # the model's result on screen, before the creator's edits
        for lang, name in LANGUAGES.items():
            box = QGroupBox(name)
            cap = _Field("Caption", rtl=lang in RTL)
            tags = HashtagEditor(rtl=lang in RTL)
            tags.more_ideas.connect(self.more_ideas)
            for f in (cap, tags):
                f.copied.connect(self.copied)
            inner = QVBoxLayout(box)
            inner.addWidget(cap)
            inner.addWidget(tags)
            both = QPushButton("Copy caption + hashtags")
            both.setAccessibleName(f"Copy the {name} caption and hashtags")
            both.clicked.connect(lambda _=False, code=lang: self.copy_language(code))
            inner.addWidget(both)
            box.setVisible(False)
            self._layout.addWidget(box)
            self._groups[lang] = (box, cap, tags)
        self.composer = PostComposer()
        self.composer.copied.connect(self.copied)
        self.composer.setVisible(False)
        self._layout.addWidget(self.composer)
        _box, en_caption, en_tags = self._groups["en"]
        en_tags.changed.connect(self._update_post)
        en_caption.edit.textChanged.connect(self._update_post)
        self.copy_all_button = QPushButton("Copy all")
        self.copy_all_button.setToolTip("Copy every caption and hashtag (Ctrl+Shift+C)")
        self.copy_all_button.clicked.connect(self.copy_all)
        self.copy_all_button.setEnabled(False)
        self._layout.addWidget(self.copy_all_button)
        self._layout.addStretch(1)
        self.setWidget(body)
        self.fit_minimum_width()
        self.count_slider.setValue(10)
        self._count_changed(10)

    def fit_minimum_width(self) -> None:
        """Wide enough for the widest part (the post composer, a language's box), so the panel scrolls
        only up and down: a sideways scroll bar hid the Copy buttons at the narrowest width."""
        parts = [self.composer] + [box for box, _cap, _tags in self._groups.values()]
        widest = max(w.minimumSizeHint().width() for w in parts)
        margins = self._layout.contentsMargins()
        self.setMinimumWidth(max(320, widest + margins.left() + margins.right()
                                 + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def _count_changed(self, n: int) -> None:
        self.count_label.setText(f"Hashtags: {n}")
        for _box, _cap, tags in self._groups.values():
            tags.set_count(n)
        self.count_changed.emit(n)

    def field(self, lang: str, kind: str = "caption"):
        box, cap, tags = self._groups[lang]
        return cap if kind == "caption" else tags

    def clear(self, message: str = "Captions and hashtags appear here.") -> None:
        for box, cap, tags in self._groups.values():
            box.setVisible(False)
            cap.set_text("")
            tags.set_tags([])
        self.shown = []
        self.result = None
        self.composer.setVisible(False)
        self._hint.setText(message)
        self._hint.setVisible(True)
        self.copy_all_button.setEnabled(False)

    def show_result(self, result: PhotoResult, edits: Edits | None = None) -> None:
        """The model's result with the creator's earlier edits to this photo, where they still apply."""
        self.clear()
        edits = edits or {}
        for lang, text in result.captions.items():
            box, cap, tags = self._groups[lang]
            engine = result.engines.get(lang)
            box.setTitle(f"{LANGUAGES[lang]} — {engine}" if engine else LANGUAGES[lang])
            own = edits.get(lang)
            cap.set_text(own.caption if own is not None and own.caption is not None else text)
            shown_tags, off = tags_for(result, lang, own)
            tags.set_tags(shown_tags, self.count_slider.value(), off)
            box.setVisible(True)
            self.shown.append(lang)
        self.result = result
        self.composer.setVisible("en" in result.captions)
        self._update_post()
        self._hint.setText("\n".join(result.warnings))
        self._hint.setVisible(bool(result.warnings))
        self.copy_all_button.setEnabled(bool(result.captions))

    def snapshot(self) -> Edits:
        """The creator's edits to the result on screen ({} when none is shown)."""
        if self.result is None:
            return {}
        edits = {}
        for lang in self.shown:
            _box, cap, tags = self._groups[lang]
            all_tags, off = tags.state()
            own = cap.text()
            edits[lang] = LanguageEdits(own if own != self.result.captions[lang].strip() else None,
                                        list(self.result.hashtags.get(lang, [])), all_tags, off)
        return edits

    def published(self) -> PhotoResult | None:
        """What is on screen, as it would be published (see core.edits.published)."""
        return None if self.result is None else published(self.result, self.snapshot(), self.count_slider.value())

    def _update_post(self) -> None:
        """The post follows the English caption and the ticked English tags, edits included."""
        _box, cap, tags = self._groups["en"]
        self.composer.set_content(cap.text(), tags.tags())

    def language_text(self, lang: str) -> str:
        """Caption, a blank line, hashtags: ready to paste into a post."""
        _, cap, tags = self._groups[lang]
        return "\n\n".join(t for t in (cap.text(), tags.text()) if t)

    def copy_language(self, lang: str) -> None:
        text = self.language_text(lang)
        if text:
            QGuiApplication.clipboard().setText(text)
            self.copied.emit(text)

    def all_text(self) -> str:
        parts = []
        for lang in self.shown:
            parts.append(self.language_text(lang))
        return "\n\n".join(parts)

    def copy_all(self) -> None:
        text = self.all_text()
        if text:
            QGuiApplication.clipboard().setText(text)
            self.copied.emit(text)
