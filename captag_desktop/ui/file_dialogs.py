"""The save dialog, with one fix the platform dialogs do not all make: a name typed without an
extension gets the chosen file type's, instead of failing with "unsupported file type"."""
from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

PHOTO_TYPES = "JPEG (*.jpg *.jpeg);;PNG (*.png);;WebP (*.webp);;TIFF (*.tif *.tiff)"


def with_chosen_suffix(path: str, chosen_filter: str, filters: str) -> str:
    """path as typed; without an extension, the first one of the chosen filter (else of the first filter)."""
    if not path or Path(path).suffix:
        return path
    found = re.search(r"\*(\.\w+)", chosen_filter) or re.search(r"\*(\.\w+)", filters)
    return path + found.group(1) if found else path


def save_file_name(parent, title: str, start: str, filters: str) -> str:
    """The file name the user chose ("" if they cancelled)."""
    path, chosen = QFileDialog.getSaveFileName(parent, title, start, filters)
    return with_chosen_suffix(path, chosen, filters)
