"""Getting results out: export JSON/CSV, save a copy with the caption in its metadata,
write .xmp sidecars. Never the original file; every write is atomic."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from captag_desktop.core.metadata import build_xmp, sidecar_paths, write_sidecar
from captag_desktop.core.save_image import SaveError, save_image
from captag_desktop.ui.file_dialogs import PHOTO_TYPES, copy_name, save_file_name


class Publishing:
    def __init__(self, window):
        self.win = window

    def _folder(self, fallback: str | None = None) -> str:
        return self.win.settings_menu.output_folder() or fallback or str(self.win.settings.value("last_dir", str(Path.home())))

    def _status(self, text: str, ms: int = 6000) -> None:
        self.win.statusBar().showMessage(text, ms)

    def metadata_for(self, result) -> dict:
        """EXIF description and XMP for a saved copy, if the user wants them and there is a caption."""
        if result is None or not result.captions or not self.win.settings_menu.embed_metadata():
            return {}
        description = result.captions.get("en") or next(iter(result.captions.values()))
        return {"description": description, "xmp": build_xmp(result.captions, result.hashtags)}

    def export_dialog(self) -> None:
        if not self.win.published_results():
            self._status("Nothing to export yet: open a photo first.")
            return
        start = str(Path(self._folder(str(self.win.settings.value("export_dir", "")) or None)) / "captag-results.json")
        path = save_file_name(self.win, "Export results", start, "JSON (*.json);;CSV (*.csv)")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> bool:
        from captag_desktop.core.export import export_results

        results = list(self.win.published_results().values())
        try:
            export_results(results, path, self.win.languages())
        except (OSError, ValueError) as exc:
            QMessageBox.warning(self.win, "Export failed", f"Could not write {path}:\n{exc}")
            return False
        self.win.settings.setValue("export_dir", str(Path(path).parent))
        self._status(f"Exported {len(results)} photos to {path}.")
        return True

    def save_copy_dialog(self) -> None:
        if not self.win.canvas.has_image() or not self.win.current_path:
            self._status("Open a photo first.")
            return
        suggestion = copy_name(self.win.current_path, "captag", self._folder(str(Path(self.win.current_path).parent)))
        path = save_file_name(self.win, "Save a copy with the caption", suggestion, PHOTO_TYPES)
        if path:
            self.save_copy_to(path)

    def save_copy_to(self, path: str, rgb=None) -> bool:
        """The photo on screen (repaired, if it was) as a new file, with EXIF, ICC and the caption."""
        info = self.win.loaded
        # the caption and tags on screen, edits included (or the photo's last ones while it is re-captioned)
        result = self.win.results.published() or self.win.published_results().get(self.win.current_path or "")
        try:
            save_image(self.win.canvas.current_image() if rgb is None else rgb, path, original=self.win.current_path,
                       exif=getattr(info, "exif", None), icc_profile=getattr(info, "icc_profile", None),
                       **self.metadata_for(result))
        except SaveError as exc:
            self._status(str(exc), 8000)
            return False
        self._status(f"Saved {path}")
        return True

    def write_sidecars(self) -> list[Path]:
        """An .xmp next to each captioned photo (or in the output folder); an existing sidecar is left alone."""
        written, existing, failed = [], [], []
        out_dir = self.win.settings_menu.output_folder()
        results = {image: r for image, r in self.win.published_results().items() if image and r.captions and not r.error}
        targets = sidecar_paths(list(results), out_dir)
        for image, result in results.items():
            if targets[image].exists():
                existing.append(image)
                continue
            try:
                written.append(write_sidecar(image, build_xmp(result.captions, result.hashtags), target=targets[image]))
            except OSError as exc:
                failed.append(f"{Path(image).name}: {exc.strerror or exc}")
        note = f"; kept {len(existing)} that already existed" if existing else ""
        note += f"; could not write {len(failed)} ({failed[0]})" if failed else ""
        self._status(f"Wrote {len(written)} .xmp sidecars{note}.", 8000)
        return written

    def copy_image(self) -> None:
        from PySide6.QtGui import QGuiApplication

        from captag_desktop.ui.canvas import rgb_to_qimage

        rgb = self.win.canvas.current_image()
        if rgb is None:
            self._status("No photo to copy.", 3000)
            return
        QGuiApplication.clipboard().setImage(rgb_to_qimage(rgb))
        self._status("Copied the photo (repaired, if you repaired it).", 3000)
