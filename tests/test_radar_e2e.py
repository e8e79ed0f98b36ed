"""End to end for radars: the radar simulator (NMEA and TI on pseudo-terminals, ASTERIX over UDP)
-> agent (three ``[radars.*]`` sections, no camera) -> real Mosquitto -> hub -> stored tracks, and
the border-crossing alert for a person 400 m out (beyond any camera), classified by the shipped
radar classifier.

Nothing is mocked: the scenario world is rendered into each protocol's bytes with noise, clutter and
injected link faults; the agent opens the pty device paths like real ttys and a UDP socket.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from borderwatch.contract import EventKind
from borderwatch.deploy.procs import free_port
from borderwatch.hub.app import Hub
from borderwatch.simulators.radar.faults import Fault
from borderwatch.simulators.radar.render import RadarSpec
from borderwatch.simulators.radar.server import PtyLink, RadarSimulator, UdpLink
from borderwatch.simulators.scenario import ActorSpec, BorderSpec, GeoPoint, Scenario
from borderwatch.simulators.world import World
from tests.support.demo_site import geo, run_demo

pytestmark = pytest.mark.integration
ORIGIN = GeoPoint(lat=47.95, lon=22.85)


def _geo(east: float, north: float) -> tuple[float, float]:
    return geo(ORIGIN, east, north)


def far_crossing() -> Scenario:
    """A person crossing the border 400 m north of the mast (far beyond a camera) and a vehicle on a
    road 250 m out, parallel to it."""
    return Scenario(
        name="radar-e2e", site="west-1", origin=ORIGIN, seed=5, duration_s=60.0,
        border=BorderSpec(points=[_geo(-1000, 400), _geo(1000, 400)], inbound_side="right"),
        actors=[
            ActorSpec(id="p1", cls="person", waypoints=[(40.0, 435.0), (40.0, 340.0)], speed_mps=1.6, start_s=1.0),
            ActorSpec(id="v1", cls="vehicle", waypoints=[(-300.0, 250.0), (300.0, 250.0)], speed_mps=8.0, start_s=2.0),
        ],
    )  # fmt: skip


def test_three_radar_protocols_reach_the_hub_and_raise_a_far_crossing_alert(tmp_path: Path) -> None:
    scn = far_crossing()
    world = World(scn)
    udp_port = free_port()
    spec = RadarSpec(0.0, 0.0, 0.0, fov_deg=120.0, max_range_m=1000.0, clutter_per_scan=0.5)
    sims = [
        RadarSimulator(world, spec, "nmea", PtyLink(tmp_path / "ttyARPA"), (Fault("garbage", 5, 5),), seed=1),
        RadarSimulator(world, spec, "ti", PtyLink(tmp_path / "ttyTI"), (Fault("bitflip", 8, 4),), seed=2),
        RadarSimulator(world, spec, "asterix", UdpLink("127.0.0.1", udp_port), (Fault("truncate", 10, 3),), seed=3),
    ]
    lat, lon = _geo(0.0, 0.0)
    pose = {"lat": lat, "lon": lon, "heading_deg": 0.0}
    border = [{"name": "border", "coords": "geo", "points": [_geo(-1000, 400), _geo(1000, 400)],
               "inbound_side": "right"}]  # fmt: skip
    tracker = {"gate_m": 20.0, "confirm_m": 3, "confirm_n": 5, "max_coast_s": 5.0, "cluster_m": 8.0}
    radars = {
        "arpa-1": {"protocol": "nmea", "device": str(tmp_path / "ttyARPA"), "baud": 38400, "pose": pose,
                   "lines": border},
        "fmcw-1": {"protocol": "ti", "device": str(tmp_path / "ttyTI"), "pose": pose, "tracker": tracker,
                   "lines": border, "model": "bw-radar-cls"},
        "gsr-1": {"protocol": "asterix", "listen_host": "127.0.0.1", "listen_port": udp_port, "pose": pose,
                  "tracker": tracker, "lines": border},
    }  # fmt: skip

    def crossed_everywhere(hub: Hub) -> bool:
        crossing = [e for e in hub.store.events(limit=5000) if e.kind is EventKind.LINE_CROSSING]
        return len({e.sensor.id for e in crossing}) == 3 and hub.alert_store.count() > 0

    run = run_demo(
        tmp_path, scn, crossed_everywhere, 60, "crossings from all three radars and the alert", 5000,
        agent_extra={"radars": radars}, sources=sims,
    )  # fmt: skip
    stored, alerts = run.stored, run.alerts
    sensors = {e.sensor.id for e in stored if e.kind is EventKind.LINE_CROSSING}
    assert sensors == {"arpa-1", "fmcw-1", "gsr-1"}, f"border crossings only from {sensors}"
    for e in (e for e in stored if e.kind is EventKind.LINE_CROSSING):  # the person, 400 m out, walking south
        assert e.rule is not None and e.rule.direction == "inbound" and e.position is not None
        assert abs(e.position.lat - _geo(40, 400)[0]) * 111_000 < 25 and e.polar is not None
    for e in (e for e in stored if e.kind is EventKind.TRACK_NEW):
        assert e.sensor.kind.value == "radar" and e.polar is not None and e.box is None
        assert 0 < e.polar.range_m <= 1000 and e.position is not None
        assert abs(e.position.lat - lat) * 111_000 < 1100
    classified = [e for e in stored if e.sensor.id == "fmcw-1" and e.kind is EventKind.LINE_CROSSING]
    assert classified[0].object_class.value == "person"  # the classifier on the TI radar's tracks
    person_alerts = [a for a in alerts if a.rule == "border-crossing-person"]
    assert person_alerts, f"no border-crossing alert 400 m out: {[a.rule for a in alerts]}"
    assert abs(person_alerts[0].position.lat - _geo(40, 400)[0]) * 111_000 < 25
    arpa = [e for e in stored if e.sensor.id == "arpa-1" and e.kind is EventKind.TRACK_NEW]
    assert all(e.polar.speed_mps is not None for e in arpa)  # radar-made tracks carry speed and course
    seqs = sorted(e.seq for e in stored)
    assert seqs == list(range(len(seqs)))
