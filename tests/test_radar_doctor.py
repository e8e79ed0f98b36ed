"""`borderwatch edge doctor` on radars: the serial port opened at the configured baud with frames
arriving, garbage (a wrong baud rate), silence, a missing device, and an ASTERIX UDP port."""

from __future__ import annotations

from pathlib import Path

import pytest

from borderwatch.deploy.procs import free_port
from borderwatch.edge.doctor import check_radar
from borderwatch.edge.sensors.radar.config import RadarConfig
from borderwatch.simulators.radar.faults import Fault
from borderwatch.simulators.radar.render import RadarSpec
from borderwatch.simulators.radar.server import PtyLink, RadarSimulator, UdpLink
from borderwatch.simulators.scenario import ActorSpec, Scenario
from borderwatch.simulators.world import World

pytestmark = pytest.mark.integration
SPEC = RadarSpec(max_range_m=1000.0, clutter_per_scan=0.0, pd=1.0)


def _world() -> World:
    walker = ActorSpec(id="p1", cls="person", waypoints=[(0.0, 300.0), (100.0, 300.0)], speed_mps=1.5)
    return World(Scenario(name="t", duration_s=600.0, actors=[walker]))


def _served(tmp_path: Path, protocol: str, faults: tuple[Fault, ...] = ()) -> RadarSimulator:
    return RadarSimulator(_world(), SPEC, protocol, PtyLink(tmp_path / "tty"), faults, seed=1).start()


def test_serial_radar_sending_frames_passes(tmp_path: Path) -> None:
    sim = _served(tmp_path, "ti")
    try:
        c = check_radar("fmcw-1", RadarConfig(protocol="ti", device=str(tmp_path / "tty")), seconds=1.0)
    finally:
        sim.stop()
    assert c.status == "PASS" and "at 921600 baud" in c.detail and "frames/s" in c.detail, c
    assert "rejected 0" in c.detail


def test_garbage_on_the_line_fails_and_names_the_baud_rate(tmp_path: Path) -> None:
    sim = _served(tmp_path, "nmea", (Fault("wrong_baud", 0.0, 600.0),))
    try:
        c = check_radar("arpa-1", RadarConfig(protocol="nmea", device=str(tmp_path / "tty"), baud=38400), seconds=2.5)
    finally:
        sim.stop()
    assert c.status == "FAIL" and "no valid frame" in c.detail and "baud rate" in c.detail, c


def test_silent_line_and_missing_device_fail(tmp_path: Path) -> None:
    sim = _served(tmp_path, "ti", (Fault("silent", 0.0, 600.0),))
    try:
        c = check_radar("fmcw-1", RadarConfig(protocol="ti", device=str(tmp_path / "tty")), seconds=0.5)
    finally:
        sim.stop()
    assert c.status == "FAIL" and "no byte in 0.5 s" in c.detail, c
    gone = check_radar("fmcw-1", RadarConfig(protocol="ti", device=str(tmp_path / "nothing")), seconds=0.5)
    assert gone.status == "FAIL" and "cannot open" in gone.detail, gone


def test_asterix_udp_port_receiving_datagrams_passes() -> None:
    port = free_port()
    sim = RadarSimulator(_world(), SPEC, "asterix", UdpLink("127.0.0.1", port), seed=1).start()
    try:
        c = check_radar("psr-1", RadarConfig(protocol="asterix", listen_host="127.0.0.1", listen_port=port),
                        seconds=2.5)  # fmt: skip
    finally:
        sim.stop()
    assert c.status == "PASS" and f"udp 127.0.0.1:{port}" in c.detail and "plots" in c.detail, c
    quiet = check_radar("psr-1", RadarConfig(protocol="asterix", listen_host="127.0.0.1", listen_port=free_port()),
                        seconds=0.5)  # fmt: skip
    assert quiet.status == "FAIL" and "no datagram" in quiet.detail, quiet
