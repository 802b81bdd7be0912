"""Locating files under resources/ in the source tree or a PyInstaller bundle."""
from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


@lru_cache(maxsize=None)
def word_list(name: str) -> frozenset[str]:
    """A one-word-per-line list; '#' starts a comment."""
    lines = (resources_dir() / name).read_text(encoding="utf-8").splitlines()
    return frozenset(ln.strip().lower() for ln in lines if ln.strip() and not ln.startswith("#"))
