"""Tracks as the event factory reads them (``TrackView`` with polar geometry: range, true bearing,
ground speed and course; lat/lon from the pose), for the radar's own tracks and for tracks the radar
made. Boxes carry the sensor-frame x/y (zero-size), which the update throttle compares.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from borderwatch.edge.pipeline.events import TrackView

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
FRAME_WH = (1, 1)  # radar events carry no image box; TrackView wants a size


def polar_view(
    ids: I64,
    xy: F64,
    polar: F64,
    latlon: F64,
    class_id: I64,
    confidence: F64,
    stationary: npt.NDArray[np.bool_],
    uncertainty_m: F64,
) -> TrackView:
    """A view of T tracks: ``xy`` (T, 2) sensor-frame metres, ``polar`` (T, 4) range, true bearing,
    speed, course; ``latlon`` (T, 2)."""
    xyxy = np.concatenate((xy, xy), axis=1) if len(xy) else np.zeros((0, 4))
    return TrackView(ids, xyxy, class_id, confidence, stationary, latlon, uncertainty_m, FRAME_WH, polar)


def empty_view() -> TrackView:
    z = np.zeros(0)
    return polar_view(
        np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros((0, 4)), np.zeros((0, 2)),
        np.zeros(0, np.int64), z, np.zeros(0, bool), z,
    )  # fmt: skip


def concat(a: TrackView, b: TrackView) -> TrackView:
    """Two views as one (the radar's own tracks, then the tracks it passed through)."""
    assert a.polar is not None and b.polar is not None
    return TrackView(
        np.concatenate((a.ids, b.ids)),
        np.concatenate((a.xyxy, b.xyxy)),
        np.concatenate((a.class_id, b.class_id)),
        np.concatenate((a.confidence, b.confidence)),
        np.concatenate((a.stationary, b.stationary)),
        np.concatenate((a.latlon, b.latlon)),
        np.concatenate((a.uncertainty_m, b.uncertainty_m)),
        FRAME_WH,
        np.concatenate((a.polar, b.polar)),
    )
