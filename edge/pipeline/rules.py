"""Zone and line rules over all tracks of a frame, with hysteresis and per-track state pruning.

Both rules take the tracks' anchor points in the rule's own plane (image pixels with y flipped
up, or ground east/north metres) so one side convention serves both: "left" of P1->P2 is
cross(P2-P1, X-P1) > 0. NaN anchors (no ground position) are "not observed": state is kept.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from borderwatch.edge.pipeline.trackstate import TrackState, member
from borderwatch.runtime.geometry import Segments, paths_cross_polyline, points_in_polygon

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
_FLIP_Y = np.array([1.0, -1.0])
# up to this many tracks, a line rule decides sides and flips in plain Python (numpy's per-call overhead
# dominates arrays of a few rows); the per-track state and the geometry stay vectorised
_SCALAR_ROWS = 8


def _observed(points: F64, class_id: npt.ArrayLike, classes: I64 | None) -> npt.NDArray[np.bool_]:
    """Rows a rule looks at: a class it cares about and a finite anchor (NaN = no ground position)."""
    ok = np.isfinite(points[:, 0]) & np.isfinite(points[:, 1])  # two columns: cheaper than ``all(axis=1)``
    if classes is not None and len(classes):
        ok &= member(np.asarray(class_id, np.int64), classes)
    return ok


@dataclass(frozen=True, slots=True)
class Crossings:
    """Rows of the input that crossed, and whether each crossing was inbound."""

    index: I64
    inbound: npt.NDArray[np.bool_]


_NO_CROSSINGS = Crossings(np.zeros(0, np.int64), np.zeros(0, bool))
_NO_CROSSINGS.index.flags.writeable = False  # shared by every frame without a crossing: never written
_NO_CROSSINGS.inbound.flags.writeable = False


class LineCrossingRule:
    """Counts a crossing when a track's confirmed side flips and its path intersects the polyline.

    The side is only confirmed outside a dead band of ``margin`` either side of the line, so a box
    jittering on the line never produces a crossing storm.
    """

    def __init__(self, name: str, polyline: F64, inbound_left: bool, margin: float, classes: I64 | None) -> None:
        self.name = name
        self.polyline = np.asarray(polyline, np.float64).reshape(-1, 2)
        self.segments = Segments.of(self.polyline)
        self.inbound_sign = 1 if inbound_left else -1
        self.margin = float(margin)
        self.classes = classes
        self.state = TrackState({"side": 0, "ax": 0.0, "ay": 0.0})

    def update(self, ids: I64, points: F64, class_id: I64) -> Crossings:
        """Advance every track and return the crossings of this frame."""
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        if len(pts) <= _SCALAR_ROWS:
            return self._update_few(np.asarray(ids, np.int64), pts, np.asarray(class_id, np.int64))
        rows = _observed(pts, class_id, self.classes).nonzero()[0]
        dist = self.segments.signed_distance(pts[rows])
        # +1 beyond the margin on the left, -1 on the right, 0 in the dead band (one subtraction of the two tests)
        side = np.subtract(dist > self.margin, dist < -self.margin, dtype=np.int64)
        decided = side != 0
        if np.count_nonzero(decided) < len(decided):  # some in the dead band (count_nonzero: cheaper than ``all``)
            self._first_sight(np.asarray(ids, np.int64)[rows[~decided]], pts[rows[~decided]], dist[~decided])
            rows, side = rows[decided], side[decided]
        ids, pts = np.asarray(ids, np.int64)[rows], pts[rows]
        prev = self.state.exchange(ids, {"side": side, "ax": pts[:, 0], "ay": pts[:, 1]})
        crossed = (prev["side"] != 0) & (side != prev["side"])  # flipped, and then ...
        if np.count_nonzero(crossed):  # ... only a flip can be a crossing: the path test is for those frames
            anchor = np.stack((prev["ax"], prev["ay"]), axis=1)
            crossed &= paths_cross_polyline(anchor, pts, self.polyline)
        return Crossings(rows[crossed], side[crossed] == self.inbound_sign)

    def _update_few(self, ids: I64, pts: F64, class_id: I64) -> Crossings:
        """``update`` of a few tracks: the same decisions made row by row in plain Python (finite test, class
        membership, dead band, flip), the distances, state and path test by the same vectorised calls; the
        path test only for the rows that flipped (it is row by row, so their answers are the same).
        """
        classes = set(self.classes.tolist()) if self.classes is not None and len(self.classes) else None
        rows = [
            i
            for i, ((x, y), c) in enumerate(zip(pts.tolist(), class_id.tolist(), strict=True))
            if math.isfinite(x) and math.isfinite(y) and (classes is None or c in classes)
        ]
        if not rows:
            return _NO_CROSSINGS
        sel = np.array(rows, np.int64)
        dist = self.segments.signed_distance(pts[sel])
        m = self.margin
        side = [1 if d > m else -1 if d < -m else 0 for d in dist.tolist()]
        if 0 in side:  # some in the dead band
            band = np.array([s == 0 for s in side])
            self._first_sight(ids[sel[band]], pts[sel[band]], dist[band])
            sel, side = sel[~band], [s for s in side if s != 0]
            if not side:
                return _NO_CROSSINGS
        p = pts[sel]
        side_col = np.array(side, np.int64)
        prev = self.state.exchange(ids[sel], {"side": side_col, "ax": p[:, 0], "ay": p[:, 1]})
        flipped = [k for k, (s, q) in enumerate(zip(side, prev["side"].tolist(), strict=True)) if q != 0 and s != q]
        if not flipped:
            return _NO_CROSSINGS
        f = np.array(flipped, np.int64)
        anchor = np.stack((prev["ax"][f], prev["ay"][f]), axis=1)
        crossed = f[paths_cross_polyline(anchor, p[f], self.polyline)]
        return Crossings(sel[crossed], side_col[crossed] == self.inbound_sign)

    def _first_sight(self, ids: I64, pts: F64, dist: F64) -> None:
        """A track first seen inside the dead band takes the side it is on as its side so far.

        Why: whoever comes into view (out of fog, out of range, from behind cover) already within ``margin``
        of the line and then walks off the other side has crossed; without a side before the flip the
        crossing was never counted. A later frame on the same side simply confirms it."""
        new = ~self.state.get(ids)["known"] & (dist != 0)
        if new.any():
            side = np.where(dist[new] > 0, 1, -1)
            self.state.set(ids[new], {"side": side, "ax": pts[new, 0], "ay": pts[new, 1]})

    def forget(self, ids: I64) -> None:
        """Drop ended tracks' sides, so the state stays as small as the live tracks and a reused id starts undecided."""
        self.state.forget(ids)


@dataclass(frozen=True, slots=True)
class ZoneHits:
    """Rows that entered, exited, or started loitering (with their dwell seconds)."""

    entered: I64
    exited: I64
    loitering: I64
    dwell_s: F64


class ZoneRule:
    """Entry/exit after ``inertia`` consistent frames; one loitering hit per visit after ``loiter_s``."""

    def __init__(self, name: str, polygon: F64, loiter_s: float, inertia: int, classes: I64 | None) -> None:
        self.name = name
        self.polygon = np.asarray(polygon, np.float64).reshape(-1, 2)
        self.loiter_s = float(loiter_s)
        self.inertia = int(inertia)
        self.classes = classes
        self.state = TrackState({"inside": False, "count": 0, "since": 0.0, "loitered": False})

    def update(self, ids: I64, points: F64, class_id: I64, ts: float) -> ZoneHits:
        """Advance every observed track at time ``ts``."""
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        rows = _observed(pts, class_id, self.classes).nonzero()[0]
        ids = np.asarray(ids, np.int64)[rows]
        obs = points_in_polygon(pts[rows], self.polygon)
        st = self.state.get(ids)
        count = np.where(obs != st["inside"], st["count"] + 1, 0)
        flip = count >= self.inertia
        entered, exited = flip & obs, flip & ~obs
        inside = np.where(flip, obs, st["inside"])
        since = np.where(entered, ts, st["since"])
        loitered = np.where(flip, False, st["loitered"])
        dwell = ts - since
        loiter = inside & ~loitered & (dwell >= self.loiter_s)
        self.state.set(
            ids,
            {
                "inside": inside,
                "count": np.where(flip, 0, count),
                "since": since,
                "loitered": loitered | loiter,
            },
        )
        return ZoneHits(rows[entered], rows[exited], rows[loiter], dwell[loiter])

    def forget(self, ids: I64) -> None:
        """Drop ended tracks' zone state, so it stays as small as the live tracks and a reused id starts outside."""
        self.state.forget(ids)


def flip_y(points: Sequence[tuple[float, float]] | F64) -> F64:
    """Image (x, y-down) -> (x, y-up), so "left" means left as seen on the screen."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    return pts * _FLIP_Y
