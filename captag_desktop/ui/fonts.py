"""Register the bundled Noto fonts so Arabic and the Indic scripts render on any system."""
from __future__ import annotations

from PySide6.QtGui import QFontDatabase

from captag_desktop.core.resources import resources_dir


def register_bundled_fonts() -> list[str]:
    """Returns the families added (Qt falls back to them per script automatically)."""
    families = []
    for path in sorted((resources_dir() / "fonts").glob("*.ttf")):
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id >= 0:
            families += QFontDatabase.applicationFontFamilies(font_id)
    return families
