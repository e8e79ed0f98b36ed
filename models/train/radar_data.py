"""Training data for the radar track classifier, made by the simulator and the agent's own code.

Each seed builds a scenario of people, groups, vehicles and animals moving in front of a radar (with
random clutter and fixed clutter sites), renders it scan by scan (``simulators/radar/render.py``),
and runs the scans through the radar kind's ``RadarUnit`` exactly as the agent does (targets,
tracker, features: ``edge/sensors/radar/``). Every confirmed track is labelled by the nearest true
actor (a member of a group is ``group``; no actor within ``MATCH_M`` is ``clutter``) and sampled
every ``EVERY`` scans once it is ``MIN_AGE`` scans old. Deterministic for given seeds.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from borderwatch.edge.sensor.kind import BuildContext
from borderwatch.edge.sensors.frame import Frame
from borderwatch.edge.sensors.radar.config import RadarConfig, RadarTrackerConfig
from borderwatch.edge.sensors.radar.features import CLASSES, FEATURES
from borderwatch.edge.sensors.radar.kind import RadarUnit
from borderwatch.edge.sensors.radar.scan import RadarScan
from borderwatch.simulators.radar.render import RadarRenderer, RadarSpec
from borderwatch.simulators.scenario import ActorSpec, Scenario
from borderwatch.simulators.world import World

MATCH_M, EVERY, MIN_AGE, SCANS = 12.0, 4, 6, 150
SPEC = RadarSpec(fov_deg=120.0, max_range_m=1000.0, clutter_per_scan=1.0, clutter_sites=6)


def _path(rng: np.random.Generator, turns: int, length: float) -> list[tuple[float, float]]:
    """A path inside the radar's view: a start, a heading, ``turns`` random bends."""
    r, b = rng.uniform(150, 850), np.radians(rng.uniform(-50, 50))
    p = np.array([r * np.sin(b), r * np.cos(b)])
    heading = rng.uniform(0, 2 * np.pi)
    points = [p]
    for _ in range(turns + 1):
        heading += rng.normal(0, 0.9 if turns > 1 else 0.15)
        p = p + length / (turns + 1) * np.array([np.sin(heading), np.cos(heading)])
        points.append(p)
    return [(float(x), float(y)) for x, y in points]


def scenario(seed: int) -> tuple[Scenario, dict[str, str]]:
    """A random scene for ``seed`` and the class label of every actor row id."""
    rng = np.random.default_rng([seed, 42])
    actors, labels = [], {}
    for i in range(10):
        kind = CLASSES[int(rng.integers(4))]  # person, group, vehicle, animal (clutter comes by itself)
        aid, start = f"a{i}", float(rng.uniform(0, 40))
        if kind == "person":
            spec = ActorSpec(id=aid, cls="person", waypoints=_path(rng, 1, 200), speed_mps=rng.uniform(0.8, 2.2),
                             start_s=start)  # fmt: skip
        elif kind == "group":
            spec = ActorSpec(id=aid, cls="person", waypoints=_path(rng, 1, 200), speed_mps=rng.uniform(0.8, 1.7),
                             start_s=start, count=int(rng.integers(3, 7)), spacing_m=rng.uniform(0.8, 2.0))  # fmt: skip
        elif kind == "vehicle":
            spec = ActorSpec(id=aid, cls="vehicle", waypoints=_path(rng, 1, 900), speed_mps=rng.uniform(3.0, 16.0),
                             start_s=start)  # fmt: skip
        else:
            spec = ActorSpec(id=aid, cls="animal", waypoints=_path(rng, 6, 250), speed_mps=rng.uniform(0.5, 4.0),
                             start_s=start)  # fmt: skip
        actors.append(spec)
        for k in range(spec.count):
            labels[aid if spec.count == 1 else f"{aid}-{k}"] = kind
    return Scenario(name=f"radar-train-{seed}", seed=seed, duration_s=SCANS + 10.0, actors=actors), labels


def track_samples(
    seed: int, resolution: tuple[float, float] | None = None
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """(N, F) features and (N,) class indices of the confirmed tracks of one seeded scene.

    ``resolution`` (SNR dB, Doppler m/s) rounds every plot's SNR and Doppler to those steps first, as a
    radar's protocol carries them (``ASTERIX``: I048/130 PAM in whole dBm, I048/120 CAL in whole m/s).
    """
    scn, labels = scenario(seed)
    world = World(scn)
    renderer = RadarRenderer(world, SPEC, seed)
    cfg = RadarConfig(protocol="asterix", max_range_m=SPEC.max_range_m,
                      tracker=RadarTrackerConfig(gate_m=20.0, cluster_m=4.0))  # fmt: skip
    unit = RadarUnit("train", cfg, BuildContext("train", "train", 1))
    label_of_row = np.array([CLASSES.index(labels[str(i)]) for i in world.actors.ids], np.int64)
    xs, ys = [], []
    for k in range(SCANS):
        t = float(k)
        plots, _ = renderer.plots(t)
        snr, doppler = plots.snr_db, plots.doppler_mps
        if resolution is not None:
            snr, doppler = (
                np.round(snr / resolution[0]) * resolution[0],
                np.round(doppler / resolution[1]) * resolution[1],
            )
        scan = RadarScan(
            plots={"range_m": plots.range_m, "bearing_deg": plots.bearing_deg % 360.0,
                   "doppler_mps": doppler, "snr_db": snr},
            plots_true=np.zeros(len(plots), bool),
        )  # fmt: skip
        planned = unit.plan(Frame("train", 1.7e9 + t, k, scan))  # type: ignore[arg-type]
        unit.finish(planned, None)
        tracks = planned.state.out.tracks
        pick = tracks.confirmed & (tracks.hits >= MIN_AGE) & ((k + tracks.ids) % EVERY == 0)
        if not pick.any():
            continue
        state = world.state(t)
        actor_xy = np.stack((state.east_m - SPEC.east_m, state.north_m - SPEC.north_m), axis=1)[state.visible]
        actor_cls = label_of_row[state.visible]
        xy = tracks.mean[pick, :2]
        if len(actor_xy):
            dist = np.linalg.norm(xy[:, None, :] - actor_xy[None, :, :], axis=2)
            near = dist.argmin(axis=1)
            cls = np.where(dist[np.arange(len(xy)), near] <= MATCH_M, actor_cls[near], CLASSES.index("clutter"))
        else:
            cls = np.full(len(xy), CLASSES.index("clutter"))
        feats = unit.features.state.get(tracks.ids[pick])
        xs.append(np.stack([np.nan_to_num(feats[f], nan=0.0) for f in FEATURES], axis=1))
        ys.append(cls)
    if not xs:
        return np.zeros((0, len(FEATURES)), np.float32), np.zeros(0, np.int64)
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.int64)


ASTERIX = (1.0, 1.0)  # PAM whole dBm (so SNR whole dB over a fixed noise floor), CAL whole m/s


def dataset(
    seeds: range, resolution: tuple[float, float] | None = None
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """All samples of ``seeds`` (SNR and Doppler rounded to ``resolution`` when given)."""
    parts = [track_samples(s, resolution) for s in seeds]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
