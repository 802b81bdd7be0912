"""The bundled model manifest, hash verification and one cached ONNX session per model."""
from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


class ModelError(Exception):
    """A model is missing, damaged or does not match its manifest; message is for the user."""


@dataclass(frozen=True)
class ModelEntry:
    name: str
    task: str
    file: str
    sha256: str
    size: int
    license: str
    raw: dict

    @property
    def optional(self) -> bool:
        """An add-on the user installs later (e.g. the Social LLM); the app works without its file."""
        return bool(self.raw.get("optional"))

    @classmethod
    def from_dict(cls, d: dict) -> "ModelEntry":
        try:
            return cls(d["name"], d["task"], d["file"], d["sha256"], int(d["size"]), d.get("license", "unknown"), d)
        except KeyError as exc:
            raise ModelError(f"manifest entry is missing the field {exc}") from None


def models_dir() -> Path:
    """Where the models live: $CAPTAG_MODELS_DIR, the PyInstaller bundle, or the source tree."""
    env = os.environ.get("CAPTAG_MODELS_DIR")
    if env:
        return Path(env)
    import sys

    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "models"
    return DEFAULT_MODELS_DIR


def register_entries(entries: list[dict], directory: Path | None = None) -> None:
    """Insert or replace manifest entries by name (kept sorted), written atomically."""
    from captag_desktop.core.atomic import write_text_atomic

    path = Path(directory or models_dir()) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"version": 1, "models": []}
    names = {e["name"] for e in entries}
    manifest["models"] = sorted([m for m in manifest["models"] if m["name"] not in names] + list(entries),
                                key=lambda m: m["name"])
    write_text_atomic(path, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_pool_lock = threading.Lock()
_shared_pool = False


def share_threads(threads: int | None = None) -> bool:
    """From now on, every ModelStore session of this process runs on one process-wide pool of threads.
    A photo goes through several graphs in turn (encoder, caption init and steps, hashtags); with a
    pool per session, each pool's threads kept spinning after its run and took the cores from the next
    graph (models/captioner-en.md has the times). Only entry points call this (the app's and the
    evaluation commands'), since onnxruntime then refuses any session that brings its own threads, such
    as the calibration inside its quantizer. Returns False when this onnxruntime cannot share its
    threads; sessions then get their own, which never spin."""
    global _shared_pool
    with _pool_lock:
        if not _shared_pool:
            try:
                import onnxruntime

                onnxruntime.set_global_thread_pool_sizes(threads or 0, 1)  # 0: one thread per core
                _shared_pool = True
            except AttributeError:
                pass
            except Exception as exc:  # onnxruntime's own error type: set up already, by another caller
                _shared_pool = "already been created" in str(exc)
        return _shared_pool


class ModelStore:
    """Reads manifest.json; verifies each file once; caches ONNX Runtime sessions."""

    def __init__(self, directory: Path | None = None, threads: int | None = None):
        self.dir = Path(directory) if directory else models_dir()
        manifest = self.dir / "manifest.json"
        if not manifest.exists():
            raise ModelError(f"model manifest not found: {manifest}")
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"model manifest is unreadable: {manifest} ({exc})") from None
        self.entries = {e["name"]: ModelEntry.from_dict(e) for e in data.get("models", [])}
        self.threads = threads
        self._verified: dict[str, bool] = {}
        self._sessions: dict[str, object] = {}
        self._lock = threading.Lock()

    def entry(self, name: str) -> ModelEntry:
        try:
            return self.entries[name]
        except KeyError:
            raise ModelError(f"model '{name}' is not in the manifest {self.dir / 'manifest.json'}") from None

    def has(self, name: str) -> bool:
        return name in self.entries

    def installed(self, name: str) -> bool:
        """The model is listed and its file is present and intact."""
        return self.has(name) and self.verify(name)

    def path(self, name: str) -> Path:
        return self.dir / self.entry(name).file

    def verify(self, name: str) -> bool:
        """True when the file exists with the manifest's size and sha256."""
        if name not in self._verified:
            e, p = self.entry(name), self.path(name)
            ok = p.is_file() and p.stat().st_size == e.size and file_sha256(p) == e.sha256
            self._verified[name] = ok
        return self._verified[name]

    def verified_path(self, name: str) -> Path:
        if not self.verify(name):
            p = self.path(name)
            why = "is missing" if not p.exists() else "does not match its sha256 in the manifest (damaged or replaced)"
            raise ModelError(f"model file {p.name} {why}; refusing to load it. Reinstall captag to repair.")
        return self.path(name)

    def read_json(self, name: str):
        return json.loads(self.verified_path(name).read_text(encoding="utf-8"))

    def session(self, name: str):
        with self._lock:
            if name not in self._sessions:
                import onnxruntime as ort

                opts = ort.SessionOptions()
                opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                if _shared_pool:
                    opts.use_per_session_threads = False
                else:
                    if self.threads:
                        opts.intra_op_num_threads = self.threads
                    opts.inter_op_num_threads = 1
                    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # see share_threads
                try:
                    self._sessions[name] = ort.InferenceSession(
                        str(self.verified_path(name)), sess_options=opts, providers=["CPUExecutionProvider"])
                except ModelError:
                    raise
                except Exception as exc:  # onnxruntime raises its own untyped errors
                    raise ModelError(f"model '{name}' could not be loaded: {exc}") from None
            return self._sessions[name]


def optional_store() -> ModelStore | None:
    """The app's model store, or None when its manifest is missing or unreadable.

    For UI that only decides what to offer: a broken install then offers less instead of failing
    to open, and the error surfaces when the user runs something that needs the models."""
    try:
        return ModelStore()
    except ModelError:
        return None
