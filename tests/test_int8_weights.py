"""uint8 weights for quantized graphs: the conversion from int8 is exact (the graph computes the same), done
once, and leaves no int8 weight that could saturate onnxruntime's 16-bit pair sums on CPUs without VNNI."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import helper, numpy_helper  # noqa: E402

from training.int8_weights import has_signed_weights, quantized_weights, to_unsigned  # noqa: E402


def float_matmul(path, w):
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["n", w.shape[0]])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["n", w.shape[1]])],
        [numpy_helper.from_array(w, "w")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def run(path, x):
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]


def exact_dynamic_matmul(x, weight):
    """What the quantized graph means: x quantized as DynamicQuantizeLinear does, times the dequantized
    weight, in exact arithmetic."""
    lo, hi = min(x.min(), 0), max(x.max(), 0)
    scale = (hi - lo) / 255
    zero = np.clip(np.round(-lo / scale), 0, 255)
    xq = np.clip(np.round(x / scale) + zero, 0, 255)
    return ((xq - zero) * scale) @ weight


def dequantized(path):
    return [(numpy_helper.to_array(w).astype(np.float32) - numpy_helper.to_array(z).astype(np.float32))
            for w, z in quantized_weights(onnx.load(str(path)))]


def test_int8_weights_become_uint8_with_the_same_values(tmp_path):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    rng = np.random.default_rng(0)
    w = rng.normal(size=(64, 32)).astype(np.float32)
    w[0, 0] = 4  # a weight at the int8 extreme, 127
    x = rng.uniform(0, 4, size=(8, 64)).astype(np.float32)
    x[:, :2] = 4  # and activations at the uint8 extreme next to it
    float_matmul(tmp_path / "f.onnx", w)
    quantize_dynamic(str(tmp_path / "f.onnx"), str(tmp_path / "q.onnx"), weight_type=QuantType.QInt8)
    assert has_signed_weights(tmp_path / "q.onnx")
    values = dequantized(tmp_path / "q.onnx")

    assert to_unsigned(tmp_path / "q.onnx") == 1 and not has_signed_weights(tmp_path / "q.onnx")
    (weight, zero), = quantized_weights(onnx.load(str(tmp_path / "q.onnx")))
    assert weight.data_type == zero.data_type == onnx.TensorProto.UINT8
    assert all(np.array_equal(a, b) for a, b in zip(values, dequantized(tmp_path / "q.onnx")))
    scale = numpy_helper.to_array(next(i for i in onnx.load(str(tmp_path / "q.onnx")).graph.initializer
                                       if i.name.endswith("_scale")))
    # exact on any CPU; with int8 weights this CPU may saturate (on an AVX2-only AMD EPYC one output was 0.26 off)
    np.testing.assert_allclose(run(tmp_path / "q.onnx", x), exact_dynamic_matmul(x, values[0] * scale),
                               rtol=1e-4, atol=1e-3)
    data = (tmp_path / "q.onnx").read_bytes()
    assert to_unsigned(tmp_path / "q.onnx") == 0 and (tmp_path / "q.onnx").read_bytes() == data, "converted once"


def test_a_float_graph_is_left_alone(tmp_path):
    float_matmul(tmp_path / "f.onnx", np.ones((4, 4), np.float32))
    data = (tmp_path / "f.onnx").read_bytes()
    assert to_unsigned(tmp_path / "f.onnx") == 0 and (tmp_path / "f.onnx").read_bytes() == data


def test_bundled_quantized_graphs_have_no_int8_weights():
    """Measured on a VNNI machine, int8 weights lost 9% of the Fast captioner's CIDEr-D on an AVX2-only CPU."""
    from training.manifest_tool import MODELS_DIR

    graphs = [p for p in sorted(MODELS_DIR.glob("*.onnx")) if quantized_weights(onnx.load(str(p)))]
    assert len(graphs) >= 7
    assert [p.name for p in graphs if has_signed_weights(p)] == []


def test_the_cli_refreshes_the_manifest_and_the_links_of_models_reading_the_graph(tmp_path):
    import json

    from onnxruntime.quantization import QuantType, quantize_dynamic

    from captag_desktop.core.models import file_sha256
    from training.int8_weights import main

    float_matmul(tmp_path / "f.onnx", np.random.default_rng(2).normal(size=(16, 8)).astype(np.float32))
    quantize_dynamic(str(tmp_path / "f.onnx"), str(tmp_path / "dec.onnx"), weight_type=QuantType.QInt8)
    old = file_sha256(tmp_path / "dec.onnx")
    (tmp_path / "manifest.json").write_text(json.dumps({"version": 1, "models": [
        {"name": "dec", "file": "dec.onnx", "weights": "int8 dynamic (MatMul)", "sha256": old},
        {"name": "reader", "file": "f.onnx", "reads": {"model": "dec", "sha256": old}}]}))
    main([str(tmp_path / "dec.onnx")])
    new = file_sha256(tmp_path / "dec.onnx")
    dec, reader = json.loads((tmp_path / "manifest.json").read_text())["models"]
    assert new != old and dec["sha256"] == new and dec["size"] == (tmp_path / "dec.onnx").stat().st_size
    assert dec["weights"] == "int8 dynamic (MatMul, uint8 weights)" and reader["reads"] == {"model": "dec", "sha256": new}
