import numpy as np
import pytest

from captag_desktop.core.pipeline import Cancelled, CancelToken, drive
from captag_desktop.core.repair import Box, ModelInpainter, Repairer, region_boxes


def scene(h=300, w=400):
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([xx % 256, yy % 256, (xx + yy) % 256], -1).astype(np.uint8)


def test_region_boxes_cover_damage_with_context_and_merge():
    m = np.zeros((1000, 1200), np.uint8)
    m[100:110, 100:130] = 255
    m[120:125, 140:150] = 255  # close to the first: merged
    m[800:820, 1000:1010] = 255
    boxes = region_boxes(m, context=256)
    assert len(boxes) == 2
    for b in boxes:
        assert b.y1 - b.y0 >= 256 and b.x1 - b.x0 >= 256
    covered = np.zeros_like(m)
    for b in boxes:
        covered[b.y0:b.y1, b.x0:b.x1] = 255
    assert (covered[m > 0] == 255).all()


def test_boxes_stay_inside_small_images():
    m = np.zeros((50, 60), np.uint8)
    m[10:20, 10:20] = 255
    (b,) = region_boxes(m, context=256)
    assert b == Box(0, 0, 50, 60)


@pytest.mark.parametrize("method", ["telea", "ns"])
def test_classical_repair_changes_only_masked_pixels(method):
    img = scene()
    m = np.zeros(img.shape[:2], np.uint8)
    m[50:60, 50:200] = 255
    damaged = img.copy()
    damaged[m > 0] = 255
    out = drive(Repairer(method=method).repair(damaged, m))
    assert (out[m == 0] == damaged[m == 0]).all()
    assert np.abs(out[m > 0].astype(int) - img[m > 0]).mean() < np.abs(damaged[m > 0].astype(int) - img[m > 0]).mean()


def test_repair_never_touches_input_array():
    img = scene(64, 64)
    m = np.zeros((64, 64), np.uint8)
    m[10:20, 10:20] = 255
    copy = img.copy()
    drive(Repairer(method="telea").repair(img, m))
    assert (img == copy).all()


def test_repair_rejects_mismatched_mask():
    with pytest.raises(ValueError, match="mask is"):
        drive(Repairer(method="telea").repair(scene(64, 64), np.zeros((10, 10), np.uint8)))


def test_repair_can_be_cancelled():
    m = np.zeros((600, 600), np.uint8)
    m[10:20, 10:20] = m[500:510, 500:510] = 255
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        drive(Repairer(method="telea").repair(scene(600, 600), m), token)


class RecordingSession:
    """Stands in for ONNX Runtime to check the adapter's convention conversion."""

    def __init__(self):
        self.feeds = None

    def run(self, names, feeds):
        self.feeds = feeds
        return [np.zeros_like(feeds["prefilled"])]


def test_model_adapter_converts_255_fill_to_valid_ones():
    adapter = ModelInpainter.__new__(ModelInpainter)
    adapter.session = RecordingSession()
    img = np.full((32, 48, 3), 200, np.uint8)
    mask = np.zeros((32, 48), np.uint8)
    mask[4:8, 4:8] = 255
    adapter(img, mask)
    valid = adapter.session.feeds["valid"][0, 0]
    assert valid[5, 5] == 0 and valid[20, 20] == 1, "public 255 = fill must become valid = 0 for the net"
    prefilled = adapter.session.feeds["prefilled"][0]
    # The hole reaches the net already filled by Telea, which on a flat photo is the photo's colour.
    np.testing.assert_allclose(prefilled[:, 5, 5], 200 / 255, atol=2 / 255)
    np.testing.assert_allclose(prefilled[:, 20, 20], 200 / 255, atol=1e-6)


class PassThroughSession:
    """A net whose correction is zero: the adapter must then return Telea's fill exactly."""

    def run(self, names, feeds):
        return [feeds["prefilled"]]


def test_big_crop_keeps_full_resolution_telea_detail():
    from captag_desktop.core.repair import classical

    adapter = ModelInpainter.__new__(ModelInpainter)
    adapter.session = PassThroughSession()
    rng = np.random.default_rng(5)
    img = rng.integers(0, 255, (300, 900, 3), dtype=np.uint8)  # seen downscaled by the net
    mask = np.zeros((300, 900), np.uint8)
    mask[150:152, 50:850] = 255
    out = adapter(img, mask)
    telea = classical(img, mask, "telea")
    hole = mask == 255
    assert np.abs(out[hole].astype(int) - telea[hole]).max() <= 1


class ConstantCorrectionSession:
    """A net that brightens every hole pixel by 0.2 (51 levels)."""

    def run(self, names, feeds):
        return [feeds["prefilled"] + 0.2 * (1 - feeds["valid"])]


@pytest.mark.parametrize("shape", [(120, 160), (300, 900)])  # seen at full size / downscaled
def test_model_correction_lands_in_the_hole_only(shape):
    from captag_desktop.core.repair import classical

    adapter = ModelInpainter.__new__(ModelInpainter)
    adapter.session = ConstantCorrectionSession()
    img = np.full(shape + (3,), 100, np.uint8)
    mask = np.zeros(shape, np.uint8)
    mask[40:60, 40:120] = 255
    out = adapter(img, mask)
    hole = mask == 255
    gain = out[hole].astype(int) - classical(img, mask, "telea")[hole]
    assert np.median(gain) == pytest.approx(51, abs=2)
    assert (out[~hole] == img[~hole]).all()


class LeftHalfCorrectionSession:
    """A net that brightens the holes in the left half of whatever it is shown by 0.2."""

    def run(self, names, feeds):
        out = feeds["prefilled"].copy()
        half = out.shape[-1] // 2
        out[..., :half] += 0.2 * (1 - feeds["valid"][..., :half])
        return [out]


def test_model_output_is_averaged_with_its_mirror_image():
    """The adapter also runs the net on the mirrored photo and mirrors that result back before
    averaging: a net that only corrects the left half then corrects both halves by half as much,
    and a net that corrects nothing still gives Telea's fill pixel for pixel (so nothing shifts)."""
    from captag_desktop.core.repair import classical

    img = np.tile(np.linspace(0, 200, 96).astype(np.uint8)[None, :, None], (64, 1, 3))
    mask = np.zeros((64, 96), np.uint8)
    mask[20:40, 10:86] = 255
    hole = mask == 255
    telea = classical(img, mask, "telea")[hole].astype(int)
    adapter = ModelInpainter.__new__(ModelInpainter)
    adapter.session = PassThroughSession()
    assert np.abs(adapter(img, mask)[hole].astype(int) - telea).max() <= 1
    adapter.session = LeftHalfCorrectionSession()
    gain = adapter(img, mask)[hole].astype(int) - telea
    assert np.median(gain) == pytest.approx(25.5, abs=1.5)
    assert gain.min() >= 24
