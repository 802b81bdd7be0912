"""GUI entry point."""
from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from captag_desktop.ui.fonts import register_bundled_fonts
from captag_desktop.ui.main_window import MainWindow


def run_gui(image: str | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("captag")
    app.setOrganizationName("captag")
    register_bundled_fonts()
    window = MainWindow()
    window.show()
    if image:
        window.open_paths([image])
    else:
        window.recovery.offer()
    return app.exec()
