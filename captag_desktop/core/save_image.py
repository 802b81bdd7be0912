"""Write an edited photo to a NEW file, keeping EXIF and the ICC profile, atomically."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from captag_desktop.core.atomic import atomic_path

FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF"}


class SaveError(Exception):
    """The photo cannot be written there; the message is for the user."""


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def save_image(rgb: np.ndarray, target: str | os.PathLike, original: str | os.PathLike | None = None,
               exif: bytes | None = None, icc_profile: bytes | None = None, quality: int = 95,
               description: str | None = None, xmp: str | None = None) -> Path:
    """Save rgb to target. Refuses to overwrite `original`. Pixels already have the EXIF
    orientation applied, so the saved EXIF says 'upright' (orientation 1). `description` goes
    into EXIF ImageDescription, `xmp` (see metadata.build_xmp) into the file's XMP packet."""
    target = Path(target)
    fmt = FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise SaveError(f"unsupported file type '{target.suffix}'; use one of {', '.join(sorted(FORMATS))}")
    if original is not None and (_same_file(Path(original), target) or Path(original).resolve() == target.resolve()):
        raise SaveError("refusing to overwrite the original photo; choose a new file name")
    img = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
    params: dict = {}
    if exif or description:
        ex = Image.Exif()
        if exif:
            ex.load(exif)
            ex[0x0112] = 1
        if description:
            ex[0x010E] = description
        params["exif"] = ex.tobytes()
    if xmp and fmt in ("JPEG", "WEBP", "PNG", "TIFF"):
        params["xmp"] = xmp.encode("utf-8")
    if icc_profile:
        params["icc_profile"] = icc_profile
    if fmt in ("JPEG", "WEBP"):
        params["quality"] = quality
    try:
        with atomic_path(target) as tmp:
            img.save(tmp, format=fmt, **params)
    except OSError as exc:
        raise SaveError(f"could not write {target}: {exc.strerror or exc}") from None
    return target
