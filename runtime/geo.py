"""Local flat-earth geometry every side shares: the earth radius and the equirectangular frame.

Why equirectangular: over a mast's few hundred metres its error is centimetres and it inverts in
closed form, so the edge's ground projection undoes exactly what the camera simulator renders,
and the hub's alert grouping measures distances on the same sphere. The convention (radius, axis
order east/north) must not drift between them, so it lives here once.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_M = 6_371_008.8
"""Mean earth radius (IUGG) in metres."""

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
