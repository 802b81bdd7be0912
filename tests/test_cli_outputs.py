"""repair and detect-damage never write over a photo or mask the run reads, never send two photos to one
file, and replace an existing file only when asked; the CLI's own error paths stay clean."""
import hashlib
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from captag_desktop.core.outputs import check_out_dir, plan_outputs


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def captag(*args):
    return subprocess.run([sys.executable, "-m", "captag_desktop", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def folder(tmp_path):
    """Photos a.jpg, a.png (same name, another photo) and b.jpg, a mask for each name, in one folder."""
    rng = np.random.default_rng(0)
    for name in ("a.jpg", "a.png", "b.jpg"):
        Image.fromarray(rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(tmp_path / name)
    masks = tmp_path / "masks"
    masks.mkdir()
    mask = np.zeros((40, 48), np.uint8)
    mask[10:20, 10:30] = 255
    for stem in ("a", "b"):
        Image.fromarray(mask).save(masks / f"{stem}.png")
    return tmp_path


def test_the_plan_protects_what_the_run_reads_and_refuses_collisions(folder):
    images = [str(folder / n) for n in ("a.jpg", "a.png", "b.jpg")]
    plan = plan_outputs(images, folder, [str(folder / "masks" / "b.png")])
    assert plan[0].target is None and "original photo" in plan[0].reason  # a.jpg -> a.png, which is a photo
    assert plan[1].target is None and "original photo" in plan[1].reason
    assert plan[2].target == folder / "b.png"
    out = folder / "out"
    plan = plan_outputs(images, out)
    assert plan[0].target == out / "a.png" and plan[1].target is None and "same name" in plan[1].reason
    (out / "b.png").parent.mkdir()
    (out / "b.png").write_bytes(b"mine")
    assert "--overwrite" in plan_outputs(images, out)[2].reason
    assert plan_outputs(images, out, overwrite=True)[2].target == out / "b.png"
    assert "mask it reads" in plan_outputs(images[2:], out, [str(out / "b.png")], overwrite=True)[0].reason


def test_repair_into_the_photos_folder_leaves_every_original_alone(folder):
    before = {n: sha(folder / n) for n in ("a.jpg", "a.png", "b.jpg")}
    out = captag("repair", folder / "a.jpg", folder / "b.jpg", "--mask-dir", folder / "masks", "--out-dir", folder,
                 "--method", "telea")
    assert out.returncode == 1 and "a.png already exists" in out.stderr and "Traceback" not in out.stderr
    # even with --overwrite, a photo the run reads is never an output
    Image.fromarray(np.zeros((40, 48), np.uint8)).save(folder / "masks" / "a.png")
    out = captag("repair", folder / "a.jpg", folder / "a.png", "--mask-dir", folder / "masks", "--out-dir", folder,
                 "--method", "telea", "--overwrite")
    assert out.returncode == 1 and out.stderr.count("original photo") == 2
    assert {n: sha(folder / n) for n in before} == before
    assert (folder / "b.png").exists(), "the photo that could be written still was"


def test_repair_never_writes_over_the_mask_it_reads(folder):
    mask = sha(folder / "masks" / "b.png")
    out = captag("repair", folder / "b.jpg", "--mask-dir", folder / "masks", "--out-dir", folder / "masks",
                 "--method", "telea", "--overwrite")
    assert out.returncode == 1 and "mask it reads" in out.stderr
    assert sha(folder / "masks" / "b.png") == mask


def test_an_existing_output_is_replaced_only_with_overwrite(folder):
    out_dir = folder / "out"
    args = ("repair", folder / "b.jpg", "--mask-dir", folder / "masks", "--out-dir", out_dir, "--method", "telea")
    assert captag(*args).returncode == 0
    again = captag(*args)
    assert again.returncode == 1 and "--overwrite" in again.stderr
    assert captag(*args, "--overwrite").returncode == 0


def test_detect_damage_never_writes_over_a_photo(folder):
    before = sha(folder / "a.png")
    out = captag("detect-damage", folder / "a.jpg", "--out-dir", folder)
    assert out.returncode == 1 and "already exists" in out.stderr
    out = captag("detect-damage", folder / "a.jpg", folder / "a.png", "--out-dir", folder, "--overwrite")
    assert out.returncode == 1 and "original photo" in out.stderr
    assert sha(folder / "a.png") == before


def test_an_out_dir_that_is_a_file_is_refused_before_any_work(folder):
    assert "is a file" in check_out_dir(folder / "a.jpg")
    out = captag("detect-damage", folder / "b.jpg", "--out-dir", folder / "a.jpg")
    assert out.returncode == 2 and "is a file" in out.stderr


def test_caption_errors_go_to_stderr_and_stdout_stays_data(folder, bad_files):
    out = captag("caption", folder / "b.jpg", bad_files["missing"])
    assert out.returncode == 1
    assert str(bad_files["missing"]) not in out.stdout and "not found" in out.stderr
    assert out.stderr.count(bad_files["missing"].name) == 1, "the path once, not twice"


def test_numbers_are_checked_and_length_penalty_zero_means_zero(folder):
    from captag_desktop.cli import build_parser

    assert build_parser().parse_args(["caption", "x.jpg", "--length-penalty", "0"]).length_penalty == 0.0
    for bad in (["caption", "x.jpg", "--length-penalty", "nan"], ["detect-damage", "x.jpg", "--out-dir", "o",
                                                                    "--threshold", "5"]):
        assert captag(*bad[:1], *bad[1:]).returncode == 2


def test_bench_on_a_bad_photo_is_a_message_not_a_traceback(bad_files):
    out = captag("bench", bad_files["empty"], "--runs", "1")
    assert out.returncode == 2 and "empty" in out.stderr and "Traceback" not in out.stderr


def test_sigterm_stops_like_ctrl_c(monkeypatch):
    from captag_desktop.cli import _stop_on_sigterm

    previous = signal.getsignal(signal.SIGTERM)
    try:
        _stop_on_sigterm()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler runs at the next bytecode
                pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_json_line_is_still_written_for_a_failed_photo(bad_files):
    out = captag("caption", bad_files["missing"], "--json", "--hashtags", "0")
    assert "not found" in json.loads(out.stdout)["error"] and "not found" in out.stderr


def test_post_and_language_flags_say_when_they_do_nothing(folder):
    from captag_desktop.cli import build_parser

    assert build_parser().parse_args(["caption", "x.jpg", "--lang", "EN,Hi,en"]).lang == ["en", "hi"]
    out = captag("caption", folder / "b.jpg", "--lang", "hi", "--post", "plain", "--json", "--hashtags", "0")
    assert out.returncode == 0 and "add en to --lang" in out.stderr
    out = captag("caption", folder / "b.jpg", "--platform", "facebook", "--hashtags", "0")
    assert out.returncode == 0 and "--platform applies to --post" in out.stderr


def test_every_language_gets_the_hashtag_count():
    """Some English tags have no translation, or two translate alike: the translated lists draw on spares."""
    from captag_desktop.core.images import load_image
    from captag_desktop.core.pipeline import Pipeline, drive
    from training.flickr8k import DEFAULT_ROOT, image_path

    if not DEFAULT_ROOT.exists():
        pytest.skip("needs ../shared/datasets")
    name = "1434607942_da5432c28c.jpg"  # a Flickr8k photo whose Tamil, Telugu and Bengali lists came up 2 short
    pipe = Pipeline()
    rgb = load_image(image_path(DEFAULT_ROOT, name)).rgb
    result = drive(pipe.describe(rgb, name, ["en", "ar", "hi", "ta", "te", "bn"], 30))
    assert {lang: len(tags) for lang, tags in result.hashtags.items()} == dict.fromkeys(result.hashtags, 30)
    tags_en = pipe.hashtags(pipe.encoder()(rgb), result.captions["en"], 35)  # what describe translates first
    for lang in ("ta", "te", "bn"):
        first = pipe.translator.hashtags(tags_en, lang)
        assert len(first) < 30 and result.hashtags[lang][:len(first)] == first, "topped up, not reshuffled"


def test_a_photo_named_twice_is_planned_once_and_case_only_differences_clash(folder):
    a = str(folder / "a.jpg")
    plan = plan_outputs([a, str(folder / "." / "a.jpg")], folder / "out")
    assert len(plan) == 1 and plan[0].target == folder / "out" / "a.png"
    (folder / "B.jpg").write_bytes((folder / "b.jpg").read_bytes())
    plan = plan_outputs([str(folder / "b.jpg"), str(folder / "B.jpg")], folder / "out")
    assert plan[1].target is None, "b.png and B.png are one file on macOS and Windows"


def test_sigterm_has_its_own_exit_code(folder, tmp_path):
    script = ("import os, signal, sys\n"
              "from captag_desktop import cli\n"
              "cli.cmd_detect_damage = lambda args: os.kill(os.getpid(), signal.SIGTERM) or sum(range(10**6))\n"
              f"sys.exit(cli.main(['detect-damage', {str(folder / 'b.jpg')!r}, '--out-dir', {str(tmp_path / 'o')!r}]))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 143, out.stderr


def test_a_run_that_writes_nothing_leaves_no_empty_folder(folder):
    new = folder / "new"  # as the mask folder and the out folder: the one output would be the mask itself
    out = captag("repair", folder / "b.jpg", "--mask-dir", new, "--out-dir", new, "--method", "telea")
    assert out.returncode == 1 and "mask it reads" in out.stderr and not new.exists()
    written = captag("detect-damage", folder / "b.jpg", "--out-dir", folder / "made" / "here")
    assert written.returncode == 0 and (folder / "made" / "here" / "b.png").exists()
