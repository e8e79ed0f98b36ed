"""Ground geometry for alerts, as numpy broadcasts: distances between every pair of points and
signed distances of every point to every zone edge at once.

Why a local plane: fusion gates and zones span at most a few kilometres, where an
equirectangular projection around the points' mean latitude is accurate to well under a metre.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from borderwatch.runtime.geo import EARTH_RADIUS_M, to_local

Floats = npt.NDArray[np.float64]


def pairwise_m(lat_a: Floats, lon_a: Floats, lat_b: Floats, lon_b: Floats) -> Floats:
    """(N, M) distances in metres between points a and points b."""
    if lat_a.size == 0 or lat_b.size == 0:
        return np.zeros((lat_a.size, lat_b.size))
    lat0 = np.radians((lat_a[:, None] + lat_b[None, :]) / 2)
    dx = np.radians(lon_b[None, :] - lon_a[:, None]) * np.cos(lat0)
    dy = np.radians(lat_b[None, :] - lat_a[:, None])
    return EARTH_RADIUS_M * np.hypot(dx, dy)


def signed_edge_m(lat: Floats, lon: Floats, polygon: Floats) -> Floats:
    """Distance in metres from each point to the polygon's boundary: positive inside, negative
    outside. ``polygon`` is (K, 2) of (lat, lon) corners; crossing-number test for the sign."""
    if lat.size == 0:
        return np.zeros(0)
    lat0, lon0 = float(polygon[:, 0].mean()), float(polygon[:, 1].mean())
    px, py = to_local(lat, lon, lat0, lon0)  # (N,)
    vx, vy = to_local(polygon[:, 0], polygon[:, 1], lat0, lon0)  # (K,)
    wx, wy = np.roll(vx, -1), np.roll(vy, -1)
    ex, ey = wx - vx, wy - vy  # edges (K,)
    rx, ry = px[:, None] - vx[None, :], py[:, None] - vy[None, :]  # (N, K)
    t = np.clip((rx * ex + ry * ey) / np.maximum(ex * ex + ey * ey, 1e-12), 0.0, 1.0)
    dist = np.hypot(rx - t * ex, ry - t * ey).min(axis=1)
    straddles = (vy[None, :] > py[:, None]) != (wy[None, :] > py[:, None])
    x_cross = vx + (py[:, None] - vy) * ex / np.where(ey == 0, 1e-12, ey)
    inside = (straddles & (px[:, None] < x_cross)).sum(axis=1) % 2 == 1
    return np.where(inside, dist, -dist)


def hysteresis_inside(edge_m: Floats, was_inside: npt.NDArray[np.bool_], margin_m: float) -> npt.NDArray[np.bool_]:
    """Zone membership that does not flap on the edge: a point enters only ``margin_m`` inside
    and leaves only ``margin_m`` outside; in between it keeps what it was."""
    return np.where(was_inside, edge_m > -margin_m, edge_m > margin_m)
