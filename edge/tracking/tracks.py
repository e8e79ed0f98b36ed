"""Tracks: every live track of one sensor as a struct of arrays, replaced (never mutated) per step.

States: tentative (``confirmed`` False), confirmed and seen, and lost (confirmed with ``misses`` > 0,
coasting on its prediction until the deleter ends it).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Tracks:
    """T tracks. ``mean`` (T, D) / ``cov`` (T, D, D) is the state at ``state_ts``.

    ``looked_ts`` is when the sensor last inspected the track's area (a motion-gated camera does not
    look everywhere every frame); ``still_xy``/``still_since`` anchor the stationarity test.
    """

    ids: I64
    mean: F64
    cov: F64
    class_id: I64
    confidence: F64
    hits: I64
    misses: I64
    confirmed: B
    first_ts: F64
    last_ts: F64
    state_ts: F64
    still_xy: F64
    still_since: F64
    looked_ts: F64

    @classmethod
    def empty(cls, dim: int) -> Tracks:
        """No tracks; one shared instance per state size (zero-length arrays cannot be changed)."""
        if dim not in _EMPTY:
            z = np.zeros(0)
            zi = np.zeros(0, np.int64)
            _EMPTY[dim] = cls(
                zi,
                np.zeros((0, dim)),
                np.zeros((0, dim, dim)),
                zi,
                z,
                zi,
                zi,
                np.zeros(0, bool),
                z,
                z,
                z,
                np.zeros((0, 2)),
                z,
                z,
            )
        return _EMPTY[dim]

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: npt.ArrayLike) -> Tracks:
        """Rows selected by a boolean mask or index array (a new object)."""
        return Tracks(*(column[index] for column in _columns(self)))

    def evolve(self, **changes: np.ndarray) -> Tracks:
        """A copy with some columns replaced.

        Direct construction, not ``dataclasses.replace``: this runs several times per frame and
        ``replace`` costs more than the array work of a step with a handful of tracks.
        """
        columns = list(_columns(self))  # every column in one C call, then the changed ones put in place
        for name, value in changes.items():
            position = _POSITION.get(name)
            if position is None:
                raise TypeError(f"Tracks.evolve: unknown columns {sorted(changes.keys() - _POSITION.keys())}")
            columns[position] = value
        return Tracks(*columns)

    @property
    def lost(self) -> B:
        """Confirmed tracks missed at their latest look(s): coasting on the prediction until the deleter ends them."""
        return self.confirmed & (self.misses > 0)

    @staticmethod
    def concatenate(parts: list[Tracks]) -> Tracks:
        """Rows of ``parts`` in order, one state size throughout: how the tracker appends newborn tracks."""
        return Tracks(*(np.concatenate(columns) for columns in zip(*map(_columns, parts), strict=True)))


_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Tracks))
_POSITION = {name: k for k, name in enumerate(_FIELDS)}
_columns = operator.attrgetter(*_FIELDS)  # all columns of a Tracks, in field order, as one tuple
_EMPTY: dict[int, Tracks] = {}


@dataclass(frozen=True, slots=True)
class TrackerOutput:
    """What one ``Tracker.step`` tells its caller.

    ``tracks``: all live tracks after the step; ``matched`` (T,) which of them a detection updated in
    this step; ``detection`` (T,) that detection's row (-1 if none); ``new_ids`` tracks confirmed in
    this step; ``ended``: confirmed tracks deleted in this step (their final state).
    """

    tracks: Tracks
    matched: B
    detection: I64
    new_ids: I64
    ended: Tracks
