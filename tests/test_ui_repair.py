"""Mask painting, undo/redo, repair in the worker, compare and save, offscreen."""
import numpy as np
import pytest

pytest.importorskip("PySide6")
from PIL import Image  # noqa: E402
from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402

from captag_desktop.core.masks import save_mask  # noqa: E402
from captag_desktop.ui.main_window import MainWindow  # noqa: E402
from captag_desktop.ui.worker import JobRunner  # noqa: E402
from tests.test_ui import SlowFakePipeline  # noqa: E402


@pytest.fixture
def win(qtbot, tmp_path, photo):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings.setValue("repair/method", "telea")
    w = MainWindow(runner=JobRunner(pipeline_factory=SlowFakePipeline), settings=settings)
    SlowFakePipeline.delay = 0.01
    qtbot.addWidget(w)
    w.resize(900, 600)
    w.show()
    with qtbot.waitSignal(w.runner.finished, timeout=10000):
        w.open_paths([str(photo)])
    yield w
    w.close()


def paint(qtbot, win, start, end):
    vp = win.canvas.viewport()
    a, b = (win.canvas.mapFromScene(*p) for p in (start, end))
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=a)
    for t in np.linspace(0, 1, 6):
        qtbot.mouseMove(vp, QPoint(int(a.x() + (b.x() - a.x()) * t), int(a.y() + (b.y() - a.y()) * t)))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=b)


def test_brush_undo_redo_and_eraser(qtbot, win):
    win.repair.brush_action.trigger()
    win.canvas.set_brush_size(12)
    paint(qtbot, win, (20, 90), (200, 90))
    painted = win.canvas.mask().copy()
    assert painted.max() == 255 and set(np.unique(painted)) <= {0, 255}
    assert 0 < (painted > 0).mean() < 0.3
    win.repair.eraser_action.trigger()
    paint(qtbot, win, (100, 90), (100, 90))
    assert (win.canvas.mask() > 0).sum() < (painted > 0).sum()
    win.repair.undo_action.trigger()
    assert (win.canvas.mask() == painted).all()
    win.repair.undo_action.trigger()
    assert not win.canvas.mask().any()
    win.repair.redo_action.trigger()
    assert (win.canvas.mask() == painted).all()
    win.repair.clear_action.trigger()
    assert not win.canvas.mask().any()
    win.repair.undo_action.trigger()
    assert (win.canvas.mask() == painted).all()


def test_brush_size_keys(qtbot, win):
    win.canvas.set_brush_size(20)
    qtbot.keyClick(win, Qt.Key.Key_BracketRight)
    assert win.canvas.brush_size == 25
    qtbot.keyClick(win, Qt.Key.Key_BracketLeft)
    assert win.canvas.brush_size == 20


def test_repair_changes_only_masked_pixels_and_saves_copy(qtbot, win, photo, tmp_path):
    mask = np.zeros(win.canvas.image.shape[:2], np.uint8)
    mask[80:100, 100:140] = 255
    win.repair.set_mask(mask, "test")
    original = win.canvas.image.copy()
    with qtbot.waitSignal(win.runner.finished, timeout=20000):
        win.repair.repair_action.trigger()
    repaired = win.canvas.repaired
    assert repaired is not None
    assert (repaired[mask == 0] == original[mask == 0]).all()
    assert (repaired[mask > 0] != original[mask > 0]).any()
    # hold Space shows the original; the compare slider moves the split
    qtbot.keyPress(win, Qt.Key.Key_Space)
    assert win.canvas.showing_original
    qtbot.keyRelease(win, Qt.Key.Key_Space)
    assert not win.canvas.showing_original
    assert win.canvas.split == pytest.approx(0.5)
    before = photo.read_bytes()
    assert not win.repair.save_to(str(photo)), "must refuse to overwrite the original"
    assert photo.read_bytes() == before
    out = tmp_path / "fixed.png"
    assert win.repair.save_to(str(out))
    assert np.asarray(Image.open(out)).shape == repaired.shape


def test_import_and_export_mask(qtbot, win, tmp_path):
    h, w = win.canvas.image.shape[:2]
    m = np.zeros((h, w), np.uint8)
    m[5:10, 5:10] = 255
    save_mask(m, tmp_path / "m.png")
    assert win.repair.import_mask_from(str(tmp_path / "m.png"))
    assert (win.canvas.mask() == m).all()
    assert "Imported the mask" in win.statusBar().currentMessage()
    save_mask(255 - m, tmp_path / "inverted.png")
    assert win.repair.import_mask_from(str(tmp_path / "inverted.png"))
    assert "If it is inverted" in win.statusBar().currentMessage()
    save_mask(np.zeros((3, 3), np.uint8), tmp_path / "small.png")
    assert not win.repair.import_mask_from(str(tmp_path / "small.png"))
    assert "but the photo is" in win.statusBar().currentMessage()


def test_repair_without_mask_explains(qtbot, win):
    win.repair.repair_action.trigger()
    assert "Paint over the damage" in win.statusBar().currentMessage()


def test_detect_damage_proposes_an_undoable_mask(qtbot, win):
    """Runs the bundled detector on a photo with a bright scratch drawn across it."""
    rgb = win.canvas.image.copy()
    rgb[88:91, 20:220] = 250
    win.canvas.set_image(rgb)
    with qtbot.waitSignal(win.runner.finished, timeout=30000):
        win.repair.detect_action.trigger()
    proposed = win.canvas.mask()
    assert proposed[88:91, 40:200].mean() > 100, "the scratch should be flagged"
    assert (proposed > 0).mean() < 0.2
    win.repair.undo_action.trigger()
    assert not win.canvas.mask().any()


def test_unsaved_mask_survives_a_crash(qtbot, tmp_path, photo):
    from PySide6.QtCore import QSettings

    from captag_desktop.ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings, autosave_dir=tmp_path / "auto")
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.runner.finished, timeout=60000):
        win.open_paths([str(photo)])
    mask = np.zeros(win.canvas.image.shape[:2], np.uint8)
    mask[10:30, 5:50] = 255
    win.repair.set_mask(mask, "Brush")
    assert win.recovery.autosave() and not win.recovery.autosave()  # only when something changed
    win.runner.shutdown()  # "crash": no closeEvent, so the autosave stays

    again = MainWindow(settings=settings, autosave_dir=tmp_path / "auto")
    qtbot.addWidget(again)
    questions = []
    with qtbot.waitSignal(again.runner.image_loaded, timeout=60000):
        assert again.recovery.offer(ask=lambda text: questions.append(text) or True)
    assert "photo" in questions[0] or photo.name in questions[0]
    assert np.array_equal(again.canvas.mask(), mask)
    again.close()  # a normal close: nothing is offered next time
    third = MainWindow(settings=settings, autosave_dir=tmp_path / "auto")
    qtbot.addWidget(third)
    assert not third.recovery.offer(ask=lambda text: True)
    third.close()


@pytest.mark.parametrize("bundled", [False, True])
def test_trained_model_offered_only_when_installed(qtbot, tmp_path, monkeypatch, bundled):
    import json

    import hashlib

    (tmp_path / "inpaint.onnx").write_bytes(b"x")
    entry = {"name": "inpaint", "task": "inpainting", "file": "inpaint.onnx", "size": 1,
             "sha256": hashlib.sha256(b"x").hexdigest() if bundled else "0" * 64}  # listed but damaged when not bundled
    (tmp_path / "manifest.json").write_text(json.dumps({"models": [entry]}))
    monkeypatch.setenv("CAPTAG_MODELS_DIR", str(tmp_path))
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings.setValue("repair/method", "model")
    w = MainWindow(runner=JobRunner(pipeline_factory=SlowFakePipeline), settings=settings)
    qtbot.addWidget(w)
    combo = w.repair.method
    item = combo.model().item(combo.findData("model"))
    assert item.isEnabled() == bundled
    assert combo.currentData() == ("model" if bundled else "auto")
    w.close()


def test_a_repair_is_one_undo_step_and_undoing_it_recaptions_the_original(qtbot, win):
    mask = np.zeros(win.canvas.image.shape[:2], np.uint8)
    mask[80:100, 100:140] = 255
    win.repair.set_mask(mask, "test")
    with qtbot.waitSignal(win.runner.finished, timeout=20000):  # the repair; then its re-caption
        win.repair.repair_action.trigger()
    qtbot.waitUntil(lambda: not win.cancel_button.isVisible(), timeout=10000)
    repaired = win.canvas.repaired
    assert repaired is not None and win.repair.undo.undoText() == "Repair"
    with qtbot.waitSignal(win.runner.finished, timeout=10000):
        win.repair.undo_action.trigger()
    assert win.canvas.repaired is None and (win.canvas.mask() == mask).all()
    assert win.results.field("en").text() == f"mean {int(win.canvas.image.mean())}"  # the original's caption
    with qtbot.waitSignal(win.runner.finished, timeout=10000):
        win.repair.redo_action.trigger()
    assert win.canvas.repaired is repaired
    assert win.results.field("en").text() == f"mean {int(repaired.mean())}"
