"""Exports (JSON, CSV) and caption metadata (XMP in a copy or a sidecar, EXIF ImageDescription)."""
import csv
import hashlib
import json

import numpy as np
import pytest
from PIL import Image

from captag_desktop.core.export import export_results
from captag_desktop.core.metadata import build_xmp, sidecar_path, write_sidecar
from captag_desktop.core.pipeline import PhotoResult
from captag_desktop.core.save_image import save_image

RESULTS = [
    PhotoResult("a.jpg", captions={"en": "A dog runs", "ar": "كلب يجري", "hi": "एक कुत्ता दौड़ रहा है"},
                hashtags={"en": ["#dog", "#run"], "hi": ["#कुत्ता"]}),
    PhotoResult("b.jpg", error="the file is empty (0 bytes)"),
]


def test_json_export_has_every_language_and_errors(tmp_path):
    out = export_results(RESULTS, tmp_path / "r.json")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data[0]["captions"]["ar"] == "كلب يجري" and data[0]["hashtags"]["hi"] == ["#कुत्ता"]
    assert data[1] == {"image": "b.jpg", "error": "the file is empty (0 bytes)"}


def test_csv_export_one_row_per_language(tmp_path):
    out = export_results(RESULTS, tmp_path / "r.csv", langs=["en", "hi"])
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert [(r["image"], r["language"]) for r in rows] == [("a.jpg", "en"), ("a.jpg", "hi"), ("b.jpg", "")]
    assert rows[0]["hashtags"] == "#dog #run" and rows[2]["error"].startswith("the file is empty")


def test_export_rejects_unknown_extension(tmp_path):
    with pytest.raises(ValueError, match=".json or .csv"):
        export_results(RESULTS, tmp_path / "r.txt")


def test_xmp_holds_descriptions_alt_text_and_keywords():
    xmp = build_xmp({"en": "A dog & a ball", "ar": "كلب"}, {"en": ["#dog", "#ball"]})
    assert '<rdf:li xml:lang="x-default">A dog &amp; a ball</rdf:li>' in xmp
    assert '<rdf:li xml:lang="ar">كلب</rdf:li>' in xmp
    assert "AltTextAccessibility" in xmp and "<rdf:li>dog</rdf:li>" in xmp


def test_saved_copy_carries_the_caption_and_the_original_is_untouched(tmp_path):
    original = tmp_path / "photo.jpg"
    Image.fromarray(np.full((40, 60, 3), 120, np.uint8)).save(original)
    before = hashlib.sha256(original.read_bytes()).hexdigest()
    copy = save_image(np.full((40, 60, 3), 90, np.uint8), tmp_path / "photo-captioned.jpg", original,
                      description="A dog runs", xmp=build_xmp({"en": "A dog runs", "hi": "कुत्ता"}))
    with Image.open(copy) as im:
        assert im.getexif()[0x010E] == "A dog runs"
        assert "कुत्ता" in im.info["xmp"].decode("utf-8")
    assert hashlib.sha256(original.read_bytes()).hexdigest() == before


def test_sidecar_is_a_new_file_next_to_the_photo(tmp_path):
    photo = tmp_path / "holiday.jpg"
    photo.write_bytes(b"not touched")
    path = write_sidecar(photo, build_xmp({"en": "A beach"}))
    assert path == sidecar_path(photo) == tmp_path / "holiday.xmp"
    assert "A beach" in path.read_text(encoding="utf-8") and photo.read_bytes() == b"not touched"


def saved_xmp(path) -> str:
    with Image.open(path) as im:
        packet = im.tag_v2.get(700) if im.format == "TIFF" else im.info.get("xmp")
    return packet.decode("utf-8") if isinstance(packet, bytes) else (packet or "")


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif", ".webp"])
def test_every_save_format_keeps_every_language_exif_and_profile(tmp_path, suffix):
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = build_xmp({"en": "A dog runs", "hi": "एक कुत्ता", "ar": "كلب يجري"}, {"en": ["#dog"]})
    out = save_image(np.full((20, 30, 3), 90, np.uint8), tmp_path / f"copy{suffix}", description="A dog runs",
                     xmp=xmp, icc_profile=icc)
    packet = saved_xmp(out)
    assert "एक कुत्ता" in packet and "كلب يجري" in packet and "<rdf:li>dog</rdf:li>" in packet
    with Image.open(out) as im:
        assert im.getexif()[0x010E] == "A dog runs" and im.info.get("icc_profile") == icc
