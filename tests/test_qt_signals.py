"""The Qt binding itself: PySide6 6.12.0 dropped a reference to True on every Signal.emit() from Python,
so after a few thousand emits (a few hundred photos) the app aborted with "Fatal Python error:
bool_dealloc". pyproject.toml keeps it out; this catches a release with the same fault."""
import sys

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QObject, Signal  # noqa: E402


class _Emitter(QObject):
    bare = Signal()
    number = Signal(int)


def test_emitting_a_signal_keeps_the_reference_counts_of_true_and_false():
    emitter = _Emitter()
    seen = []
    emitter.number.connect(seen.append)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for i in range(500):
        emitter.bare.emit()
        emitter.number.emit(i)
    after = sys.getrefcount(True), sys.getrefcount(False)
    assert len(seen) == 500
    assert after[0] >= before[0] - 10 and after[1] >= before[1] - 10, (before, after)
