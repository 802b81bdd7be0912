"""pytest-qt tests of the window, offscreen."""
import time

import numpy as np
import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDropEvent, QGuiApplication  # noqa: E402

from captag_desktop.core.pipeline import PhotoResult, Progress  # noqa: E402
from captag_desktop.ui.help_dialogs import shortcut_rows  # noqa: E402
from captag_desktop.ui.main_window import MainWindow  # noqa: E402
from captag_desktop.ui.worker import JobRunner  # noqa: E402


class SlowFakePipeline:
    """Describes a photo by its mean colour, slowly, so jobs overlap."""

    delay = 0.3

    def configure(self, **options):
        self.options = options

    def describe(self, rgb, image, langs, n_hashtags, hashtag_seed=None):
        for i in range(10):
            yield Progress("work", i / 10, "working")
            time.sleep(self.delay / 10)
        mean = int(rgb.mean())
        return PhotoResult(image=image, captions={"en": f"mean {mean}"}, hashtags={"en": [f"#m{mean}"]},
                           timings_ms={"total": 1.0})


@pytest.fixture
def settings(tmp_path):
    s = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    yield s


def fake_window(qtbot, settings) -> MainWindow:
    """A window whose worker runs the quick fake pipeline."""
    SlowFakePipeline.delay = 0.01
    win = MainWindow(runner=JobRunner(pipeline_factory=SlowFakePipeline), settings=settings)
    qtbot.addWidget(win)
    return win


def drop(widget, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    ev = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(ev)


def test_drop_shows_photo_and_real_caption_and_copy(qtbot, settings, photo):
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.runner.finished, timeout=60000):
        drop(win.canvas, photo)
    assert win.canvas.has_image()
    caption = win.results.field("en").text()
    assert len(caption.split()) >= 3
    win.results.field("en").copy_button.click()
    assert QGuiApplication.clipboard().text() == caption
    win.copy_all_action.trigger()
    assert caption in QGuiApplication.clipboard().text()
    win.close()


def test_newest_photo_wins(qtbot, settings, tmp_path):
    from PIL import Image

    paths = []
    for i, value in enumerate((20, 200)):
        p = tmp_path / f"p{i}.png"
        Image.fromarray(np.full((32, 32, 3), value, np.uint8)).save(p)
        paths.append(p)
    SlowFakePipeline.delay = 0.3
    runner = JobRunner(pipeline_factory=SlowFakePipeline)
    win = MainWindow(runner=runner, settings=settings)
    qtbot.addWidget(win)
    results = []
    runner.finished.connect(results.append)
    win.open_paths([str(paths[0])])
    qtbot.wait(50)
    win.open_paths([str(paths[1])])
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    qtbot.wait(500)
    assert [r.captions["en"] for r in results] == ["mean 200"]
    assert win.results.field("en").text() == "mean 200"
    win.close()


def test_cancel_stops_job(qtbot, settings, photo):
    SlowFakePipeline.delay = 0.3
    runner = JobRunner(pipeline_factory=SlowFakePipeline)
    win = MainWindow(runner=runner, settings=settings)
    qtbot.addWidget(win)
    with qtbot.waitSignal(runner.cancelled, timeout=5000):
        win.open_paths([str(photo)])
        qtbot.wait(50)
        win.cancel()
    assert win.results.field("en").text() == ""
    win.close()


def test_bad_file_shows_message_without_crash(qtbot, settings, bad_files):
    runner = JobRunner(pipeline_factory=SlowFakePipeline)
    win = MainWindow(runner=runner, settings=settings)
    qtbot.addWidget(win)
    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        win.open_paths([str(bad_files["text"])])
    assert "not a supported image" in blocker.args[0]
    assert "not a supported image" in win.statusBar().currentMessage()
    win.close()


def test_languages_are_remembered(qtbot, settings):
    runner = JobRunner(pipeline_factory=SlowFakePipeline)
    win = MainWindow(runner=runner, settings=settings)
    qtbot.addWidget(win)
    win.lang_actions["ar"].trigger()
    assert win.languages() == ["en", "ar"]
    win.close()
    win2 = MainWindow(runner=JobRunner(pipeline_factory=SlowFakePipeline), settings=settings)
    qtbot.addWidget(win2)
    assert win2.languages() == ["en", "ar"]
    win2.close()


def test_zoom_controls(qtbot, settings):
    win = MainWindow(runner=JobRunner(pipeline_factory=SlowFakePipeline), settings=settings)
    qtbot.addWidget(win)
    win.canvas.set_image(np.zeros((100, 100, 3), np.uint8))
    win.canvas.set_zoom(1.0)
    win.canvas.zoom_by(2.0)
    assert win.canvas.zoom() == pytest.approx(2.0)
    win.canvas.set_zoom(1000)
    assert win.canvas.zoom() <= 32.0
    win.canvas.set_image(np.zeros((1, 1, 3), np.uint8))  # fitting a 1x1 photo stops at the zoom limit too
    win.canvas.fit()
    assert win.canvas.zoom() == pytest.approx(32.0)
    win.close()


def test_hashtag_chips_toggle_edit_count_and_copy(qtbot, settings):
    win = MainWindow(runner=JobRunner(pipeline_factory=SlowFakePipeline), settings=settings)
    qtbot.addWidget(win)
    tags = [f"#t{i}" for i in range(30)]
    win.results.show_result(PhotoResult(image="x", captions={"en": "a caption"}, hashtags={"en": tags}))
    editor = win.results.field("en", "hashtags")
    assert editor.tags() == tags[:10]
    win.results.count_slider.setValue(30)
    assert len(editor.tags()) == 30
    assert settings.value("hashtags/count") == 30
    win.results.count_slider.setValue(3)
    editor.list.item(1).setCheckState(Qt.CheckState.Unchecked)
    editor.list.item(2).setText("golden retriever")
    assert editor.tags() == ["#t0", "#goldenretriever"]
    editor.copy_button.click()
    assert QGuiApplication.clipboard().text() == "#t0 #goldenretriever"
    win.close()


def test_more_ideas_requests_a_new_seed(qtbot, settings, photo):
    win = fake_window(qtbot, settings)
    runner = win.runner
    with qtbot.waitSignal(runner.finished, timeout=5000):
        win.open_paths([str(photo)])
    seeds = []
    runner.submit = lambda source, langs, n, seed=None, options=None: seeds.append(seed)
    win.results.field("en", "hashtags").more_button.click()
    win.results.field("en", "hashtags").more_button.click()
    assert seeds == [1, 2]
    win.close()


def test_encoder_and_beam_settings_are_remembered_and_sent(qtbot, settings, photo):
    win = fake_window(qtbot, settings)
    runner = win.runner
    sent = []
    real_submit = runner.submit
    runner.submit = lambda *a: (sent.append(a[-1]), real_submit(*a))[1]
    assert win.options()["beam_size"] == 0, "by default each caption model decodes with its own beam size"
    win.settings_menu.beam_actions[1].trigger()
    with qtbot.waitSignal(runner.finished, timeout=5000):
        win.open_paths([str(photo)])
    assert sent[-1]["beam_size"] == 1 and sent[-1]["encoder"] in ("quality", "fast")
    win.close()
    again = MainWindow(runner=JobRunner(pipeline_factory=SlowFakePipeline), settings=settings)
    qtbot.addWidget(again)
    assert again.options()["beam_size"] == 1
    again.close()


@pytest.mark.parametrize("saved, restored", [("3", 0), ("5", 5), ("1", 1)])
def test_a_beam_size_saved_when_3_was_the_default_becomes_best_for_each_model(qtbot, settings, saved, restored):
    settings.setValue("caption/beam_size", saved)  # 3 was saved with any settings change, chosen or not
    win = fake_window(qtbot, settings)
    assert win.options()["beam_size"] == restored
    win.close()


def test_batch_folder_lists_failures_and_switches_instantly(qtbot, settings, tmp_path):
    from PIL import Image

    folder = tmp_path / "shoot"
    folder.mkdir()
    for i, shade in enumerate((30, 140, 220)):
        Image.fromarray(np.full((40, 50, 3), shade, np.uint8)).save(folder / f"p{i}.png")
    (folder / "broken.jpg").write_text("not a photo")
    win = fake_window(qtbot, settings)
    runner = win.runner
    with qtbot.waitSignal(runner.finished, timeout=10000) as done:
        win.open_paths([str(folder)])
    assert done.args[0].total == 4 and done.args[0].failed == 1
    assert not win.strip.isHidden() and win.strip.count() == 4
    broken = win.strip.paths().index(str(folder / "broken.jpg"))
    assert "failed" in win.strip.item(broken).text()
    assert "not a supported image" in win.results_by_path[str(folder / "broken.jpg")].error
    win.strip.setCurrentRow(win.strip.paths().index(str(folder / "p2.png")))
    assert win.results.field("en").text() == "mean 220"  # from the cache, no new job
    win.strip.setCurrentRow(win.strip.paths().index(str(folder / "p0.png")))
    assert win.results.field("en").text() == "mean 30"
    out = tmp_path / "all.csv"
    from captag_desktop.core.export import export_results

    export_results(list(win.results_by_path.values()), out, win.languages())
    assert out.read_text(encoding="utf-8-sig").count("\n") == 5  # header + 3 photos + 1 failure
    win.close()


def test_help_lists_every_shortcut(qtbot, settings):
    win = MainWindow(runner=JobRunner(pipeline_factory=SlowFakePipeline), settings=settings)
    qtbot.addWidget(win)
    keys = {a: k for _m, a, k in shortcut_rows(win)}
    assert keys["Open folder…"] == "Ctrl+Shift+O" and keys["Export results…"] == "Ctrl+E"
    assert "Repair" in " ".join(keys) and "Copy image" in keys
    assert keys["Redo"] == "Ctrl+Shift+Z or Ctrl+Y"  # every key that triggers an action
    win.canvas.set_brush_size(40)
    win.close()
    again = MainWindow(runner=JobRunner(pipeline_factory=SlowFakePipeline), settings=settings)
    qtbot.addWidget(again)
    assert again.canvas.brush_size == 40 and again.repair.size_label.text() == "Brush 40px"  # remembered
    again.close()


def test_hashtag_chips_grow_to_show_every_tag(qtbot):
    """No tag hides behind a scroll bar of the chip list's own: it grows with the count and re-wraps
    when it narrows, and an edited, longer tag gets a wider chip. The editor alone, so the window's
    other widths (e.g. the Social LLM's controls, when installed) do not decide how narrow it gets."""
    from captag_desktop.ui.hashtag_editor import HashtagEditor

    editor = HashtagEditor()
    qtbot.addWidget(editor)
    editor.resize(460, 400)
    editor.show()
    qtbot.waitExposed(editor)
    editor.set_tags([f"#tag{i:02d}" for i in range(30)], count=3)
    chips = editor.list

    def all_visible():
        view = chips.viewport().rect()
        return all(view.contains(chips.visualItemRect(chips.item(i))) for i in range(chips.count()))

    few = chips.height()
    editor.set_count(30)
    assert chips.height() > few and all_visible() and chips.verticalScrollBar().maximum() == 0
    wide = chips.height()
    editor.resize(300, 400)
    qtbot.waitUntil(lambda: chips.height() > wide and all_visible())
    item = chips.item(0)
    before = item.sizeHint().width()
    item.setText("#AVeryLongEditedHashtagIndeed")
    assert item.sizeHint().width() > before and all_visible()


def test_copy_language_is_caption_blank_line_hashtags(qtbot, settings):
    win = MainWindow(runner=JobRunner(pipeline_factory=SlowFakePipeline), settings=settings)
    qtbot.addWidget(win)
    win.results.show_result(PhotoResult("x", captions={"en": "A dog"}, hashtags={"en": ["#dog", "#run"]}))
    win.results.copy_language("en")
    assert QGuiApplication.clipboard().text() == "A dog\n\n#dog #run"
    win.close()


def test_save_copy_with_caption_and_sidecars_never_touch_the_original(qtbot, settings, tmp_path):
    import hashlib

    from PIL import Image

    photo = tmp_path / "beach.jpg"
    Image.fromarray(np.full((40, 50, 3), 200, np.uint8)).save(photo)
    before = hashlib.sha256(photo.read_bytes()).hexdigest()
    win = fake_window(qtbot, settings)
    runner = win.runner
    with qtbot.waitSignal(runner.finished, timeout=5000):
        win.open_paths([str(photo)])
    assert not win.publishing.save_copy_to(str(photo))  # refuses the original
    assert win.publishing.save_copy_to(str(tmp_path / "beach-captag.jpg"))
    with Image.open(tmp_path / "beach-captag.jpg") as im:
        assert im.getexif()[0x010E] == "mean 200" and b"mean 200" in im.info["xmp"]
    assert win.publishing.write_sidecars() == [tmp_path / "beach.xmp"]
    assert win.publishing.write_sidecars() == []  # an existing sidecar is kept
    assert hashlib.sha256(photo.read_bytes()).hexdigest() == before
    win.close()


def test_banned_hashtags_setting_is_sent(qtbot, settings, photo):
    runner = JobRunner(pipeline_factory=SlowFakePipeline)
    win = MainWindow(runner=runner, settings=settings)
    qtbot.addWidget(win)
    win.settings_menu.set_banned(["#dog", "beach"])
    assert win.options()["banned_tags"] == ["dog", "beach"]
    win.close()


def test_every_control_has_an_accessible_name(qtbot, settings):
    from PySide6.QtWidgets import (QAbstractButton, QAbstractSlider, QComboBox, QGraphicsView, QLineEdit,
                                   QListWidget, QPlainTextEdit, QProgressBar)

    win = MainWindow(runner=JobRunner(pipeline_factory=SlowFakePipeline), settings=settings)
    qtbot.addWidget(win)
    win.results.show_result(PhotoResult("x", captions={"en": "A dog", "ar": "كلب"}, hashtags={"en": ["#dog"]}))
    kinds = (QAbstractButton, QAbstractSlider, QComboBox, QGraphicsView, QLineEdit, QListWidget, QPlainTextEdit, QProgressBar)
    unnamed = []
    from PySide6.QtWidgets import QWidget

    from PySide6.QtWidgets import QScrollBar

    for w in (w for w in win.findChildren(QWidget) if isinstance(w, kinds) and not isinstance(w, QScrollBar)
              and not w.objectName().startswith("qt_")):  # Qt's own overflow buttons
        text = w.text() if isinstance(w, QAbstractButton) else ""
        if not (w.accessibleName() or text or w.toolTip()):
            unnamed.append(f"{type(w).__name__} {w.objectName()} under {type(w.parent()).__name__}")
    assert unnamed == []
    win.close()


def test_drag_out_offers_the_image_and_a_png_file(qtbot, settings, photo):
    win = fake_window(qtbot, settings)
    runner = win.runner
    assert win.repair.drag_out.mime_data() is None  # no photo yet
    with qtbot.waitSignal(runner.finished, timeout=5000):
        win.open_paths([str(photo)])
    mime = win.repair.drag_out.mime_data()
    assert mime.hasImage() and mime.urls()[0].toLocalFile().endswith("-captag.png")
    from pathlib import Path

    assert Path(mime.urls()[0].toLocalFile()).stat().st_size > 0
    win.close()


def test_post_composer_styles_and_platforms(qtbot, settings):
    win = MainWindow(runner=JobRunner(pipeline_factory=SlowFakePipeline), settings=settings)
    qtbot.addWidget(win)
    win.results.show_result(PhotoResult("x", captions={"en": "A black dog is running through the grass"},
                                        hashtags={"en": ["#dog", "#grass", "#run", "#BlackDog"]}))
    c = win.results.composer
    c.set_choice("alt", "instagram")
    assert c.text() == "Photo of a black dog running through the grass."
    c.set_choice("plain", "instagram")
    assert c.text() == "A black dog is running through the grass\n\n#dog #grass #run #BlackDog"
    c.set_choice("social", "facebook")  # three tags, inline
    assert c.text().endswith("#dog #grass #run") and "🐶" in c.text()
    win.results.field("en", "hashtags").list.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert "#dog" not in c.text()  # follows the ticked tags
    assert settings.value("post/style") == "social" and settings.value("post/platform") == "facebook"
    win.close()


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def test_fifty_photos_cancel_then_more_no_hang_no_stale_no_leak(qtbot, settings, tmp_path):
    """Real models: 50 photos dropped, cancelled mid-way, then 10 more. Every result belongs to its
    own photo, nothing hangs, and memory comes back near where it was."""
    import gc

    from PIL import Image

    paths = []
    for i in range(60):
        p = tmp_path / f"p{i:02d}.png"
        Image.fromarray(np.full((64, 80, 3), (i * 4) % 256, np.uint8)).save(p)
        paths.append(str(p))
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.runner.finished, timeout=120000):  # warm up: models loaded once
        win.open_paths(paths[:2])
    gc.collect()
    baseline = _rss_mb()
    win.open_paths(paths[:50])
    qtbot.waitUntil(lambda: len(win.results_by_path) >= 8, timeout=120000)
    with qtbot.waitSignal(win.runner.cancelled, timeout=30000):
        win.cancel()
    done_before = set(win.results_by_path)
    assert len(done_before) < 50
    with qtbot.waitSignal(win.runner.finished, timeout=120000) as finished:
        win.open_paths(paths[50:])
    assert finished.args[0].total == 10 and finished.args[0].failed == 0
    assert set(paths[50:]) <= set(win.results_by_path)
    for path, result in win.results_by_path.items():
        assert result.image == path and result.captions["en"]
    gc.collect()
    print(f"\nRSS after warm-up {baseline:.0f} MB, after 50 + cancel + 10 photos {_rss_mb():.0f} MB")  # shown with -s
    assert _rss_mb() - baseline < 150, (baseline, _rss_mb())
    win.close()


def test_results_panel_at_its_narrowest_needs_no_sideways_scrolling(qtbot):
    from captag_desktop.ui.results_panel import ResultsPanel

    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.resize(panel.minimumWidth(), 700)
    panel.show()
    qtbot.waitExposed(panel)
    panel.show_result(PhotoResult(image="x", captions={"en": "A girl in a red jacket is sitting on a wooden bench",
                                                        "ar": "فتاة"}, hashtags={"en": ["#WoodenBench"] * 3}))
    panel.composer.setVisible(True)
    qtbot.waitUntil(lambda: panel.widget().width() == panel.viewport().width())
    assert panel.widget().minimumSizeHint().width() <= panel.viewport().width()


def test_rtl_chips_draw_each_tag_in_its_own_direction_but_keep_the_tag(qtbot):
    from PySide6.QtWidgets import QStyleOptionViewItem

    from captag_desktop.ui.hashtag_editor import LRM, RLM, HashtagEditor

    editor = HashtagEditor(rtl=True)
    qtbot.addWidget(editor)
    editor.set_tags(["#كلب", "#Dog"], count=2)

    def drawn(row):
        option = QStyleOptionViewItem()
        editor.list.itemDelegate().initStyleOption(option, editor.list.model().index(row, 0))
        return option.text

    assert drawn(0) == RLM + "#كلب"  # '#' on the word's right
    assert drawn(1) == LRM + "#Dog"  # was drawn 'Dog#' in the right-to-left list
    assert editor.tags() == ["#كلب", "#Dog"] and RLM not in editor.text() and LRM not in editor.text()
