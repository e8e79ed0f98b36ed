"""Region planning: motion blobs and tracked objects -> a few model-sized crops of the frame.

Why crops: a 1920x1080 frame letterboxed into 320 px makes a person 30 px tall vanish; a
320-640 px crop around the motion keeps native resolution where it matters and costs one model
input instead of several tiles. Overlapping squares are merged by connected components of their
overlap graph (one vectorised union), and when too many crops are needed the whole frame is
used instead.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.sparse.csgraph import connected_components

I64 = npt.NDArray[np.int64]


def square_regions(boxes: npt.ArrayLike, frame_wh: tuple[int, int], side: int, grow: float = 1.4) -> I64:
    """A square (side >= ``side``) centred on each box, shifted inside the frame; (N, 4) int."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    w, h = frame_wh
    extent = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) * grow
    s = np.minimum(np.maximum(extent, side), min(w, h))
    centre = (b[:, :2] + b[:, 2:]) / 2
    lo = np.clip(centre - s[:, None] / 2, 0, np.array([w, h]) - s[:, None])
    return np.round(np.concatenate((lo, lo + s[:, None]), axis=1)).astype(np.int64)


def merge_overlapping(rects: I64) -> I64:
    """Union of every group of transitively overlapping rectangles."""
    if len(rects) <= 1:
        return rects
    lt = np.maximum(rects[:, None, :2], rects[None, :, :2])
    rb = np.minimum(rects[:, None, 2:], rects[None, :, 2:])
    overlap = np.all(rb > lt, axis=2)
    n, label = connected_components(overlap, directed=False)
    x1 = np.full(n, np.iinfo(np.int64).max)
    y1 = x1.copy()
    x2 = np.full(n, np.iinfo(np.int64).min)
    y2 = x2.copy()
    np.minimum.at(x1, label, rects[:, 0])
    np.minimum.at(y1, label, rects[:, 1])
    np.maximum.at(x2, label, rects[:, 2])
    np.maximum.at(y2, label, rects[:, 3])
    return np.stack((x1, y1, x2, y2), axis=1)


def plan_regions(
    boxes: npt.ArrayLike, frame_wh: tuple[int, int], side: int, max_regions: int, max_area_frac: float = 0.7
) -> I64:
    """Crops (K, 4) covering ``boxes``; the full frame when cropping would not pay off."""
    w, h = frame_wh
    full = np.array([[0, 0, w, h]], np.int64)
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    if len(b) == 0:
        return np.zeros((0, 4), np.int64)
    if min(w, h) <= side:
        return full
    rects = merge_overlapping(square_regions(b, frame_wh, side))
    area = np.prod(rects[:, 2:] - rects[:, :2], axis=1).sum()
    if len(rects) > max_regions or area > max_area_frac * w * h:
        return full
    return rects


def centres_inside(points: npt.ArrayLike, rects: I64) -> npt.NDArray[np.bool_]:
    """(N,) True where a point lies in at least one rectangle (which tracks a pass looked at)."""
    p = np.asarray(points, np.float64).reshape(-1, 2)
    if len(p) == 0 or len(rects) == 0:
        return np.zeros(len(p), bool)
    r = np.asarray(rects, np.float64)
    inside = (p[:, None, 0] >= r[None, :, 0]) & (p[:, None, 0] < r[None, :, 2])
    inside &= (p[:, None, 1] >= r[None, :, 1]) & (p[:, None, 1] < r[None, :, 3])
    return inside.any(axis=1)
