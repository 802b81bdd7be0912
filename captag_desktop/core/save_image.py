"""Write an edited photo to a NEW file, keeping EXIF and the ICC profile, atomically."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from captag_desktop.core.atomic import atomic_path

TIFF_XMP = 700
FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF"}


class SaveError(Exception):
    """The photo cannot be written there; the message is for the user."""


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _metadata_params(fmt: str, exif: Image.Exif | None, xmp: str | None) -> dict:
    """Where each format keeps EXIF and the XMP packet. Pillow takes `xmp=` for JPEG and WebP only and
    silently drops it for PNG and TIFF, which lost every caption but the EXIF English one."""
    params: dict = {}
    if fmt == "TIFF":  # EXIF tags are the file's own tags there; the XMP packet is tag 700
        if xmp:
            exif = exif if exif is not None else Image.Exif()
            exif[TIFF_XMP] = xmp.encode("utf-8")
        return {"exif": exif} if exif is not None else {}
    if exif is not None:
        params["exif"] = exif.tobytes()
    if xmp and fmt == "PNG":  # an iTXt chunk with the keyword XMP readers look for
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", xmp, zip=False)
        params["pnginfo"] = info
    elif xmp:
        params["xmp"] = xmp.encode("utf-8")
    return params


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
    ex = None
    if exif or description:
        ex = Image.Exif()
        if exif:
            ex.load(exif)
            ex[0x0112] = 1
        if description:
            ex[0x010E] = description
    params = _metadata_params(fmt, ex, xmp)
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
