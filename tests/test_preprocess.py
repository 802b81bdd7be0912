import numpy as np

from captag_desktop.core.preprocess import encoder_input, pad_to_multiple, working_size


def test_working_size_caps_the_long_side_and_never_upscales():
    assert working_size(3000, 4000, 768) == (768 / 4000, 576, 768)
    assert working_size(100, 130, 256) == (1.0, 100, 130)


def test_pad_to_multiple_pads_bottom_right_only():
    a = np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3)
    p = pad_to_multiple(a, 4, mode="constant")
    assert p.shape == (8, 8, 3) and (p[:5, :7] == a).all() and not p[5:].any()
    assert pad_to_multiple(np.zeros((16, 32)), 16).shape == (16, 32)


def test_encoder_input_layout_and_scale():
    x = encoder_input(np.full((10, 20, 3), 255, np.uint8))
    assert x.shape == (1, 3, 224, 224) and np.allclose(x, (255 - 127) / 128)
