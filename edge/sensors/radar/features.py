"""Track features for the radar classifier (person / group / vehicle / animal / clutter), one row per
track, all tracks of a frame at once.

Features (``FEATURES``, the classifier's input columns in this order): ground speed (m/s), turn rate
(smoothed |course change| per second, degrees/s), signal strength (smoothed SNR, dB), Doppler spread
(smoothed standard deviation of the plots' radial speeds within the target's cluster, m/s), plots
per target (smoothed cluster size), radial speed (smoothed |mean Doppler|, m/s). The seam's models
take (B, 3, H, W) tensors, so the six features of a track travel as a (3, 1, 2) tensor
(``as_model_input``). The simulator (``simulators/radar/``) and the training script
compute the same columns with this module, so the model sees at run time what it learnt from.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from borderwatch.edge.pipeline.trackstate import TrackState

F64 = npt.NDArray[np.float64]
FEATURES = ("speed_mps", "turn_rate_dps", "snr_db", "doppler_spread_mps", "plots", "radial_mps")
CLASSES = ("person", "group", "vehicle", "animal", "clutter")
SMOOTHING = 0.3  # weight of the newest observation in the running means


def as_model_input(features: F64) -> npt.NDArray[np.float32]:
    """(T, 6) features -> (T, 3, 1, 2) float32, the layout the classifier's ONNX input declares."""
    return np.ascontiguousarray(features, np.float32).reshape(-1, 3, 1, 2)


def turn(prev_course: F64, course: F64) -> F64:
    """|course change| in degrees, the short way round."""
    return np.abs((course - prev_course + 180.0) % 360.0 - 180.0)


class FeatureTable:
    """Running feature values per track id."""

    def __init__(self) -> None:
        self.state = TrackState({"course": np.nan, "ts": np.nan, **dict.fromkeys(FEATURES, np.nan)})

    def update(self, ids: npt.ArrayLike, ts: float, speed: F64, course: F64, observed: dict[str, F64]) -> F64:
        """Fold this frame's observations in; returns the (T, F) float32-ready feature matrix.

        ``observed`` holds ``snr_db``, ``doppler_spread_mps``, ``plots``, ``radial_mps`` per track (NaN = not
        observed this frame: the running mean keeps its value).
        """
        ids = np.asarray(ids, np.int64)
        old = self.state.get(ids)
        dt = np.where(np.isfinite(old["ts"]), ts - old["ts"], np.nan)
        rate = np.where((dt > 0) & (speed > 0.5), turn(old["course"], course) / np.where(dt > 0, dt, 1.0), np.nan)
        new = {"speed_mps": speed, "turn_rate_dps": rate, **observed}
        cols = {k: _blend(old[k], new[k]) for k in FEATURES}
        self.state.set(ids, {"course": course, "ts": np.full(len(ids), ts), **cols})
        return np.stack([np.nan_to_num(cols[k], nan=0.0) for k in FEATURES], axis=1)

    def forget(self, ids: npt.ArrayLike) -> None:
        self.state.forget(ids)


def _blend(old: F64, new: F64) -> F64:
    old, new = np.asarray(old, np.float64), np.asarray(new, np.float64)
    mixed = (1 - SMOOTHING) * old + SMOOTHING * new
    return np.where(np.isnan(old), new, np.where(np.isnan(new), old, mixed))
