"""Local flat-earth geometry shared by every simulator and mirrored by the edge's ground projection.

Why equirectangular: over a mast's few hundred metres its error is centimetres, and it inverts in
closed form, so the edge can undo it exactly. The convention (R, axis order, sign of "left") is
part of the project's contract with the edge and must not drift.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_M = 6_371_008.8

ArrayF = npt.NDArray[np.float64]


def to_local(lat: npt.ArrayLike, lon: npt.ArrayLike, lat0: float, lon0: float) -> tuple[ArrayF, ArrayF]:
    """(lat, lon) degrees -> (east, north) metres around (lat0, lon0)."""
    lat_a = np.asarray(lat, dtype=np.float64)
    lon_a = np.asarray(lon, dtype=np.float64)
    east = EARTH_RADIUS_M * np.cos(np.radians(lat0)) * np.radians(lon_a - lon0)
    north = EARTH_RADIUS_M * np.radians(lat_a - lat0)
    return east, north


def to_geo(east: npt.ArrayLike, north: npt.ArrayLike, lat0: float, lon0: float) -> tuple[ArrayF, ArrayF]:
    """(east, north) metres around (lat0, lon0) -> (lat, lon) degrees; exact inverse of to_local."""
    east_a = np.asarray(east, dtype=np.float64)
    north_a = np.asarray(north, dtype=np.float64)
    lat = lat0 + np.degrees(north_a / EARTH_RADIUS_M)
    lon = lon0 + np.degrees(east_a / (EARTH_RADIUS_M * np.cos(np.radians(lat0))))
    return lat, lon


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
