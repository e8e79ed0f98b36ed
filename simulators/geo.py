"""Plane geometry of the simulated world: sides of a line and segment crossings in east/north metres.

The east/north frame itself (earth radius, lat/lon conversions) is runtime/geo.py, shared with the
edge's ground projection. The sign of "left" here is part of the border-crossing convention.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

ArrayF = npt.NDArray[np.float64]


def side_of_line(p1: ArrayF, p2: ArrayF, points: ArrayF) -> ArrayF:
    """cross(p2 - p1, x - p1) for (N, 2) east/north points: > 0 means left of p1 -> p2."""
    d = np.asarray(p2, dtype=np.float64) - np.asarray(p1, dtype=np.float64)
    rel = np.asarray(points, dtype=np.float64) - np.asarray(p1, dtype=np.float64)
    return d[..., 0] * rel[..., 1] - d[..., 1] * rel[..., 0]


def segment_intersections(a0: ArrayF, a1: ArrayF, b0: ArrayF, b1: ArrayF) -> tuple[ArrayF, ArrayF, ArrayF]:
    """All pairs of segments A (N,2)->(N,2) and B (M,2)->(M,2) at once.

    Returns (hit (N,M) bool, s (N,M) fraction along A, u (N,M) fraction along B). Parallel pairs
    never hit; endpoints count on A's start side only ([0, 1)) so a path vertex lying on the line
    is not counted twice.
    """
    da = (a1 - a0)[:, None, :]
    db = (b1 - b0)[None, :, :]
    w = b0[None, :, :] - a0[:, None, :]
    denom = da[..., 0] * db[..., 1] - da[..., 1] * db[..., 0]
    safe = np.where(np.abs(denom) < 1e-12, np.nan, denom)
    s = (w[..., 0] * db[..., 1] - w[..., 1] * db[..., 0]) / safe
    u = (w[..., 0] * da[..., 1] - w[..., 1] * da[..., 0]) / safe
    with np.errstate(invalid="ignore"):
        hit = (s >= 0) & (s < 1) & (u >= 0) & (u <= 1)
    return hit, np.nan_to_num(s), np.nan_to_num(u)
