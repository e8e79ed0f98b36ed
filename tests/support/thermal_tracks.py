"""A thermal imager of a simulated scenario, offline: every frame rendered and run through the imager's unit,
its track events scored on the ground plane against the scenario's truth.

No network, no clock: the thermal simulator renders each frame at its scenario time and the unit (the
config ``borderwatch demo`` writes for the imager: shipped classifier, border line, water zones) sees every
frame, so a run gives the same figures every time. Scored by the track scorer ``borderwatch sim score``
uses (simulators/score/tracks.py: motmetrics MOTA, IDF1, identity switches; 10 m gate; one truth sample a
second), over the whole scenario: no warm-up is left out. Used by bench/bench_thermal_tracks.py and
tests/test_thermal_tracking.py.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from borderwatch.contract.events import Event, EventKind
from borderwatch.deploy.demo_configs import MODELS_DIR, DemoLayout, agent_config
from borderwatch.edge.config.agent import AgentConfig
from borderwatch.edge.pipeline.batcher import InferenceBatcher
from borderwatch.edge.pipeline.detector import OnnxDetector
from borderwatch.edge.pipeline.modelref import resolve_model
from borderwatch.edge.sensor.kind import BuildContext
from borderwatch.edge.sensors.frame import Frame
from borderwatch.edge.sensors.thermal.unit import ThermalUnit
from borderwatch.runtime.configfile import parse_config
from borderwatch.runtime.geo import to_local
from borderwatch.simulators.scenario import Scenario, ThermalSpec, WarmSpotSpec
from borderwatch.simulators.score.tracks import TrackScore, track_quality
from borderwatch.simulators.score.truthfile import Position
from borderwatch.simulators.thermal.render import ThermalRenderer, pinhole
from borderwatch.simulators.truth import POSITION_STEP_S, position_records
from borderwatch.simulators.world import World

GATE_M = 10.0
START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ImagerRun:
    """One scenario's imager with one tracker setting: the score and what the operator would see."""

    score: TrackScore
    tracks: int
    crossings: list[str]
    distress: int = 0  # tracks flagged as people in distress
    classes: tuple[str, ...] = ()  # each track's class as its last event gave it, sorted


def warm_patches(spec: ThermalSpec, scn: Scenario, count: int, seed: int, first_s: float,
                 last_s: float) -> list[WarmSpotSpec]:  # fmt: skip
    """``count`` warm spots on the ground the imager sees (lower half of its picture), each 1-6 px across in it
    (0.5-3 px semi-axes at the ground distance: as large as a distant person), 3-15 K above the ground (the
    training data's clutter), appearing between the two times: drawn in pixels, placed in the world through
    the imager's own projection."""
    rng = np.random.default_rng(seed)
    w, h = spec.width, spec.height
    u, v = rng.uniform(0, w, count), rng.uniform(0.5 * h, h, count)
    semi_px, delta_k = rng.uniform(0.5, 3, count), rng.uniform(3, 15, count)
    from_s = rng.uniform(first_s, last_s, count)
    cam = pinhole(spec)
    east, north, _ = cam.ground(u, v)
    depth = np.hypot(east, north)
    site_east, site_north = to_local(*cam.to_latlon(east, north), scn.origin.lat, scn.origin.lon)
    return [
        WarmSpotSpec(at=(float(e), float(n)), radius_m=float(max(r * d / cam.f, 0.06)), delta_k=float(k),
                     from_s=float(t))
        for e, n, r, d, k, t in zip(site_east, site_north, semi_px, depth, delta_k, from_s, strict=True)
    ]  # fmt: skip


def run_imager(scn: Scenario, tracker: dict[str, object] | None, spots: list[WarmSpotSpec] | None = None) -> ImagerRun:
    """Every frame of the scenario's first imager through its unit; ``tracker`` overrides the config's, and
    ``spots`` are added to the scenario's warm spots (thermal clutter, rendered by the simulator)."""
    if spots:
        terrain = scn.terrain.model_copy(update={"warm_spots": [*scn.terrain.warm_spots, *spots]})
        scn = scn.model_copy(update={"terrain": terrain})
    spec = scn.thermals[0]
    with tempfile.TemporaryDirectory() as tmp:
        # the demo's config for the imager; its ports are never opened here (frames come from the renderer)
        section = agent_config(scn, DemoLayout(Path(tmp), 1, 2, 3))["thermals"][spec.id]
        if tracker is not None:
            section["tracker"] = tracker
        cfg = parse_config(
            {"site": scn.site, "agent": "mast-01", "detector": {"models_dir": str(MODELS_DIR)},
             "thermals": {spec.id: section}},
            AgentConfig,
        )  # fmt: skip
    tcfg = cfg.sensor_sections()["thermals"][spec.id]
    batcher = InferenceBatcher(OnnxDetector(resolve_model(tcfg.model, MODELS_DIR), 1), cfg.detector)
    unit = ThermalUnit(spec.id, tcfg, BuildContext(scn.site, "mast-01", 1, batcher))
    world = World(scn)
    renderer = ThermalRenderer(scn, spec, world)
    events: list[Event] = []
    for i in range(int(scn.duration_s * tcfg.fps)):
        t = i / tcfg.fps
        planned = unit.plan(Frame(spec.id, START.timestamp() + t, i, renderer.render(t).ck))
        answer = batcher.infer(planned.inputs) if planned.inputs is not None else None
        events += [e for e in unit.finish(planned, answer).events if e.track_id is not None]
    truth = [
        Position(datetime.fromisoformat(r["ts"]), r["actor"], r["class"], r["lat"], r["lon"], tuple(r["seen_by"]))
        for r in position_records(world, START)
        if spec.id in r["seen_by"]
    ]
    instants = [START.timestamp() + t for t in np.arange(0.0, scn.duration_s + 1e-9, POSITION_STEP_S)]
    crossings = sorted(
        f"{e.object_class.value} {e.rule.direction}" for e in events if e.kind is EventKind.LINE_CROSSING and e.rule
    )
    distress = len({e.track_id for e in events if e.distress is not None})
    score = track_quality(truth, events, instants, GATE_M)
    last_class = {e.track_id: e.object_class.value for e in events}
    return ImagerRun(score, len(last_class), crossings, distress, tuple(sorted(last_class.values())))
