"""The captioner's training code on tiny data: extract, train, export, and ONNX parity."""
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from captag_desktop.core.beam_search import DecodeOptions, greedy_search  # noqa: E402
from captag_desktop.core.captioner import CaptionDecoder, Encoder  # noqa: E402
from captag_desktop.core.images import load_image  # noqa: E402
from captag_desktop.core.models import ModelStore  # noqa: E402
from captag_desktop.core.preprocess import encoder_input  # noqa: E402
from training import export_captioner, extract_features, train_captioner  # noqa: E402
from training.flickr8k import DEFAULT_ROOT, image_path, read_split  # noqa: E402

pytestmark = pytest.mark.skipif(not DEFAULT_ROOT.exists(), reason="needs ../shared/datasets")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("captioner")
    feats = root / "features"
    extract_features.main(["--encoder", "efficientnet-lite0", "--out", str(feats), "--limit", "6"])
    run = root / "run"
    summary = train_captioner.train(train_captioner.parser().parse_args([
        "--features", str(feats / "efficientnet-lite0.npy"), "--out", str(run), "--epochs", "2",
        "--d-model", "32", "--heads", "2", "--layers", "1", "--min-count", "1", "--batch", "8", "--max-len", "12"]))
    models = root / "models"
    models.mkdir()
    export_captioner.export_all(run, "efficientnet-lite0", models)
    return root, run, models, summary


def test_training_writes_checkpoint_and_metrics(tiny_run):
    _, run, _, summary = tiny_run
    assert (run / "best.pt").exists()
    history = json.loads((run / "history.json").read_text())
    assert len(history) == 2 and "CIDEr-D" in history[0]
    assert history[1]["train_loss"] < history[0]["train_loss"]
    assert summary["parameters"] > 0


def test_manifest_lists_exported_files_with_hashes(tiny_run):
    _, _, models, _ = tiny_run
    store = ModelStore(models)
    assert {"encoder-quality", "caption-en-init", "caption-en-step", "caption-en-vocab"} <= set(store.entries)
    assert all(store.verify(n) for n in store.entries)
    step = store.entry("caption-en-step").raw
    assert [i["name"] for i in step["inputs"]] == ["token", "position", "self_k", "self_v", "cross_k", "cross_v"]


def test_onnx_matches_torch(tiny_run):
    _, run, models, _ = tiny_run
    from training.encoder_model import load_encoder

    store = ModelStore(models)
    names = read_split(DEFAULT_ROOT, "dev")[:3]
    torch_enc = load_encoder("efficientnet-lite0")
    torch_dec = export_captioner.load_decoder(run / "best.pt")
    onnx_enc, onnx_dec = Encoder(store), CaptionDecoder(store)
    vocab = onnx_dec.vocab
    for n in names:
        rgb = load_image(image_path(DEFAULT_ROOT, n)).rgb
        with torch.no_grad():
            tf = torch_enc(torch.from_numpy(encoder_input(rgb)))
        of = onnx_enc(rgb)
        np.testing.assert_allclose(of["features"], tf.numpy(), atol=1e-3, rtol=1e-3)
        max_len = torch_dec.config.max_len - 1
        torch_words = train_captioner.greedy(torch_dec, tf, vocab, torch_dec.config.max_len)[0]
        # Unrestricted greedy on the ONNX graphs (the app additionally bans <unk>).
        onnx_ids = greedy_search(onnx_dec._step, onnx_dec.initial_state(of), vocab.bos_id, vocab.eos_id, max_len)
        assert vocab.decode(onnx_ids) == torch_words
        # Beam search runs on the exported graphs as well.
        assert isinstance(onnx_dec.caption(of, DecodeOptions(beam_size=3)), str)


def test_scst_runs_and_keeps_best_checkpoint(tiny_run):
    from training import train_scst

    root, run, _, _ = tiny_run
    out = root / "scst"
    out.mkdir()
    summary = train_scst.train(train_scst.parser().parse_args([
        "--init", str(run / "best.pt"), "--features", str(root / "features" / "efficientnet-lite0.npy"),
        "--out", str(out), "--minutes", "0.05", "--batch", "2", "--k", "3", "--eval-every", "1", "--threads", "1"]))
    assert summary["steps"] >= 1
    assert (out / "best.pt").exists()
    reloaded = export_captioner.load_decoder(out / "best.pt")
    assert reloaded.config.vocab_size == export_captioner.load_decoder(run / "best.pt").config.vocab_size


def test_teacher_captions_join_the_fine_tuning_targets(tiny_run):
    from training import teacher_captions

    root, run, _, _ = tiny_run
    features = root / "features" / "efficientnet-lite0.npy"
    lite2 = root / "features" / "efficientnet-lite2.npy"
    reads = CaptionDecoder(ModelStore()).input_name  # the bundled English decoder's encoder output
    if reads != "features":
        with pytest.raises(SystemExit, match="--cut"):
            teacher_captions.teacher_captions(lite2, DEFAULT_ROOT, limit=3)
        cut = str(export_captioner.tapped_block(reads))
        extract_features.main(["--out", str(lite2.parent), "--limit", "3", "--cut", cut])
    else:
        extract_features.main(["--out", str(lite2.parent), "--limit", "3"])
    caps = teacher_captions.teacher_captions(lite2, DEFAULT_ROOT, limit=3)
    assert len(caps) == 3 and all(len(c) == 1 and len(c[0].split()) >= 3 for c in caps.values())
    extra = root / "teacher.json"
    extra.write_text(json.dumps(caps))
    out = root / "kd"
    train_captioner.train(train_captioner.parser().parse_args([
        "--init", str(run / "best.pt"), "--features", str(features), "--out", str(out), "--epochs", "1",
        "--batch", "8", "--extra-captions", str(extra)]))
    assert (out / "best.pt").exists()
    names = list(caps)
    groups = train_captioner.make_groups(names, {n: ["a dog", "a cat"] + caps[n] for n in names},
                                         {n: i for i, n in enumerate(names)}, train_captioner.Vocab.load(run / "vocab.json"), 12)
    assert groups[2].sum() == 3 * len(names)  # every human caption and the teacher's are targets


def test_evaluation_decodes_each_path_with_its_own_length_penalty():
    from training.evaluate_captioner import evaluate

    store = ModelStore()
    for encoder, entry in (("quality", "caption-en-init"), ("fast", "caption-en-fast-init")):
        own = store.entry(entry).raw.get("decode", {}).get("length_penalty", 0.6)
        assert evaluate(DEFAULT_ROOT, "dev", 1, encoder=encoder, limit=1)["length_penalty"] == own
    assert evaluate(DEFAULT_ROOT, "dev", 1, 0.3, "fast", limit=1)["length_penalty"] == 0.3


def test_mirror_average_lines_regions_up():
    """An encoder that pools the photo into a grid commutes with mirroring, so averaging with the
    mirror image's features (flipped back) must give the photo's own features; without the flip
    back the regions would be swapped left to right."""
    from training.evaluate_captioner import mirror_average

    def grid_encoder(rgb, side=4):
        h, w = rgb.shape[0] // side, rgb.shape[1] // side
        cells = rgb[: h * side, : w * side].reshape(side, h, side, w, 3).mean((1, 3))
        grid = cells.reshape(1, side * side, 3).astype(np.float32)
        return {"features": grid, "block": grid * 2}

    rgb = np.random.default_rng(0).integers(0, 255, (32, 48, 3)).astype(np.uint8)
    own = grid_encoder(rgb)
    averaged = mirror_average(grid_encoder, rgb)
    for name in own:
        np.testing.assert_allclose(averaged[name], own[name], rtol=1e-5)
    assert not np.allclose(grid_encoder(rgb[:, ::-1])["features"], own["features"])


def test_flipped_features_augment_a_continued_run(tiny_run):
    from training.encoder_model import load_encoder

    root, run, _, _ = tiny_run
    feats = root / "features"
    extract_features.main(["--encoder", "efficientnet-lite0", "--out", str(feats), "--limit", "6", "--flip"])
    flipped, rows = extract_features.load_features(feats / "efficientnet-lite0_flip.npy")
    name = read_split(DEFAULT_ROOT, "train")[0]
    assert len(rows) == 6 and name in rows  # train photos only: dev is scored as it is
    mirrored = np.ascontiguousarray(load_image(image_path(DEFAULT_ROOT, name)).rgb[:, ::-1])
    with torch.no_grad():
        expected = load_encoder("efficientnet-lite0")(torch.from_numpy(encoder_input(mirrored))).numpy()[0]
    np.testing.assert_allclose(flipped[rows[name]], expected, atol=2e-2, rtol=1e-2)

    aug = train_captioner.FlippedFeatures(feats / "efficientnet-lite0_flip.npy", p=1.0)
    batch = np.zeros((2, *flipped.shape[1:]), np.float32)
    aug.swap_in(batch, [name, "not-a-train-photo.jpg"])
    np.testing.assert_array_equal(batch[0], flipped[rows[name]])
    assert not batch[1].any()

    out = root / "flip"
    summary = train_captioner.train(train_captioner.parser().parse_args([
        "--init", str(run / "best.pt"), "--features", str(feats / "efficientnet-lite0.npy"), "--out", str(out),
        "--epochs", "1", "--batch", "8", "--flip-features", str(feats / "efficientnet-lite0_flip.npy")]))
    assert summary["continued_from"] == str(run / "best.pt") and "mirrored" in summary["augmentation"]
    before = json.loads((run / "train_summary.json").read_text())["train_seconds"]
    assert summary["total_train_seconds"] == summary["train_seconds"] + before


def test_chain_totals_add_up_over_every_earlier_run(tmp_path):
    from training.run_utils import add_chain_totals

    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "train_summary.json").write_text(json.dumps({"train_seconds": 60, "steps": 10}))
    mid = add_chain_totals({"train_seconds": 30, "steps": 5}, first / "best.pt")
    assert (mid["total_train_seconds"], mid["total_steps"], mid["continued_from"]) == (90, 15, str(first / "best.pt"))
    (second / "train_summary.json").write_text(json.dumps(mid))
    last = add_chain_totals({"train_seconds": 1}, second / "best.pt")  # a run that counts epochs, not steps
    assert last["total_train_seconds"] == 91 and "total_steps" not in last
    assert add_chain_totals({"train_seconds": 1}, tmp_path / "nowhere" / "best.pt") == {"train_seconds": 1}
    assert add_chain_totals({"train_seconds": 1}, None) == {"train_seconds": 1}


def test_card_names_the_command_of_the_run_it_continued(tmp_path):
    from training.build_captioner import record_command
    from training.model_card import _chain

    first = tmp_path / "cap1"
    first.mkdir()
    (first / "train_summary.json").write_text(json.dumps({"train_seconds": 60}))
    record_command(first, "python -m training.build_captioner --out cap1")
    continued = {"continued_from": str(first / "best.pt")}
    assert _chain(continued, "python -m training.build_captioner --init cap1/best.pt") == (
        f"`python -m training.build_captioner --out cap1` (makes `{first / 'best.pt'}`), "
        "then `python -m training.build_captioner --init cap1/best.pt`")
    assert _chain({}, "python -m x") == "`python -m x`"
    second = tmp_path / "cap2"
    second.mkdir()
    (second / "train_summary.json").write_text(json.dumps({"train_seconds": 60, **continued}))
    record_command(second, "python -m training.build_captioner --init cap1/best.pt")
    assert _chain({"continued_from": str(second / "best.pt")}, "python -m training.build_captioner --init cap2/best.pt") == (
        f"`python -m training.build_captioner --out cap1` (makes `{first / 'best.pt'}`), "
        f"then `python -m training.build_captioner --init cap1/best.pt` (makes `{second / 'best.pt'}`), "
        "then `python -m training.build_captioner --init cap2/best.pt`")


def test_scst_can_see_mirrored_photos_and_mix_in_cross_entropy(tiny_run):
    from training import train_scst

    root, run, _, _ = tiny_run
    feats = root / "features"
    extract_features.main(["--encoder", "efficientnet-lite0", "--out", str(feats), "--limit", "6", "--flip"])
    out = root / "scst_flip"
    out.mkdir()
    summary = train_scst.train(train_scst.parser().parse_args([
        "--init", str(run / "best.pt"), "--features", str(feats / "efficientnet-lite0.npy"), "--out", str(out),
        "--minutes", "0.05", "--batch", "2", "--k", "3", "--eval-every", "1", "--threads", "1",
        "--flip-features", str(feats / "efficientnet-lite0_flip.npy"), "--flip-prob", "1",
        "--xe-weight", "0.5", "--no-dropout"]))
    assert summary["steps"] >= 1 and (out / "best.pt").exists()


@pytest.fixture(scope="module")
def tuned_run(tiny_run):
    """A continued run that tunes the encoder's last block (--tune-top 15) on cached block-14 outputs."""
    root, run, _, _ = tiny_run
    feats = root / "features"
    extract_features.main(["--encoder", "efficientnet-lite0", "--out", str(feats), "--limit", "6", "--cut", "14"])
    cut_feats = feats / "efficientnet-lite0_cut14.npy"
    wrong = train_captioner.parser().parse_args([
        "--init", str(run / "best.pt"), "--features", str(feats / "efficientnet-lite0.npy"), "--out", str(root / "no"),
        "--tune-top", "15"])
    with pytest.raises(SystemExit, match="--cut 14"):
        train_captioner.train(wrong)
    out = root / "top"
    summary = train_captioner.train(train_captioner.parser().parse_args([
        "--init", str(run / "best.pt"), "--features", str(cut_feats), "--out", str(out), "--epochs", "1",
        "--batch", "8", "--tune-top", "15", "--top-lr-scale", "1"]))
    return root, out, cut_feats, summary


def test_encoder_top_tunes_with_the_decoder_and_exports(tuned_run):
    """--tune-top trains the encoder's last block on cached block outputs; its batch-norm statistics stay
    frozen, and the exported init graph takes the cut features and matches torch."""
    import onnxruntime as ort

    from training.encoder_model import load_encoder

    root, out, _, summary = tuned_run
    assert "blocks 15+" in summary["encoder_tuning"]
    tuned = export_captioner.load_decoder(out / "best.pt")
    pretrained = load_encoder("efficientnet-lite0").backbone
    old, new = pretrained._blocks[15], tuned.top.backbone._blocks[15]
    assert not torch.equal(old._project_conv.weight, new._project_conv.weight)
    torch.testing.assert_close(old._bn2.running_mean, new._bn2.running_mean)

    models = root / "top_models"
    models.mkdir()
    export_captioner.export_all(out, "efficientnet-lite0", models)
    store = ModelStore(models)
    enc, dec = Encoder(store), CaptionDecoder(store)
    assert dec.input_name == "block14"
    rgb = load_image(image_path(DEFAULT_ROOT, read_split(DEFAULT_ROOT, "dev")[0])).rgb
    encoding = enc(rgb)
    assert set(encoding) == {"features", "block14"}
    with torch.no_grad():
        cut = load_encoder("efficientnet-lite0", cut=14)(torch.from_numpy(encoder_input(rgb)))
    np.testing.assert_allclose(encoding["block14"], cut.numpy(), atol=1e-3, rtol=1e-3)
    init = ort.InferenceSession(str(models / "caption_en_init.onnx"))
    ck, _ = init.run(None, {"block14": encoding["block14"]})
    with torch.no_grad():
        expected = tuned.eval().init_cache(cut)[0].numpy()
    np.testing.assert_allclose(ck, expected, atol=1e-4, rtol=1e-3)
    assert isinstance(dec.caption(encoding, DecodeOptions(beam_size=3)), str)
    with pytest.raises(ValueError, match="block14"):
        dec.caption({"features": encoding["features"]})


def test_scst_can_freeze_a_tuned_encoder_top(tuned_run):
    from training import train_scst

    root, top_run, cut_feats, _ = tuned_run
    args = train_scst.parser().parse_args([
        "--init", str(top_run / "best.pt"), "--features", str(cut_feats), "--out", str(root / "scst_frozen_top"),
        "--minutes", "0.05", "--batch", "2", "--k", "3", "--eval-every", "1", "--threads", "1", "--top-lr-scale", "0"])
    model = export_captioner.load_decoder(top_run / "best.pt")
    optimised = {id(p) for g in train_scst.optimizer(model, args).param_groups for p in g["params"]}
    assert not any(id(p) in optimised or p.requires_grad for p in model.top.parameters())
    assert all(id(p) in optimised for p in model.layers.parameters())
    (root / "scst_frozen_top").mkdir()
    assert train_scst.train(args)["steps"] >= 1


def test_a_downsampling_top_exports_for_the_larger_grid_below_it(tmp_path):
    """Tuning from a stride-2 block (lite0's block 11: 14x14 -> 7x7) makes the init graph read 4x the regions."""
    import onnxruntime as ort

    from training.caption_model import CaptionDecoder as TorchDecoder
    from training.caption_model import DecoderConfig

    cfg = DecoderConfig(vocab_size=20, d_model=32, n_heads=2, n_layers=1, d_ff=64, max_len=8, top_from=11,
                        top_encoder="efficientnet-lite0")
    model = TorchDecoder(cfg).eval()
    assert model.input_regions == 4 * cfg.n_regions
    export_captioner.export_decoder(model, tmp_path / "init.onnx", tmp_path / "step.onnx")
    feats = np.random.default_rng(0).normal(size=(1, 196, model.input_dim)).astype(np.float32)
    (ck, _) = ort.InferenceSession(str(tmp_path / "init.onnx")).run(None, {"block10": feats})
    with torch.no_grad():
        expected = model.init_cache(torch.from_numpy(feats))[0].numpy()
    np.testing.assert_allclose(ck, expected, atol=1e-4, rtol=1e-3)


def test_pointwise_conv_weights_are_stored_int8_per_channel(tmp_path):
    """The tuned top's 1x1 convs keep float compute with int8 weights; depthwise convs stay float."""
    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper

    net = torch.nn.Sequential(torch.nn.Conv2d(64, 256, 1), torch.nn.Conv2d(256, 256, 3, padding=1, groups=256),
                              torch.nn.Conv2d(256, 64, 1)).eval()
    path = tmp_path / "convs.onnx"
    x = torch.randn(1, 64, 7, 7)
    torch.onnx.export(net, (x,), str(path), input_names=["x"], output_names=["y"], opset_version=17, dynamo=False)
    float_size = path.stat().st_size
    export_captioner.int8_conv_weights(path)
    stored = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}
    int8 = [n for n, w in stored.items() if w.dtype == np.int8 and w.ndim == 4]
    assert len(int8) == 2 and all(stored[n].shape[2:] == (1, 1) for n in int8)
    assert path.stat().st_size < float_size / 2
    (y,) = ort.InferenceSession(str(path)).run(None, {"x": x.numpy()})
    with torch.no_grad():
        expected = net(x).numpy()
    np.testing.assert_allclose(y, expected, atol=0.02 * np.abs(expected).max())


def test_features_at_another_image_size_have_more_regions_and_their_own_cache(tmp_path):
    feats = tmp_path / "features"
    extract_features.main(["--encoder", "efficientnet-lite0", "--out", str(feats), "--limit", "2", "--image-size", "288"])
    big, rows = extract_features.load_features(feats / "efficientnet-lite0_288px.npy")
    assert big.shape[:2] == (4, 81) and not (feats / "efficientnet-lite0.npy").exists()  # 9x9 regions, 2 train + 2 dev
