"""End to end: simulated camera (HTTP MJPEG) -> agent -> real Mosquitto -> hub -> store -> alert.

The agent and hub configs are the ones `borderwatch demo` writes for a scenario, so this also
checks that the demo's cameras, poses and border line agree with the simulated world.

Nothing is mocked: the scenario world renders frames served over HTTP, the agent reads them
through OpenCV and runs its detector, tracker and border line; events travel through a real
Mosquitto to the hub, which stores them in SQLite and raises the border-crossing alert.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from borderwatch.contract import EventKind
from borderwatch.deploy.demo_configs import shipped_camera_model
from borderwatch.simulators.scenario import ActorSpec, BorderSpec, CameraPose, CameraSpec, GeoPoint, Scenario
from tests.support.demo_site import geo, run_demo

pytestmark = pytest.mark.integration
ORIGIN = GeoPoint(lat=47.95, lon=22.85)


def _geo(east: float, north: float) -> tuple[float, float]:
    return geo(ORIGIN, east, north)


def crossing_scenario() -> Scenario:
    """One person walking south across an east-west border 30 m in front of one camera."""
    lat, lon = _geo(0.0, 0.0)
    pose = CameraPose(lat=lat, lon=lon, height_m=8.0, heading_deg=0.0, tilt_deg=9.0, hfov_deg=55.0)
    return Scenario(
        name="e2e",
        site="west-1",
        origin=ORIGIN,
        seed=3,
        duration_s=40.0,
        border=BorderSpec(points=[_geo(-300, 30), _geo(300, 30)], inbound_side="right"),
        cameras=[CameraSpec(id="cam-1", pose=pose, width=960, height=540, fps=10.0)],
        actors=[ActorSpec(id="p1", cls="person", waypoints=[(3.0, 60.0), (3.0, 18.0)], speed_mps=1.5, start_s=4.0)],
    )


def test_person_crossing_reaches_the_hub_as_an_alert(tmp_path: Path) -> None:
    run = run_demo(
        tmp_path, crossing_scenario(), lambda hub: hub.alert_store.count(), 60, "the border-crossing alert", 1000
    )
    stored, alerts = run.stored, run.alerts
    kinds = {e.kind for e in stored}
    assert EventKind.TRACK_NEW in kinds, f"no track reached the hub: {kinds}"
    crossings = sorted((e for e in stored if e.kind is EventKind.LINE_CROSSING), key=lambda e: e.ts)
    assert crossings, f"no line crossing stored; kinds seen {kinds}"
    first = crossings[0]
    assert first.rule is not None and first.rule.direction == "inbound"
    assert first.position is not None
    assert first.sensor.id == "cam-1" and first.site == "west-1" and first.agent == "mast-01"
    seqs = sorted(e.seq for e in stored)
    assert seqs == list(range(len(seqs))), f"sequence numbers repeat or skip: {seqs}"
    assert shipped_camera_model(), "the demo needs the shipped camera model (models/manifest) to classify a person"
    assert first.object_class.value == "person"
    assert alerts and alerts[0].rule == "border-crossing-person"
    # the crossing point lies on the border, 30 m north of the camera, within projection error
    border_lat = _geo(3.0, 30.0)[0]
    assert abs(alerts[0].position.lat - border_lat) * 111_000 < 8.0
