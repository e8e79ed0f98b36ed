"""A scenario's radar served by the simulated site (ASTERIX over UDP on the site clock) and the eval's
agent config listening for it: what makes the radar-far scenario scoreable."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

import numpy as np
import pytest

from borderwatch.deploy.demo_configs import DemoLayout, agent_config
from borderwatch.deploy.eval_run import LIBRARY
from borderwatch.deploy.procs import free_port
from borderwatch.edge.config.agent import AgentConfig
from borderwatch.edge.sensors.radar import asterix
from borderwatch.runtime.configfile import parse_config
from borderwatch.simulators.scenario import load_scenario
from borderwatch.simulators.site import Site
from tests.support.waits import wait_until

pytestmark = pytest.mark.integration


def test_radar_far_site_sends_asterix_plots_where_the_agent_listens(tmp_path: Path) -> None:
    scn = load_scenario(LIBRARY / "radar-far.toml")
    base = free_port()
    layout = DemoLayout(tmp_path, free_port(), free_port(), base)
    radar = parse_config(agent_config(scn, layout), AgentConfig).radars["radar-1"]
    assert radar.protocol == "asterix" and radar.lines[0].coords == "geo" and radar.pose.lat == scn.sensors[0].lat
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((radar.listen_host, radar.listen_port))
    sock.settimeout(0.2)
    site = Site(scn, base_port=base, speed=4.0).start()
    plots: list[asterix.Cat048] = []

    def received() -> bool:
        with contextlib.suppress(TimeoutError):
            plots.extend(asterix.decode(sock.recv(65535))[0])
        return any(p.range_m is not None and 200 < p.range_m < 300 for p in plots)

    try:
        assert site.radar_targets() == {"radar-1": f"udp://127.0.0.1:{radar.listen_port}"}
        wait_until(received, 30, "a plot of the far walker or vehicle")
    finally:
        site.stop()
        sock.close()
    far = [p for p in plots if p.range_m is not None and 200 < p.range_m < 300]
    assert all(p.sim and p.amplitude_dbm is not None and p.doppler_mps is not None for p in far)
    # the person walks at about 250 m west, the vehicle at about 260 m east of the mast (bearings 270 / 90)
    bearings = np.array([p.bearing_deg for p in far])
    assert np.all((np.abs(bearings - 270) < 40) | (np.abs(bearings - 90) < 40))
