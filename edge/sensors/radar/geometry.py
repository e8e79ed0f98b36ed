"""The radar's pose: sensor-frame metres <-> true range/bearing <-> latitude/longitude.

Sensor frame as in ``edge/pipeline/polar.py``: origin at the antenna, ``y`` along the boresight,
``x`` to its right. The boresight's azimuth (``heading_deg``) turns it into east/north; the local
east/north metres become lat/lon by the same equirectangular frame the camera uses
(``LocalFrame`` in ``edge/pipeline/projection.py``). Own position and heading sent by a
moving radar (NMEA RMC/HDT) replace the configured ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from borderwatch.edge.pipeline.polar import metric_to_polar, polar_to_metric
from borderwatch.edge.pipeline.projection import LocalFrame

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Pose:
    """Antenna position (degrees) and boresight azimuth (degrees clockwise from north)."""

    lat: float
    lon: float
    heading_deg: float

    def relative(self, bearing_deg: F64, is_true: npt.NDArray[np.bool_]) -> F64:
        """Bearings from the boresight (true ones turned by the heading), in [0, 360)."""
        return np.mod(np.where(is_true, bearing_deg - self.heading_deg, bearing_deg), 360.0)

    def to_metric(self, range_m: F64, bearing_deg: F64, is_true: npt.NDArray[np.bool_]) -> tuple[F64, F64]:
        """Sensor-frame x/y of plots (converted once; the tracker works in these metres)."""
        return polar_to_metric(range_m, self.relative(bearing_deg, is_true))

    def true_polar(self, x_m: F64, y_m: F64) -> tuple[F64, F64]:
        """Range and true bearing of sensor-frame points."""
        return metric_to_polar(x_m, y_m, self.heading_deg)

    def latlon(self, range_m: F64, true_bearing_deg: F64) -> F64:
        """(N, 2) latitude/longitude of points at a range and true bearing from the antenna."""
        b = np.radians(true_bearing_deg)
        en = np.stack((range_m * np.sin(b), range_m * np.cos(b)), axis=1)
        return LocalFrame(self.lat, self.lon).to_latlon(en)

    def course(self, vx: F64, vy: F64) -> tuple[F64, F64]:
        """Ground speed and true course of sensor-frame velocities."""
        return metric_to_polar(vx, vy, self.heading_deg)  # a velocity's length and direction
