"""Track quality of an imaging sensor: MOTA and IDF1 on the ground plane, through motmetrics.

Why the ground plane and not image boxes: the hub stores each track's reported position (lat/lon)
with every lifecycle event, throttled by the agent, not every frame's box; the truth samples every
actor once a second. At each truth instant a track that has started and not yet ended is placed by
linear interpolation between its reports; truth and tracks pair within the position tolerance
(motmetrics' squared-distance gate), and motmetrics counts misses, false tracks and identity switches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from borderwatch.contract import Event
from borderwatch.runtime.geo import to_local
from borderwatch.simulators.score.truthfile import Position

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class TrackScore:
    """motmetrics' MOTA and IDF1 and the counts behind them. MOTA is None with no truth in view (it divides by
    the truth), IDF1 only with neither truth nor tracks (a track with nothing in view makes it 0)."""

    frames: int
    objects: int
    mota: float | None
    idf1: float | None
    switches: int
    misses: int
    false_positives: int


@dataclass(frozen=True, slots=True)
class TrackPath:
    """One track's reported positions in time order (epoch seconds, degrees)."""

    t: F64
    lat: F64
    lon: F64


def track_paths(events: Sequence[Event]) -> dict[tuple[str, int], TrackPath]:
    """Each (agent, track id)'s reported positions, from its events that carry one."""
    by_id: dict[tuple[str, int], list[tuple[float, float, float]]] = {}
    for e in events:
        if e.track_id is not None and e.position is not None:
            by_id.setdefault((e.agent, e.track_id), []).append((e.ts.timestamp(), e.position.lat, e.position.lon))
    out: dict[tuple[str, int], TrackPath] = {}
    for key, rows in by_id.items():
        a = np.array(sorted(rows), np.float64)
        out[key] = TrackPath(a[:, 0], a[:, 1], a[:, 2])
    return out


def track_quality(
    truth: Sequence[Position], events: Sequence[Event], instants: Sequence[float], gate_m: float
) -> TrackScore:
    """Score one sensor's tracks (its track events) against the truth positions it covered.

    ``instants`` (epoch seconds) are the truth's sampling instants in the scored window, also those when
    the sensor had nothing in view: a track alive then is a false positive.
    """
    import motmetrics as mm

    if not instants:
        return TrackScore(0, 0, None, None, 0, 0, 0)
    tracks = track_paths(events)
    ref = truth[0] if truth else next((e.position for e in events if e.position), None)
    lat0, lon0 = (ref.lat, ref.lon) if ref else (0.0, 0.0)
    acc = mm.MOTAccumulator(auto_id=True)
    by_time: dict[float, list[Position]] = {}
    for p in truth:
        by_time.setdefault(round(p.ts.timestamp(), 3), []).append(p)
    keys = list(tracks)
    actor_ids: dict[str, int] = {}  # motmetrics 1.4 wants numeric ids
    for t in instants:
        objs = by_time.get(round(t, 3), [])
        alive = [i for i, k in enumerate(keys) if tracks[k].t[0] <= t <= tracks[k].t[-1]]
        o_e, o_n = to_local([p.lat for p in objs], [p.lon for p in objs], lat0, lon0)
        h_lat = [np.interp(t, tracks[keys[i]].t, tracks[keys[i]].lat) for i in alive]
        h_lon = [np.interp(t, tracks[keys[i]].t, tracks[keys[i]].lon) for i in alive]
        h_e, h_n = to_local(h_lat, h_lon, lat0, lon0)
        d = mm.distances.norm2squared_matrix(
            np.stack([o_e, o_n], axis=1), np.stack([h_e, h_n], axis=1).reshape(-1, 2), max_d2=gate_m**2
        )
        oids = [actor_ids.setdefault(p.actor, len(actor_ids)) for p in objs]
        acc.update(oids, alive, d)
    mh = mm.metrics.create()
    names = ["num_frames", "num_objects", "num_predictions", "mota", "idf1", "num_switches", "num_misses",
             "num_false_positives"]  # fmt: skip
    row = mh.compute(acc, metrics=names, name="s").iloc[0]
    n_obj, n_pred = int(row["num_objects"]), int(row["num_predictions"])

    def defined(x: float, den: int) -> float | None:
        return float(x) if den and np.isfinite(x) else None

    return TrackScore(
        int(row["num_frames"]),
        n_obj,
        defined(row["mota"], n_obj),  # 1 - (misses + false + switches) / truth
        defined(row["idf1"], n_obj + n_pred),  # 2 IDTP / (truth + tracked): ghost tracks alone score 0
        int(row["num_switches"]),
        int(row["num_misses"]),
        int(row["num_false_positives"]),
    )
