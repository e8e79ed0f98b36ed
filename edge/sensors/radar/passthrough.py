"""Tracks the radar made itself (NMEA TTM/TLL, ASTERIX with I048/161) pass through the agent with
their numbers mapped to agent track ids.

Why map: a radar's numbers are small and reused (NMEA 00-99, ASTERIX 12 bits), while an agent id
must name one object for ever. A number gets a fresh agent id when first seen, keeps it while the
radar reports it, and loses it when the radar says the track is lost/ended (NMEA status ``L``,
ASTERIX TRE) or stops reporting it for ``max_coast_s``; the next use of that number is a new id.
Tentative tracks (NMEA ``Q``, ASTERIX CNF) are not announced until the radar confirms them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from borderwatch.edge.pipeline.trackstate import TrackState

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
ENDED = frozenset({"L", "ended"})
TENTATIVE = frozenset({"Q", "tentative"})


@dataclass(frozen=True, slots=True)
class Mapped:
    """One scan's radar tracks: agent ids of the live rows, which are new, which are confirmed, and
    the agent ids that ended now with their last reported values."""

    rows: I64  # rows of the scan's track table still live
    ids: I64
    new: npt.NDArray[np.bool_]
    confirmed: npt.NDArray[np.bool_]
    ended: I64
    ended_values: dict[str, F64]


class TrackNumberMap:
    """Radar track number -> agent track id, with the last time each number was reported."""

    def __init__(self, next_ids: Callable[[int], I64], max_coast_s: float, columns: tuple[str, ...]) -> None:
        self.next_ids, self.max_coast_s, self.columns = next_ids, float(max_coast_s), columns
        self.table = TrackState({"agent": -1, "last": 0.0, "confirmed": False, **dict.fromkeys(columns, np.nan)})

    def step(self, numbers: npt.ArrayLike, status: tuple[str, ...], ts: float, values: dict[str, F64]) -> Mapped:
        """Map this scan's reports (``values``: the ``columns`` kept for track_end, aligned with ``numbers``)."""
        nums = np.asarray(numbers, np.float64)
        ok = np.isfinite(nums)
        nums_i = nums[ok].astype(np.int64)
        stat = np.array(status, dtype=object)[ok] if len(status) else np.zeros(0, object)
        nums_i, first = np.unique(nums_i[::-1], return_index=True)  # the last report of a number wins
        stat = stat[::-1][first]
        rows = np.flatnonzero(ok)[::-1][first]
        before = self.table.get(nums_i)
        known = before["known"]
        agent = before["agent"].copy()
        if (~known).any():
            agent[~known] = self.next_ids(int((~known).sum()))
        ended_now = np.isin(stat, list(ENDED))
        confirmed = ~np.isin(stat, list(TENTATIVE)) & ~ended_now
        new = confirmed & ~before["confirmed"]
        kept = {k: np.asarray(values[k], np.float64)[rows] for k in self.columns}
        fresh = {"agent": agent, "last": np.full(len(nums_i), ts), "confirmed": confirmed | before["confirmed"]}
        self.table.set(nums_i, {**fresh, **kept})
        stale = self.table.ids[(ts - self.table.cols["last"]) > self.max_coast_s]
        gone_nums = np.concatenate((nums_i[ended_now], stale))
        gone = self.table.get(gone_nums)
        shown = gone["confirmed"]
        self.table.forget(gone_nums)
        live = ~ended_now
        ended_values = {k: gone[k][shown] for k in self.columns}
        return Mapped(
            rows[live],
            agent[live],
            new[live],
            (confirmed | before["confirmed"])[live],
            gone["agent"][shown],
            ended_values,
        )

    def end_all(self) -> tuple[I64, dict[str, F64]]:
        """Every announced agent id and its last values (the radar went offline); the map starts afresh."""
        shown = self.table.cols["confirmed"]
        out = self.table.cols["agent"][shown], {k: self.table.cols[k][shown] for k in self.columns}
        self.table.forget(self.table.ids.copy())
        return out
