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

from borderwatch.runtime.geo import to_geo, to_local
from borderwatch.runtime.geometry import points_in_polygon
from borderwatch.simulators.coverage import coverage, sensor_kinds
from borderwatch.simulators.geo import segment_intersections
from borderwatch.simulators.scenario import CLASSES, Scenario
from borderwatch.simulators.world import World

POSITION_STEP_S = 1.0  # sampled actor positions: what track quality (MOTA, IDF1) is scored on
DISTRESS_STEP_S = 0.1  # when a person enters water, to a tenth of a second


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


def groups(scenario: Scenario) -> dict[str, str]:
    """Member id -> the actor (group) id it belongs to: the truth's own unit of one situation."""
    out = {}
    for a in scenario.actors:
        out |= {a.id: a.id} if a.count == 1 else {f"{a.id}-{k}": a.id for k in range(a.count)}
    return out


def _utc(start: datetime | None, t_s: float, speed: float) -> dict:
    if start is None:
        return {}
    return {"ts": (start + timedelta(seconds=t_s / speed)).astimezone(UTC).isoformat().replace("+00:00", "Z")}


def run_record(scenario: Scenario, start: datetime | None, speed: float = 1.0) -> dict:
    """The first line of a truth file: what was played, when it started and which sensors it had."""
    rec = {"kind": "run", "scenario": scenario.name, "site": scenario.site, "seed": scenario.seed}
    rec |= {"started": _utc(start, 0.0, speed).get("ts"), "speed": speed, "duration_s": scenario.duration_s}
    return rec | {"lighting": scenario.lighting, "weather": scenario.weather, "sensors": sensor_kinds(scenario)}


def fault_records(scenario: Scenario, start: datetime | None, speed: float = 1.0) -> list[dict]:
    """Injected faults: the scorer expects a tamper or offline alert only for these."""
    return [
        {"kind": "fault", "fault": f.kind, "target": f.target, "t_s": f.at_s}
        | _utc(start, f.at_s, speed)
        | {"duration_s": f.duration_s}
        | ({"offset_s": f.offset_s} if f.offset_s else {})
        for f in sorted(scenario.faults, key=lambda f: f.at_s)
    ]


def position_records(world: World, start: datetime | None, speed: float = 1.0) -> list[dict]:
    """Every visible actor every POSITION_STEP_S with the sensors covering it: the truth tracks are scored on."""
    scn, member_group = world.scenario, groups(world.scenario)
    out = []
    for t in np.arange(0.0, scn.duration_s + 1e-9, POSITION_STEP_S):
        st = world.state(float(t))
        idx = np.flatnonzero(st.visible)
        if not len(idx):
            continue
        cov = coverage(scn, st.east_m[idx], st.north_m[idx])
        lat, lon = to_geo(st.east_m[idx], st.north_m[idx], *world.origin)
        for j, i in enumerate(idx):
            aid = str(st.ids[i])
            rec = {"kind": "position", "t_s": round(float(t), 3)} | _utc(start, float(t), speed)
            rec |= {"actor": aid, "group": member_group.get(aid, aid), "class": CLASSES[int(st.class_id[i])]}
            rec |= {"lat": round(float(lat[j]), 7), "lon": round(float(lon[j]), 7)}
            out.append(rec | {"seen_by": [s for s, m in cov.items() if m[j]]})
    return out


def distress_records(world: World, start: datetime | None, speed: float = 1.0) -> list[dict]:
    """Every person entering water (a ``water`` polygon of the scenario): a situation for rescue.

    {"kind": "distress", "reason": "water", "t_s", "ts", "actor", "group", "class", "lat", "lon", "seen_by"};
    one record per entry (time resolution DISTRESS_STEP_S), so a person wading across once is one situation.
    """
    scn = world.scenario
    if not scn.water:
        return []
    polygons = [np.stack(to_local(*np.asarray(w.points, np.float64).T, *world.origin), axis=1) for w in scn.water]
    person, member_group = CLASSES.index("person"), groups(scn)
    inside_before: set[str] = set()
    out = []
    for t in np.arange(0.0, scn.duration_s + 1e-9, DISTRESS_STEP_S):
        st = world.state(float(t))
        idx = np.flatnonzero(st.visible & (st.class_id == person))
        points = np.stack((st.east_m[idx], st.north_m[idx]), axis=1)
        wet = np.zeros(len(idx), bool)
        for polygon in polygons:
            wet |= points_in_polygon(points, polygon)
        now = {str(st.ids[i]) for i in idx[wet]}
        for j in np.flatnonzero(wet):
            aid = str(st.ids[idx[j]])
            if aid in inside_before:
                continue
            lat, lon = to_geo(points[j, 0], points[j, 1], *world.origin)
            cov = coverage(scn, points[j : j + 1, 0], points[j : j + 1, 1])
            rec = {"kind": "distress", "reason": "water", "t_s": round(float(t), 3)} | _utc(start, float(t), speed)
            rec |= {"actor": aid, "group": member_group.get(aid, aid), "class": "person"}
            rec |= {"lat": round(float(lat), 7), "lon": round(float(lon), 7)}
            out.append(rec | {"seen_by": [s for s, m in cov.items() if m[0]]})
        inside_before = now
    return out


def crossing_record(
    c: Crossing, site: str, start: datetime | None, seen_by: list[str], speed: float = 1.0, group: str | None = None
) -> dict:
    """The JSON object written for one crossing: one line of the ground-truth file.

    {"kind": "crossing", "site", "t_s" (scenario seconds), "ts" (UTC, once the clock started),
     "actor", "group" (the actor id of the scenario, one situation), "class", "direction" ("inbound"|"outbound"),
     "lat", "lon", "east_m", "north_m", "seen_by" (ids of the sensors covering the point)}
    """
    rec: dict = {"kind": "crossing", "site": site, "t_s": round(c.t_s, 3)} | _utc(start, c.t_s, speed)
    rec |= {
        "actor": c.actor,
        "group": group or c.actor,
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
