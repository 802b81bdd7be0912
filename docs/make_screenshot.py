"""Open the real window on a photo, wait for the caption, and save a screenshot.

    xvfb-run -s "-screen 0 1400x900x24" .venv/bin/python docs/make_screenshot.py PHOTO docs/screenshot.png [MASK]
"""
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from captag_desktop.ui.fonts import register_bundled_fonts
from captag_desktop.ui.main_window import MainWindow


def main(photo: str, out: str, mask: str | None = None) -> int:
    app = QApplication(sys.argv[:1])
    register_bundled_fonts()
    win = MainWindow()
    win.resize(1280, 800)
    win.show()
    state = {"captioned": False}

    def finished(result):
        if state["captioned"]:
            return
        state["captioned"] = True
        if mask:
            win.repair.import_mask_from(mask)
            win.repair.brush_action.trigger()
        QTimer.singleShot(800, grab)

    def grab():
        app.primaryScreen().grabWindow(0, win.x(), win.y(), win.frameGeometry().width(),
                                       win.frameGeometry().height()).save(out)
        app.quit()

    win.runner.finished.connect(finished)
    win.runner.failed.connect(finished)
    win.open_paths([photo])
    QTimer.singleShot(60000, app.quit)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
