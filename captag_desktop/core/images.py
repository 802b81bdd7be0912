"""Load any photo a user drops into the app as an RGB uint8 array.

EXIF orientation is applied and every Pillow mode (alpha, CMYK, 16-bit, palette,
grayscale) is converted explicitly, so the rest of the core sees one format.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# A photo this large (in pixels) is almost certainly a decompression bomb.
MAX_PIXELS = 200_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class ImageLoadError(Exception):
    """A photo could not be read; the message is meant for the user."""


@dataclass
class LoadedImage:
    path: Path
    rgb: np.ndarray  # HxWx3 uint8, orientation applied
    format: str | None
    exif: bytes | None = None
    icc_profile: bytes | None = None
    frames: int = 1  # an animated GIF/WebP/PNG: only the first frame is read (captioned, repaired, saved)

    @property
    def size(self) -> tuple[int, int]:
        return self.rgb.shape[1], self.rgb.shape[0]


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16/32-bit grayscale: scale to the full 8-bit range instead of clipping.
        arr = np.asarray(img, dtype=np.float64)
        hi = arr.max() if arr.size else 0
        scale = 255.0 / hi if hi > 255 else 1.0
        arr8 = np.clip(arr * scale, 0, 255).astype(np.uint8)
        return Image.fromarray(arr8, "L").convert("RGB")
    if img.mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 1.0)
        arr8 = ((arr - lo) / (hi - lo or 1.0) * 255).astype(np.uint8)
        return Image.fromarray(arr8, "L").convert("RGB")
    if img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        # Composite transparency onto white, which is how viewers show it.
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def rgb_profile(icc: bytes | None) -> bytes | None:
    """The ICC profile if it describes RGB data (header bytes 16-19, the data colour space), else None: the
    pixels are always converted to RGB here, and a CMYK or gray profile saved with RGB pixels misleads every
    colour-managed viewer."""
    return icc if icc and len(icc) >= 20 and icc[16:20] == b"RGB " else None


def decode_image(img: Image.Image) -> np.ndarray:
    """Pillow image -> RGB uint8 array with EXIF orientation applied."""
    img = ImageOps.exif_transpose(img)
    return np.ascontiguousarray(np.asarray(_to_rgb(img), dtype=np.uint8))


_MAGIC = [(b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"), (b"II*\x00", "TIFF"),
          (b"MM\x00*", "TIFF"), (b"BM", "BMP")]


def _sniff(path: Path) -> str | None:
    """The image type a file claims by its first bytes, to tell 'damaged' from 'not an image'."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)


def load_image(path: str | os.PathLike) -> LoadedImage:
    """Read a photo from disk. Raises ImageLoadError with a readable message."""
    p = Path(path)
    if not p.exists():
        raise ImageLoadError(f"file not found: {p}")
    if p.is_dir():
        raise ImageLoadError(f"is a folder, not an image: {p}")
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ImageLoadError(f"cannot access {p}: {exc.strerror or exc}") from None
    if size == 0:
        raise ImageLoadError(f"file is empty (0 bytes): {p}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p) as img:
                fmt = img.format
                exif = img.info.get("exif")
                icc = img.info.get("icc_profile")
                # an animation; not a camera JPEG with a preview or depth map (MPO), nor a multi-page TIFF
                frames = img.n_frames if getattr(img, "is_animated", False) and fmt in ("GIF", "PNG", "WEBP") else 1
                img.load()
                rgb = decode_image(img)
    except UnidentifiedImageError:
        kind = _sniff(p)
        if kind:
            raise ImageLoadError(f"the file looks like a {kind} but its data is damaged (broken header or checksum): {p}") from None
        raise ImageLoadError(f"not a supported image format: {p}") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageLoadError(f"image is too large to open safely (over {MAX_PIXELS:,} pixels): {p}") from None
    except PermissionError:
        raise ImageLoadError(f"permission denied: {p}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        # Pillow reports truncated or corrupt data as OSError/SyntaxError.
        raise ImageLoadError(f"image data is damaged or truncated: {p} ({exc})") from None
    if rgb.size == 0:
        raise ImageLoadError(f"image has no pixels: {p}")
    return LoadedImage(path=p, rgb=rgb, format=fmt, exif=exif, icc_profile=rgb_profile(icc), frames=frames)
