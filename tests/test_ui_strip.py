"""The photo strip lists a folder at once and reads thumbnails in the background."""
import threading

import numpy as np
import pytest

pytest.importorskip("PySide6")
from PySide6.QtGui import QImage  # noqa: E402

from captag_desktop.ui import photo_strip  # noqa: E402
from captag_desktop.ui.photo_strip import PhotoStrip  # noqa: E402


def save_photos(folder, n):
    from PIL import Image

    paths = []
    for i in range(n):
        path = folder / f"p{i}.png"
        Image.fromarray(np.full((30, 40, 3), 40 * i, np.uint8)).save(path)
        paths.append(str(path))
    return paths


def gate_reads(monkeypatch, module, name, blocks=lambda path: True):
    """Replace module.name (a reader) by one that waits for the returned event when blocks(path): a huge
    photo whose decoding takes as long as the test says. Returns (event, [(thread, path) read])."""
    gate, reads = threading.Event(), []
    real = getattr(module, name)

    def gated(path):
        reads.append((threading.current_thread(), path))
        if blocks(path):
            gate.wait(10)
        return real(path)

    monkeypatch.setattr(module, name, gated)
    return gate, reads


def test_listing_does_not_wait_for_thumbnails(qtbot, tmp_path, monkeypatch):
    release, reads = gate_reads(monkeypatch, photo_strip, "read_thumbnail")
    strip = PhotoStrip()
    qtbot.addWidget(strip)
    paths = save_photos(tmp_path, 3)
    strip.set_photos(paths)  # returns while the reader is still blocked
    assert strip.paths() == paths and "waiting" in strip.item(0).text()
    assert all(strip.item(i).icon().isNull() for i in range(3))
    release.set()
    qtbot.waitUntil(lambda: not any(strip.item(i).icon().isNull() for i in range(3)), timeout=5000)
    assert reads and threading.main_thread() not in [thread for thread, _path in reads]


def test_a_new_folder_drops_the_last_ones_thumbnails(qtbot, tmp_path, monkeypatch):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    gate, reads = gate_reads(monkeypatch, photo_strip, "read_thumbnail", lambda path: "/a/" in path)
    strip = PhotoStrip()
    qtbot.addWidget(strip)
    old = save_photos(first, 3)
    strip.set_photos(old)
    qtbot.waitUntil(lambda: len(reads) == 1)
    new = save_photos(second, 2)
    strip.set_photos(new)
    gate.set()
    assert strip.wait_for_thumbnails(5)
    qtbot.waitUntil(lambda: not any(strip.item(i).icon().isNull() for i in range(2)), timeout=5000)
    read = [path for _thread, path in reads]
    assert old[1] not in read and old[2] not in read  # stopped after the photo it was reading
    assert strip.paths() == new


def test_unreadable_photo_keeps_an_empty_icon(qtbot, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_text("not a photo")
    assert photo_strip.read_thumbnail(str(bad)).isNull()
    good = save_photos(tmp_path, 1)[0]
    image = photo_strip.read_thumbnail(good)
    assert isinstance(image, QImage) and max(image.width(), image.height()) == photo_strip.THUMB


def test_switching_to_a_large_batch_photo_decodes_it_off_the_gui_thread(qtbot, tmp_path, monkeypatch):

    from captag_desktop.ui import photo_loader
    from test_ui_edits import tagging_window

    monkeypatch.setattr(photo_loader, "SMALL_PIXELS", 100)  # every test photo counts as large
    release, reads = gate_reads(monkeypatch, photo_loader, "load_image")
    win = tagging_window(qtbot, tmp_path)
    paths = save_photos(tmp_path, 2)
    release.set()
    with qtbot.waitSignal(win.runner.finished, timeout=10000):
        win.start_batch(paths)
    qtbot.waitUntil(win.canvas.has_image, timeout=5000)
    mask = np.zeros((30, 40), np.uint8)
    mask[5:10, 5:20] = 255
    win.repair.set_mask(mask, "stroke")
    release.clear()
    win.show_photo(paths[1])  # returns while the decode is blocked
    assert not win.canvas.has_image() and win.current_path == paths[1]
    assert win.results.field("en").text() == "mean 40"  # the results do not wait for the pixels
    release.set()
    qtbot.waitUntil(win.canvas.has_image, timeout=5000)
    assert threading.main_thread() not in [thread for thread, _path in reads]
    win.show_photo(paths[0])  # decoded before: no wait, and its mask is back
    assert win.canvas.has_image() and np.array_equal(win.canvas.mask(), mask)
    win.close()
