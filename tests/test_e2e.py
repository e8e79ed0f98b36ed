"""End to end: simulated camera (HTTP MJPEG) -> agent -> real Mosquitto -> hub -> store -> alert.

The agent and hub configs are the ones `borderwatch demo` writes for a scenario, so this also
checks that the demo's cameras, poses and border line agree with the simulated world.

Nothing is mocked: the scenario world renders frames served over HTTP, the agent reads them
through OpenCV and runs its detector, tracker and border line; events travel through a real
Mosquitto to the hub, which stores them in SQLite and raises the border-crossing alert.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import pytest

from borderwatch.contract import EventKind
from borderwatch.deploy.demo_configs import (
    DemoLayout,
    agent_config,
    hub_config,
    shipped_camera_model,
    write_credentials,
)
from borderwatch.deploy.procs import free_port
from borderwatch.edge.agent import Agent
from borderwatch.edge.config.agent import AgentConfig
from borderwatch.hub.app import Hub
from borderwatch.hub.config import HubConfig
from borderwatch.runtime.configfile import parse_config
from borderwatch.runtime.geo import to_geo
from borderwatch.simulators.scenario import ActorSpec, BorderSpec, CameraPose, CameraSpec, GeoPoint, Scenario
from borderwatch.simulators.site import Site
from tests.support.broker import Mosquitto
from tests.support.waits import wait_until

pytestmark = pytest.mark.integration
ORIGIN = GeoPoint(lat=47.95, lon=22.85)


def _geo(east: float, north: float) -> tuple[float, float]:
    lat, lon = to_geo(east, north, ORIGIN.lat, ORIGIN.lon)
    return float(lat), float(lon)


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
    broker = Mosquitto(tmp_path / "broker").start()
    scn = crossing_scenario()
    layout = DemoLayout(tmp_path, broker.port, api_port=free_port(), camera_base_port=free_port())
    write_credentials(scn, layout)  # the demo's configs name their password files
    hub_cfg = parse_config(hub_config(layout) | {"api": {"enabled": False}}, HubConfig)
    hub = Hub(hub_cfg)
    hub.start()
    site = Site(scn, base_port=layout.camera_base_port).start()
    agent = Agent(parse_config(agent_config(scn, layout), AgentConfig))
    stop = threading.Event()
    runner = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    runner.start()
    try:
        with contextlib.suppress(AssertionError):  # the checks below say what was missing
            wait_until(lambda: hub.alert_store.count(), 60, "the border-crossing alert")
        stored = hub.store.events(limit=1000)
        alerts = hub.alert_store.list()
    finally:
        stop.set()
        runner.join(20)
        site.stop()
        hub.stop()
        broker.stop()
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
