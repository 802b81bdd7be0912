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
