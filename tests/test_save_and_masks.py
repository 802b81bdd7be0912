import numpy as np
import pytest
from PIL import Image, ImageCms

from captag_desktop.core.masks import MaskError, load_mask, normalize_mask, save_mask
from captag_desktop.core.save_image import SaveError, save_image


def test_mask_convention_roundtrip(tmp_path):
    m = np.zeros((5, 7), np.uint8)
    m[1:3, 2:4] = 255
    save_mask(m, tmp_path / "m.png")
    back = load_mask(tmp_path / "m.png", (5, 7, 3))
    assert back.dtype == np.uint8 and set(np.unique(back)) == {0, 255}
    assert (back == m).all()


@pytest.mark.parametrize("raw", [np.array([[0, 1]], bool), np.array([[0, 1]], np.uint8), np.array([[10, 200]], np.uint8)])
def test_normalize_mask_means_255_is_fill(raw):
    assert normalize_mask(raw).tolist() == [[0, 255]]


def test_a_two_level_mask_marks_its_bright_level_and_soft_edges_the_brighter_half():
    assert normalize_mask(np.array([[0, 100, 100]], np.uint8)).tolist() == [[0, 255, 255]]
    assert normalize_mask(np.array([[0, 100, 200]], np.uint8)).tolist() == [[0, 0, 255]]


def test_mask_size_mismatch_is_explained(tmp_path):
    save_mask(np.zeros((4, 4), np.uint8), tmp_path / "m.png")
    with pytest.raises(MaskError, match="4x4 but the photo is 8x6"):
        load_mask(tmp_path / "m.png", (6, 8))


def test_save_keeps_exif_and_icc_and_refuses_original(tmp_path):
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif[0x0112] = 6
    src = tmp_path / "orig.jpg"
    Image.new("RGB", (8, 8)).save(src, exif=exif.tobytes(), icc_profile=icc)
    before = src.read_bytes()
    rgb = np.full((8, 8, 3), 100, np.uint8)
    with pytest.raises(SaveError, match="original"):
        save_image(rgb, src, original=src, exif=exif.tobytes(), icc_profile=icc)
    assert src.read_bytes() == before
    out = save_image(rgb, tmp_path / "fixed.jpg", original=src, exif=exif.tobytes(), icc_profile=icc)
    with Image.open(out) as img:
        assert img.info.get("icc_profile") == icc
        assert img.getexif()[0x010F] == "TestCam"
        assert img.getexif()[0x0112] == 1
    assert not list(tmp_path.glob("*.tmp"))


def test_save_rejects_unknown_type(tmp_path):
    with pytest.raises(SaveError, match="unsupported"):
        save_image(np.zeros((2, 2, 3), np.uint8), tmp_path / "x.gifx")


def test_atomic_writes_get_normal_file_permissions(tmp_path):
    import os

    save_image(np.zeros((4, 4, 3), np.uint8), tmp_path / "out.png")
    save_mask(np.zeros((4, 4), np.uint8), tmp_path / "m.png")
    umask = os.umask(0)
    os.umask(umask)
    for name in ("out.png", "m.png"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask
