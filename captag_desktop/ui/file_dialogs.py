"""Choosing files: which photos a drop or an Open means, and the save dialog, with one fix the
platform dialogs do not all make: a name typed without an extension gets the chosen file type's,
instead of failing with "unsupported file type"."""
from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from captag_desktop.core.save_image import FORMATS

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"}


def expand_paths(paths: list[str]) -> list[str]:
    """Files as given; folders become the photos directly inside them, sorted by name."""
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(str(f) for f in p.iterdir() if f.suffix.lower() in PHOTO_SUFFIXES and f.is_file())
        else:
            out.append(str(p))
    return list(dict.fromkeys(out))  # a photo named twice (a file and its folder) is one photo


IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.webp *.bmp *.tif *.tiff *.gif);;All files (*)"

PHOTO_TYPES = "JPEG (*.jpg *.jpeg);;PNG (*.png);;WebP (*.webp);;TIFF (*.tif *.tiff)"


def copy_name(original: str | None, tag: str, folder: str | None = None) -> str:
    """The name offered for a new file made from a photo: NAME-tag.EXT in `folder` (default: the photo's),
    EXT the photo's own if captag can write it, else .png (a GIF or BMP original)."""
    orig = Path(original or "photo.jpg")
    suffix = orig.suffix if orig.suffix.lower() in FORMATS else ".png"
    return str(Path(folder or orig.parent) / f"{orig.stem}-{tag}{suffix}")


def with_chosen_suffix(path: str, chosen_filter: str, filters: str) -> str:
    """path as typed; without an extension, the first one of the chosen filter (else of the first filter)."""
    known = {s.lower() for s in re.findall(r"\*(\.\w+)", filters)}
    if not path or Path(path).suffix.lower() in known:  # "IMG_2024.05.01" has no extension of these
        return path
    found = re.search(r"\*(\.\w+)", chosen_filter) or re.search(r"\*(\.\w+)", filters)
    return path + found.group(1) if found else path


def save_file_name(parent, title: str, start: str, filters: str) -> str:
    """The file name the user chose ("" if they cancelled)."""
    path, chosen = QFileDialog.getSaveFileName(parent, title, start, filters)
    return with_chosen_suffix(path, chosen, filters)
