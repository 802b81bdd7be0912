"""A caption decoder rebuilt from its exported (and int8) graphs matches the one that was exported."""
import pytest

torch = pytest.importorskip("torch")

from training.caption_model import CaptionDecoder, DecoderConfig  # noqa: E402
from training.export_captioner import export_decoder, quantize_int8  # noqa: E402
from training.manifest_tool import update_entry  # noqa: E402
from training.recover_decoder import recover  # noqa: E402


@pytest.mark.parametrize("quantized", [False, True])
def test_recovered_decoder_has_the_exported_weights(tmp_path, quantized):
    torch.manual_seed(0)
    config = DecoderConfig(vocab_size=40, feat_dim=24, n_regions=4, d_model=16, n_heads=2, n_layers=2, d_ff=32, max_len=8)
    original = CaptionDecoder(config).eval()
    with torch.no_grad():
        for p in original.parameters():  # trained-looking weights, not the layer norms' ones and zeros
            p.add_(torch.randn_like(p) * 0.1)
    export_decoder(original, tmp_path / "caption_en_x_init.onnx", tmp_path / "caption_en_x_step.onnx")
    for part in ("init", "step"):
        if quantized:
            quantize_int8(tmp_path / f"caption_en_x_{part}.onnx")
        update_entry({"name": f"caption-en-x-{part}", "file": f"caption_en_x_{part}.onnx", "config": config.to_dict()},
                     tmp_path)
    recovered, _ = recover("caption-en-x", tmp_path)
    want = dict(original.named_parameters())
    for name, p in recovered.named_parameters():
        if quantized and name.endswith("weight") and want[name].ndim == 2 and name != "tok.weight" and "pos" not in name:
            # int8 with one scale per tensor: off by at most half a step
            step = want[name].abs().max() / 127
            assert (p - want[name]).abs().max() <= step * 0.51, name
        else:
            assert torch.equal(p, want[name]), name
    feats, tokens = torch.randn(2, 4, 24), torch.randint(4, 40, (2, 5))
    assert torch.allclose(recovered(feats, tokens), original(feats, tokens), atol=0.05 if quantized else 1e-6)
