"""The optional Social LLM: its guard, fallback, installation and (when installed) the real model."""
import hashlib
import json

import pytest

from captag_desktop.core.model_install import install_optional_file
from captag_desktop.core.models import ModelError, ModelStore, file_sha256
from captag_desktop.core.social_llm import clean, guard, llm_installed, load_rewriter, prompt_messages, social_text
from captag_desktop.core.styles import compose, social

CAPTION = "A black dog is running through the grass"
TAGS = ["#dog", "#grass", "#running", "#BlackDog", "#park", "#ball"]


def test_kept_rewrite_gets_the_captions_emoji_not_the_llms():
    out = social_text(CAPTION, TAGS, lambda c, t: "Zoomies through the grass! 💰💰💰 #dog\nSecond line")
    assert out.engine == "llm" and out.note == ""
    assert out.text == "Zoomies through the grass! 🐶"
    assert social_text(CAPTION, TAGS, lambda c, t: "Zoomies through the grass! 🐶", emoji=False).text == \
        "Zoomies through the grass!"


@pytest.mark.parametrize("rewrite, reason", [
    ("A black dog chasing a cat in the grass!", "cat"),  # an animal the photo never showed
    ("", "nothing usable"),
    ("🐶🐶🐶", "nothing usable"),
    ("Grass " * 40, "longer than"),
    ("A black dog and his gun in the grass", "unsafe"),
    ("A gorgeous black dog in the grass", "looks"),
    ("A man and his black dog in the grass", "people the caption does not: man"),
])
def test_guard_falls_back_to_the_template_and_says_why(rewrite, reason):
    out = social_text(CAPTION, TAGS, lambda c, t: rewrite)
    assert out.engine == "template"
    assert out.text == social(CAPTION)
    assert reason in out.note


def test_the_captions_own_words_are_never_judged():
    assert guard("A man enjoying a hot dog at the park!", "A man is eating a hot dog", ["#park"]) == ""
    assert "looks" in guard("A hot man eating at the park!", "A man is eating at the park", [])


def test_people_come_from_the_caption_not_the_hashtags():
    caption = "A girl in a pink dress is walking down a sidewalk"
    assert "woman" in guard("A woman in a pink dress on the sidewalk!", caption, ["#woman", "#sidewalk"])
    assert guard("A girl in a pink dress strolling down the sidewalk!", caption, ["#woman"]) == ""


def test_only_the_hashtags_the_llm_saw_license_a_noun():
    assert guard("A black dog at the park!", CAPTION, TAGS) == ""  # #park is in the top 5 it was shown
    assert "ball" in guard("A black dog with a ball!", CAPTION, TAGS)  # #ball was 6th: never in the prompt
    assert "#ball" not in prompt_messages(CAPTION, TAGS)[-1]["content"]


def test_a_crashing_runtime_costs_nothing():
    def broken(caption, tags):
        raise RuntimeError("llama.cpp exploded")

    out = social_text(CAPTION, TAGS, broken)
    assert out.engine == "template" and "exploded" in out.note and out.text == social(CAPTION)


def test_without_an_engine_the_template_writes_social():
    assert social_text(CAPTION, TAGS, None).text == social(CAPTION)
    assert clean('  "Fun day! #dog"  \n') == "Fun day!"
    assert clean("A dog in the grass! Look at him go. Wow") == "A dog in the grass!"  # one sentence
    assert clean('"Look at this dog!" she said.') == "Look at this dog! she said."


def test_compose_uses_the_llm_sentence_and_the_platform_emoji_policy():
    body = "Zoomies through the grass! 🐶"
    assert compose(CAPTION, TAGS, "social", "instagram", social_body=body).startswith(body)
    assert compose(CAPTION, TAGS, "social", "plain", social_body=body).startswith("Zoomies through the grass!\n")
    assert compose(CAPTION, TAGS, "alt", "instagram", social_body=body).startswith("Photo of")


def _models_dir(tmp_path, payload: bytes):
    tmp_path.mkdir(parents=True)
    (tmp_path / "manifest.json").write_text(json.dumps({"version": 1, "models": [{
        "name": "social-llm", "task": "caption-rewrite", "file": "llm/model.gguf", "optional": True,
        "sha256": hashlib.sha256(payload).hexdigest(), "size": len(payload), "license": "x"}]}))
    return tmp_path


def test_optional_model_installs_only_the_exact_file(tmp_path):
    models = _models_dir(tmp_path / "models", b"GGUF the right bytes")
    store = ModelStore(models)
    assert not store.installed("social-llm")
    wrong = tmp_path / "other.gguf"
    wrong.write_bytes(b"GGUF other bytes")
    with pytest.raises(ModelError, match="not a model captag knows"):
        install_optional_file(wrong, models)
    assert not (models / "llm").exists()
    right = tmp_path / "download.gguf"
    right.write_bytes(b"GGUF the right bytes")
    entry = install_optional_file(right, models)
    assert entry["name"] == "social-llm"
    assert file_sha256(models / "llm" / "model.gguf") == file_sha256(right)
    assert ModelStore(models).installed("social-llm")


def test_bundled_manifest_lists_the_llm_as_optional():
    store = ModelStore()
    entry = store.entry("social-llm")
    assert entry.optional and entry.raw.get("card") and "Apache-2.0" in entry.license


@pytest.mark.skipif(not llm_installed(ModelStore()), reason="the optional Social LLM is not installed (make install-llm)")
def test_real_llm_rewrite_passes_through_the_guard():
    rewriter = load_rewriter(ModelStore(), threads=2)
    out = social_text(CAPTION, TAGS, rewriter)
    raw = clean(rewriter(CAPTION, TAGS))
    assert raw, "the model wrote nothing"
    if out.engine == "llm":
        assert out.text.startswith(raw) and guard(raw, CAPTION, TAGS) == ""
    else:
        assert out.text == social(CAPTION) and out.note
