"""What leaves the window: exports and sidecars cover the photos open now, sidecars of photos that share a
name are both written, and the caption boxes let keyboard users Tab on."""
import numpy as np
import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from test_ui_edits import TaggingPipeline, open_and_wait, tagging_window  # noqa: E402


@pytest.fixture
def win(qtbot, tmp_path):
    w = tagging_window(qtbot, tmp_path)
    yield w
    w.close()


def folder_of(folder, names):
    from PIL import Image

    folder.mkdir()
    for i, name in enumerate(names):
        Image.fromarray(np.full((24, 24, 3), 30 * i + 20, np.uint8)).save(folder / name)
    return [str(folder / n) for n in names]


def run_batch(qtbot, win, folder):
    with qtbot.waitSignal(win.runner.finished, timeout=10000):
        win.open_paths([str(folder)])


def test_export_and_sidecars_cover_the_open_folder_only(qtbot, win, tmp_path):
    first = folder_of(tmp_path / "first", ["a.png", "b.png"])
    run_batch(qtbot, win, tmp_path / "first")
    second = folder_of(tmp_path / "second", ["c.png", "d.png"])
    run_batch(qtbot, win, tmp_path / "second")
    assert set(win.published_results()) == set(second)
    written = win.publishing.write_sidecars()
    assert sorted(p.name for p in written) == ["c.xmp", "d.xmp"]
    assert not any((tmp_path / "first" / f"{n}.xmp").exists() for n in "ab"), first


def test_photos_sharing_a_name_each_get_a_sidecar(qtbot, win, tmp_path):
    folder_of(tmp_path / "shoot", ["x.jpg", "x.png", "y.png"])
    run_batch(qtbot, win, tmp_path / "shoot")
    written = win.publishing.write_sidecars()
    assert sorted(p.name for p in written) == ["x.jpg.xmp", "x.png.xmp", "y.xmp"]
    assert "kept" not in win.statusBar().currentMessage()
    assert win.publishing.write_sidecars() == [] and "kept 3 that already existed" in win.statusBar().currentMessage()


def test_tab_moves_on_from_a_caption_box_instead_of_typing_a_tab(qtbot, win, photo):
    open_and_wait(qtbot, win, photo)
    for box in (win.results.field("en").edit, win.results.composer.preview):
        before = box.toPlainText()
        QTest.keyClick(box, Qt.Key.Key_Tab)
        assert box.toPlainText() == before and "\t" not in box.toPlainText()


def test_cancel_says_cancelling_until_the_job_stops(qtbot, win, tmp_path):
    from test_ui_edits import batch_of

    TaggingPipeline.delay = 0.3
    with qtbot.waitSignal(win.runner.item_done, timeout=10000):
        win.start_batch(batch_of(tmp_path, 4))
    with qtbot.waitSignal(win.runner.cancelled, timeout=10000):
        win.cancel()
        assert win.statusBar().currentMessage() == "Cancelling…" and not win.cancel_button.isEnabled()
    assert win.cancel_button.isHidden()
    win.start_batch(batch_of(tmp_path, 2))
    assert win.cancel_button.isEnabled()


def test_copies_are_offered_in_a_type_captag_writes(tmp_path):
    from captag_desktop.ui.file_dialogs import copy_name

    assert copy_name(str(tmp_path / "x.gif"), "repaired") == str(tmp_path / "x-repaired.png")
    assert copy_name(str(tmp_path / "x.JPG"), "captag", "/out") == "/out/x-captag.JPG"


def test_a_tiny_photo_is_captioned_with_a_warning(qtbot, win, tmp_path):
    from PIL import Image

    tiny = tmp_path / "dot.png"
    Image.fromarray(np.full((1, 1, 3), 90, np.uint8)).save(tiny)
    open_and_wait(qtbot, win, tiny)
    assert "only 1×1 pixels" in win.statusBar().currentMessage()


def test_an_animated_photo_is_captioned_with_a_note(qtbot, win, tmp_path):
    from PIL import Image

    frames = [Image.fromarray(np.full((40, 40, 3), v, np.uint8)) for v in (30, 200, 120)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    open_and_wait(qtbot, win, tmp_path / "anim.gif")
    assert "animated (3 frames)" in win.statusBar().currentMessage()
