"""GOSPA for a sensor's tracks against the truth positions it covered (used for radars).

GOSPA (generalised optimal sub-pattern assignment; Rahmathullah, Garcia-Fernandez and Svensson, 2017)
with alpha = 2 splits a tracker's error into three parts a technician can act on: localisation
(how far the tracks sit from the objects they follow), missed objects and false tracks. For truth
points X and track points Y at one instant, cutoff ``c`` (metres) and order ``p``:

    GOSPA = ( min over assignments  sum_{assigned (x, y), d < c} d(x, y)^p
              + c^p / 2 * (#missed + #false) )^(1/p)

An assigned pair farther apart than ``c`` is cheaper as one miss and one false track (c^p), so the
assignment is ``scipy.optimize.linear_sum_assignment`` over ``min(d^p, c^p)``, and pairs at ``c`` or
beyond are counted as missed + false. Stated here and in the eval table: **c = 10 m, p = 2**
(``C_M``, ``P``): 10 m is the eval's position gate, p = 2 weighs errors like a root-mean-square.

Per run the scorer reports the mean over the truth's 1 s sampling instants of GOSPA, of its
localisation part ``(sum d^p)^(1/p)``, and the mean numbers of missed objects and false tracks per
instant. Tracks are placed at each instant by linear interpolation between their reports (as for
MOTA/IDF1, ``tracks.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from borderwatch.contract import Event
from borderwatch.runtime.geo import to_local
from borderwatch.simulators.score.tracks import track_paths
from borderwatch.simulators.score.truthfile import Position

F64 = npt.NDArray[np.float64]
C_M = 10.0
P = 2.0


@dataclass(frozen=True, slots=True)
class Gospa:
    """One instant's GOSPA (metres) and its parts: localisation (metres), missed and false counts."""

    total_m: float
    localisation_m: float
    missed: int
    false: int


def gospa(truth: F64, tracks: F64, c: float = C_M, p: float = P) -> Gospa:
    """GOSPA (alpha = 2) between (N, 2) truth and (M, 2) track positions in metres."""
    truth, tracks = np.asarray(truth, np.float64).reshape(-1, 2), np.asarray(tracks, np.float64).reshape(-1, 2)
    n, m = len(truth), len(tracks)
    loc, paired = 0.0, 0
    if n and m:
        d = np.hypot(truth[:, None, 0] - tracks[None, :, 0], truth[:, None, 1] - tracks[None, :, 1])
        rows, cols = linear_sum_assignment(np.minimum(d, c) ** p)
        near = d[rows, cols] < c
        loc, paired = float(np.sum(d[rows, cols][near] ** p)), int(near.sum())
    missed, false = n - paired, m - paired
    total = (loc + c**p / 2.0 * (missed + false)) ** (1.0 / p)
    return Gospa(total, loc ** (1.0 / p), missed, false)


@dataclass(frozen=True, slots=True)
class GospaScore:
    """Means over the scored instants (None when there was no instant to score)."""

    instants: int
    gospa_m: float | None
    localisation_m: float | None
    missed: float | None
    false: float | None


def gospa_over_run(truth: Sequence[Position], events: Sequence[Event], instants: Sequence[float]) -> GospaScore:
    """GOSPA of one sensor's tracks (its events with positions) at each instant, averaged.

    ``truth`` holds the positions the sensor covered while working; an instant with neither truth nor
    tracks scores 0 (nothing to miss, nothing false), and counts.
    """
    if not instants:
        return GospaScore(0, None, None, None, None)
    paths = list(track_paths(events).values())
    ref = truth[0] if truth else next((e.position for e in events if e.position), None)
    lat0, lon0 = (ref.lat, ref.lon) if ref else (0.0, 0.0)
    by_time: dict[float, list[Position]] = {}
    for pos in truth:
        by_time.setdefault(round(pos.ts.timestamp(), 3), []).append(pos)
    scores = []
    for t in instants:
        objs = by_time.get(round(t, 3), [])
        alive = [k for k in paths if k.t[0] <= t <= k.t[-1]]
        o_e, o_n = to_local([o.lat for o in objs], [o.lon for o in objs], lat0, lon0)
        h_e, h_n = to_local([np.interp(t, k.t, k.lat) for k in alive], [np.interp(t, k.t, k.lon) for k in alive],
                            lat0, lon0)  # fmt: skip
        scores.append(gospa(np.stack([o_e, o_n], axis=1), np.stack([h_e, h_n], axis=1)))
    return GospaScore(
        len(scores),
        float(np.mean([s.total_m for s in scores])),
        float(np.mean([s.localisation_m for s in scores])),
        float(np.mean([s.missed for s in scores])),
        float(np.mean([s.false for s in scores])),
    )


def gospa_table(rows: Iterable[tuple[str, str, GospaScore | None]]) -> list[str]:
    """Markdown lines of the eval table's GOSPA section: (scenario, sensor, score) per scored radar."""
    scored = [(scn, sensor, g) for scn, sensor, g in rows if g is not None and g.instants]
    if not scored:
        return []
    out = [
        "",
        f"GOSPA (alpha 2, cutoff c = {C_M:g} m, order p = {P:g}), means per 1 s instant:",
        "",
        "| scenario | sensor | instants | GOSPA m | localisation m | missed | false |",
        "|---|---|---|---|---|---|---|",
    ]
    for scn, sensor, g in scored:
        out.append(f"| {scn} | {sensor} | {g.instants} | {g.gospa_m:.2f} | {g.localisation_m:.2f} | "
                   f"{g.missed:.2f} | {g.false:.2f} |")  # fmt: skip
    return out
