"""The creator's edits (caption text, renamed and unticked tags, the count) are what gets exported and
saved, and survive what should not undo them: the count slider, switching photos, a re-caption. A batch
loses nothing either: not a photo's mask or repair, and not the photos it has not reached yet."""
import json
import time

import numpy as np
import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import QSettings, Qt  # noqa: E402

from captag_desktop.core.pipeline import PhotoResult, Progress  # noqa: E402
from captag_desktop.ui.main_window import MainWindow  # noqa: E402
from captag_desktop.ui.worker import JobRunner  # noqa: E402


class TaggingPipeline:
    """Twelve tags per photo; a hashtag seed ("More ideas") gives a different twelve."""

    delay = 0.0
    fail_seed = None  # "More ideas" with this seed fails

    def configure(self, **options):
        pass

    def describe(self, rgb, image, langs, n_hashtags, hashtag_seed=None):
        yield Progress("work", 0.3, "working")
        time.sleep(self.delay)
        yield Progress("work", 0.6, "working")  # where a cancel is noticed
        if hashtag_seed is not None and hashtag_seed == self.fail_seed:
            raise ValueError("no ideas today")
        mean = int(rgb.mean())
        tags = [f"#s{hashtag_seed or 0}t{i}" for i in range(12)]
        captions = {lang: f"mean {mean}" if lang == "en" else f"{lang} {mean}" for lang in langs}
        return PhotoResult(image=image, captions=captions, hashtags={"en": tags}, timings_ms={"total": 1.0})


def tagging_window(qtbot, tmp_path):
    """A window whose worker runs TaggingPipeline (the `win` fixture of this file and test_ui_publishing)."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    TaggingPipeline.delay, TaggingPipeline.fail_seed = 0.0, None
    w = MainWindow(runner=JobRunner(pipeline_factory=TaggingPipeline), settings=settings, social_engine=None)
    qtbot.addWidget(w)
    return w


@pytest.fixture
def win(qtbot, tmp_path):
    w = tagging_window(qtbot, tmp_path)
    yield w
    w.close()


def open_and_wait(qtbot, win, path):
    with qtbot.waitSignal(win.runner.finished, timeout=10000):
        win.open_paths([str(path)])


def edit(win, caption="My own words", rename=(0, "#astronaut"), untick=1):
    win.results.field("en").set_text(caption)
    chips = win.results.field("en", "tags").list
    chips.item(rename[0]).setText(rename[1])
    chips.item(untick).setCheckState(Qt.CheckState.Unchecked)


def test_export_and_saved_metadata_carry_what_is_on_screen(qtbot, win, photo, tmp_path):
    open_and_wait(qtbot, win, photo)
    win.results.count_slider.setValue(5)
    edit(win)
    assert win.publishing.export_to(str(tmp_path / "out.json"))
    [item] = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert item["image"] == str(photo)
    assert item["captions"]["en"] == "My own words"
    assert item["hashtags"]["en"] == ["#astronaut", "#s0t2", "#s0t3", "#s0t4"]
    meta = win.publishing.metadata_for(win.results.published())
    assert meta["description"] == "My own words" and "s0t1" not in meta["xmp"] and "astronaut" in meta["xmp"]


def test_the_count_slider_keeps_renames_and_unticks(qtbot, win, photo):
    open_and_wait(qtbot, win, photo)
    win.results.count_slider.setValue(5)
    edit(win)
    tags = win.results.field("en", "tags")
    for n in (2, 8):
        win.results.count_slider.setValue(n)
    assert tags.list.count() == 8
    assert tags.tags() == ["#astronaut"] + [f"#s0t{i}" for i in range(2, 8)]


def test_an_emptied_tag_comes_back_unticked(qtbot, win, photo):
    open_and_wait(qtbot, win, photo)
    chip = win.results.field("en", "tags").list.item(3)
    chip.setText("  # ")
    assert chip.text() == "#s0t3" and chip.checkState() == Qt.CheckState.Unchecked
    assert "#s0t3" not in win.results.field("en", "tags").tags()


def test_more_ideas_keeps_the_creators_caption_and_names_the_photo(qtbot, win, photo, tmp_path):
    open_and_wait(qtbot, win, photo)
    edit(win)
    with qtbot.waitSignal(win.runner.finished, timeout=10000):
        win.more_ideas()
    assert win.results.field("en").text() == "My own words"
    assert win.results.field("en", "tags").tags()[:2] == ["#s1t0", "#s1t1"]  # new ideas, old tag edits gone
    assert win.results_by_path[str(photo)].image == str(photo)  # captioned from pixels, still this file
    win.publishing.export_to(str(tmp_path / "out.json"))
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))[0]["image"] == str(photo)


def test_switching_photos_in_a_batch_keeps_each_ones_edits(qtbot, win, tmp_path):
    from PIL import Image

    paths = []
    for i, value in enumerate((30, 220)):
        paths.append(str(tmp_path / f"b{i}.png"))
        Image.fromarray(np.full((24, 24, 3), value, np.uint8)).save(paths[-1])
    with qtbot.waitSignal(win.runner.finished, timeout=10000):  # the batch's BatchDone
        win.start_batch(paths)
    win.show_photo(paths[0])
    edit(win, caption="first, mine")
    win.show_photo(paths[1])
    assert win.results.field("en").text() == "mean 220"
    win.show_photo(paths[0])
    assert win.results.field("en").text() == "first, mine"
    assert win.results.field("en", "tags").tags()[0] == "#astronaut"
    published = win.published_results()
    assert published[paths[0]].captions["en"] == "first, mine" and published[paths[1]].captions["en"] == "mean 220"


def test_a_photo_that_fails_to_open_does_not_leave_the_last_one_posing_as_it(qtbot, win, photo, bad_files):
    open_and_wait(qtbot, win, photo)
    with qtbot.waitSignal(win.runner.failed, timeout=10000):
        win.open_paths([str(bad_files["truncated"])])
    assert not win.canvas.has_image() and win.current_path is None and win.windowTitle() == "captag"
    assert win.results_by_path[str(photo)].captions["en"].startswith("mean")  # the first photo's results stay
    assert str(photo) not in win.published_results()  # but it is not open, so it is not exported


def test_cancelling_a_new_photo_does_not_leave_working_on_screen(qtbot, win, photo):
    TaggingPipeline.delay = 0.5
    with qtbot.waitSignal(win.runner.cancelled, timeout=10000):
        win.open_paths([str(photo)])
        qtbot.wait(100)
        win.cancel()
    assert "Cancelled" in win.results._hint.text()


def batch_of(tmp_path, n):
    from PIL import Image

    paths = []
    for i in range(n):
        paths.append(str(tmp_path / f"b{i}.png"))
        Image.fromarray(np.full((24, 24, 3), 40 * i + 20, np.uint8)).save(paths[-1])
    return paths


def paint_and_repair(win, region):
    """Mask `region` of the 24x24 photo on screen and start a Telea repair; returns the mask."""
    mask = np.zeros((24, 24), np.uint8)
    mask[region] = 255
    win.repair.set_mask(mask, "stroke")
    win.repair.method.setCurrentIndex(win.repair.method.findData("telea"))
    win.repair.repair()
    return mask


def first_done(qtbot, win, paths, delay):
    """A batch whose photos take `delay` s each, once its first photo is captioned; returns paths."""
    TaggingPipeline.delay = delay
    with qtbot.waitSignal(win.runner.item_done, timeout=10000):
        win.start_batch(paths)
    return paths


def cancel_after_the_first(qtbot, win, paths):
    """A slow batch, cancelled once its first photo is done."""
    first_done(qtbot, win, paths, 0.3)
    with qtbot.waitSignal(win.runner.cancelled, timeout=10000):
        win.cancel()


def statuses(win):
    return [win.strip.item(i).text().split("\n")[1] for i in range(win.strip.count())]


def test_a_repair_during_a_batch_is_kept_and_the_batch_carries_on(qtbot, win, tmp_path):
    paths = first_done(qtbot, win, batch_of(tmp_path, 4), 0.15)
    win.show_photo(paths[0])
    mask = paint_and_repair(win, (slice(5, 9), slice(5, 15)))  # takes the worker from the batch
    qtbot.waitUntil(lambda: not win.batch.running and not win.batch.paused and statuses(win) == ["done"] * 4,
                    timeout=15000)
    assert set(win.results_by_path) == set(paths), "the photos the batch had not reached were captioned after"
    repaired = win.canvas.repaired
    assert repaired is not None
    win.show_photo(paths[1])
    assert win.canvas.repaired is None and not win.canvas.mask().any()
    win.show_photo(paths[0])
    assert np.array_equal(win.canvas.mask(), mask) and np.array_equal(win.canvas.repaired, repaired)
    assert win.repair.undo.undoText() == "Repair" and win.repair.undo.count() == 2, "its own history came back"
    assert win.recovery.autosave()


def test_changing_a_language_during_a_batch_captions_every_photo_again(qtbot, win, tmp_path):
    paths = first_done(qtbot, win, batch_of(tmp_path, 4), 0.1)
    win.lang_actions["ar"].trigger()
    qtbot.waitUntil(lambda: statuses(win) == ["done"] * 4 and not win.batch.running, timeout=15000)
    assert not win.batch.todo
    assert all("ar" in win.results_by_path[p].captions for p in paths), "every photo, not only the one on screen"


def test_cancelling_a_batch_marks_the_photos_it_did_not_reach(qtbot, win, tmp_path):
    cancel_after_the_first(qtbot, win, batch_of(tmp_path, 4))
    assert statuses(win)[0] == "done" and statuses(win)[-1] == "cancelled"


def test_painting_shows_the_marks_over_the_repaired_side_too(qtbot, win, photo):
    open_and_wait(qtbot, win, photo)
    win.canvas.set_tool("brush")
    assert win.canvas.mask_layer.zValue() > win.canvas._clip.zValue()
    win.canvas.set_tool("pan")
    assert win.canvas.mask_layer.zValue() < win.canvas._clip.zValue()


def test_a_name_typed_without_an_extension_gets_the_chosen_types():
    from captag_desktop.ui.file_dialogs import PHOTO_TYPES, with_chosen_suffix

    assert with_chosen_suffix("/tmp/out", "CSV (*.csv)", "JSON (*.json);;CSV (*.csv)") == "/tmp/out.csv"
    assert with_chosen_suffix("/tmp/out", "", PHOTO_TYPES) == "/tmp/out.jpg"
    assert with_chosen_suffix("/tmp/out.png", "JPEG (*.jpg *.jpeg)", PHOTO_TYPES) == "/tmp/out.png"
    assert with_chosen_suffix("", "PNG (*.png)", PHOTO_TYPES) == ""
    assert with_chosen_suffix("/tmp/IMG_2024.05.01", "PNG (*.png)", PHOTO_TYPES) == "/tmp/IMG_2024.05.01.png"


def test_unticking_every_language_keeps_english_ticked(qtbot, win):
    win.lang_actions["en"].trigger()  # the only one ticked
    assert win.lang_actions["en"].isChecked() and win.languages() == ["en"]


def test_more_ideas_land_on_the_photo_they_were_asked_for(qtbot, win, tmp_path):
    paths = batch_of(tmp_path, 3)
    with qtbot.waitSignal(win.runner.finished, timeout=10000):
        win.start_batch(paths)
    win.show_photo(paths[0])
    TaggingPipeline.delay = 0.3
    win.more_ideas()
    win.show_photo(paths[1])  # while the ideas are being written
    qtbot.waitUntil(lambda: win.results_by_path[paths[0]].hashtags["en"][0] == "#s1t0", timeout=10000)
    assert win.results_by_path[paths[1]].hashtags["en"][0] == "#s0t0"
    assert win.results.field("en").text() == "mean 60" and win.results.field("en", "tags").tags()[0] == "#s0t0"


def test_a_photo_captioned_on_its_own_is_not_captioned_again_by_the_batch(qtbot, win, tmp_path):
    paths = first_done(qtbot, win, batch_of(tmp_path, 3), 0.2)
    win.show_photo(paths[2])  # not reached yet
    win.more_ideas()
    qtbot.waitUntil(lambda: statuses(win) == ["done"] * 3 and not win.batch.running and not win.batch.paused,
                    timeout=15000)
    assert win.results_by_path[paths[2]].hashtags["en"][0] == "#s1t0"


def test_a_language_change_while_the_batch_is_paused_reaches_every_photo(qtbot, win, tmp_path):
    TaggingPipeline.delay = 0.2
    paths = batch_of(tmp_path, 3)
    win.start_batch(paths)
    qtbot.waitUntil(lambda: statuses(win)[:2] == ["done", "done"], timeout=10000)
    win.show_photo(paths[0])
    win.more_ideas()  # pauses the batch
    win.lang_actions["ar"].trigger()  # photo 1 was captioned before: it needs Arabic too
    qtbot.waitUntil(lambda: all(p in win.results_by_path and "ar" in win.results_by_path[p].captions for p in paths)
                    and not win.batch.running, timeout=15000)


def test_cancelling_more_ideas_lets_the_batch_carry_on(qtbot, win, tmp_path):
    paths = first_done(qtbot, win, batch_of(tmp_path, 3), 0.2)
    win.show_photo(paths[0])
    with qtbot.waitSignal(win.runner.cancelled, timeout=10000):
        win.more_ideas()
        qtbot.wait(50)
        win.cancel()
    qtbot.waitUntil(lambda: statuses(win) == ["done"] * 3, timeout=15000)


def test_failed_more_ideas_keep_the_results_and_the_edits(qtbot, win, photo, tmp_path):
    open_and_wait(qtbot, win, photo)
    edit(win)
    TaggingPipeline.fail_seed = 1
    with qtbot.waitSignal(win.runner.failed, timeout=10000):
        win.more_ideas()
    assert win.results.field("en").text() == "My own words"
    assert "no ideas today" in win.statusBar().currentMessage()
    assert win.published_results()[str(photo)].captions["en"] == "My own words"


def test_a_photo_named_twice_is_captioned_once(qtbot, win, tmp_path):
    paths = batch_of(tmp_path, 2)
    with qtbot.waitSignal(win.runner.finished, timeout=10000):
        win.open_paths([paths[0], str(tmp_path)])
    assert win.strip.paths() == paths and statuses(win) == ["done", "done"]


def test_the_first_stroke_on_the_next_photo_of_a_batch_is_autosaved(qtbot, win, tmp_path):
    paths = batch_of(tmp_path, 2)
    with qtbot.waitSignal(win.runner.finished, timeout=10000):
        win.start_batch(paths)
    mask = np.zeros((24, 24), np.uint8)
    mask[2:6, 2:6] = 255
    win.show_photo(paths[0])
    win.repair.set_mask(mask, "stroke")
    assert win.recovery.autosave()
    win.show_photo(paths[1])
    win.repair.set_mask(mask, "stroke")  # the same undo index as on the first photo
    assert win.recovery.autosave()


def test_a_batch_captioned_again_captions_a_repaired_photo_as_repaired(qtbot, win, tmp_path):
    from PIL import Image

    paths = batch_of(tmp_path, 2)
    damaged = np.full((24, 24, 3), 20, np.uint8)
    damaged[8:12, 8:12] = 255  # a white stain the repair removes
    Image.fromarray(damaged).save(paths[0])
    with qtbot.waitSignal(win.runner.finished, timeout=10000):
        win.start_batch(paths)
    win.show_photo(paths[0])
    assert win.results.field("en").text() != "mean 20"
    paint_and_repair(win, (slice(7, 13), slice(7, 13)))
    qtbot.waitUntil(lambda: win.results.field("en").text() == "mean 20", timeout=10000)
    win.lang_actions["ar"].trigger()
    qtbot.waitUntil(lambda: "ar" in win.results_by_path[paths[1]].captions and not win.batch.running, timeout=10000)
    assert win.results_by_path[paths[0]].captions == {"en": "mean 20", "ar": "ar 20"}


def test_esc_before_a_new_photo_opens_leaves_no_other_photo_posing_as_it(qtbot, win, photo, tmp_path):
    first_done(qtbot, win, batch_of(tmp_path, 3), 0.3)
    with qtbot.waitSignal(win.runner.cancelled, timeout=10000):
        win.open_paths([str(photo)])
        win.cancel()  # before it has loaded
    assert win.current_path is None and not win.canvas.has_image()
    win.more_ideas()  # nothing on screen: nothing to caption, nothing stored under photo.jpg
    qtbot.wait(100)
    assert str(photo) not in win.results_by_path


def test_a_language_change_during_a_repair_waits_for_it(qtbot, win, tmp_path):
    from captag_desktop.ui import worker

    paths = batch_of(tmp_path, 2)
    with qtbot.waitSignal(win.runner.finished, timeout=10000):
        win.start_batch(paths)
    win.show_photo(paths[0])
    slow = worker._Worker._repair

    def slow_repair(self, *args):
        time.sleep(0.3)
        return slow(self, *args)

    worker._Worker._repair = slow_repair
    try:
        paint_and_repair(win, (slice(2, 6), slice(2, 6)))
        win.lang_actions["ar"].trigger()
        qtbot.waitUntil(lambda: all("ar" in win.results_by_path[p].captions for p in paths) and win._job_kind is None
                        and not win.batch.running, timeout=10000)
    finally:
        worker._Worker._repair = slow
    assert win.canvas.repaired is not None, "the repair was kept"


def test_a_photo_a_stopped_batch_did_not_reach_does_not_say_waiting(qtbot, win, tmp_path):
    paths = batch_of(tmp_path, 3)
    cancel_after_the_first(qtbot, win, paths)
    win.show_photo(paths[2])
    assert "Not captioned" in win.results._hint.text()
