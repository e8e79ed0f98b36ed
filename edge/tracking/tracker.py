"""The multi-object tracker: small parts passed in (protocols in ``parts.py``), one short ``step``
(Stone Soup's design).

A step predicts all tracks to the frame time, associates in one cost matrix, updates the matched
tracks in one batched Kalman call, counts misses only for tracks the sensor actually looked at
(motion-gated cameras inspect regions, not whole frames), confirms, initiates and deletes.
The caller's Detections are never modified.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from borderwatch.edge.pipeline.detections import Detections
from borderwatch.edge.tracking.parts import Associator, Deleter, Initiator, Predictor, Updater
from borderwatch.edge.tracking.tracks import TrackerOutput, Tracks

Visibility = Callable[[Tracks], npt.NDArray[np.bool_]]
# columns a partial update writes into (copies); the stillness anchor is copied by ``_stillness`` only if one moves
_UPDATED = ("mean", "cov", "class_id", "confidence", "hits", "misses", "last_ts")


def _in_order(rows: np.ndarray, n: int) -> bool:
    """True when the distinct row indices ``rows`` (as an assignment gives them) are exactly 0..n-1 in order:
    selecting them would only copy.
    """
    return len(rows) == n and (n <= 1 or np.count_nonzero(rows[1:] > rows[:-1]) == n - 1)


def _filled(n: int, value: float, dtype: type) -> np.ndarray:
    """``np.full(n, value, dtype)`` for the few rows of a frame: ``empty`` + ``fill`` is a quarter of ``full``'s
    cost (``full`` is a Python-level wrapper), and a step makes several such columns.
    """
    out = np.empty(n, dtype)
    out.fill(value)
    return out


def _scatter(n: int, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(n,) int array, -1 except ``values`` at ``rows``."""
    out = _filled(n, -1, np.int64)
    out[rows] = values
    return out


class Tracker:
    """Predictor + associator + updater + initiator + deleter, with stationarity bookkeeping."""

    def __init__(
        self,
        predictor: Predictor,
        associator: Associator,
        updater: Updater,
        initiator: Initiator,
        deleter: Deleter,
        stationary_s: float = 5.0,
        stationary_frac: float = 0.15,
    ) -> None:
        self.predictor, self.associator, self.updater = predictor, associator, updater
        self.initiator, self.deleter = initiator, deleter
        self.model = predictor.model
        self.stationary_s, self.stationary_frac = float(stationary_s), float(stationary_frac)
        self.tracks = Tracks.empty(self.model.dim)

    def step(self, dets: Detections, ts: float, visible: Visibility | None = None) -> TrackerOutput:
        """Advance to ``ts`` with this frame's detections; ``visible`` says which tracks were looked at."""
        tracks = self.predictor.predict(self.tracks, ts)
        if visible is None:  # every track looked at: the associator's rows are the tracks' own, no gathers
            looked = _filled(len(tracks), True, np.bool_)
            match = self.associator.associate(tracks, dets)
            t_rows, missed = match.tracks, match.unmatched_tracks
        else:
            looked = visible(tracks)
            rows = looked.nonzero()[0]
            match = self.associator.associate(tracks if len(rows) == len(tracks) else tracks[rows], dets)
            t_rows, missed = rows[match.tracks], rows[match.unmatched_tracks]
        d_rows = match.detections
        matched = dets if _in_order(d_rows, len(dets)) else dets[d_rows]
        tracks = self._update(tracks, t_rows, matched, looked, missed, ts)
        tracks, new_ids = self.initiator.promote(tracks)
        seeds = self.initiator.seeds(dets, match.unmatched_detections)
        detection = np.concatenate((_scatter(len(tracks), t_rows, d_rows), seeds))
        if len(seeds):
            born = self.initiator.initiate(dets[seeds], ts)
            tracks, looked = (
                Tracks.concatenate([tracks, born]),
                np.concatenate((looked, _filled(len(born), True, np.bool_))),
            )
            new_ids = np.concatenate((new_ids, born.ids[born.confirmed]))
        gone = self.deleter.gone(tracks, ts, looked)
        if not np.count_nonzero(gone):  # the usual frame: nothing to split off (count_nonzero: ``any``'s
            # Python-level wrapper costs more than the test on a few rows)
            self.tracks = tracks
            return TrackerOutput(tracks, detection >= 0, detection, new_ids, Tracks.empty(self.model.dim))
        self.tracks = tracks[~gone]
        ended = tracks[gone & tracks.confirmed]
        return TrackerOutput(self.tracks, detection[~gone] >= 0, detection[~gone], new_ids, ended)

    def _update(
        self, tracks: Tracks, rows: np.ndarray, dets: Detections, looked: np.ndarray, missed: np.ndarray, ts: float
    ) -> Tracks:
        """One new Tracks: the matched ``rows`` Kalman-corrected by ``dets`` with fresh bookkeeping, a miss
        counted for the ``missed`` rows (looked at, not found), and when each track was last looked at.
        """
        n = len(tracks)
        if n and _in_order(rows, n):
            # every track matched, in row order (the usual frame): the new columns are built whole, with
            # the values the scatter below would write, instead of copying each column to overwrite it
            mean, cov = self.updater.update(tracks.mean, tracks.cov, self.model.measure(dets))
            cols = {
                "mean": mean,
                "cov": cov,
                "class_id": dets.class_id.copy(),
                "confidence": dets.confidence.astype(np.float64),
                "hits": tracks.hits + 1,
                "misses": np.zeros(n, np.int64),
                "last_ts": _filled(n, float(ts), np.float64),
                "still_xy": tracks.still_xy,
                "still_since": tracks.still_since,
            }
            self._stillness(cols, rows, mean, ts)
        elif len(rows):
            cols = {k: getattr(tracks, k).copy() for k in _UPDATED}
            cols["still_xy"], cols["still_since"] = tracks.still_xy, tracks.still_since  # read; copied if written
            mean, cov = self.updater.update(tracks.mean[rows], tracks.cov[rows], self.model.measure(dets))
            cols["mean"][rows], cols["cov"][rows] = mean, cov
            cols["class_id"][rows], cols["confidence"][rows] = dets.class_id, dets.confidence
            cols["hits"][rows] += 1
            cols["misses"][rows], cols["last_ts"][rows] = 0, ts
            self._stillness(cols, rows, mean, ts)
        else:
            cols = {"misses": tracks.misses.copy()}
        if len(missed):  # disjoint from ``rows``
            cols["misses"][missed] += 1
        cols["looked_ts"] = np.where(looked, ts, tracks.looked_ts)
        return tracks.evolve(**cols)

    def _stillness(self, cols: dict[str, np.ndarray], rows: np.ndarray, mean: np.ndarray, ts: float) -> None:
        """Move the stillness anchor of rows that moved more than ``stationary_frac`` x their scale (into new
        columns: the old ones may be the previous Tracks' own).
        """
        pos = self.model.positions(mean)
        step = pos - cols["still_xy"][rows]
        sq = step * step  # two columns added directly: the same sum as ``sum(axis=1)``, without a reduction
        moved = np.sqrt(sq[:, 0] + sq[:, 1]) > self.stationary_frac * self.model.scale(mean)
        if np.count_nonzero(moved):
            still_xy, still_since = cols["still_xy"].copy(), cols["still_since"].copy()
            still_xy[rows[moved]] = pos[moved]
            still_since[rows[moved]] = ts
            cols["still_xy"], cols["still_since"] = still_xy, still_since

    def stationary(self, tracks: Tracks, ts: float) -> npt.NDArray[np.bool_]:
        """True for tracks that have not moved beyond their scale for ``stationary_s``."""
        return (ts - tracks.still_since) >= self.stationary_s

    def end_all(self) -> Tracks:
        """End every confirmed track now (sensor lost); returns them."""
        ended = self.tracks[self.tracks.confirmed]
        self.tracks = Tracks.empty(self.model.dim)
        return ended
