"""Polar to metric for radar-like sensors: (range, bearing) plots -> x/y metres in the sensor's frame,
and back (events report a track's range and bearing).

Why metric: the point tracker (``ConstantVelocityPoint``) predicts with constant velocity, which
is linear in x/y but not in range/bearing; and rules and ground positions work in metres. The
sensor's frame: origin at the antenna, ``y`` along the boresight, ``x`` to its right, bearing
clockwise from the boresight (a compass-like convention: the mounting heading turns it into
east/north later). Pure numpy, no I/O.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from borderwatch.edge.pipeline.detections import BEARING_DEG, RANGE_M, X_M, Y_M, Detections

F64 = npt.NDArray[np.float64]


def polar_to_metric(range_m: npt.ArrayLike, bearing_deg: npt.ArrayLike) -> tuple[F64, F64]:
    """(x, y) metres of plots at ``range_m`` and ``bearing_deg`` (same shapes; ranges must be >= 0)."""
    r = np.asarray(range_m, np.float64)
    b = np.radians(np.asarray(bearing_deg, np.float64))
    if r.shape != b.shape:
        raise ValueError(f"polar_to_metric: range {r.shape} and bearing {b.shape} differ in shape")
    if (r < 0).any():
        raise ValueError("polar_to_metric: negative range")
    return r * np.sin(b), r * np.cos(b)


def metric_to_polar(x_m: npt.ArrayLike, y_m: npt.ArrayLike, heading_deg: float = 0.0) -> tuple[F64, F64]:
    """(range, bearing) of points in the sensor's frame; the bearing is turned by the mounting
    ``heading_deg`` (the boresight's azimuth) and wrapped to [0, 360): clockwise from north, as events say.
    """
    x, y = np.asarray(x_m, np.float64), np.asarray(y_m, np.float64)
    bearing = np.mod(np.degrees(np.arctan2(x, y)) + heading_deg, 360.0)
    return np.hypot(x, y), np.where(bearing >= 360.0, 0.0, bearing)  # mod can round up to 360.0


def with_metric(dets: Detections) -> Detections:
    """``dets`` with ``x_m``/``y_m`` columns computed from its ``range_m``/``bearing_deg`` columns."""
    missing = [k for k in (RANGE_M, BEARING_DEG) if k not in dets.extra]
    if missing:
        raise ValueError(f"with_metric: detections lack the columns {missing}")
    x, y = polar_to_metric(dets.extra[RANGE_M], dets.extra[BEARING_DEG])
    extra = {**dets.extra, X_M: x, Y_M: y}
    return Detections.unchecked(dets.xyxy, dets.confidence, dets.class_id, dets.tracker_id, extra)
