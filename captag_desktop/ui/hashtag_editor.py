"""Hashtags as a wrapping list of chips: each can be switched off or edited."""
from __future__ import annotations

import unicodedata

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListView, QListWidget, QListWidgetItem, QPushButton, QSizePolicy,
                               QStyledItemDelegate, QVBoxLayout, QWidget)

RLM, LRM = "\u200f", "\u200e"


class DirectionalChip(QStyledItemDelegate):
    """In a right-to-left list, draws each tag in its own direction. Qt lays out item text in the
    widget's direction, and '#' has none of its own, so '#Dog' was drawn as 'Dog#'. The mark is only
    drawn: the tag itself (copied, exported, edited) stays as typed."""

    def initStyleOption(self, option, index) -> None:
        super().initStyleOption(option, index)
        if option.text:
            option.text = (RLM if starts_right_to_left(option.text) else LRM) + option.text


def starts_right_to_left(text: str) -> bool:
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("L", "R", "AL"):
            return kind != "L"
    return False


class ChipList(QListWidget):
    """Wrapping chips that grow to show every tag at the current width. The results panel scrolls as a
    whole, so a scroll bar of the list's own would hide tags behind a second, tiny scroll area."""

    MIN_HEIGHT = 36

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setSpacing(3)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.MIN_HEIGHT)

    def fit_height(self) -> None:
        self.doItemsLayout()
        bottom = 0
        if self.count():
            bottom = max(self.visualItemRect(self.item(i)).bottom() for i in range(self.count()))
            bottom += self.verticalScrollBar().value() + self.spacing() + 1
        height = max(self.MIN_HEIGHT, bottom + 2 * self.frameWidth())
        if height != self.height():
            self.setFixedHeight(height)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():  # the chips re-wrap
            self.fit_height()
            # and once more after the view's own delayed re-layout (its scroll bar may have come or gone)
            QTimer.singleShot(0, self, self.fit_height)


class HashtagEditor(QWidget):
    copied = Signal(str)
    more_ideas = Signal()
    changed = Signal()  # the ticked tags changed (count, tick, edit)

    def __init__(self, rtl: bool = False, parent=None):
        super().__init__(parent)
        self.list = ChipList()
        self.list.setAccessibleName("Hashtags")
        self.list.setEditTriggers(QListWidget.EditTrigger.DoubleClicked | QListWidget.EditTrigger.EditKeyPressed)
        self.list.setToolTip("Untick a tag to leave it out; double-click to edit it.")
        if rtl:
            self.list.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
            self.list.setItemDelegate(DirectionalChip(self.list))
        self.list.itemChanged.connect(self._item_changed)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the ticked hashtags, separated by spaces")
        self.copy_button.clicked.connect(self.copy)
        self.more_button = QPushButton("More ideas")
        self.more_button.setToolTip("Suggest a different set of hashtags")
        self.more_button.clicked.connect(self.more_ideas)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>Hashtags</b>"))
        head.addStretch(1)
        head.addWidget(self.more_button)
        head.addWidget(self.copy_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(head)
        lay.addWidget(self.list)
        self._all: list[str] = []  # every tag, with the creator's renames; the first `count` are shown
        self._off: set[int] = set()  # positions the creator unticked: kept when the count changes
        self.count = 10

    def set_tags(self, tags: list[str], count: int | None = None, off: set[int] | None = None) -> None:
        self._all = list(tags)
        self._off = set(off or ())
        if count is not None:
            self.count = count
        self._refill()

    def state(self) -> tuple[list[str], set[int]]:
        """Every tag with its renames, and the unticked positions."""
        return list(self._all), set(self._off)

    def set_count(self, count: int) -> None:
        self.count = count
        self._refill()

    def _refill(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for i, tag in enumerate(self._all[: self.count]):
            item = QListWidgetItem(tag)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable)
            item.setCheckState(Qt.CheckState.Unchecked if i in self._off else Qt.CheckState.Checked)
            self._fit_chip(item)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.list.fit_height()
        self.changed.emit()

    def _fit_chip(self, item: QListWidgetItem) -> None:
        item.setSizeHint(QSize(self.list.fontMetrics().horizontalAdvance(item.text()) + 40, 26))

    def _item_changed(self, item: QListWidgetItem) -> None:
        """A rename or a tick: remembered by position, so changing the count keeps it."""
        row = self.list.row(item)
        # An edited tag stays a hashtag: one '#', no spaces; its chip then fits the new text.
        text = "".join(item.text().split()).lstrip("#")
        self.list.blockSignals(True)
        if not text:  # emptied: the tag comes back, unticked, rather than as a blank chip
            item.setText(self._all[row])
            item.setCheckState(Qt.CheckState.Unchecked)
        elif f"#{text}" != item.text():
            item.setText(f"#{text}")
        self._fit_chip(item)
        self.list.blockSignals(False)
        self._all[row] = item.text()
        if item.checkState() == Qt.CheckState.Checked:
            self._off.discard(row)
        else:
            self._off.add(row)
        self.list.fit_height()
        self.changed.emit()

    def tags(self) -> list[str]:
        out = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.checkState() == Qt.CheckState.Checked and item.text():
                out.append(item.text())
        return out

    def text(self) -> str:
        return " ".join(self.tags())

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
        self.copied.emit(self.text())
