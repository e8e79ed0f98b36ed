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

import cv2
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
from borderwatch.simulators.scenario import Scenario, ThermalSpec
from borderwatch.simulators.score.tracks import TrackScore, track_quality
from borderwatch.simulators.score.truthfile import Position
from borderwatch.simulators.thermal.render import ZERO_C_CK, ThermalRenderer
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


@dataclass(frozen=True, slots=True)
class WarmPatch:
    """A warm patch that appears at ``t_s`` and stays: a sun-warmed rock, warm water, an engine block. No actor, so
    no truth: a track on it is a false one. Pixel centre and semi-axes, kelvin above the ground."""

    cx: float
    cy: float
    ax: float
    ay: float
    delta_k: float
    t_s: float


def warm_patches(spec: ThermalSpec, count: int, seed: int, first_s: float, last_s: float) -> list[WarmPatch]:
    """``count`` patches on the imager's ground (lower half of the picture), 0.5-3 px semi-axes (as large as a
    distant person), 3-15 K above the ground (the training data's clutter), appearing between the two times."""
    rng = np.random.default_rng(seed)
    w, h = spec.width, spec.height
    return [
        WarmPatch(float(rng.uniform(0, w)), float(rng.uniform(0.5 * h, h)), float(rng.uniform(0.5, 3)),
                  float(rng.uniform(0.5, 3)), float(rng.uniform(3, 15)), float(rng.uniform(first_s, last_s)))
        for _ in range(count)
    ]  # fmt: skip


def _paint(ck: np.ndarray, patches: list[WarmPatch], t: float, ground_c: float) -> np.ndarray:
    shown = [p for p in patches if p.t_s <= t]
    if not shown:
        return ck
    ck = ck.copy()
    for p in shown:
        value = ZERO_C_CK + (ground_c + p.delta_k) * 100.0
        cv2.ellipse(ck, (round(p.cx), round(p.cy)), (max(round(p.ax), 1), max(round(p.ay), 1)), 0, 0, 360, value, -1)
    return ck


def run_imager(scn: Scenario, tracker: dict[str, object] | None, patches: list[WarmPatch] | None = None) -> ImagerRun:
    """Every frame of the scenario's first imager through its unit; ``tracker`` overrides the config's, and
    ``patches`` are painted into the frames from their times on."""
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
        ck = _paint(renderer.render(t).ck, patches or [], t, renderer.ground_c(t))
        planned = unit.plan(Frame(spec.id, START.timestamp() + t, i, ck))
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
    return ImagerRun(score, len({e.track_id for e in events}), crossings, distress)
