"""Float16 storage of a float graph's weights (training.fp16_weights)."""
import json

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from training import fp16_weights


def _graph(path, weight):
    node = helper.make_node("MatMul", ["x", "w"], ["y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])],
                              [numpy_helper.from_array(weight, "w")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def test_weights_halve_on_disk_and_the_graph_still_computes_in_float32(tmp_path):
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(64, 64)).astype(np.float32)
    path = tmp_path / "g.onnx"
    _graph(path, weight)
    before = path.stat().st_size
    (tmp_path / "manifest.json").write_text(json.dumps({"version": 1, "models": [
        {"name": "g", "task": "test", "file": "g.onnx", "sha256": "0", "size": before}]}))
    fp16_weights.main([str(path)])
    assert path.stat().st_size < 0.6 * before
    x = rng.normal(size=(1, 64)).astype(np.float32)
    session = ort.InferenceSession(str(path))
    assert session.get_outputs()[0].type == "tensor(float)"
    y = session.run(None, {"x": x})[0]
    np.testing.assert_allclose(y, x @ weight.astype(np.float16).astype(np.float32), rtol=1e-4, atol=1e-4)
    stored = {i.name: i.data_type for i in onnx.load(str(path)).graph.initializer}
    assert stored == {"w_fp16": TensorProto.FLOAT16}
    entry = json.loads((tmp_path / "manifest.json").read_text())["models"][0]
    assert entry["size"] == path.stat().st_size and entry["weights"] == fp16_weights.NOTE
    assert fp16_weights.halve(path) == 0, "a second run changes nothing"


def test_small_tensors_stay_float32(tmp_path):
    path = tmp_path / "g.onnx"
    _graph(path, np.eye(64, dtype=np.float32))
    assert fp16_weights.halve(path, min_elements=10_000) == 0
