"""The scenario world: actors on waypoint paths, queried as a struct of arrays at any time.

Why padded arrays: every query (state at t, crossings) is one numpy expression over all actors,
so renderers (and the thermal and radar simulators to come) can ask for many states per second
cheaply. The world knows nothing about sensors; renderers read what they need from ActorState.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from borderwatch.runtime.geo import to_local
from borderwatch.simulators.scenario import CLASSES, ActorSpec, Scenario

# class -> (height, width, length, temp_c, rcs_m2, stride_m): typical adult, car, deer.
CLASS_DEFAULTS: dict[str, tuple[float, float, float, float, float, float]] = {
    "person": (1.75, 0.50, 0.30, 33.0, 1.0, 1.5),
    "vehicle": (1.60, 1.85, 4.50, 45.0, 10.0, 0.0),
    "animal": (1.10, 0.35, 1.50, 38.0, 0.5, 1.2),
}

ANIMAL_COATS = ((40, 70, 110), (60, 92, 134), (92, 110, 128), (52, 60, 70), (110, 140, 170), (30, 40, 55))

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ActorState:
    """All actors at one instant; index i is the same actor in every column."""

    t: float
    ids: npt.NDArray[np.object_]
    class_id: npt.NDArray[np.int64]
    east_m: F64
    north_m: F64
    heading_deg: F64
    speed_mps: F64
    height_m: F64
    width_m: F64
    length_m: F64
    temp_c: F64
    rcs_m2: F64
    gait_phase: F64
    visible: npt.NDArray[np.bool_]
    color_bgr: npt.NDArray[np.uint8]  # (A, 3) main colour, for imaging sensors

    def __len__(self) -> int:
        return int(self.ids.shape[0])


@dataclass(frozen=True, slots=True)
class Actors:
    """Compiled actors: per-actor attributes and (A, K) padded waypoints with arrival times."""

    ids: npt.NDArray[np.object_]
    class_id: npt.NDArray[np.int64]
    size: F64  # (A, 3) height, width, length
    temp_c: F64
    rcs_m2: F64
    stride_m: F64
    color: npt.NDArray[np.uint8]  # (A, 3) BGR
    wp: F64  # (A, K, 2) east, north
    wp_t: F64  # (A, K) arrival time, +inf past the last waypoint
    n_wp: npt.NDArray[np.int64]


def _member_paths(spec: ActorSpec, rng: np.random.Generator) -> list[tuple[F64, float]]:
    """Expand a group into members offset sideways from the leader's path, slightly staggered."""
    base = np.asarray(spec.waypoints, dtype=np.float64)
    d = base[1] - base[0]
    side = np.array([-d[1], d[0]]) / max(float(np.hypot(*d)), 1e-9)
    out = []
    for k in range(spec.count):
        lateral = (k - (spec.count - 1) / 2) * spec.spacing_m + rng.normal(0, 0.15 * spec.spacing_m) * (spec.count > 1)
        lag = abs(rng.normal(0, 0.6)) if spec.count > 1 else 0.0
        out.append((base + side * lateral, spec.start_s + lag))
    return out


def _arrival_times(path: F64, start: float, speed: float) -> F64:
    seg = np.hypot(*np.diff(path, axis=0).T)
    return start + np.concatenate([[0.0], np.cumsum(seg)]) / speed


def _attributes(spec: ActorSpec, rng: np.random.Generator) -> tuple[list[float], float, float, float, list[int]]:
    h, w, length, temp, rcs, stride = CLASS_DEFAULTS[spec.cls]
    scale = rng.uniform(0.9, 1.1)
    size = [spec.height_m or h * scale, spec.width_m or w * scale, spec.length_m or length * scale]
    if spec.color:
        color = list(spec.color)
    elif spec.cls == "animal":  # natural coats: browns, greys, tan
        coat = ANIMAL_COATS[int(rng.integers(len(ANIMAL_COATS)))]
        color = [int(np.clip(c * rng.uniform(0.8, 1.2), 0, 255)) for c in coat]
    else:
        color = [int(c) for c in rng.integers(20, 230, 3)]
    return size, spec.temp_c if spec.temp_c is not None else temp, spec.rcs_m2 or rcs, stride, color


def compile_actors(actors: list[ActorSpec], seed: int) -> Actors:
    """Turn actor specs (groups expanded) into padded arrays; deterministic for a given seed."""
    rows: list[tuple] = []
    for i, spec in enumerate(actors):
        rng = np.random.default_rng([seed, i])
        for k, (path, start) in enumerate(_member_paths(spec, rng)):
            member_id = spec.id if spec.count == 1 else f"{spec.id}-{k}"
            rows.append((member_id, spec, path, _arrival_times(path, start, spec.speed_mps), _attributes(spec, rng)))
    n = len(rows)
    k_max = max((len(r[2]) for r in rows), default=2)
    wp = np.zeros((n, k_max, 2))
    wp_t = np.full((n, k_max), np.inf)
    for i, (_, _, path, times, _) in enumerate(rows):
        wp[i, : len(path)], wp[i, len(path) :] = path, path[-1]
        wp_t[i, : len(times)] = times
    attrs = [r[4] for r in rows]
    return Actors(
        ids=np.array([r[0] for r in rows], dtype=object),
        class_id=np.array([CLASSES.index(r[1].cls) for r in rows], dtype=np.int64),
        size=np.array([a[0] for a in attrs], dtype=np.float64).reshape(n, 3),
        temp_c=np.array([a[1] for a in attrs], dtype=np.float64),
        rcs_m2=np.array([a[2] for a in attrs], dtype=np.float64),
        stride_m=np.array([a[3] for a in attrs], dtype=np.float64),
        color=np.array([a[4] for a in attrs], dtype=np.uint8).reshape(n, 3),
        wp=wp,
        wp_t=wp_t,
        n_wp=np.array([len(r[2]) for r in rows], dtype=np.int64),
    )


class World:
    """A scenario made queryable: positions in metres east/north of the site origin."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.actors = compile_actors(scenario.actors, scenario.seed)
        lat, lon = np.asarray(scenario.border.points, dtype=np.float64).T
        east, north = to_local(lat, lon, scenario.origin.lat, scenario.origin.lon)
        self.border_en: F64 = np.stack([east, north], axis=1)

    @property
    def origin(self) -> tuple[float, float]:
        """Site origin (lat, lon) degrees: the point every east/north metre of the world is measured from."""
        return self.scenario.origin.lat, self.scenario.origin.lon

    def state(self, t: float) -> ActorState:
        """Every actor at scenario time t (seconds); actors outside their path's time are not visible."""
        a = self.actors
        n = len(a.ids)
        rows = np.arange(n)
        seg = np.clip((a.wp_t <= t).sum(axis=1) - 1, 0, np.maximum(a.n_wp - 2, 0))
        t0, t1 = a.wp_t[rows, seg], a.wp_t[rows, seg + 1]
        frac = np.clip((t - t0) / np.maximum(t1 - t0, 1e-9), 0.0, 1.0)
        p0, p1 = a.wp[rows, seg], a.wp[rows, seg + 1]
        pos = p0 + (p1 - p0) * frac[:, None]
        d = p1 - p0
        seg_speed = np.hypot(d[:, 0], d[:, 1]) / np.maximum(t1 - t0, 1e-9)
        last_t = a.wp_t[rows, a.n_wp - 1]
        visible = (t >= a.wp_t[:, 0]) & (t <= last_t)
        travelled = np.clip(t - a.wp_t[:, 0], 0.0, None) * seg_speed
        return ActorState(
            t=float(t),
            ids=a.ids,
            class_id=a.class_id,
            east_m=pos[:, 0],
            north_m=pos[:, 1],
            heading_deg=np.degrees(np.arctan2(d[:, 0], d[:, 1])) % 360.0,
            speed_mps=np.where(visible, seg_speed, 0.0),
            height_m=a.size[:, 0],
            width_m=a.size[:, 1],
            length_m=a.size[:, 2],
            temp_c=a.temp_c,
            rcs_m2=a.rcs_m2,
            gait_phase=np.where(a.stride_m > 0, travelled / np.maximum(a.stride_m, 1e-9), 0.0) % 1.0,
            visible=visible,
            color_bgr=a.color,
        )
