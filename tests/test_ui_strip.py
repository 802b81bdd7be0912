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


def test_listing_does_not_wait_for_thumbnails(qtbot, tmp_path, monkeypatch):
    release = threading.Event()
    readers = []
    real = photo_strip.read_thumbnail

    def slow_read(path):  # a huge PNG: decoding takes as long as the test says
        readers.append(threading.current_thread())
        release.wait(10)
        return real(path)

    monkeypatch.setattr(photo_strip, "read_thumbnail", slow_read)
    strip = PhotoStrip()
    qtbot.addWidget(strip)
    paths = save_photos(tmp_path, 3)
    strip.set_photos(paths)  # returns while the reader is still blocked
    assert strip.paths() == paths and "waiting" in strip.item(0).text()
    assert all(strip.item(i).icon().isNull() for i in range(3))
    release.set()
    qtbot.waitUntil(lambda: not any(strip.item(i).icon().isNull() for i in range(3)), timeout=5000)
    assert readers and threading.main_thread() not in readers


def test_a_new_folder_drops_the_last_ones_thumbnails(qtbot, tmp_path, monkeypatch):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    gate, read = threading.Event(), []
    real = photo_strip.read_thumbnail

    def gated(path):
        read.append(path)
        if "/a/" in path:
            gate.wait(10)
        return real(path)

    monkeypatch.setattr(photo_strip, "read_thumbnail", gated)
    strip = PhotoStrip()
    qtbot.addWidget(strip)
    old = save_photos(first, 3)
    strip.set_photos(old)
    qtbot.waitUntil(lambda: len(read) == 1)
    new = save_photos(second, 2)
    strip.set_photos(new)
    gate.set()
    assert strip.wait_for_thumbnails(5)
    qtbot.waitUntil(lambda: not any(strip.item(i).icon().isNull() for i in range(2)), timeout=5000)
    assert old[1] not in read and old[2] not in read  # stopped after the photo it was reading
    assert strip.paths() == new


def test_unreadable_photo_keeps_an_empty_icon(qtbot, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_text("not a photo")
    assert photo_strip.read_thumbnail(str(bad)).isNull()
    good = save_photos(tmp_path, 1)[0]
    image = photo_strip.read_thumbnail(good)
    assert isinstance(image, QImage) and max(image.width(), image.height()) == photo_strip.THUMB
