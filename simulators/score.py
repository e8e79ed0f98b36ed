"""Score alerts against a scenario's ground truth crossings.

Why an assignment and not nearest-match: two people crossing a few metres apart must each
claim their own alert; scipy's linear_sum_assignment on a gated cost matrix gives the best
one-to-one pairing in one call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from borderwatch.runtime.geo import EARTH_RADIUS_M

GATE = 1e9


@dataclass(frozen=True, slots=True)
class Crossing:
    """A ground-truth crossing as read from the simulator's JSONL file."""

    ts: datetime
    object_class: str
    direction: str
    lat: float
    lon: float
    seen_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Reported:
    """What the system reported for a crossing (an alert or a line_crossing event)."""

    ts: datetime
    object_class: str
    direction: str | None
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class Score:
    """Outcome of one scoring run; crossings no sensor could see count neither as hits nor as misses.

    ``pairs`` are (index into the seen crossings, index into the reports), one per match.
    """

    expected: int  # crossings seen by at least one sensor
    matched: int
    missed: int
    false_reports: int
    unseen: int  # crossings no sensor could see (not counted as misses)
    mean_error_m: float | None
    mean_delay_s: float | None
    pairs: list[tuple[int, int]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """matched / expected; 1.0 when no crossing was visible to any sensor."""
        return self.matched / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        """matched / (matched + false reports); 1.0 when nothing was reported."""
        reported = self.matched + self.false_reports
        return self.matched / reported if reported else 1.0


def read_crossings(path: Path) -> list[Crossing]:
    """Crossing records of a ground-truth JSONL file (other record kinds are skipped)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec.get("kind") != "crossing" or "ts" not in rec:
            continue
        ts = datetime.fromisoformat(rec["ts"].replace("Z", "+00:00"))
        out.append(Crossing(ts, rec["class"], rec["direction"], rec["lat"], rec["lon"], tuple(rec["seen_by"])))
    return out


def _distance_matrix(truth: Sequence[Crossing], rep: Sequence[Reported]) -> np.ndarray:
    tl = np.radians([[c.lat, c.lon] for c in truth])
    rl = np.radians([[np.nan if r.lat is None else r.lat, np.nan if r.lon is None else r.lon] for r in rep])
    dlat = rl[None, :, 0] - tl[:, None, 0]
    dlon = (rl[None, :, 1] - tl[:, None, 1]) * np.cos(tl[:, None, 0])
    return EARTH_RADIUS_M * np.hypot(dlat, dlon)


def score(
    truth: Sequence[Crossing], reported: Sequence[Reported], max_dt_s: float = 15.0, max_dist_m: float = 60.0
) -> Score:
    """One-to-one match by class, direction, time and place; unpositioned reports match on time."""
    seen = [c for c in truth if c.seen_by]
    unseen = len(truth) - len(seen)
    if not seen or not reported:
        return Score(len(seen), 0, len(seen), len(reported), unseen, None, None)
    t_truth = np.array([c.ts.timestamp() for c in seen])
    t_rep = np.array([r.ts.timestamp() for r in reported])
    dt = t_rep[None, :] - t_truth[:, None]
    dist = _distance_matrix(seen, reported)
    same = np.array(
        [[c.object_class == r.object_class and r.direction in (None, c.direction) for r in reported] for c in seen]
    )
    ok = same & (np.abs(dt) <= max_dt_s) & (np.isnan(dist) | (dist <= max_dist_m))
    cost = np.where(ok, np.abs(dt) / max_dt_s + np.nan_to_num(dist, nan=max_dist_m) / max_dist_m, GATE)
    rows, cols = linear_sum_assignment(cost)
    keep = cost[rows, cols] < GATE
    rows, cols = rows[keep], cols[keep]
    errors = dist[rows, cols]
    errors = errors[~np.isnan(errors)]
    return Score(
        expected=len(seen),
        matched=len(rows),
        missed=len(seen) - len(rows),
        false_reports=len(reported) - len(rows),
        unseen=unseen,
        mean_error_m=float(errors.mean()) if errors.size else None,
        mean_delay_s=float(dt[rows, cols].mean()) if len(rows) else None,
        pairs=list(zip(rows.tolist(), cols.tolist(), strict=True)),
    )


def situations(truth: Sequence[Crossing], radius_m: float, window_s: float) -> list[Crossing]:
    """Fold crossings into situations the way the hub groups alerts: same class and direction,
    within ``radius_m`` and ``window_s`` of the situation's latest crossing. A group of three
    walking over together is one situation (one alert), each member still one crossing."""
    out: list[Crossing] = []
    last: dict[int, Crossing] = {}
    for c in sorted(truth, key=lambda c: c.ts):
        for i, prev in last.items():
            near = _distance_matrix([prev], [Reported(c.ts, c.object_class, c.direction, c.lat, c.lon)])[0, 0]
            same = (prev.object_class, prev.direction) == (c.object_class, c.direction)
            if same and (c.ts - prev.ts).total_seconds() <= window_s and near <= radius_m:
                last[i] = c
                break
        else:
            last[len(out)] = c
            out.append(c)
    return out
