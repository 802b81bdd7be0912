"""Render synthetic damage onto a clean photo and write the damaged photo and its true mask,
for the README screenshot (the mask then matches the damage exactly).

    python -m docs.damage_example CLEAN.png DAMAGED.png MASK.png [SEED]
"""
import sys

import numpy as np
from PIL import Image

from captag_desktop.core.images import load_image
from captag_desktop.core.masks import save_mask
from training.synthetic_damage import render_damage


def main(clean: str, damaged: str, mask: str, seed: str = "5") -> None:
    photo = load_image(clean).rgb
    out, truth = render_damage(np.random.default_rng(int(seed)), photo)
    Image.fromarray(out).save(damaged)
    save_mask(truth, mask)


if __name__ == "__main__":
    main(*sys.argv[1:])
