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
