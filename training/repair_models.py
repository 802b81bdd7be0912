"""Torch models for repair: a gated-convolution inpainting U-Net and a small damage-detection U-Net.

Both are fully convolutional; input sides must be multiples of 16.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Gated(nn.Module):
    """Gated convolution (Yu et al. 2019): a learned soft mask per feature and pixel,
    which generalises partial convolution's hard valid/invalid rule."""

    def __init__(self, cin: int, cout: int, k: int = 3, stride: int = 1, dilation: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(cin, 2 * cout, k, stride, padding=dilation * (k - 1) // 2, dilation=dilation)

    def forward(self, x):
        f, g = self.conv(x).chunk(2, 1)
        return F.elu(f) * torch.sigmoid(g)


def up(x, like):
    return F.interpolate(x, size=like.shape[-2:], mode="nearest")


class InpaintNet(nn.Module):
    """Inputs: masked_image (B,3,H,W) in [0,1] with holes zeroed; valid (B,1,H,W), 1 = keep.
    Output: the full image with holes filled and valid pixels passed through."""

    def __init__(self, c: int = 24):
        super().__init__()
        self.e1 = Gated(4, c)
        self.e2 = Gated(c, 2 * c, stride=2)
        self.e3 = Gated(2 * c, 4 * c, stride=2)
        self.e4 = Gated(4 * c, 4 * c, stride=2)
        self.bottleneck = nn.Sequential(*(Gated(4 * c, 4 * c, dilation=d) for d in (2, 4, 8, 1)))
        self.d3 = Gated(8 * c, 2 * c)
        self.d2 = Gated(4 * c, c)
        self.d1 = Gated(2 * c, c)
        self.out = nn.Conv2d(c, 3, 3, padding=1)

    def raw(self, masked_image, valid):
        x = torch.cat([masked_image * 2 - 1, valid], 1)
        e1 = self.e1(x)
        e2 = self.e2(e1)
        e3 = self.e3(e2)
        b = self.bottleneck(self.e4(e3))
        d = self.d3(torch.cat([up(b, e3), e3], 1))
        d = self.d2(torch.cat([up(d, e2), e2], 1))
        d = self.d1(torch.cat([up(d, e1), e1], 1))
        return torch.sigmoid(self.out(d))

    def forward(self, masked_image, valid):
        pred = self.raw(masked_image, valid)
        return masked_image * valid + pred * (1 - valid)


class DamageNet(nn.Module):
    """image (B,3,H,W) in [0,1] -> damage logits (B,1,H,W)."""

    def __init__(self, c: int = 16):
        super().__init__()

        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(inplace=True),
                                 nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(inplace=True))

        self.e1, self.e2, self.e3, self.e4 = block(3, c), block(c, 2 * c), block(2 * c, 4 * c), block(4 * c, 8 * c)
        self.d3, self.d2, self.d1 = block(12 * c, 4 * c), block(6 * c, 2 * c), block(3 * c, c)
        self.out = nn.Conv2d(c, 1, 1)

    def forward(self, image):
        x = image * 2 - 1
        e1 = self.e1(x)
        e2 = self.e2(F.max_pool2d(e1, 2))
        e3 = self.e3(F.max_pool2d(e2, 2))
        e4 = self.e4(F.max_pool2d(e3, 2))
        d = self.d3(torch.cat([up(e4, e3), e3], 1))
        d = self.d2(torch.cat([up(d, e2), e2], 1))
        d = self.d1(torch.cat([up(d, e1), e1], 1))
        return self.out(d)
