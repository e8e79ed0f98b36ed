"""Track features for the radar classifier (person / group / vehicle / animal / clutter), one row per
track, all tracks of a frame at once.

Features (``FEATURES``, the classifier's input columns in this order): ground speed (m/s), turn rate
(smoothed |course change| per second, degrees/s), signal strength (smoothed SNR made independent of
range by the radar equation's R^4: SNR + 40 log10(range / 100 m), dB, a radar cross-section scale), Doppler spread
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
FEATURES = ("speed_mps", "turn_rate_dps", "signal_db", "doppler_spread_mps", "plots", "radial_mps")
CLASSES = ("person", "group", "vehicle", "animal", "clutter")
TAU_S = 3.0  # time constant of the running means (a 1 Hz radar: weight 0.28 for the newest scan)
TURN_BASE_S = 1.0  # the turn rate compares courses at least this far apart


def as_model_input(features: F64) -> npt.NDArray[np.float32]:
    """(T, 6) features -> (T, 3, 1, 2) float32, the layout the classifier's ONNX input declares."""
    return np.ascontiguousarray(features, np.float32).reshape(-1, 3, 1, 2)


def signal_db(snr_db: F64, range_m: F64) -> F64:
    """SNR referred to 100 m (radar equation: received power falls with range^4)."""
    return snr_db + 40.0 * np.log10(np.maximum(range_m, 1.0) / 100.0)


def turn(prev_course: F64, course: F64) -> F64:
    """|course change| in degrees, the short way round."""
    return np.abs((course - prev_course + 180.0) % 360.0 - 180.0)


class FeatureTable:
    """Running feature values per track id, independent of the radar's frame rate: running means
    with a time constant (``TAU_S``), and the turn measured between course samples at least
    ``TURN_BASE_S`` apart (a 10 Hz radar and a 1 Hz radar give the same figures for one target).
    """

    def __init__(self) -> None:
        cols = {"ref_course": np.nan, "ref_ts": np.nan, "ts": np.nan, **dict.fromkeys(FEATURES, np.nan)}
        self.state = TrackState(cols)

    def update(self, ids: npt.ArrayLike, ts: float, speed: F64, course: F64, observed: dict[str, F64]) -> F64:
        """Fold this frame's observations in; returns the (T, F) float32-ready feature matrix.

        ``observed`` holds ``signal_db``, ``doppler_spread_mps``, ``plots``, ``radial_mps`` per track
        (NaN = not observed this frame: the running mean keeps its value).
        """
        ids = np.asarray(ids, np.int64)
        old = self.state.get(ids)
        span = ts - old["ref_ts"]  # NaN for new tracks
        due = span >= TURN_BASE_S
        rate = np.where(due & (speed > 0.5), turn(old["ref_course"], course) / np.where(due, span, 1.0), np.nan)
        step = np.where(np.isfinite(old["ts"]), ts - old["ts"], 0.0)
        weight = 1.0 - np.exp(-np.maximum(step, 0.0) / TAU_S)
        new = {"speed_mps": speed, "turn_rate_dps": rate, **observed}
        cols = {k: _blend(old[k], new[k], weight) for k in FEATURES}
        restart = due | ~np.isfinite(old["ref_ts"])
        ref = {
            "ref_course": np.where(restart, course, old["ref_course"]),
            "ref_ts": np.where(restart, ts, old["ref_ts"]),
        }
        self.state.set(ids, {**ref, "ts": np.full(len(ids), ts), **cols})
        return np.stack([np.nan_to_num(cols[k], nan=0.0) for k in FEATURES], axis=1)

    def retain(self, ids: npt.ArrayLike) -> None:
        """Keep only the tracks ``ids`` (the tracker's live ones), so ended tracks' rows do not pile up."""
        self.state.retain(ids)


def _blend(old: F64, new: F64, weight: F64) -> F64:
    old, new = np.asarray(old, np.float64), np.asarray(new, np.float64)
    mixed = (1 - weight) * old + weight * new
    return np.where(np.isnan(old), new, np.where(np.isnan(new), old, mixed))
