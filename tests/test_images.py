import numpy as np
import pytest
from PIL import Image

from captag_desktop.core.images import ImageLoadError, load_image


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "CMYK", "I;16", "I", "F", "1"])
def test_every_mode_becomes_rgb_uint8(tmp_path, mode):
    img = Image.new("RGB", (40, 30), (10, 120, 240)).convert(mode)
    ext = "tiff" if mode in ("CMYK", "I;16", "I", "F") else "png"
    path = tmp_path / f"x.{ext}"
    img.save(path)
    loaded = load_image(path)
    assert loaded.rgb.dtype == np.uint8 and loaded.rgb.shape == (30, 40, 3)


def test_transparent_pixels_become_white(tmp_path):
    img = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    img.save(tmp_path / "t.png")
    assert (load_image(tmp_path / "t.png").rgb == 255).all()


def test_sixteen_bit_keeps_contrast(tmp_path):
    arr = np.linspace(0, 65535, 64 * 64).reshape(64, 64).astype(np.uint16)
    Image.fromarray(arr).save(tmp_path / "g16.png")
    rgb = load_image(tmp_path / "g16.png").rgb
    assert rgb.max() >= 250 and rgb.min() <= 5


def test_exif_orientation_is_applied(tmp_path):
    img = Image.new("RGB", (60, 20), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when displayed
    img.save(tmp_path / "o.jpg", exif=exif)
    loaded = load_image(tmp_path / "o.jpg")
    assert loaded.rgb.shape[:2] == (60, 20)
    assert loaded.exif is not None


@pytest.mark.parametrize("kind, words", [("missing", "not found"), ("empty", "empty"),
                                          ("text", "not a supported image"), ("truncated", "damaged or truncated")])
def test_bad_input_gives_clear_message(bad_files, kind, words):
    with pytest.raises(ImageLoadError, match=words):
        load_image(bad_files[kind])


def test_folder_is_rejected(tmp_path):
    with pytest.raises(ImageLoadError, match="folder"):
        load_image(tmp_path)
