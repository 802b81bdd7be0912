"""Reading the Flickr8k splits, captions and photos from ../shared/datasets (never copied; the photos
may be cached as one .npy array under the git-ignored .cache/)."""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from captag_desktop.core.images import load_image

DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "flickr8k"


def read_split(root: Path, split: str) -> list[str]:
    names = {"train": "Flickr_8k.trainImages.txt", "dev": "Flickr_8k.devImages.txt"}
    lines = (Path(root) / names[split]).read_text(encoding="utf-8").split()
    return [ln.strip() for ln in lines if ln.strip()]


def read_captions(root: Path, lang: str = "en") -> dict[str, list[str]]:
    fname = {"en": "Flickr8k.token.txt", "ar": "Flickr8k.arabic.txt"}[lang]
    caps: dict[str, list[str]] = defaultdict(list)
    for line in (Path(root) / fname).read_text(encoding="utf-8").splitlines():
        if "\t" not in line:
            continue
        key, text = line.split("\t", 1)
        caps[key.split("#")[0]].append(text.strip())
    return dict(caps)


def image_path(root: Path, name: str) -> Path:
    return Path(root) / "images" / name


def load_photos(root: Path, split: str, limit: int = 0, cache: Path | None = None) -> np.ndarray:
    """All photos of a split as one uint8 N x 224 x 224 x 3 array (cached as .npy)."""
    if cache and cache.exists():
        arr = np.load(cache, mmap_mode="r")
        return np.asarray(arr[: limit or None])
    names = read_split(root, split)[: limit or None]
    arr = np.stack([load_image(image_path(root, n)).rgb for n in names])
    if cache and not limit:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, arr)
    return arr
