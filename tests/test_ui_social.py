"""The Social LLM in the window: offered only when installed; its text or the template, and why."""
import json

import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import QSettings  # noqa: E402

from captag_desktop.core.pipeline import PhotoResult  # noqa: E402
from captag_desktop.core.styles import social  # noqa: E402
from captag_desktop.ui.main_window import MainWindow  # noqa: E402
from captag_desktop.ui.social_engine import SocialEngine, installed_engine  # noqa: E402

CAPTION = "A black dog is running through the grass"
RESULT = PhotoResult(image="dog.jpg", captions={"en": CAPTION}, hashtags={"en": ["#dog", "#grass", "#running"]})


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def window(qtbot, settings, engine):
    win = MainWindow(settings=settings, social_engine=engine)
    qtbot.addWidget(win)
    win.results.show_result(RESULT)
    win.results.composer.set_choice("social", "instagram")
    return win


def test_no_toggle_without_the_model(qtbot, settings, tmp_path, monkeypatch):
    models = tmp_path / "models"
    models.mkdir()
    (models / "manifest.json").write_text(json.dumps({"version": 1, "models": [{
        "name": "social-llm", "task": "caption-rewrite", "file": "llm/m.gguf", "optional": True,
        "sha256": "0" * 64, "size": 1, "license": "x"}]}))
    monkeypatch.setenv("CAPTAG_MODELS_DIR", str(models))
    assert installed_engine() is None  # listed in the manifest, file not installed
    win = window(qtbot, settings, None)
    composer = win.results.composer
    assert not composer.llm_toggle.isVisibleTo(win)
    assert composer.text().startswith(social(CAPTION))
    win.close()


def test_llm_sentence_shown_and_named_then_toggle_off_restores_template(qtbot, settings):
    engine = SocialEngine(lambda: (lambda caption, tags: "Zoomies in the grass!"))
    win = window(qtbot, settings, engine)
    composer = win.results.composer
    assert composer.llm_toggle.isVisibleTo(win) and composer.llm_toggle.isChecked()
    qtbot.waitUntil(lambda: composer.text().startswith("Zoomies in the grass! 🐶"), timeout=5000)
    assert "local AI" in composer.llm_note.text()
    composer.llm_toggle.setChecked(False)
    assert composer.text().startswith(social(CAPTION))
    assert settings.value("post/llm", type=bool) is False
    win.close()


def test_guard_failure_shows_template_and_reason(qtbot, settings):
    engine = SocialEngine(lambda: (lambda caption, tags: "A dog chasing a cat!"))
    win = window(qtbot, settings, engine)
    composer = win.results.composer
    qtbot.waitUntil(lambda: composer.llm_note.text().startswith("Template used"), timeout=5000)
    assert "cat" in composer.llm_note.text()
    assert composer.text().startswith(social(CAPTION))
    win.close()


def test_model_that_fails_to_load_leaves_the_template(qtbot, settings):
    def broken():
        raise OSError("model file unreadable")

    win = window(qtbot, settings, SocialEngine(broken))
    composer = win.results.composer
    qtbot.waitUntil(lambda: "could not be loaded" in composer.llm_note.text(), timeout=5000)
    assert composer.text().startswith(social(CAPTION))
    win.close()


def test_superseded_requests_are_skipped_and_shutdown_waits_for_one_rewrite(qtbot):
    import time

    calls = []

    def slow(caption, tags):
        calls.append(caption)
        time.sleep(0.2)
        return caption + "!"

    engine = SocialEngine(lambda: slow)
    got = []
    engine.finished.connect(lambda key, result: got.append(key))
    for i in range(10):  # typing: each keystroke is a new caption
        engine.request(i, f"A dog {i}", ["#dog"], True)
    qtbot.waitUntil(lambda: got == [9], timeout=5000)
    assert calls[-1] == "A dog 9" and len(calls) <= 2  # at most the one already running, then the newest
    engine.request(10, "A dog 10", [], True)
    engine.request(11, "A dog 11", [], True)
    engine.shutdown()  # queued work is dropped; returns after the running rewrite at most
    assert len(calls) <= 4 and 11 not in got


def test_typing_in_the_caption_asks_the_llm_once(qtbot, settings):
    calls = []
    engine = SocialEngine(lambda: (lambda caption, tags: calls.append(caption) or "Zoomies in the grass!"))
    win = window(qtbot, settings, engine)
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=5000)
    field = win.results.field("en")
    for n in range(1, 7):
        field.set_text(CAPTION + " today"[:n])
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=5000)
    qtbot.wait(600)
    assert calls == [CAPTION, CAPTION + " today"]  # one request after the pause, not one per key
    win.close()


def test_the_rewrite_toggle_is_live_only_for_the_social_style(qtbot, settings):
    engine = SocialEngine(lambda: (lambda caption, tags: "Zoomies in the grass!"))
    win = window(qtbot, settings, engine)
    composer = win.results.composer
    assert composer.llm_toggle.isEnabled()
    composer.set_choice("plain", "instagram")
    assert not composer.llm_toggle.isEnabled() and composer.llm_toggle.isChecked(), "off for now, still chosen"
    composer.set_choice("social", "instagram")
    assert composer.llm_toggle.isEnabled()
    win.close()
