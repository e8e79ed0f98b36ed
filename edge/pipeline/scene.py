"""Rules and ground placement of one image sensor at one frame size: zone and line rules, anchors, projection.

Sensor-neutral (cameras and thermal imagers build it from their own settings). Built once per
sensor (and again if the stream changes resolution). Rules run in one of two planes: the image
plane with y flipped up (so "left" is left on screen) or ground east/north metres around the
projector's origin; anchors of tracks are converted into both once per frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from borderwatch.edge.config.rules import LineConfig, ZoneConfig
from borderwatch.edge.pipeline.events import TrackView
from borderwatch.edge.pipeline.filters import class_ids
from borderwatch.edge.pipeline.projection import GroundProjector
from borderwatch.edge.pipeline.rules import LineCrossingRule, ZoneRule, flip_y
from borderwatch.edge.tracking.tracks import Tracks

F64 = npt.NDArray[np.float64]
# Dead band of a geo line, metres either side. It absorbs frame-to-frame jitter of the tracked ground point,
# not its absolute error (a flip also needs the path from the last point on the other side to cross the
# line). Every metre of it delays the crossing by ~0.7 s at walking pace: 2 m put alert latency above 2 s.
_GEO_MARGIN_M = 1.0
_IMAGE_MARGIN_FRAC = 0.02
_MIN_UNCERTAINTY_M = 0.5
# column picks of a box's bottom corners, as index arrays made once (a list index is converted every call)
_X1_Y2 = np.array([0, 3], np.intp)
_X2_Y2 = np.array([2, 3], np.intp)


@dataclass(frozen=True, slots=True)
class Anchors:
    """Track anchors in both rule planes plus the geographic fix."""

    image: F64  # (T, 2) x, -y
    ground: F64  # (T, 2) east, north metres (NaN without a pose or above the horizon)
    latlon: F64  # (T, 2)
    uncertainty_m: F64  # (T,)

    def __getitem__(self, index: npt.ArrayLike) -> Anchors:
        return Anchors(self.image[index], self.ground[index], self.latlon[index], self.uncertainty_m[index])


class RuleScene:
    """Geometry of one image sensor at one frame size: its projector, line and zone rules."""

    def __init__(
        self,
        projector: GroundProjector | None,
        lines: list[LineConfig],
        zones: list[ZoneConfig],
        frame_wh: tuple[int, int],
    ) -> None:
        self.frame_wh = frame_wh
        self.projector = projector
        self.lines = [(self._line(c), c.coords) for c in lines]
        self.zones = [(self._zone(c), c.coords) for c in zones]

    def _plane(self, points: list[tuple[float, float]], coords: str) -> F64:
        if coords == "image":
            return flip_y(points)
        assert self.projector is not None, "config validation guarantees a projector for geo rules"
        return self.projector.frame.to_metres(points)

    def _line(self, c: LineConfig) -> LineCrossingRule:
        margin = c.hysteresis or (
            _GEO_MARGIN_M if c.coords == "geo" else _IMAGE_MARGIN_FRAC * float(np.hypot(*self.frame_wh))
        )
        classes = class_ids(c.classes) if c.classes else None
        return LineCrossingRule(c.name, self._plane(c.points, c.coords), c.inbound_side == "left", margin, classes)

    def _zone(self, c: ZoneConfig) -> ZoneRule:
        classes = class_ids(c.classes) if c.classes else None
        return ZoneRule(c.name, self._plane(c.points, c.coords), c.loiter_s, c.inertia, classes)

    def anchors(self, xyxy: F64) -> Anchors:
        """Bottom centres of boxes in both planes, and their latitude/longitude where the pose allows."""
        xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
        bottom = (xyxy[:, _X1_Y2] + xyxy[:, _X2_Y2]) / 2  # ((x1 + x2) / 2, y2): (y + y) / 2 is exactly y
        n = len(bottom)
        if self.projector is None or n == 0:
            nan = np.empty((n, 2))
            nan.fill(np.nan)  # ``np.full`` is a Python wrapper around these two calls
            return Anchors(flip_y(bottom), nan, nan.copy(), nan[:, 0].copy())
        w, h = self.frame_wh
        nudged = bottom + np.stack((np.zeros(n), 0.05 * (xyxy[:, 3] - xyxy[:, 1])), axis=1)
        # both point sets in one projection (row by row the same arithmetic, so the same bits as two calls)
        both = self.projector.to_ground(np.concatenate((bottom, nudged)), w, h)
        ground, step = both[:n], both[n:] - both[:n]
        spread = np.sqrt((step * step).sum(axis=1))  # np.linalg.norm's own formula, without its overhead
        unc = np.maximum(spread, _MIN_UNCERTAINTY_M)
        return Anchors(flip_y(bottom), ground, self.projector.frame.to_latlon(ground), unc)

    def track_view(self, tracks: Tracks, xyxy: F64, stationary: npt.NDArray[np.bool_], anchors: Anchors) -> TrackView:
        """Tracks as events see them, placed on the ground by ``anchors`` (those of ``xyxy``) in this frame."""
        a = anchors
        return TrackView(tracks.ids, xyxy, tracks.class_id, tracks.confidence, stationary, a.latlon, a.uncertainty_m,
                         self.frame_wh)  # fmt: skip

    def rule_points(self, anchors: Anchors, coords: str) -> F64:
        """The anchors in the plane the rule was drawn in: image (y up) or ground metres (NaN without a projection)."""
        return anchors.image if coords == "image" else anchors.ground
