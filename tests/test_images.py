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


def test_only_an_rgb_icc_profile_is_kept_since_the_pixels_become_rgb(tmp_path):
    from PIL import ImageCms

    from captag_desktop.core.images import load_image, rgb_profile

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    assert rgb_profile(srgb) == srgb
    cmyk_header = srgb[:16] + b"CMYK" + srgb[20:]
    assert rgb_profile(cmyk_header) is None and rgb_profile(None) is None and rgb_profile(b"short") is None
    Image.new("CMYK", (8, 8), (0, 50, 100, 0)).save(tmp_path / "c.jpg", icc_profile=cmyk_header)
    loaded = load_image(tmp_path / "c.jpg")
    assert loaded.rgb.shape == (8, 8, 3) and loaded.icc_profile is None
    Image.new("RGB", (8, 8)).save(tmp_path / "r.jpg", icc_profile=srgb)
    assert load_image(tmp_path / "r.jpg").icc_profile == srgb
