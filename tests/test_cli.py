"""End-to-end CLI runs with the bundled models, in a subprocess like a user would."""
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def captag(*args, timeout=300, env_extra=None):
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "captag_desktop", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env)


def test_caption_json_contract(photo, bad_files):
    out = captag("caption", photo, bad_files["missing"], bad_files["empty"], bad_files["text"],
                 bad_files["truncated"], photo, "--json", "--hashtags", "5")
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["image"] for r in lines] == [str(photo), str(bad_files["missing"]), str(bad_files["empty"]),
                                           str(bad_files["text"]), str(bad_files["truncated"]), str(photo)]
    good = lines[0]
    assert set(good) >= {"image", "captions", "hashtags", "timings_ms"}
    assert len(good["captions"]["en"].split()) >= 3
    assert all(t.startswith("#") and " " not in t for t in good["hashtags"]["en"])
    assert len(good["hashtags"]["en"]) <= 5
    assert lines[-1]["captions"] == good["captions"], "same photo, same models: same caption"
    assert "not found" in lines[1]["error"]
    assert "empty" in lines[2]["error"]
    assert "not a supported image" in lines[3]["error"]
    assert "truncated" in lines[4]["error"]


def test_caption_depends_on_image(tmp_path):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(1)
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    Image.fromarray(np.full((120, 160, 3), (30, 110, 220), np.uint8)).save(a)
    Image.fromarray(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)).save(b)
    out = captag("caption", a, b, "--json")
    caps = [json.loads(line)["captions"]["en"] for line in out.stdout.splitlines()]
    assert caps[0] != caps[1]


def test_human_output_and_greedy(photo):
    out = captag("caption", photo, "--beam-size", "1")
    assert out.returncode == 0
    assert "[en]" in out.stdout


def test_bad_arguments_are_rejected_cleanly(photo):
    out = captag("caption", photo, "--lang", "xx")
    assert out.returncode == 2 and "unknown language" in out.stderr and "Traceback" not in out.stderr
    out = captag("caption", photo, "--hashtags", "99")
    assert out.returncode == 2 and "between 0 and 30" in out.stderr


def test_models_lists_and_verifies():
    out = captag("models", "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    installed = [r for r in rows if r["installed"]]
    assert installed and all(r["sha256_ok"] for r in installed)
    assert {"name", "task", "size", "license"} <= set(rows[0])
    # an optional add-on that is not installed is listed as such, not as damaged
    assert all(r["sha256_ok"] is None and r["name"] == "social-llm" for r in rows if not r["installed"])


def test_models_without_the_optional_llm_file(tmp_path):
    import shutil

    models = tmp_path / "models"
    shutil.copytree(REPO / "models", models, ignore=shutil.ignore_patterns("llm", "*.onnx"))
    out = captag("models", "--json", env_extra={"CAPTAG_MODELS_DIR": str(models)})
    rows = {r["name"]: r for r in map(json.loads, out.stdout.splitlines())}
    assert rows["social-llm"]["installed"] is False and rows["social-llm"]["sha256_ok"] is None
    assert rows["encoder-quality"]["sha256_ok"] is False and out.returncode == 1  # a missing bundled model is damage


def test_models_detects_tampering(tmp_path):
    import shutil

    from captag_desktop.core.models import DEFAULT_MODELS_DIR

    shutil.copytree(DEFAULT_MODELS_DIR, tmp_path / "models")
    vocab = tmp_path / "models" / "caption_en_vocab.json"
    vocab.write_text(vocab.read_text().replace("dog", "cat", 1))
    out = subprocess.run([sys.executable, "-m", "captag_desktop", "models"], capture_output=True, text=True,
                         env={**__import__("os").environ, "CAPTAG_MODELS_DIR": str(tmp_path / "models")})
    assert out.returncode == 1 and "BAD" in out.stdout


def test_bench_reports_stage_times():
    out = captag("bench", "--runs", "2", "--json")
    assert out.returncode == 0, out.stderr
    rep = json.loads(out.stdout)
    assert rep["encode_ms"] > 0 and rep["decode_ms"] > 0
    for stage in ("hashtags_ms", "translate_ms", "repair_512_ms", "peak_rss_mb"):
        assert rep[stage] > 0, stage
    for kind, times in rep["encoders"].items():  # every bundled encoder, timed in this one run
        assert times["load_ms"] > 0 and times["encode_ms"] > 0, kind
    if "fast" in rep["encoders"]:
        assert rep["fast_encoder_speedup"] > 0


def test_gui_without_display_explains():
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run([sys.executable, "-m", "captag_desktop"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 2 and "no display found" in out.stderr


def test_caption_in_every_language(photo):
    import re

    out = captag("caption", photo, "--json", "--lang", "en,ar,hi,ta,te,bn", "--hashtags", "6")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    scripts = {"ar": "\u0600-\u06ff", "hi": "\u0900-\u097f", "bn": "\u0980-\u09ff", "ta": "\u0b80-\u0bff", "te": "\u0c00-\u0c7f"}
    for lang, script in scripts.items():
        if lang not in result["captions"]:  # only a language without any installed engine may be missing
            assert any(lang in w for w in result.get("warnings", [])), result
            continue
        text = result["captions"][lang]
        assert text and not re.search("[A-Za-z]", text), (lang, text)
        assert re.search(f"[{script}]", text)
        tags = result["hashtags"][lang]
        assert tags and all(t.startswith("#") and " " not in t and not re.search("[A-Za-z]", t) for t in tags)
    assert {"hi", "ta", "te", "bn"} <= set(result["captions"])


def test_selftest_runs_every_stage_and_language():
    out = captag("--selftest")
    assert out.returncode == 0, out.stdout + out.stderr
    rep = json.loads(out.stdout)
    assert rep["ok"] and all(rep["models"].values())
    assert set(rep["captions"]) == {"en", "ar", "hi", "ta", "te", "bn"}
    assert {"repair", "caption_hashtags_all_languages"} <= set(rep["stages_ms"])


def test_selftest_names_a_damaged_model(tmp_path):
    import os
    import shutil

    models = tmp_path / "models"
    shutil.copytree(__import__("captag_desktop.core.models", fromlist=["x"]).models_dir(), models)
    vocab = models / "caption_en_vocab.json"
    vocab.write_text(vocab.read_text() + " ")
    out = subprocess.run([sys.executable, "-m", "captag_desktop", "--selftest"], capture_output=True, text=True,
                         timeout=300, env=dict(os.environ, CAPTAG_MODELS_DIR=str(models)))
    assert out.returncode == 1 and "caption_en_vocab.json" in json.loads(out.stdout)["error"]


def test_caption_writes_a_post_in_the_chosen_style_and_platform(photo):
    out = captag("caption", photo, "--json", "--post", "social", "--platform", "whatsapp")
    assert out.returncode == 0, out.stderr
    post = json.loads(out.stdout)["post"]
    assert post["style"] == "social" and post["platform"] == "whatsapp" and post["engine"] in ("llm", "template")
    assert post["text"] and "#" not in post["text"]  # WhatsApp takes no hashtags
    if post["engine"] == "template" and post["note"]:
        assert "LLM" in post["note"]  # the LLM ran and its rewrite was refused: the reason is given
    alt = json.loads(captag("caption", photo, "--json", "--post", "alt").stdout)["post"]
    assert alt["text"].startswith("Photo of") and alt["engine"] == "captioner"
    assert "post" not in json.loads(captag("caption", photo, "--json").stdout)
