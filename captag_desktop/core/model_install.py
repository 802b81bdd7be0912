"""Installing a translation model pack (exported by training/export_translation.py).

The pack's files are checked against the sha256 sums in its pack.json, copied into
<models>/packs/<name>/ and registered in the manifest, each step atomic, so a failed
install leaves the previous state untouched.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from captag_desktop.core.atomic import copy_atomic
from captag_desktop.core.models import ModelError, file_sha256, models_dir, register_entries
from captag_desktop.core.translate.pack import PACK_FILES, PACK_MODELS


def read_pack(src: Path) -> dict:
    src = Path(src)
    meta_path = src / "pack.json"
    if not meta_path.is_file():
        raise ModelError(f"{src} is not a translation pack: pack.json is missing")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ModelError(f"{meta_path} is not valid JSON ({exc})") from None
    sums = meta.get("files", {})
    for name in PACK_FILES:
        path = src / name
        if not path.is_file():
            raise ModelError(f"translation pack file {path} is missing")
        if sums.get(name) != file_sha256(path):
            raise ModelError(f"translation pack file {path} does not match its sha256 in pack.json (damaged copy?)")
    if not meta.get("languages"):
        raise ModelError(f"{meta_path} lists no languages")
    return meta


def install_pack(src: Path, target: Path | None = None) -> list[dict]:
    """Verify, copy and register a pack; returns the new manifest entries."""
    src, target = Path(src), Path(target) if target else models_dir()
    meta = read_pack(src)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", meta.get("name", src.name)).strip("-") or "pack"
    rel = Path("packs") / slug
    for name in PACK_FILES + ("pack.json",):
        copy_atomic(src / name, target / rel / name)
    license_ = meta.get("license", "see the pack's source")
    entries = [{"name": "translation-pack", "task": "translation-pack-meta", "file": str(rel / "pack.json"),
                "languages": sorted(meta["languages"]), "source": meta.get("source", ""), "license": license_}]
    entries += [{"name": model, "task": "translation", "file": str(rel / f), "license": license_}
                for model, f in PACK_MODELS.items()]
    for e in entries:
        path = target / e["file"]
        e.update(sha256=file_sha256(path), size=path.stat().st_size)
    register_entries(entries, target)
    return entries


def install_optional_file(src: Path, target: Path | None = None) -> dict:
    """Copy a file into place for the optional manifest entry whose sha256 it matches
    (e.g. the Social LLM's GGUF); anything else is refused and nothing is written."""
    from captag_desktop.core.models import ModelStore

    src, target = Path(src), Path(target) if target else models_dir()
    digest = file_sha256(src)
    store = ModelStore(target)
    for entry in store.entries.values():
        if entry.optional and entry.sha256 == digest:
            copy_atomic(src, target / entry.file)
            return entry.raw
    names = ", ".join(e.name for e in store.entries.values() if e.optional) or "none"
    raise ModelError(f"{src.name} is not a model captag knows (its sha256 matches no optional model; optional: {names})")
