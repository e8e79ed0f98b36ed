"""Deleter: ends tracks that stopped being seen, so no state outlives its object."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from borderwatch.edge.tracking.tracks import Tracks


@dataclass(frozen=True, slots=True)
class TimeDeleter:
    """Confirmed tracks end when looked for and not found for ``max_age_s`` (and ``confirmed_misses``
    looks); tentative ones after ``tentative_misses`` misses.

    Time-based (not frame-based) so a camera dropping frames under load keeps its tracks for the
    same wall-clock time; and only counting looks, so a stationary object a motion-gated camera
    does not re-inspect every frame is not ended for want of looking.
    """

    max_age_s: float = 2.0
    tentative_misses: int = 1
    confirmed_misses: int = 2

    def gone(self, tracks: Tracks, ts: float, looked: np.ndarray) -> np.ndarray:
        """(T,) True for tracks to delete at ``ts``; ``looked`` marks the tracks inspected now."""
        missing = tracks.misses >= min(self.tentative_misses, self.confirmed_misses)
        if not np.count_nonzero(missing):  # the usual frame: no track missed often enough for either rule
            return missing
        stale = looked & ((ts - tracks.last_ts) > self.max_age_s) & (tracks.misses >= self.confirmed_misses)
        failed = ~tracks.confirmed & (tracks.misses >= self.tentative_misses)
        return stale | failed


def retire(tracks: Tracks, ids: np.ndarray) -> tuple[Tracks, Tracks]:
    """Split off the tracks named by ``ids`` (end them now, e.g. when a sensor goes offline)."""
    mask = np.isin(tracks.ids, ids)
    return tracks[~mask], tracks[mask]
