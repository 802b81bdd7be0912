"""Keep models/manifest.json in step with the files in models/ (hash, size, I/O)."""
from __future__ import annotations

import json
from pathlib import Path

from captag_desktop.core.atomic import write_text_atomic
from captag_desktop.core.models import file_sha256 as sha256_of
from captag_desktop.core.models import register_entries

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"


def onnx_io(path: Path) -> tuple[list[dict], list[dict]]:
    import onnx

    model = onnx.load(str(path), load_external_data=False)

    def describe(values):
        out = []
        for v in values:
            dims = [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
            out.append({"name": v.name, "shape": dims, "dtype": onnx.TensorProto.DataType.Name(v.type.tensor_type.elem_type).lower()})
        return out

    inits = {i.name for i in model.graph.initializer}
    return describe([i for i in model.graph.input if i.name not in inits]), describe(model.graph.output)


def write_json_atomic(path: Path, data) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def update_entry(entry: dict, models_dir: Path = MODELS_DIR) -> dict:
    """Insert or replace the manifest entry with entry['name'], filling hash/size/io."""
    path = models_dir / entry["file"]
    entry = dict(entry, sha256=sha256_of(path), size=path.stat().st_size)
    if path.suffix == ".onnx":
        entry["inputs"], entry["outputs"] = onnx_io(path)
    register_entries([entry], models_dir)
    return entry


def amend_entry(name: str, models_dir: Path = MODELS_DIR, **fields) -> dict:
    """Set fields (metrics, decoding, threshold...) on the manifest entry `name`, keeping the rest."""
    manifest = json.loads((models_dir / "manifest.json").read_text())
    entry = next(m for m in manifest["models"] if m["name"] == name)
    return update_entry(dict(entry, **fields), models_dir)


def remove_entry(name: str, models_dir: Path = MODELS_DIR) -> None:
    """Drop a model from the manifest and delete its file (e.g. it lost to a baseline)."""
    manifest_path = models_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for m in manifest["models"]:
        if m["name"] == name:
            (models_dir / m["file"]).unlink(missing_ok=True)
    manifest["models"] = [m for m in manifest["models"] if m["name"] != name]
    write_json_atomic(manifest_path, manifest)


def refresh_converted(path: Path, weights_note) -> None:
    """After a graph in a models folder was rewritten in place with the same outputs (its weights stored
    another way): its manifest entry gets the new hash and size and `weights_note(old note)` as its note, and
    a model that reads the graph's outputs (the hashtag memory view reads caption-en-init) is linked to the
    new hash. Nothing happens when no manifest is beside the graph."""
    path = Path(path)
    if not (path.parent / "manifest.json").exists():
        return
    manifest = json.loads((path.parent / "manifest.json").read_text())
    for entry in manifest["models"]:
        if entry["file"] == path.name:
            note = weights_note(entry.get("weights") or "")
            sha = amend_entry(entry["name"], path.parent, **({"weights": note} if note else {}))["sha256"]
            for reader in manifest["models"]:
                if (reader.get("reads") or {}).get("model") == entry["name"]:
                    amend_entry(reader["name"], path.parent, reads=dict(reader["reads"], sha256=sha))
