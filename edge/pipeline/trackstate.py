"""Per-track state columns keyed by track id, read and written for all tracks at once.

Why not a dict of objects: rules and throttles touch every live track every frame; with sorted id
arrays and ``searchsorted`` a whole frame's lookup or write is one vectorised call, and forgetting
ended tracks is one membership test (so a 24/7 service never accumulates state of dead tracks).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt


class TrackState:
    """Columns of equal length aligned with ``ids`` (kept sorted), each with a default value."""

    def __init__(self, defaults: Mapping[str, float | int | bool]) -> None:
        self.defaults = dict(defaults)
        self.ids = np.zeros(0, np.int64)
        self.cols: dict[str, np.ndarray] = {k: np.zeros(0, type(v)) for k, v in self.defaults.items()}

    def __len__(self) -> int:
        return len(self.ids)

    def _positions(self, ids: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """Row of each id (meaningful only where ``found``), and whether it is known."""
        if len(self.ids) == 0:
            return np.zeros(len(ids), np.int64), np.zeros(len(ids), bool)
        pos = np.minimum(self.ids.searchsorted(ids), len(self.ids) - 1)
        return pos, self.ids[pos] == ids

    def get(self, ids: npt.ArrayLike) -> dict[str, np.ndarray]:
        """Values for ``ids`` (defaults for unknown ids) plus a ``known`` boolean column."""
        ids = np.asarray(ids, np.int64)
        return self._read(*self._positions(ids))

    def set(self, ids: npt.ArrayLike, values: Mapping[str, npt.ArrayLike]) -> None:
        """Write columns for ``ids`` (unique); unknown ids are inserted with defaults elsewhere."""
        ids = np.asarray(ids, np.int64)
        if len(ids):
            self._write(ids, *self._positions(ids), values)

    def exchange(self, ids: npt.ArrayLike, values: Mapping[str, npt.ArrayLike]) -> dict[str, np.ndarray]:
        """``set`` that returns what ``get`` would have returned before: one id lookup for both."""
        ids = np.asarray(ids, np.int64)
        pos, found = self._positions(ids)
        before = self._read(pos, found)
        if len(ids):
            self._write(ids, pos, found, values)
        return before

    def _read(self, pos: npt.NDArray[np.int64], found: npt.NDArray[np.bool_]) -> dict[str, np.ndarray]:
        out = {"known": found}
        if np.count_nonzero(found) == len(found):  # the usual frame: every track seen before, a plain gather per column
            out.update((key, col[pos]) for key, col in self.cols.items())
            return out
        for key, col in self.cols.items():
            vals = np.full(len(pos), self.defaults[key], dtype=col.dtype)
            vals[found] = col[pos[found]]
            out[key] = vals
        return out

    def _write(
        self,
        ids: npt.NDArray[np.int64],
        pos: npt.NDArray[np.int64],
        found: npt.NDArray[np.bool_],
        values: Mapping[str, npt.ArrayLike],
    ) -> None:
        if np.count_nonzero(found) < len(found):  # cheaper than ``all`` on a few rows
            self._insert(ids[~found])
            pos, _ = self._positions(ids)
        for key, vals in values.items():
            self.cols[key][pos] = np.asarray(vals, dtype=self.cols[key].dtype)

    def _insert(self, new: npt.NDArray[np.int64]) -> None:
        merged = np.concatenate((self.ids, new))
        order = np.argsort(merged, kind="stable")
        self.ids = merged[order]
        for key, col in self.cols.items():
            fill = np.full(len(new), self.defaults[key], dtype=col.dtype)
            self.cols[key] = np.concatenate((col, fill))[order]

    def forget(self, ids: npt.ArrayLike) -> None:
        """Drop the state of ended tracks."""
        ids = np.asarray(ids, np.int64)
        if len(ids) == 0 or len(self.ids) == 0:
            return
        keep = ~member(self.ids, ids)
        self.ids = self.ids[keep]
        self.cols = {k: v[keep] for k, v in self.cols.items()}

    def retain(self, ids: npt.ArrayLike) -> None:
        """Keep only ``ids`` (drop everything else): a safety net against leaks."""
        keep = np.isin(self.ids, np.asarray(ids, np.int64))
        self.ids = self.ids[keep]
        self.cols = {k: v[keep] for k, v in self.cols.items()}


def member(values: npt.ArrayLike, of: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """``np.isin(values, of)`` for the short arrays of one frame (a few ids or classes).

    One broadcast comparison: ``np.isin`` sorts or builds a table first, which costs far more than
    the comparison itself at these sizes. Large sets still go to ``np.isin``.
    """
    values, of = np.asarray(values), np.asarray(of)
    if values.size * of.size > 4096:
        return np.isin(values, of)
    return (values[..., None] == of.reshape(-1)).any(axis=-1)
