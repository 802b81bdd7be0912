"""Runs the optional Social LLM off the GUI thread. It has its own thread so a rewrite never
cancels captioning. Requests are keyed: the worker skips any request that is no longer the
newest before starting it, so typing or scrolling through photos never builds a backlog, and
closing the window waits for one rewrite at most."""
from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QThread, Signal, Slot

from captag_desktop.core.social_llm import SocialText, social_text


class _Wanted:
    """The newest request's key, shared by the GUI thread (writer) and the worker (reader)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._key, self.stopped = None, False

    def set(self, key) -> None:
        with self._lock:
            self._key = key

    def is_current(self, key) -> bool:
        with self._lock:
            return not self.stopped and key == self._key

    def stop(self) -> None:
        with self._lock:
            self.stopped = True


class _LlmWorker(QObject):
    done = Signal(object, object)  # key, SocialText

    def __init__(self, rewriter_factory, wanted: _Wanted):
        super().__init__()
        self._factory = rewriter_factory
        self._wanted = wanted
        self._rewriter = None

    @Slot(object, str, object, bool)
    def rewrite(self, key, caption: str, hashtags, emoji: bool) -> None:
        if not self._wanted.is_current(key):
            return  # superseded while queued
        if self._rewriter is None:
            try:
                self._rewriter = self._factory()  # loads once (about half a second)
            except Exception as exc:  # a broken add-on must never take the app down; retried next time
                template = social_text(caption, list(hashtags), None, emoji).text
                self.done.emit(key, SocialText(template, "template", f"the LLM could not be loaded ({exc})", retry=True))
                return
        self.done.emit(key, social_text(caption, list(hashtags), self._rewriter, emoji))


class SocialEngine(QObject):
    finished = Signal(object, object)  # key, SocialText (newest request only)
    _request = Signal(object, str, object, bool)

    def __init__(self, rewriter_factory, parent=None):
        super().__init__(parent)
        self._wanted = _Wanted()
        self._thread = QThread()
        self._thread.setObjectName("captag-llm")
        self._worker = _LlmWorker(rewriter_factory, self._wanted)
        self._worker.moveToThread(self._thread)
        self._request.connect(self._worker.rewrite)
        self._worker.done.connect(self._on_done)
        self._thread.start()

    def request(self, key, caption: str, hashtags: list[str], emoji: bool) -> None:
        self._wanted.set(key)
        self._request.emit(key, caption, tuple(hashtags), emoji)

    def _on_done(self, key, result: SocialText) -> None:
        if self._wanted.is_current(key):
            self.finished.emit(key, result)

    def shutdown(self) -> None:
        """Queued requests are skipped; a rewrite already running (under a second) is waited for,
        since destroying a running QThread would abort the app."""
        self._wanted.stop()
        self._thread.quit()
        self._thread.wait()


def installed_engine(parent=None) -> SocialEngine | None:
    """A SocialEngine when the optional LLM and its runtime are installed, else None."""
    from captag_desktop.core.models import optional_store
    from captag_desktop.core.social_llm import llm_installed, load_rewriter

    store = optional_store()
    if store is None or not llm_installed(store):
        return None
    return SocialEngine(lambda: load_rewriter(store), parent)
