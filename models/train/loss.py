"""Task-aligned assignment and detection loss, batched over images and ground-truth boxes.

Why task-aligned (as YOLOv8): it picks, for each object, the cells whose current predictions
already fit it best (class score x IoU), which chooses the right pyramid level by itself and
needs no hand-tuned size ranges. Everything is one broadcast over (B, M objects, N cells).
"""

from __future__ import annotations

import torch
from torch.nn import functional as F  # noqa: N812

TOPK = 10
ALPHA, BETA = 0.5, 6.0
EPS = 1e-9


def box_iou_pairs(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of aligned boxes a[..., 4] and b[..., 4] (xyxy)."""
    lt, rb = torch.maximum(a[..., :2], b[..., :2]), torch.minimum(a[..., 2:], b[..., 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area = (a[..., 2:] - a[..., :2]).clamp(min=0).prod(-1) + (b[..., 2:] - b[..., :2]).clamp(min=0).prod(-1)
    return inter / (area - inter + EPS)


def giou_loss(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """1 - GIoU of aligned boxes."""
    iou = box_iou_pairs(a, b)
    hull = (torch.maximum(a[..., 2:], b[..., 2:]) - torch.minimum(a[..., :2], b[..., :2])).clamp(min=0).prod(-1)
    lt, rb = torch.maximum(a[..., :2], b[..., :2]), torch.minimum(a[..., 2:], b[..., 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    union = inter / (iou + EPS)
    return 1 - iou + (hull - union) / (hull + EPS)


def assign(
    scores: torch.Tensor,
    boxes: torch.Tensor,
    pts: torch.Tensor,
    strides: torch.Tensor,
    gt: torch.Tensor,
    valid: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Targets per cell: (cls target (B,N,C) soft, box target (B,N,4), positive mask (B,N)).

    scores (B,N,C) sigmoid, boxes (B,N,4) predicted xyxy, gt (B,M,5) rows (cls, x0, y0, x1, y1),
    valid (B,M) marks real rows of the padded gt.
    """
    b, m = gt.shape[:2]
    n, c = scores.shape[1:]
    gcls, gbox = gt[..., 0].long(), gt[..., 1:]
    half = (strides / 2)[None, None, :]
    x, y = pts[None, None, :, 0], pts[None, None, :, 1]
    cand = (
        (x > gbox[..., 0:1] - half)
        & (x < gbox[..., 2:3] + half)
        & (y > gbox[..., 1:2] - half)
        & (y < gbox[..., 3:4] + half)
        & valid[..., None]
    )
    iou = box_iou_pairs(gbox[:, :, None, :], boxes[:, None, :, :]).clamp(min=0)  # (B,M,N)
    cls_score = scores.permute(0, 2, 1).gather(1, gcls.clamp(min=0)[..., None].expand(b, m, n))
    align = cls_score.pow(ALPHA) * iou.pow(BETA) * cand
    top = align.topk(min(TOPK, n), dim=2).indices
    pos = torch.zeros_like(align, dtype=torch.bool).scatter_(2, top, True) & cand
    owner = torch.where(pos, iou, torch.full_like(iou, -1.0)).argmax(1)  # (B,N): best gt per cell
    pos_any = pos.any(1)
    onehot = F.one_hot(owner, m).permute(0, 2, 1).bool() & pos  # (B,M,N), one gt per cell
    align = align * onehot
    norm = (align / (align.amax(2, keepdim=True) + EPS)) * (iou * onehot).amax(2, keepdim=True)
    soft = norm.amax(1)  # (B,N)
    tcls = torch.zeros(b, n, c, device=scores.device)
    tcls.scatter_(2, gcls.gather(1, owner).clamp(min=0)[..., None], soft[..., None])
    tbox = gbox.gather(1, owner[..., None].expand(b, n, 4))
    return tcls * pos_any[..., None], tbox, pos_any


def detection_loss(
    raw: torch.Tensor,
    logits: torch.Tensor,
    pts: torch.Tensor,
    strides: torch.Tensor,
    gt: torch.Tensor,
    valid: torch.Tensor,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Total loss and its parts (cls BCE, box GIoU weighted by target quality)."""
    from borderwatch.models.train.net import decode_xyxy

    boxes = decode_xyxy(raw, pts, strides)
    logits = logits.permute(0, 2, 1)
    with torch.no_grad():
        tcls, tbox, pos = assign(logits.sigmoid(), boxes.detach(), pts, strides, gt, valid)
    norm = tcls.sum().clamp(min=1.0)
    lcls = F.binary_cross_entropy_with_logits(logits, tcls, reduction="sum") / norm
    weight = tcls.sum(-1)[pos]
    lbox = (giou_loss(boxes[pos], tbox[pos]) * weight).sum() / norm
    total = lcls + 5.0 * lbox
    return total, {"cls": float(lcls.detach()), "box": float(lbox.detach()), "pos": float(pos.sum())}
