import json

import pytest

from captag_desktop.core.models import ModelError, ModelStore, file_sha256, optional_store


def make_store(tmp_path, content=b"hello", recorded=None):
    (tmp_path / "thing.json").write_bytes(content)
    entry = {"name": "thing", "task": "vocabulary", "file": "thing.json", "license": "MIT",
             "sha256": recorded or file_sha256(tmp_path / "thing.json"), "size": len(content)}
    (tmp_path / "manifest.json").write_text(json.dumps({"models": [entry]}))
    return ModelStore(tmp_path)


def test_verified_file_loads(tmp_path):
    store = make_store(tmp_path, b'["a"]')
    assert store.verify("thing")
    assert store.read_json("thing") == ["a"]


def test_tampered_file_is_refused(tmp_path):
    store = make_store(tmp_path, b'["a"]', recorded="0" * 64)
    assert not store.verify("thing")
    with pytest.raises(ModelError, match="sha256"):
        store.read_json("thing")


def test_missing_file_and_unknown_model(tmp_path):
    store = make_store(tmp_path)
    (tmp_path / "thing.json").unlink()
    store._verified.clear()
    with pytest.raises(ModelError, match="missing"):
        store.verified_path("thing")
    with pytest.raises(ModelError, match="not in the manifest"):
        store.entry("other")


def test_missing_manifest(tmp_path):
    with pytest.raises(ModelError, match="manifest not found"):
        ModelStore(tmp_path)


def test_optional_store_is_none_without_a_readable_manifest(tmp_path, monkeypatch):
    monkeypatch.setenv("CAPTAG_MODELS_DIR", str(tmp_path))
    assert optional_store() is None
    (tmp_path / "manifest.json").write_text("{not json")
    assert optional_store() is None
    make_store(tmp_path)
    assert optional_store().has("thing")


def test_bundled_manifest_verifies():
    store = ModelStore()
    assert store.entries, "models/manifest.json lists no models"
    for name, entry in store.entries.items():
        if entry.optional and not store.path(name).exists():
            continue  # an add-on the user has not installed (the app works without it)
        assert store.verify(name), f"{entry.file} does not match its manifest hash"
        assert entry.license and entry.raw.get("card"), f"{name} needs a license and a model card"


def test_amend_entry_sets_fields_and_keeps_the_rest(tmp_path):
    from training.manifest_tool import amend_entry

    make_store(tmp_path, b'["a"]')
    amend_entry("thing", tmp_path, decode={"beam_size": 3, "length_penalty": 0.6})
    store = ModelStore(tmp_path)
    raw = store.entry("thing").raw
    assert raw["decode"] == {"beam_size": 3, "length_penalty": 0.6} and raw["license"] == "MIT"
    assert store.verify("thing")


def test_bundled_hashtag_memory_view_was_trained_on_the_bundled_english_decoder():
    """A retrained captioner needs `python -m training.build_hashtags` too, or the app silently drops the
    word model's decoder view (and the hashtag card's figures no longer hold)."""
    store = ModelStore()
    reads = store.entry("hashtag-words-memory").raw["reads"]
    assert store.entry(reads["model"]).sha256 == reads["sha256"]


def test_sessions_have_their_own_threads_which_never_spin():
    """A pool per session whose threads spin after each run starves the next graph of the photo's path."""
    options = ModelStore().session("encoder-fast").get_session_options()
    assert options.use_per_session_threads
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_the_app_shares_one_pool_of_threads_between_its_sessions(tmp_path):
    """In its own process: once shared, onnxruntime refuses sessions with threads of their own."""
    import subprocess
    import sys

    script = (
        "from captag_desktop.core.models import ModelStore, share_threads\n"
        "assert share_threads() and share_threads()\n"  # a second call keeps the pool
        "store = ModelStore()\n"
        "for name in ('encoder-fast', 'caption-en-fast-step'):\n"
        "    assert not store.session(name).get_session_options().use_per_session_threads, name\n"
        "print('shared')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "shared", done.stderr[-2000:]
