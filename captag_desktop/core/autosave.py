"""Crash recovery: the unsaved mask (and which photo it belongs to) is written to an
autosave folder every few seconds while it changes, and offered back on the next start.

Each save is atomic (mask PNG first, then the JSON that points at it), so a crash during
an autosave leaves the previous autosave intact.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from captag_desktop.core.atomic import write_text_atomic
from captag_desktop.core.masks import MaskError, load_mask, save_mask

SESSION = "session.json"


@dataclass
class Session:
    photo: str
    mask: np.ndarray
    saved_at: float


def default_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(os.environ.get("CAPTAG_AUTOSAVE_DIR", Path(base) / "captag" / "autosave"))


def save_session(photo: str, mask: np.ndarray, folder: Path | None = None) -> Path:
    folder = Path(folder or default_dir())
    save_mask(mask, folder / "mask.png")
    write_text_atomic(folder / SESSION, json.dumps({"photo": str(photo), "mask": "mask.png", "saved_at": time.time()}))
    return folder / SESSION


def load_session(folder: Path | None = None) -> Session | None:
    """The last autosave, or None if there is none or it is unusable (then it is removed)."""
    folder = Path(folder or default_dir())
    try:
        meta = json.loads((folder / SESSION).read_text(encoding="utf-8"))
        mask = load_mask(folder / meta["mask"])
        return Session(meta["photo"], mask, float(meta.get("saved_at", 0)))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, MaskError):
        clear_session(folder)
        return None


def clear_session(folder: Path | None = None) -> None:
    folder = Path(folder or default_dir())
    for name in (SESSION, "mask.png"):
        (folder / name).unlink(missing_ok=True)
