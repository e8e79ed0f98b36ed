"""The radar simulator: the world rendered as plots near the truth, every protocol's bytes decoding
back to it, faults doing what they say, and a served pty the agent's reader follows through an
unplugged adapter and a wrong baud rate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from borderwatch.edge.sensors.radar import asterix, nmea, ti
from borderwatch.edge.sensors.radar.config import LinkConfig, RadarConfig
from borderwatch.edge.sensors.radar.reader import RadarReader
from borderwatch.simulators.radar.faults import Fault, apply
from borderwatch.simulators.radar.render import RadarRenderer, RadarSpec
from borderwatch.simulators.radar.server import PtyLink, RadarSimulator, UdpLink
from borderwatch.simulators.scenario import ActorSpec, Scenario
from borderwatch.simulators.world import World
from tests.support.waits import wait_until

SPEC = RadarSpec(max_range_m=1000.0, clutter_per_scan=0.0, pd=1.0)


def _world() -> World:
    walker = ActorSpec(id="p1", cls="person", waypoints=[(0.0, 300.0), (100.0, 300.0)], speed_mps=1.5)
    return World(Scenario(name="t", duration_s=60.0, actors=[walker]))


def test_plots_sit_on_the_truth_and_are_reproducible() -> None:
    a, b = RadarRenderer(_world(), SPEC, seed=4), RadarRenderer(_world(), SPEC, seed=4)
    plots, truth = a.plots(10.0)
    again, _ = b.plots(10.0)
    assert np.array_equal(plots.range_m, again.range_m)
    assert len(truth.rows) == 1 and truth.range_m[0] == pytest.approx(np.hypot(15.0, 300.0))
    assert (plots.actor == 0).sum() == 2  # body and limbs
    assert np.all(np.abs(plots.range_m - truth.range_m[0]) < 5) and np.all(np.abs(plots.bearing_deg - 2.86) < 2)


@pytest.mark.parametrize("protocol", ["nmea", "ti", "asterix"])
def test_each_protocol_decodes_back_to_the_world(protocol: str) -> None:
    sim = RadarSimulator(_world(), SPEC, protocol, UdpLink("127.0.0.1", 9), seed=1)
    data = sim.scan_bytes(10.0, 3600.0)
    if protocol == "nmea":
        _, records = nmea.feed(nmea.NmeaState(), data)
        ranges = [r.range_m for r in records if r.range_m is not None]
    elif protocol == "ti":
        _, frames = ti.feed(ti.TiState(), data)
        ranges = [r.range_m for r in frames[0].records()]
    else:
        reports, _ = asterix.decode(data)
        assert all(r.sim for r in reports)
        ranges = [r.range_m for r in reports]
    assert ranges and all(abs(r - np.hypot(15.0, 300.0)) < 10 for r in ranges)


def test_faults_parse_and_apply() -> None:
    assert Fault.parse("bitflip@20+10") == Fault("bitflip", 20.0, 10.0)
    for bad in ("melt@1+1", "bitflip@x+1", "bitflip@1+0"):
        with pytest.raises(ValueError, match="fault"):
            Fault.parse(bad)
    rng = np.random.default_rng(0)
    data = nmea.sentence("RATTM,01,1.0,10.0,T,1.0,0.0,T,,,N,,T,,,A")
    assert apply(data, {"silent"}, rng) == b"" and apply(data, {"unplug"}, rng) == b""
    wrong = apply(data, {"wrong_baud"}, rng)
    assert len(wrong) == len(data) and min(wrong) >= 0x80
    flipped = apply(data, {"bitflip"}, rng)
    assert sum(bin(x ^ y).count("1") for x, y in zip(data, flipped, strict=True)) == 1
    assert len(apply(data, {"truncate"}, rng)) < len(data) and len(apply(data, {"garbage"}, rng)) > len(data)
    _, records = nmea.feed(nmea.NmeaState(), flipped)
    assert records == []  # the checksum caught it


def test_served_pty_through_unplug_and_wrong_baud(tmp_path: Path) -> None:
    faults = (Fault("unplug", 2.0, 1.5), Fault("wrong_baud", 6.0, 30.0))
    sim = RadarSimulator(_world(), SPEC, "ti", PtyLink(tmp_path / "ttyTI"), faults, seed=2).start()
    link = LinkConfig(offline_after_s=0.5, garbage_after_s=1.0, backoff_initial_s=0.05, backoff_max_s=0.2)
    reader = RadarReader("r1", RadarConfig(protocol="ti", device=str(tmp_path / "ttyTI"), link=link))
    reader.start()
    try:
        wait_until(lambda: reader.online, 10, "frames from the simulator")
        wait_until(lambda: not reader.online, 10, "the adapter unplugged")
        wait_until(lambda: reader.online and reader.stats().reconnects_1h >= 1, 10, "back after replugging")
        wait_until(lambda: reader.suspect_baud, 15, "wrong baud suspected")
        reasons = [c.reason for c in reader.pop_changes() if not c.online]
        assert reasons[0] in ("device_lost", "open_failed", "silent") and reasons[-1] in ("wrong_baud", "garbage")
    finally:
        reader.stop()
        sim.stop()
