"""The "Fast" student encoder: a small depthwise-separable CNN distilled from EfficientNet-Lite2.

It maps a 224x224 photo to the same 7x7x1280 region features as the teacher, so the
caption decoder and the hashtag model run on it unchanged. A 4x4 stride-4 "patchify" stem
and few channels at high resolution keep it cheap (about 1/10 of the teacher's FLOPs).
"""
from __future__ import annotations

import torch
from torch import nn

# (out channels, stride, repeats) per stage after the 56x56 stem
STAGES = ((48, 2, 2), (96, 2, 3), (192, 2, 4), (320, 1, 2))


def _bn_act(c: int) -> list[nn.Module]:
    return [nn.BatchNorm2d(c), nn.ReLU6(inplace=True)]


class SepBlock(nn.Module):
    """Depthwise 3x3 then pointwise 1x1, with a residual when the shape allows."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), *_bn_act(cin),
            nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = stride == 1 and cin == cout
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x):
        y = self.body(x)
        return self.act(x + y if self.residual else y)


class StudentEncoder(nn.Module):
    def __init__(self, feat_dim: int = 1280, stem: int = 32, num_classes: int = 1000):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, stem, 4, 4, bias=False), *_bn_act(stem)]
        c = stem
        for cout, stride, repeats in STAGES:
            for i in range(repeats):
                layers.append(SepBlock(c, cout, stride if i == 0 else 1))
                c = cout
        self.body = nn.Sequential(*layers)
        # the teacher's features are ReLU6 outputs; the projection mimics them
        self.head = nn.Sequential(nn.Conv2d(c, feat_dim, 1, bias=False), nn.BatchNorm2d(feat_dim), nn.ReLU6())
        self.classifier = nn.Linear(feat_dim, num_classes)  # only for the KL term during training

    def feature_map(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(pixels))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """B x 3 x 224 x 224 -> B x 49 x 1280, like SpatialEncoder."""
        return self.feature_map(pixels).flatten(2).transpose(1, 2).contiguous()

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        return self.classifier(features.mean(1))


def conv_flops(model: nn.Module, size: int = 224) -> int:
    """Multiply-accumulates of the conv and linear layers for one image."""
    total = 0

    def hook(mod, inp, out):
        nonlocal total
        if isinstance(mod, nn.Conv2d):
            k = mod.kernel_size[0] * mod.kernel_size[1] * (mod.in_channels // mod.groups)
            total += out.numel() // out.shape[0] * k
        elif isinstance(mod, nn.Linear):
            total += mod.in_features * mod.out_features

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, size, size))
    for h in handles:
        h.remove()
    return total
