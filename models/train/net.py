"""A small anchor-free detector (three levels: stride 8, 16, 32) with a YOLOv8-layout export head.

Why this size: rendered scenes need far less capacity than COCO; about 0.3 GMAC at 320x320
keeps inference a few milliseconds on a mast CPU and lets a CPU training run finish in minutes.
Boxes are regressed as distances (left, top, right, bottom) from each cell centre.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

STRIDES = (8, 16, 32)
NUM_CLASSES = 3
IMGSZ = 320


def conv(c1: int, c2: int, k: int = 3, s: int = 1) -> nn.Sequential:
    """Conv (same padding, no bias) + BatchNorm + SiLU, the one block the net is built of; stride ``s``."""
    return nn.Sequential(nn.Conv2d(c1, c2, k, s, k // 2, bias=False), nn.BatchNorm2d(c2), nn.SiLU(inplace=True))


class Residual(nn.Module):
    """Two 3x3 convolutions with a skip: depth without losing the gradient."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(conv(c, c), conv(c, c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, c, H, W) -> (B, c, H, W)."""
        return x + self.body(x)


class Head(nn.Module):
    """Per level: one 3x3 conv, then 4 box distances and C class logits."""

    def __init__(self, c: int, nc: int) -> None:
        super().__init__()
        self.stem = conv(c, c)
        self.box = nn.Conv2d(c, 4, 1)
        self.cls = nn.Conv2d(c, nc, 1)
        nn.init.constant_(self.cls.bias, -4.6)  # prior 1 %: stable start for BCE

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, c, H, W) -> raw box distances (B, 4, H*W) and class logits (B, nc, H*W), cells row-major."""
        y = self.stem(x)
        return self.box(y).flatten(2), self.cls(y).flatten(2)


class Detector(nn.Module):
    """Backbone + top-down neck + heads; forward returns raw (ltrb (B,4,N), logits (B,C,N))."""

    def __init__(self, nc: int = NUM_CLASSES) -> None:
        super().__init__()
        self.stem = nn.Sequential(conv(3, 16, 3, 2), conv(16, 24, 3, 2), conv(24, 24))
        self.c3 = nn.Sequential(conv(24, 48, 3, 2), Residual(48))
        self.c4 = nn.Sequential(conv(48, 64, 3, 2), Residual(64))
        self.c5 = nn.Sequential(conv(64, 96, 3, 2), Residual(96))
        self.lat5 = conv(96, 48, 1)
        self.top4 = conv(64 + 48, 48)
        self.top3 = conv(48 + 48, 32)
        self.heads = nn.ModuleList([Head(32, nc), Head(48, nc), Head(48, nc)])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 3, H, W) RGB in [0, 1], H and W multiples of 32 -> ltrb (B, 4, N) and logits (B, C, N).

        N counts the cells of strides 8, 16 and 32 in that order, as anchors() of the same size lists them.
        """
        p3 = self.c3(self.stem(x))
        p4 = self.c4(p3)
        p5 = self.lat5(self.c5(p4))
        n4 = self.top4(torch.cat([p4, F.interpolate(p5, scale_factor=2.0, mode="nearest")], 1))
        n3 = self.top3(torch.cat([p3, F.interpolate(n4, scale_factor=2.0, mode="nearest")], 1))
        outs = [h(f) for h, f in zip(self.heads, (n3, n4, p5), strict=True)]
        return torch.cat([o[0] for o in outs], 2), torch.cat([o[1] for o in outs], 2)


def anchors(imgsz: int = IMGSZ) -> tuple[torch.Tensor, torch.Tensor]:
    """Cell centres (N, 2) in input pixels and their strides (N,), level by level, row-major."""
    pts, st = [], []
    for s in STRIDES:
        n = imgsz // s
        ys, xs = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
        pts.append(torch.stack([xs, ys], -1).reshape(-1, 2).float() * s + s / 2)
        st.append(torch.full((n * n,), float(s)))
    return torch.cat(pts), torch.cat(st)


def decode_xyxy(ltrb_raw: torch.Tensor, pts: torch.Tensor, strides: torch.Tensor) -> torch.Tensor:
    """Raw box outputs (B,4,N) -> xyxy (B,N,4) in input pixels."""
    d = F.softplus(ltrb_raw) * strides * 2.0
    return torch.stack([pts[:, 0] - d[:, 0], pts[:, 1] - d[:, 1], pts[:, 0] + d[:, 2], pts[:, 1] + d[:, 3]], -1)


class YoloExport(nn.Module):
    """Inference wrapper: (B,3,320,320) RGB [0,1] -> (B, 4+C, N): cx, cy, w, h, sigmoid scores."""

    def __init__(self, det: Detector) -> None:
        super().__init__()
        self.det = det
        pts, st = anchors()
        self.register_buffer("pts", pts)
        self.register_buffer("strides", st)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, 320, 320) RGB in [0, 1] -> (B, 4 + C, 2100): cx, cy, w, h in input pixels, sigmoid scores.

        Only 320x320 works: the cell centres are fixed buffers built at construction.
        """
        raw, logits = self.det(images)
        b = decode_xyxy(raw, self.pts, self.strides)
        cxcywh = torch.cat([(b[..., :2] + b[..., 2:]) / 2, b[..., 2:] - b[..., :2]], -1)
        return torch.cat([cxcywh.permute(0, 2, 1), logits.sigmoid()], 1)
