"""Repair training code on tiny data: a few steps, ONNX export, and parity with torch."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from captag_desktop.core.damage import DamageDetector, detector_input  # noqa: E402
from captag_desktop.core.masks import FILL  # noqa: E402
from captag_desktop.core.models import ModelStore  # noqa: E402
from captag_desktop.core.pipeline import drive  # noqa: E402
from captag_desktop.core.repair import Repairer, inpaint_inputs  # noqa: E402
from training import export_repair, train_repair  # noqa: E402
from training.flickr8k import DEFAULT_ROOT  # noqa: E402
from training.synthetic_damage import random_mask, render_damage  # noqa: E402

pytestmark = pytest.mark.skipif(not DEFAULT_ROOT.exists(), reason="needs ../shared/datasets")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("repair")
    for task in ("inpaint", "detect"):
        train_repair.train(train_repair.parser().parse_args(
            ["--task", task, "--limit", "6", "--steps", "2", "--batch", "2", "--crop", "64", "--out", str(root / task)]))
    models = root / "models"
    models.mkdir()
    export_repair.export_all(root / "inpaint" / "last.pt", root / "detect" / "last.pt", models)
    return root, models


def test_synthetic_masks_follow_convention():
    rng = np.random.default_rng(0)
    m = random_mask(rng, 224, 224)
    assert m.dtype == np.uint8 and set(np.unique(m)) <= {0, FILL} and 0 < (m > 0).mean() < 0.6
    img = np.full((64, 64, 3), 128, np.uint8)
    damaged, mask = render_damage(rng, img)
    changed = np.abs(damaged.astype(int) - img).max(-1) > 20
    assert (mask[changed] == FILL).mean() > 0.9


def test_exported_models_run_through_the_app(exported):
    _, models = exported
    store = ModelStore(models)
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (100, 130, 3), dtype=np.uint8)
    m = np.zeros((100, 130), np.uint8)
    m[40:60, 40:80] = 255
    out = drive(Repairer(store, "model").repair(img, m))
    assert out.shape == img.shape and (out[m == 0] == img[m == 0]).all()
    det = DamageDetector(store).detect(img)
    assert det.shape == (100, 130) and set(np.unique(det)) <= {0, 255}


def test_onnx_matches_torch(exported):
    root, models = exported
    store = ModelStore(models)
    x = np.random.default_rng(2).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    net = export_repair.load("detect", root / "detect" / "last.pt")
    with torch.no_grad():
        t = net(torch.from_numpy(detector_input(x))).numpy()
    o = store.session("damage-detector").run(["logits"], {"image": detector_input(x)})[0]
    np.testing.assert_allclose(o, t, atol=1e-4)
    inp = export_repair.load("inpaint", root / "inpaint" / "last.pt")
    hole = np.zeros((64, 64), bool)
    hole[10:30, 10:30] = True
    xi, valid = inpaint_inputs(x, hole)
    with torch.no_grad():
        t = inp(torch.from_numpy(xi), torch.from_numpy(valid)).numpy()
    o = store.session("inpaint").run(["image"], {"prefilled": xi, "valid": valid})[0]
    np.testing.assert_allclose(o, t, atol=1e-4)


def test_untrained_inpainter_starts_at_telea():
    """The learned part is a correction added to Telea's fill, initialised to zero."""
    from training.repair_models import InpaintNet

    x = np.random.default_rng(3).integers(0, 255, (64, 96, 3), dtype=np.uint8)
    hole = np.zeros((64, 96), bool)
    hole[20:40, 30:70] = True
    prefilled, valid = inpaint_inputs(x, hole)
    with torch.no_grad():
        out = InpaintNet()(torch.from_numpy(prefilled), torch.from_numpy(valid)).numpy()
    np.testing.assert_allclose(out, prefilled, atol=1e-6)
    assert np.abs(prefilled[0, :, 20:40, 30:70] - x[20:40, 30:70].transpose(2, 0, 1) / 255).max() > 0.1


def test_card_command_drops_build_only_flags():
    from training.run_utils import command_line

    assert command_line("training.build_repair --skip-train", ["--images", "50", "--skip-train"],
                        drop=("--skip-train",)) == "python -m training.build_repair --skip-train --images 50"


@pytest.mark.parametrize("levels", [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)])
def test_deeper_inpainter_grows_from_a_trained_one(tmp_path, levels):
    """--deep N --init: the extra residual blocks start as identities, so the grown net gives the
    trained net's output until it trains; weights that do not fit are refused."""
    from training.repair_models import InpaintNet

    torch.manual_seed(0)
    shallow = InpaintNet(deep=levels[0])
    torch.nn.init.normal_(shallow.out.weight, std=0.05)  # as if trained: a non-zero correction
    for m in shallow.modules():  # trained residual blocks are not identities either
        if isinstance(m, torch.nn.Conv2d) and m is not shallow.out and not m.weight.any():
            torch.nn.init.normal_(m.weight, std=0.05)
    train_repair.save_checkpoint(tmp_path / "last.pt", shallow, torch.optim.Adam(shallow.parameters()), 40, 9.0)
    deep = InpaintNet(deep=levels[1])
    assert train_repair.grow_from(deep, tmp_path / "last.pt") == (40, 9.0)
    x = torch.rand(1, 3, 64, 64)
    valid = (torch.rand(1, 1, 64, 64) > 0.3).float()
    with torch.no_grad():
        a, b = shallow(x, valid), deep(x, valid)
    assert (a - x).abs().max() > 1e-3
    torch.testing.assert_close(a, b)
    assert sum(p.numel() for p in deep.parameters()) > sum(p.numel() for p in shallow.parameters())
    new = [p for k, p in deep.named_parameters() if k not in shallow.state_dict()]
    with torch.no_grad():
        for p in new:
            p.add_(0.1)
        assert (deep(x, valid) - b).abs().max() > 1e-4  # the new blocks are on the path, not just in the net
    train_repair.save_checkpoint(tmp_path / "det.pt", train_repair.DamageNet(), torch.optim.Adam(shallow.parameters()), 1, 0)
    with pytest.raises(SystemExit, match="does not fit"):
        train_repair.grow_from(InpaintNet(deep=True), tmp_path / "det.pt")


def test_deep_config_survives_export(tmp_path):
    from training.repair_models import InpaintNet

    net = InpaintNet(deep=2)
    train_repair.save_checkpoint(tmp_path / "last.pt", net, torch.optim.Adam(net.parameters()), 1, 0)
    assert export_repair.load("inpaint", tmp_path / "last.pt").config == {"c": 32, "deep": 2}
    level1 = {k: v for k, v in net.state_dict().items() if not k.startswith(("refine_b2", "refine3b", "refine2b"))}
    InpaintNet(deep=True).load_state_dict(level1)  # checkpoints from before levels (deep: bool) still load


def test_weight_average_is_what_gets_exported(tmp_path):
    """--ema: the average moves (1 - decay) of the way to the weights each step, and the
    exported net is the average, not the last step's weights."""
    from training.repair_models import InpaintNet

    net = InpaintNet()
    average = train_repair.WeightAverage(net, decay=0.75)
    start = net.out.bias.detach().clone()
    with torch.no_grad():
        net.out.bias.fill_(1.0)
    average.update(net)
    torch.testing.assert_close(average.weights["out.bias"], start + 0.25 * (1.0 - start))
    train_repair.save_checkpoint(tmp_path / "last.pt", net, torch.optim.Adam(net.parameters()), 1, 0, average.weights)
    exported = export_repair.load("inpaint", tmp_path / "last.pt")
    torch.testing.assert_close(exported.out.bias, average.weights["out.bias"])
    resumed = train_repair.WeightAverage(net, 0.75, torch.load(tmp_path / "last.pt", weights_only=True)["ema"])
    torch.testing.assert_close(resumed.weights["out.bias"], average.weights["out.bias"])


def test_compile_is_for_the_inpainter_only():
    with pytest.raises(SystemExit):
        train_repair.main(["--task", "detect", "--compile", "--steps", "1"])


def test_psnr_term_scores_as_the_dev_metric():
    from training.image_metrics import psnr_in_mask

    rng = np.random.default_rng(5)
    truth = rng.integers(0, 256, (2, 32, 32, 3)).astype(np.uint8)
    pred = np.clip(truth.astype(int) + rng.integers(-20, 21, truth.shape), 0, 255).astype(np.uint8)
    mask = np.zeros((2, 32, 32), np.uint8)
    mask[0, 4:20, 4:12] = 255
    mask[1, 10:30, 2:30] = 255
    t = lambda a: torch.from_numpy(a.astype(np.float32) / 255).permute(0, 3, 1, 2)  # noqa: E731
    hole = torch.from_numpy((mask > 0).astype(np.float32))[:, None]
    got = train_repair.psnr_in_hole(t(pred), t(truth), hole).numpy()
    want = [psnr_in_mask(pred[i], truth[i], mask[i]) for i in range(2)]
    np.testing.assert_allclose(got, want, atol=0.01)


def test_deep_phase_continues_a_tiny_run(exported, tmp_path):
    root, _ = exported
    summary = train_repair.train(train_repair.parser().parse_args(
        ["--task", "inpaint", "--limit", "6", "--steps", "3", "--batch", "2", "--crop", "64", "--deep",
         "--init", str(root / "inpaint" / "last.pt"), "--psnr-weight", "0.1", "--ema", "0.9",
         "--out", str(tmp_path / "deep")]))
    assert summary["steps"] == 3  # the init run's 2 steps, then 1 more
    state = torch.load(tmp_path / "deep" / "last.pt", weights_only=True)
    assert state["config"]["deep"] == 1 and "ema" in state
    from training.model_card import _inpaint_growth

    card = _inpaint_growth(tmp_path / "deep")
    assert "`--deep --init`" in card and "`--ema`" in card and "--deep 2" not in card
    assert _inpaint_growth(root / "inpaint") == ""  # the plain run: no growth, last weights


def test_build_records_dev_metrics_on_the_manifest(exported):
    from training.build_repair import record_metrics

    _, models = exported
    report = {"split": "dev", "images": 2, "speed": {"repair_512_ms": 5.0, "detect_512_ms": 7.0},
              "inpaint": {"model": {"psnr_in_mask": 21.0, "ssim": 0.97}, "psnr_gain_over_telea_db": 1.0},
              "detect": {"bundled_threshold": 0.5, "at_bundled": {"iou_mean": 0.7, "clean_flagged_fraction_mean": 0.004}}}
    record_metrics(report, models)
    store = ModelStore(models)
    inp, det = store.entry("inpaint").raw["metrics_dev"], store.entry("damage-detector").raw["metrics_dev"]
    assert inp["psnr_gain_over_telea_db"] == 1.0 and inp["repair_512_ms"] == 5.0 and "detect_512_ms" not in inp
    assert det["iou_mean"] == 0.7 and det["threshold"] == 0.5 and det["detect_512_ms"] == 7.0
    assert store.verify("inpaint") and store.verify("damage-detector")


@pytest.mark.parametrize("deep", [2, 4, 5])
def test_recovered_inpainter_matches_the_bundled_graph(tmp_path, deep):
    """recover_repair rebuilds the torch net from the ONNX graph's named constants, exactly, and the
    run summaries from the card, so a phase continued from it names every earlier phase."""
    from training import recover_repair
    from training.repair_models import InpaintNet

    torch.manual_seed(1)
    net = InpaintNet(c=8, deep=deep).eval()
    for p in net.parameters():
        torch.nn.init.normal_(p, std=0.05)
    export_repair.export_inpaint(net, tmp_path / "inpaint.onnx")
    back = recover_repair.inpainter_from_onnx(tmp_path / "inpaint.onnx")
    assert back.config == {"c": 8, "deep": deep}
    for k, v in net.state_dict().items():
        torch.testing.assert_close(back.state_dict()[k], v)
    card = ("| Command | `python -m training.train_repair --task inpaint --out runs/a` then `cp -r runs/a runs/b` then "
            "`python -m training.train_repair --task detect --out runs/detect` then `python -m training.build_repair --skip-train` |\n"
            "| Inpainting net | a net; 120 steps of 8 crops at 224px in 30 min; loss |\n"
            "| Detector | U-Net; 40 steps of 8 crops at 112px in 5 min; BCE |\n")
    runs = recover_repair.card_runs(card)
    assert runs["inpaint"]["command"] == "python -m training.train_repair --task inpaint --out runs/a then cp -r runs/a runs/b"
    assert runs["detect"]["command"] == "python -m training.train_repair --task detect --out runs/detect"
    assert (runs["inpaint"]["steps"], runs["inpaint"]["train_seconds"], runs["detect"]["crop"]) == (120, 1800, 112)


def test_card_names_every_growth_phase(tmp_path):
    from training.model_card import _inpaint_growth
    from training.repair_models import InpaintNet

    net = InpaintNet(c=8, deep=5)
    train_repair.save_checkpoint(tmp_path / "last.pt", net, torch.optim.Adam(net.parameters()), 5, 1.0)
    text = _inpaint_growth(tmp_path)
    assert all(f"`{flag} --init`" in text for flag in ("--deep", "--deep 2", "--deep 3", "--deep 4", "--deep 5"))
    assert "finest (half-resolution) decoder level" in text and "full-resolution stage" in text and "`--ema`" not in text


def test_init_keeps_the_levels_it_has(tmp_path):
    from training.repair_models import InpaintNet

    net = InpaintNet(c=8, deep=2)
    train_repair.save_checkpoint(tmp_path / "last.pt", net, torch.optim.Adam(net.parameters()), 5, 1.0)
    args = train_repair.parser().parse_args(["--task", "inpaint", "--init", str(tmp_path / "last.pt")])
    model, _, step, _, _ = train_repair.start_state(args, InpaintNet, tmp_path / "none.pt")
    assert model.config == {"c": 8, "deep": 2} and step == 5


def test_a_rebuilt_card_keeps_the_sections_written_by_hand(tmp_path):
    from training.model_card import write_card

    card = tmp_path / "repair.md"
    write_card(card, "# Repair\n\n## Facts\nold facts\n\n## Dev split\nold numbers\n")
    card.write_text(card.read_text() + "\n## A phase (by hand)\nwhat it did\n\n## Tried, not shipped\nscratch\n")
    write_card(card, "# Repair\n\n## Facts\nnew facts\n\n## Dev split\nnew numbers\n")
    text = card.read_text()
    assert "new facts" in text and "new numbers" in text and "old" not in text
    assert text.index("## Dev split") < text.index("## A phase (by hand)") < text.index("## Tried, not shipped")
    write_card(card, "# Repair\n\n## Facts\nnew facts\n\n## Dev split\nnew numbers\n")
    assert card.read_text() == text  # rebuilding again changes nothing


def test_a_rebuilt_card_replaces_its_sections_whatever_their_numbers(tmp_path):
    from training.model_card import write_card

    card = tmp_path / "card.md"
    card.write_text("# C\n\n## Dev split (1000 images), beam 4, word evidence 0.2\nold\n\n"
                    "## Notes\n```\n## Facts inside a code block\n```\nkept\n")
    write_card(card, "# C\n\n## Dev split (200 images), beam 3\nnew\n\n## Facts\nfacts\n")
    text = card.read_text()
    assert text.count("## Dev split") == 1 and "old" not in text and "new" in text
    assert "## Facts inside a code block\n```\nkept" in text  # a heading in fenced code does not split
