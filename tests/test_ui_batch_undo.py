"""Each photo of a batch keeps its own undo history: switching away and back keeps every stroke as its own
step, Undo and Redo act on the photo on screen, and opening photos afresh drops the histories."""
import numpy as np
import pytest

pytest.importorskip("PySide6")

from test_ui_edits import batch_of, win  # noqa: E402,F401 (win: the tagging window fixture, shared)


def run_batch(qtbot, win, paths):  # noqa: F811
    with qtbot.waitSignal(win.runner.finished, timeout=10000):
        win.start_batch(paths)
    return paths


def stroke(win, rows):  # noqa: F811
    """A mask edit on the photo on screen: the mask so far plus `rows` (as a brush stroke adds)."""
    mask = win.canvas.mask().copy()
    mask[rows, 2:20] = 255
    win.repair.set_mask(mask, "Paint")
    return mask


def test_each_photo_keeps_its_own_strokes_as_steps(qtbot, win, tmp_path):  # noqa: F811
    paths = run_batch(qtbot, win, batch_of(tmp_path, 3))
    win.show_photo(paths[0])
    first = stroke(win, slice(2, 4))
    both = stroke(win, slice(8, 10))
    win.show_photo(paths[1])
    assert not win.canvas.mask().any() and not win.repair.undo_action.isEnabled(), "nothing to undo here"
    other = stroke(win, slice(14, 16))
    win.show_photo(paths[0])
    assert np.array_equal(win.canvas.mask(), both) and win.repair.undo.count() == 2
    assert win.repair.undo_action.text() == "Undo Paint"
    win.repair.undo_action.trigger()
    assert np.array_equal(win.canvas.mask(), first), "one Ctrl+Z takes back one stroke, not the whole mask"
    win.show_photo(paths[1])
    assert np.array_equal(win.canvas.mask(), other) and win.repair.undo.count() == 1
    win.show_photo(paths[0])
    assert np.array_equal(win.canvas.mask(), first), "the undone state is what comes back"
    win.repair.redo_action.trigger()
    assert np.array_equal(win.canvas.mask(), both)
    assert win.recovery.autosave(), "an undo or redo on a photo shown again is autosaved like any edit"


def test_opening_photos_afresh_drops_every_history(qtbot, win, tmp_path):  # noqa: F811
    paths = run_batch(qtbot, win, batch_of(tmp_path, 2))
    win.show_photo(paths[0])
    stroke(win, slice(2, 4))
    run_batch(qtbot, win, paths)
    win.show_photo(paths[0])
    assert not win.canvas.mask().any() and win.repair.undo.count() == 0
    assert not win.repair.undo_action.isEnabled() and win.repair.undo_action.text() == "Undo"


def test_a_photo_whose_history_was_dropped_gets_its_mask_back_as_one_step(qtbot, win, tmp_path, monkeypatch):  # noqa: F811
    from captag_desktop.ui import repair_tools

    monkeypatch.setattr(repair_tools, "HISTORIES_KEPT", 2)  # the photo on screen and one more
    paths = run_batch(qtbot, win, batch_of(tmp_path, 3))
    win.show_photo(paths[0])
    stroke(win, slice(2, 4))
    mask = stroke(win, slice(8, 10))
    win.show_photo(paths[1])
    win.show_photo(paths[2])  # the first photo's history is the oldest: dropped
    win.show_photo(paths[0])
    assert np.array_equal(win.canvas.mask(), mask) and win.repair.undo.count() == 1
    assert win.repair.undo.undoText() == "Restore mask"
    win.repair.undo_action.trigger()
    assert not win.canvas.mask().any()


def test_a_repair_that_finished_elsewhere_is_an_undo_step_of_its_photo(qtbot, win, tmp_path):  # noqa: F811
    from captag_desktop.ui.worker import RepairDone

    paths = run_batch(qtbot, win, batch_of(tmp_path, 2))
    win.show_photo(paths[0])
    mask = stroke(win, slice(2, 4))
    repaired = 255 - win.canvas.image  # stands in for the worker's repaired pixels
    win._job_photo = paths[0]
    win.show_photo(paths[1])  # the creator moved on while the repair ran
    with qtbot.waitSignal(win.runner.finished, timeout=10000):  # the repaired photo is captioned next
        win._on_finished(RepairDone(image=repaired, method="telea", ms=1.0))
    assert not win.repair.undo_action.isEnabled(), "the photo on screen has nothing to undo"
    win.show_photo(paths[0])
    assert np.array_equal(win.canvas.repaired, repaired) and np.array_equal(win.canvas.mask(), mask)
    assert win.repair.undo_action.text() == "Undo Repair"
    with qtbot.waitSignal(win.runner.finished, timeout=10000):  # undoing a repair re-captions the photo
        win.repair.undo_action.trigger()
    assert win.canvas.repaired is None and np.array_equal(win.canvas.mask(), mask)
    assert win.repair.undo_action.text() == "Undo Paint"
