"""``[radars.<id>]`` through the agent's config: bounds, cross-field rules, errors naming their path."""

from __future__ import annotations

import pytest

from borderwatch.edge.config.agent import AgentConfig
from borderwatch.edge.sensors.radar.config import RadarConfig
from borderwatch.runtime.configfile import ConfigError, parse_config

BASE = {"site": "s", "agent": "a"}


def _agent(radar: dict) -> AgentConfig:
    return parse_config({**BASE, "radars": {"r1": radar}}, AgentConfig)


def test_a_radar_alone_is_a_valid_agent() -> None:
    cfg = _agent({"protocol": "asterix", "listen_port": 9000, "pose": {"lat": 47.9, "lon": 22.8, "heading_deg": 45}})
    radar = cfg.sensor_sections()["radars"]["r1"]
    assert isinstance(radar, RadarConfig) and radar.listen_port == 9000 and radar.pose.heading_deg == 45
    assert _agent({"protocol": "ti", "device": "/dev/ttyUSB1"}).radars["r1"].serial_baud == 921_600
    assert _agent({"protocol": "nmea", "device": "/dev/ttyS0"}).radars["r1"].serial_baud == 4800


@pytest.mark.parametrize(
    ("radar", "needles"),
    [
        ({"protocol": "ti", "device": "/dev/x", "tracker": {"gate_m": -1}}, ["radars.r1.tracker.gate_m"]),
        ({"protocol": "ti", "device": "/dev/x", "pose": {"heading_deg": 360}}, ["radars.r1.pose.heading_deg"]),
        ({"protocol": "ti", "device": "/dev/x", "baud": 12345}, ["radars.r1", "baud 12345"]),
        ({"protocol": "ti"}, ["radars.r1", "needs a serial device"]),
        ({"protocol": "lidar"}, ["radars.r1.protocol"]),
        ({"protocol": "ti", "device": "/dev/x", "tracker": {"confirm_m": 6, "confirm_n": 5}}, ["confirm_m"]),
        ({"protocol": "ti", "device": "/dev/x", "cfar": {"pfa": 0.9}}, ["radars.r1.cfar.pfa"]),
        ({"protocol": "ti", "device": "/dev/x", "devcie": "/dev/y"}, ["radars.r1.devcie", "unknown key"]),
        (
            {"protocol": "ti", "device": "/dev/x", "lines": [{"points": [[1, 2], [3, 4]], "coords": "image"}]},
            ["coords = 'geo'"],
        ),
    ],
)
def test_bad_radar_settings_are_refused_with_their_path(radar: dict, needles: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        _agent(radar)
    for needle in needles:
        assert needle in str(info.value), str(info.value)
