"""The Fast encoder's distillation on tiny data, its ONNX export, and the loss on ReLU6 features;
plus the Arabic decoder's training path."""
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training import distill_encoder, extract_features, train_captioner  # noqa: E402
from training.distill_encoder import flip_features, partial_l2  # noqa: E402
from training.flickr8k import DEFAULT_ROOT  # noqa: E402

needs_data = pytest.mark.skipif(not DEFAULT_ROOT.exists(), reason="needs ../shared/datasets")


def test_partial_l2_penalises_only_wrong_sides_of_the_clip():
    pre = torch.tensor([-1.0, 2.0, 7.0, 3.0, 5.0])
    target = torch.tensor([0.0, 0.0, 6.0, 1.0, 6.0])
    # -1 vs 0: fine; 2 vs 0: 2^2; 7 vs 6: fine; 3 vs 1: 2^2; 5 vs 6: 1^2
    assert partial_l2(pre, target).item() == pytest.approx((4 + 4 + 1) / 5)


def test_flip_features_mirrors_columns():
    f = torch.arange(49.0).view(1, 49, 1)
    flipped = flip_features(f).view(7, 7)
    assert flipped[0].tolist() == list(range(6, -1, -1)) and flipped[6, 0].item() == 48


@pytest.fixture(scope="module")
def teacher_features(tmp_path_factory):
    root = tmp_path_factory.mktemp("distill")
    extract_features.main(["--encoder", "efficientnet-lite2", "--out", str(root / "f"), "--limit", "6"])
    return root


def export_tiny_student(teacher_features, tmp_path):
    """A few distillation steps on 6 photos, exported; checks the run and the graph's output."""
    import onnxruntime as ort

    from training.build_fast_encoder import export_student

    run = tmp_path / "student"
    run.mkdir()
    summary = distill_encoder.train(distill_encoder.parser().parse_args([
        "--features", str(teacher_features / "f" / "efficientnet-lite2.npy"), "--out", str(run), "--limit", "6",
        "--dev-limit", "6", "--minutes", "5", "--max-steps", "4", "--batch", "3"]))
    assert summary["student_macs"] * 5 <= summary["teacher_macs"]
    assert (run / "best.pt").exists() and json.loads((run / "history.json").read_text())
    export_student(run / "best.pt", tmp_path / "fast.onnx")
    sess = ort.InferenceSession(str(tmp_path / "fast.onnx"), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).normal(size=(2, 3, 224, 224)).astype(np.float32)
    out = sess.run(None, {"pixels": x})[0]
    assert out.shape == (2, 49, 1280) and out.min() >= 0 and out.max() <= 6
    return tmp_path / "fast.onnx"


@needs_data
def test_distillation_runs_and_exports(teacher_features, tmp_path):
    export_tiny_student(teacher_features, tmp_path)


@needs_data
def test_int8_encoder_stays_close_to_float_and_is_quantized_once(teacher_features, tmp_path):
    import shutil

    from training.quantize_encoder import feature_error, is_quantized, quantize_static_int8

    path = export_tiny_student(teacher_features, tmp_path)
    shutil.copyfile(path, tmp_path / "float.onnx")
    quantize_static_int8(path, DEFAULT_ROOT, photos=3)
    assert is_quantized(path) and not is_quantized(tmp_path / "float.onnx")
    err = feature_error(tmp_path / "float.onnx", path, DEFAULT_ROOT, photos=2)
    assert err["relative_mae"] < 0.25, err  # 0.12 here: an untrained student, calibrated on 3 photos
    with pytest.raises(ValueError, match="already quantized"):
        quantize_static_int8(path, DEFAULT_ROOT, photos=3)
    # the app's exact features can be cached for training from the graph itself
    extract_features.main(["--onnx", str(path), "--encoder", "tiny_int8", "--out", str(tmp_path / "f"), "--limit", "2"])
    cached, rows = extract_features.load_features(tmp_path / "f" / "tiny_int8.npy")
    name = extract_features.read_split(DEFAULT_ROOT, "dev")[1]
    want = extract_features.OnnxEncoder(path)(torch.from_numpy(extract_features.encoder_batch(
        [extract_features.load_image(extract_features.image_path(DEFAULT_ROOT, name)).rgb]))).numpy()
    assert len(rows) == 4 and np.allclose(cached[rows[name]], want[0], atol=1e-2)


@needs_data
def test_arabic_decoder_trains_on_normalised_words(teacher_features, tmp_path):
    run = tmp_path / "ar"
    train_captioner.train(train_captioner.parser().parse_args([
        "--lang", "ar", "--features", str(teacher_features / "f" / "efficientnet-lite2.npy"), "--out", str(run),
        "--epochs", "1", "--d-model", "32", "--heads", "2", "--layers", "1", "--min-count", "1", "--batch", "4",
        "--max-len", "12"]))
    vocab = json.loads((run / "vocab.json").read_text(encoding="utf-8"))
    assert vocab["lang"] == "ar" and "ة" not in "".join(vocab["words"][4:])  # folded to ه for training
    assert any("ة" in v for v in vocab["display"].values())  # shown as people write it


@needs_data
def test_distillation_with_a_caption_term_tracks_it_on_dev(teacher_features, tmp_path):
    feats = str(teacher_features / "f" / "efficientnet-lite2.npy")
    decoder = tmp_path / "dec"
    train_captioner.train(train_captioner.parser().parse_args([
        "--features", feats, "--out", str(decoder), "--epochs", "1", "--d-model", "32", "--heads", "2",
        "--layers", "1", "--min-count", "1", "--batch", "4", "--max-len", "12"]))
    run = tmp_path / "student"
    run.mkdir()
    summary = distill_encoder.train(distill_encoder.parser().parse_args([
        "--features", feats, "--out", str(run), "--limit", "6", "--dev-limit", "6", "--minutes", "0.05",
        "--batch", "3", "--caption-decoder", str(decoder / "best.pt"), "--caption-weight", "0.5"]))
    dev = summary["best_dev"]
    assert dev["dev_caption_xe"] > 0  # a real cross-entropy through the frozen decoder
    assert distill_encoder.dev_objective(dev, 0.5) == pytest.approx(dev["dev_feature_mse"] + 0.5 * dev["dev_caption_xe"])


def test_teacher_captions_shared_by_too_many_photos_are_dropped():
    from training.teacher_captions import drop_common

    caps = {"a.jpg": ["a dog runs"], "b.jpg": ["a dog runs"], "c.jpg": ["a red kite"]}
    assert drop_common(caps, 2) == caps
    assert drop_common(caps, 1) == {"c.jpg": ["a red kite"]}


def test_card_states_the_caption_term_only_for_runs_that_used_it(tmp_path):
    from training.build_fast_encoder import loss_note

    torch.save({"args": {"kl_weight": 0.5, "temperature": 4.0}}, tmp_path / "best.pt")
    assert "cross-entropy" not in loss_note(tmp_path)
    torch.save({"args": {"kl_weight": 0.5, "temperature": 4.0, "caption_decoder": "dec/best.pt",
                         "caption_weight": 0.5, "init": "old/best.pt"}}, tmp_path / "best.pt")
    note = loss_note(tmp_path)
    assert "0.5 x the cross-entropy" in note and "`dec/best.pt`" in note and "`old/best.pt` had no caption term" in note
