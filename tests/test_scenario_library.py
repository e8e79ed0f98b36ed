"""The scenario library loads, covers what issue 16 asks for, and its truth file reads back whole."""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch.deploy.eval_run import library
from borderwatch.runtime.configfile import ConfigError
from borderwatch.simulators.camera.render import CameraRenderer
from borderwatch.simulators.camera.server import SimClock
from borderwatch.simulators.scenario import FaultSpec, load_scenario
from borderwatch.simulators.score.floors import load_floors, verdict
from borderwatch.simulators.score.truthfile import read_truth
from borderwatch.simulators.site import full_truth
from borderwatch.simulators.truth import write_jsonl
from borderwatch.simulators.world import World

SCENARIOS = {p.stem: load_scenario(p) for p in library()}


def test_the_library_has_every_situation_the_issue_lists():
    assert {
        "quiet-night", "person-day", "group-night", "vehicle-road", "dense", "camera-failure",
        "process-faults", "link-faults", "fog", "rain", "river-distress", "radar-far",
    } <= set(SCENARIOS)  # fmt: skip
    assert len({s.seed for s in SCENARIOS.values()}) == len(SCENARIOS)
    assert len(World(SCENARIOS["dense"]).actors.ids) >= 30
    assert {a.cls for a in SCENARIOS["quiet-night"].actors} == {"animal"}
    assert [s.name for s in SCENARIOS.values() if s.eval.ci] == ["person-day", "quiet-night"]


def test_a_camera_fault_must_name_a_camera(tmp_path):
    bad = SCENARIOS["person-day"].model_dump(by_alias=True) | {"faults": [FaultSpec(at_s=5, kind="kill", target="x")]}
    with pytest.raises(ValueError, match="not a camera"):
        type(SCENARIOS["person-day"]).model_validate(bad)
    path = tmp_path / "s.toml"
    path.write_text('name = "x"\n[[faults]]\nat_s = 1\nkind = "teleport"\n', encoding="utf-8")
    with pytest.raises(ConfigError):
        load_scenario(path)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (dict(at_s=0, kind="clock_skew"), "offset_s"),  # a skew of 0 s is no fault
        (dict(at_s=5, kind="partition", offset_s=3.0), "offset_s"),  # an offset means nothing to a partition
        (dict(at_s=5, kind="clock_skew", offset_s=20.0), "from its start"),  # a mast whose clock is off
    ],
)
def test_a_clock_skew_needs_an_offset_from_the_agents_start(fault, error):
    with pytest.raises(ValueError, match=error):
        FaultSpec(**fault)


def test_the_library_injects_every_fault_the_issue_lists():
    kinds = {f.kind for s in SCENARIOS.values() for f in s.faults}
    assert {"kill", "black", "broker_restart", "agent_kill", "hub_down", "partition", "clock_skew"} <= kinds


def test_truth_file_round_trip_keeps_groups_positions_faults_and_people_entering_water(tmp_path):
    scn = SCENARIOS["camera-failure"]
    path = tmp_path / "truth.jsonl"
    write_jsonl(path, full_truth(scn, World(scn), SimClock().start()))
    truth = read_truth(path)
    assert truth.started is not None and truth.sensors == {"cam-1": "camera", "cam-2": "camera"}
    assert len(truth.crossings) == 5 and [f.kind for f in truth.faults] == ["kill", "black"]
    assert {p.actor for p in truth.positions} == {"p1", "p2", "p3", "p4", "p5"}
    river = SCENARIOS["river-distress"]
    write_jsonl(path, full_truth(river, World(river), SimClock().start()))
    truth = read_truth(path)
    assert truth.sensors["thermal-1"] == "thermal" and "thermal-1" not in truth.pending_sensors
    assert [c.seen_by for c in truth.crossings] == [("thermal-1",)]
    # one person wades into the river once: one situation, in view of the thermal imager only
    assert [(d.actor, d.reason, d.seen_by) for d in truth.distress] == [("p1", "water", ("thermal-1",))]


def test_fog_fades_the_far_field_more_than_the_near_one():
    clear, fog = SCENARIOS["person-day"], SCENARIOS["fog"]
    a = CameraRenderer(clear, "cam-1").render(0.0, seed=1).frame.astype(np.float32)
    b = CameraRenderer(fog, "cam-1").render(0.0, seed=1).frame.astype(np.float32)
    h = a.shape[0]
    far, near = slice(int(0.30 * h), int(0.40 * h)), slice(int(0.9 * h), h)
    assert b[far].std() < 0.5 * a[far].std()
    assert b[near].std() > 0.5 * a[near].std()


def test_rain_changes_with_every_frame():
    r = CameraRenderer(SCENARIOS["rain"], "cam-1")
    assert not np.array_equal(r.render(0.0, seed=1).frame, r.render(0.0, seed=2).frame)


def test_floors_file_states_gates_and_targets():
    f = load_floors()
    assert (f.tolerances.position_m, f.tolerances.time_s) == (10.0, 5.0)
    assert f.library["crossing_alert_recall"] == 0.95 and f.library["alert_latency_p95_s"] == 2.0
    assert verdict("localisation_p95_m", 16.0, 15.0) == "BELOW" and verdict("x", None, 1.0) == "UNDEFINED"
