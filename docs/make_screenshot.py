"""Open the real window on a photo, repair the masked damage, wait for the captions in every
chosen language, and save a screenshot.

    xvfb-run -s "-screen 0 1500x2000x24" .venv/bin/python docs/make_screenshot.py PHOTO OUT.png [MASK] [LANGS] [HEIGHT]

LANGS: comma-separated, default en,ar,hi,ta,te,bn. Uses a throw-away settings file.
"""
import sys
import tempfile

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from captag_desktop.ui.fonts import register_bundled_fonts
from captag_desktop.ui.main_window import MainWindow
from captag_desktop.ui.worker import RepairDone


def main(photo: str, out: str, mask: str | None = None, langs: str = "en,ar,hi,ta,te,bn", height: str = "920") -> int:
    app = QApplication(sys.argv[:1])
    register_bundled_fonts()
    settings = QSettings(tempfile.mktemp(suffix=".ini"), QSettings.Format.IniFormat)
    settings.setValue("languages", langs)
    settings.setValue("post/style", "social")
    win = MainWindow(settings=settings)
    win.resize(1480, int(height))
    win.show()
    state = {"captions": 0, "repaired": False}

    def finished(result):
        if isinstance(result, RepairDone):
            state["repaired"] = True
            return
        state["captions"] += 1
        if mask and not state["repaired"] and state["captions"] == 1:
            win.repair.import_mask_from(mask)
            win.repair.repair()  # the window re-captions the repaired photo when it is done
            return
        win.repair.compare.setValue(45)
        QTimer.singleShot(4000 if win.social_engine else 1000, grab)  # the local AI rewrite takes a moment

    def grab():
        app.primaryScreen().grabWindow(0, win.x(), win.y(), win.frameGeometry().width(),
                                       win.frameGeometry().height()).save(out)
        app.quit()

    win.runner.finished.connect(finished)
    win.runner.failed.connect(lambda msg: (print(msg), grab()))
    win.open_paths([photo])
    QTimer.singleShot(90000, app.quit)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
