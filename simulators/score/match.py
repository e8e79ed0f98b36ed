"""One-to-one matching of reports to ground truth under stated gates, and the ratios built on it.

Why an assignment and not nearest-match: two people crossing a few metres apart must each claim their
own report; scipy's linear_sum_assignment on a gated cost matrix gives the best one-to-one pairing in
one call. Gates are hard: a report outside the position or time tolerance, of another class, or with a
direction other than the truth's is no match. Ratios with nothing to divide by are undefined (None),
never 100 %.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from borderwatch.contract import Alert, Event
from borderwatch.runtime.geo import to_local

F64 = npt.NDArray[np.float64]
BLOCKED = 1e9


@dataclass(frozen=True, slots=True)
class Tolerances:
    """The gates: a report is the truth's only within these (floors.toml states the ones in use)."""

    position_m: float
    time_s: float


@dataclass(frozen=True, slots=True)
class Matches:
    """Pairs (truth index, report index) with their position error (NaN: unpositioned) and time offset."""

    truth: npt.NDArray[np.int64]
    report: npt.NDArray[np.int64]
    error_m: F64
    offset_s: F64

    def __len__(self) -> int:
        return len(self.truth)


def distances_m(t_lat: F64, t_lon: F64, r_lat: F64, r_lon: F64) -> F64:
    """(N, M) ground distances in metres between truth points and reports (NaN where a report has none)."""
    t_lat, t_lon = np.asarray(t_lat, np.float64)[:, None], np.asarray(t_lon, np.float64)[:, None]
    east, north = to_local(np.asarray(r_lat, np.float64)[None, :], np.asarray(r_lon, np.float64)[None, :], t_lat, t_lon)
    return np.hypot(east, north)


def positions(items: Sequence[Event] | Sequence[Alert]) -> tuple[F64, F64]:
    """(lat, lon) arrays of reports, NaN where one carries no position."""
    lat = np.array([x.position.lat if x.position else np.nan for x in items], np.float64)
    lon = np.array([x.position.lon if x.position else np.nan for x in items], np.float64)
    return lat, lon


def assign(same: npt.NDArray[np.bool_], offset_s: F64, dist_m: F64, tol: Tolerances) -> Matches:
    """Best one-to-one pairing within the gates; ``same`` says which pairs agree on class and direction.

    offset_s[i, j] = report time - truth time; dist_m NaN = the report carries no position (time gate only).
    """
    n, m = same.shape
    if n == 0 or m == 0:
        empty = np.zeros(0, np.int64)
        return Matches(empty, empty, np.zeros(0), np.zeros(0))
    ok = same & (np.abs(offset_s) <= tol.time_s) & (np.isnan(dist_m) | (dist_m <= tol.position_m))
    cost = np.abs(offset_s) / tol.time_s + np.nan_to_num(dist_m, nan=tol.position_m) / tol.position_m
    cost = np.where(ok, cost, BLOCKED)
    rows, cols = linear_sum_assignment(cost)
    keep = cost[rows, cols] < BLOCKED
    rows, cols = rows[keep], cols[keep]
    return Matches(rows, cols, dist_m[rows, cols], offset_s[rows, cols])


def ratio(num: int, den: int) -> float | None:
    """num / den, or None (undefined) when den is 0."""
    return num / den if den else None


def percentiles(values: npt.ArrayLike) -> tuple[float | None, float | None]:
    """(p50, p95) of the finite values, or (None, None) when there are none."""
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    if not v.size:
        return None, None
    return float(np.percentile(v, 50)), float(np.percentile(v, 95))
