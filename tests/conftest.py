import io
import os

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def photo(tmp_path):
    """A small real-looking JPEG (smooth gradients plus a disc) on disk."""
    h, w = 180, 240
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([xx * 255 // w, yy * 255 // h, np.full_like(xx, 90)], -1).astype(np.uint8)
    rgb[(yy - 90) ** 2 + (xx - 120) ** 2 < 40 ** 2] = (200, 40, 40)
    path = tmp_path / "photo.jpg"
    Image.fromarray(rgb).save(path, quality=92)
    return path


@pytest.fixture
def bad_files(tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    text = tmp_path / "notes.jpg"
    text.write_text("this is not a photo\n")
    buf = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(buf, "JPEG")
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 3])
    return {"missing": tmp_path / "nope.jpg", "empty": empty, "text": text, "truncated": truncated}


@pytest.fixture(autouse=True)
def _private_autosave(tmp_path, monkeypatch):
    """Windows under test autosave into the test's own folder, never the user's."""
    monkeypatch.setenv("CAPTAG_AUTOSAVE_DIR", str(tmp_path / "autosave"))
