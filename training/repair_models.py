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


class Residual(nn.Module):
    """x + two gated convs, the second zero-initialised: adding one to a trained net leaves its
    output unchanged, so a net can grow deeper and keep what it has learned."""

    def __init__(self, ch: int, dilation: int = 1):
        super().__init__()
        self.a, self.b = Gated(ch, ch, dilation=dilation), Gated(ch, ch)
        nn.init.zeros_(self.b.conv.weight)
        nn.init.zeros_(self.b.conv.bias)

    def forward(self, x):
        return x + self.b(self.a(x))


def up(x, like):
    return F.interpolate(x, size=like.shape[-2:], mode="nearest")


class InpaintNet(nn.Module):
    """Inputs: prefilled (B,3,H,W) in [0,1], the photo with its holes already filled by
    OpenCV Telea; valid (B,1,H,W), 1 = keep. Output: the full image, valid pixels passed
    through and holes = Telea's fill plus a learned correction. The correction starts at
    zero, so training begins at Telea's quality and only has to learn what Telea gets wrong."""

    def __init__(self, c: int = 32, deep: int = 0):
        super().__init__()
        self.config = {"c": c, "deep": deep}
        # Work at half resolution (space-to-depth in, depth-to-space out): the full-resolution
        # layers were most of the cost, and Telea already gets the finest detail right.
        self.e1 = Gated(16, c)
        self.e2 = Gated(c, 2 * c, stride=2)
        self.e3 = Gated(2 * c, 4 * c, stride=2)
        self.e4 = Gated(4 * c, 4 * c, stride=2)
        self.bottleneck = nn.Sequential(*(Gated(4 * c, 4 * c, dilation=d) for d in (2, 4, 8, 1)))
        self.d3 = Gated(8 * c, 2 * c)
        self.d2 = Gated(4 * c, c)
        self.d1 = Gated(2 * c, c)
        # deep >= 1: residual blocks after the bottleneck and the two coarser decoder levels, where
        # large holes get their structure; they cost little there (1/16 and 1/8, 1/4 scale).
        # deep >= 2 adds one more at each of those levels; each level grows from the one below.
        # (A bool from older checkpoints reads as 0 or 1.)
        self.refine_b = nn.Sequential(*(Residual(4 * c, d) for d in ((2, 1) if deep else ())))
        self.refine3 = Residual(2 * c) if deep else nn.Identity()
        self.refine2 = Residual(c) if deep else nn.Identity()
        self.refine_b2 = Residual(4 * c, 4) if deep >= 2 else nn.Identity()
        self.refine3b = Residual(2 * c, 2) if deep >= 2 else nn.Identity()
        self.refine2b = Residual(c) if deep >= 2 else nn.Identity()
        # deep >= 3: one more at each, dilated wider, so a large hole's middle sees more of its border
        self.refine_b3 = Residual(4 * c, 8) if deep >= 3 else nn.Identity()
        self.refine3c = Residual(2 * c, 4) if deep >= 3 else nn.Identity()
        self.refine2c = Residual(c, 2) if deep >= 3 else nn.Identity()
        # deep >= 4: two at the decoder's finest level (half resolution; the second dilated 2), where thin
        # scratches get their texture; the costliest place for a block, so it came last
        self.refine1 = nn.Sequential(*(Residual(c, d) for d in ((1, 2) if deep >= 4 else ())))
        self.out = nn.Conv2d(c, 12, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        # deep >= 5: a small stage at full resolution after depth-to-space. It sees the fill, the mask
        # and the finest features pixel by pixel, so it can line a thin scratch's fill up with the edges
        # either side: the model's weakest shape, and the one where FSR_FAST beat it.
        if deep >= 5:
            self.refine_full = nn.Sequential(Gated(4 + c // 4, 16), Residual(16))
            self.refine_full_out = nn.Conv2d(16, 3, 3, padding=1)
            nn.init.zeros_(self.refine_full_out.weight)
            nn.init.zeros_(self.refine_full_out.bias)

    def raw(self, prefilled, valid):
        x = F.pixel_unshuffle(torch.cat([prefilled * 2 - 1, valid], 1), 2)
        e1 = self.e1(x)
        e2 = self.e2(e1)
        e3 = self.e3(e2)
        b = self.refine_b3(self.refine_b2(self.refine_b(self.bottleneck(self.e4(e3)))))
        d = self.refine3c(self.refine3b(self.refine3(self.d3(torch.cat([up(b, e3), e3], 1)))))
        d = self.refine2c(self.refine2b(self.refine2(self.d2(torch.cat([up(d, e2), e2], 1)))))
        d = self.refine1(self.d1(torch.cat([up(d, e1), e1], 1)))
        fill = prefilled + F.pixel_shuffle(self.out(d), 2)
        if hasattr(self, "refine_full"):
            fill = fill + self.refine_full_out(self.refine_full(torch.cat([fill * 2 - 1, valid, F.pixel_shuffle(d, 2)], 1)))
        return torch.clamp(fill, 0, 1)

    def forward(self, prefilled, valid):
        pred = self.raw(prefilled, valid)
        return prefilled * valid + pred * (1 - valid)


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
