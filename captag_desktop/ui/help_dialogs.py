"""The Help menu's dialogs: keyboard shortcuts (built from the real menu actions) and About."""
from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox


def shortcut_rows(win) -> list[tuple[str, str, str]]:
    """(menu, action, shortcut) for every menu action that has a shortcut: the Help table is built from the
    real actions, so it cannot go stale."""
    rows = []
    for menu_action in win.menuBar().actions():
        menu = menu_action.menu()
        for act in menu.actions() if menu else []:
            for sub in (act.menu().actions() if act.menu() else [act]):
                keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in sub.shortcuts() if not k.isEmpty()]
                if keys:  # every key that triggers it (Redo: Ctrl+Shift+Z and Ctrl+Y)
                    rows.append((menu_action.text().replace("&", ""), sub.text().replace("&", ""), " or ".join(keys)))
    rows += [("Canvas", "Hold to see the original", "Space"), ("Canvas", "Brush size", "[ / ] or Shift+wheel")]
    return rows


def show_shortcuts(win) -> None:
    rows = "".join(f"<tr><td>{m}</td><td>{a}</td><td><b>{k}</b></td></tr>" for m, a, k in shortcut_rows(win))
    box = QMessageBox(win)
    box.setWindowTitle("Keyboard shortcuts")
    box.setText(f"<table cellpadding='3'><tr><th align='left'>Menu</th><th align='left'>Action</th>"
                f"<th align='left'>Keys</th></tr>{rows}</table>")
    box.exec()


def show_about(win) -> None:
    from captag_desktop import __version__

    QMessageBox.about(win, "About captag", f"<b>captag {__version__}</b><p>Captions, hashtags and repairs "
                      "for your photos, computed on this computer. Nothing is uploaded.</p>")
