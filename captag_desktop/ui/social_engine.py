"""Runs the optional Social LLM off the GUI thread. It has its own thread so a rewrite never
cancels or delays captioning; requests are keyed, and only the newest one is answered."""
from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal, Slot

from captag_desktop.core.social_llm import SocialText, social_text


class _LlmWorker(QObject):
    done = Signal(object, object)  # key, SocialText

    def __init__(self, rewriter_factory):
        super().__init__()
        self._factory = rewriter_factory
        self._rewriter = None
        self._load_error = ""

    @Slot(object, str, object, bool)
    def rewrite(self, key, caption: str, hashtags, emoji: bool) -> None:
        if self._rewriter is None and not self._load_error:
            try:
                self._rewriter = self._factory()  # loads once (about half a second)
            except Exception as exc:  # a broken add-on must never take the app down
                self._load_error = f"the LLM could not be loaded ({exc})"
        if self._rewriter is None:
            self.done.emit(key, SocialText(social_text(caption, list(hashtags), None, emoji).text, "template",
                                           self._load_error))
            return
        self.done.emit(key, social_text(caption, list(hashtags), self._rewriter, emoji))


class SocialEngine(QObject):
    finished = Signal(object, object)  # key, SocialText (newest request only)
    _request = Signal(object, str, object, bool)

    def __init__(self, rewriter_factory, parent=None):
        super().__init__(parent)
        self._latest = None
        self._thread = QThread()
        self._thread.setObjectName("captag-llm")
        self._worker = _LlmWorker(rewriter_factory)
        self._worker.moveToThread(self._thread)
        self._request.connect(self._worker.rewrite)
        self._worker.done.connect(self._on_done)
        self._thread.start()

    def request(self, key, caption: str, hashtags: list[str], emoji: bool) -> None:
        self._latest = key
        self._request.emit(key, caption, tuple(hashtags), emoji)

    def _on_done(self, key, result: SocialText) -> None:
        if key == self._latest:
            self.finished.emit(key, result)

    def shutdown(self) -> None:
        self._thread.quit()
        self._thread.wait(30000)


def installed_engine(parent=None) -> SocialEngine | None:
    """A SocialEngine when the optional LLM and its runtime are installed, else None."""
    from captag_desktop.core.models import ModelError, ModelStore
    from captag_desktop.core.social_llm import llm_installed, load_rewriter

    try:
        store = ModelStore()
    except ModelError:
        return None
    return SocialEngine(lambda: load_rewriter(store), parent) if llm_installed(store) else None
