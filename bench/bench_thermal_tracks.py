"""Track quality of a thermal imager: the default association (centre distance) against box overlap (IoU).

Why: a distant person is a hot spot a pixel or two wide on a 320 px imager, and a group's spots merge and
split as its members pass each other, so tracks associated by box overlap break up. The imager's default
(``THERMAL_TRACKER`` in edge/sensors/thermal/config.py) associates by centre distance in box heights.

Each run renders a scenario's imager frame by frame with the thermal simulator (no network, no clock: the
same frames every run) and feeds every frame to the imager's unit with the config ``borderwatch demo``
writes for it (the shipped classifier, the scenario's border line and water zones), once per association.
The track events are scored on the ground plane against the scenario's truth positions exactly as
``borderwatch sim score`` scores a run (simulators/score/tracks.py: motmetrics MOTA, IDF1 and identity
switches, 10 m gate, one truth sample a second). Left out: the reader's socket and bad-frame checks,
MQTT and the hub (the scorer reads the events directly). Target: the default's IDF1 at least IoU's on
every scenario (PASS/BELOW).

Run: ``python bench/bench_thermal_tracks.py``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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
from borderwatch.simulators.scenario import Scenario, load_scenario
from borderwatch.simulators.score.tracks import TrackScore, track_quality
from borderwatch.simulators.score.truthfile import Position
from borderwatch.simulators.thermal.render import ThermalRenderer
from borderwatch.simulators.truth import POSITION_STEP_S, position_records
from borderwatch.simulators.world import World

SCENARIOS = ("border-crossing", str(Path(__file__).resolve().parents[1] / "simulators/scenarios/river-distress.toml"))
GATE_M = 10.0
START = datetime(2026, 1, 1, tzinfo=UTC)
IOU = {"association": "iou", "max_cost": 0.9}
"""The imager's tracker before distance became its default (IoU > 0.1)."""


@dataclass(frozen=True, slots=True)
class Run:
    """One scenario's imager with one tracker setting: the score and what the operator would see."""

    score: TrackScore
    tracks: int
    crossings: list[str]


def run(scn: Scenario, tracker: dict[str, object] | None) -> Run:
    """Every frame of the scenario's first imager through its unit; ``tracker`` overrides the config's."""
    spec = scn.thermals[0]
    with tempfile.TemporaryDirectory() as tmp:
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
    return Run(track_quality(truth, events, instants, GATE_M), len({e.track_id for e in events}), crossings)


def _line(name: str, r: Run) -> str:
    s = r.score
    mota = f"{s.mota:.2f}" if s.mota is not None else "n/a"
    idf1 = f"{s.idf1:.2f}" if s.idf1 is not None else "n/a"
    return (
        f"    {name:<9} MOTA {mota}  IDF1 {idf1}  switches {s.switches:>3}  misses {s.misses:>3}  "
        f"false {s.false_positives:>3}  tracks {r.tracks:>3}  crossings {len(r.crossings)}"
    )


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    ok = True
    for k, name in enumerate(SCENARIOS, 1):
        scn = load_scenario(name)
        default, iou = run(scn, None), run(scn, IOU)
        d, i = default.score.idf1 or 0.0, iou.score.idf1 or 0.0
        print(f"[{k}] {scn.name}, imager {scn.thermals[0].id}: {default.score.objects} truth samples in view")
        print(_line("default", default))
        print(_line("iou", iou))
        same = default.crossings == iou.crossings
        print(f"    crossings reported: {'the same' if same else 'differ'}: {', '.join(default.crossings) or 'none'}")
        print(f"    -> {'PASS' if d >= i else 'BELOW'} default IDF1 {d:.2f} vs IoU {i:.2f} (target: at least IoU's)")
        ok &= d >= i
    print(f"thermal tracks: {'PASS' if ok else 'BELOW'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
