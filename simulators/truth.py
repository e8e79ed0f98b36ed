"""Ground truth: when and where each actor crosses the border line, and in which direction.

Why computed analytically from the paths rather than by sampling frames: the truth must not
depend on frame rate, and the demo compares the hub's alerts with it to the second.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from borderwatch.runtime.geo import to_geo
from borderwatch.simulators.geo import segment_intersections
from borderwatch.simulators.scenario import CLASSES
from borderwatch.simulators.world import World


@dataclass(frozen=True, slots=True)
class Crossing:
    """One actor crossing the border line; one JSON line of the ground-truth file."""

    t_s: float
    actor: str
    cls: str
    direction: str  # "inbound" (into the protected side) or "outbound"
    lat: float
    lon: float
    east_m: float
    north_m: float


def crossings(world: World) -> list[Crossing]:
    """Every crossing of every actor with every border segment, in time order."""
    a = world.actors
    n, k = a.wp_t.shape
    if n == 0 or k < 2:
        return []
    s0, s1 = a.wp[:, :-1].reshape(-1, 2), a.wp[:, 1:].reshape(-1, 2)
    t0, t1 = a.wp_t[:, :-1].reshape(-1), a.wp_t[:, 1:].reshape(-1)
    valid = np.isfinite(t1)
    b = world.border_en
    hit, frac, _ = segment_intersections(s0, s1, b[:-1], b[1:])
    hit &= valid[:, None]
    seg_i, bor_j = np.nonzero(hit)
    f = frac[seg_i, bor_j]
    point = s0[seg_i] + (s1[seg_i] - s0[seg_i]) * f[:, None]
    times = t0[seg_i] + (t1[seg_i] - t0[seg_i]) * f
    db, dp = (b[1:] - b[:-1])[bor_j], (s1 - s0)[seg_i]
    to_left = db[:, 0] * dp[:, 1] - db[:, 1] * dp[:, 0] > 0
    inbound = to_left == (world.scenario.border.inbound_side == "left")
    lat, lon = to_geo(point[:, 0], point[:, 1], *world.origin)
    actor = seg_i // (k - 1)
    out = [
        Crossing(
            float(times[i]),
            str(a.ids[actor[i]]),
            CLASSES[int(a.class_id[actor[i]])],
            "inbound" if inbound[i] else "outbound",
            float(lat[i]),
            float(lon[i]),
            float(point[i, 0]),
            float(point[i, 1]),
        )
        for i in range(len(times))
    ]
    return sorted(out, key=lambda c: c.t_s)


def crossing_record(c: Crossing, site: str, start: datetime | None, seen_by: list[str], speed: float = 1.0) -> dict:
    """The JSON object written for one crossing: one line of the ground-truth file.

    {"kind": "crossing", "site", "t_s" (scenario seconds), "ts" (UTC, once the clock started),
     "actor", "class", "direction" ("inbound"|"outbound"), "lat", "lon", "east_m", "north_m",
     "seen_by" (camera ids whose image contains the point)}
    """
    rec: dict = {"kind": "crossing", "site": site, "t_s": round(c.t_s, 3)}
    if start is not None:
        rec["ts"] = (start + timedelta(seconds=c.t_s / speed)).astimezone(UTC).isoformat().replace("+00:00", "Z")
    rec |= {
        "actor": c.actor,
        "class": c.cls,
        "direction": c.direction,
        "lat": round(c.lat, 7),
        "lon": round(c.lon, 7),
        "east_m": round(c.east_m, 2),
        "north_m": round(c.north_m, 2),
        "seen_by": seen_by,
    }
    return rec


def write_jsonl(path: str | Path, records: Iterable[dict]) -> int:
    """Write records one JSON object per line; returns how many."""
    n = 0
    with Path(path).open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, separators=(",", ":")) + "\n")
            n += 1
    return n
