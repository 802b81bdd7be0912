"""Where batch commands write, checked before any work is done: never over a photo or mask the run reads,
never two photos to one file, and never over an existing file unless the user says so."""
from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Planned:
    image: str
    target: Path | None  # None: this photo gets no output, for `reason`
    reason: str = ""


def _key(path: str | os.PathLike) -> str:
    """One key per file: symlinks resolved, and letter case and Unicode form folded, since macOS and Windows
    file systems treat Beach.png and beach.png as one file (on Linux this only refuses more)."""
    return unicodedata.normalize("NFC", os.path.realpath(path)).casefold()


def output_path(out_dir: str | os.PathLike, image: str) -> Path:
    """DIR/X.png for X.jpg: the naming both repair and detect-damage use (and the mask folder too)."""
    return Path(out_dir) / (Path(image).stem + ".png")


def plan_outputs(images: list[str], out_dir: str | os.PathLike, reads: Iterable[str] = (),
                 overwrite: bool = False) -> list[Planned]:
    """Each image's output file in out_dir, or why it has none. reads: other files the run reads (a photo's
    mask), which are protected like the photos themselves, even with overwrite."""
    protected = {_key(p): "the original photo" for p in images}
    protected.update({_key(p): "the mask it reads" for p in reads})
    taken: dict[str, str] = {}
    plan = []
    for image in _distinct(images):
        target = output_path(out_dir, image)
        key = _key(target)
        if key in protected:
            plan.append(Planned(image, None, f"refusing to write {target}: it is {protected[key]}"))
        elif key in taken:
            plan.append(Planned(image, None, f"{target} is already the output of {taken[key]} in this run "
                                             "(photos with the same name): run them in separate commands"))
        elif target.exists() and not overwrite:
            plan.append(Planned(image, None, f"{target} already exists; pass --overwrite to replace it"))
        else:
            taken[key] = image
            plan.append(Planned(image, target))
    return plan


def _distinct(images: list[str]) -> list[str]:
    """Each photo once, however it was named (a.jpg and ./a.jpg)."""
    seen, out = set(), []
    for image in images:
        key = os.path.normcase(os.path.realpath(image))  # the file itself: b.jpg and B.jpg differ on Linux
        if key not in seen:
            seen.add(key)
            out.append(image)
    return out


def check_out_dir(out_dir: str | os.PathLike) -> str | None:
    """Why out_dir cannot hold outputs, or None. It need not exist: each write creates it, so a run whose
    every photo is refused leaves no empty folder behind."""
    path = Path(out_dir)
    if path.exists() and not path.is_dir():
        return f"--out-dir {path} is a file, not a folder"
    return None
