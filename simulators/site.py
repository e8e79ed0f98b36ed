"""Run a whole simulated site: every camera of a scenario served on its own port, one shared clock,
and the ground truth written as JSON lines.

Why one clock: all cameras show the same instant of the same world, and the ground-truth file
can give each crossing an absolute UTC time the demo compares hub alerts against.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from borderwatch.simulators.camera.projection import Pinhole
from borderwatch.simulators.camera.render import CameraRenderer
from borderwatch.simulators.camera.server import CameraServer, SimClock
from borderwatch.simulators.scenario import Scenario
from borderwatch.simulators.thermal.render import ThermalRenderer, pinhole
from borderwatch.simulators.thermal.server import ThermalServer
from borderwatch.simulators.truth import Crossing, crossing_record, crossings, write_jsonl
from borderwatch.simulators.world import World

log = logging.getLogger("borderwatch.sim.site")


def seen_by(scenario: Scenario, c: Crossing) -> list[str]:
    """Cameras and thermal imagers whose image contains the crossing point (feet and head of a 1.7 m person)."""
    out = []
    sensors = [(s.id, Pinhole.from_spec(s)) for s in scenario.cameras] + [(t.id, pinhole(t)) for t in scenario.thermals]
    for sensor_id, cam in sensors:
        e, n = cam.from_site(np.array([c.east_m]), np.array([c.north_m]), (scenario.origin.lat, scenario.origin.lon))
        u, v, d = cam.project(np.repeat(e, 2), np.repeat(n, 2), np.array([0.0, 1.7]))
        if d[0] > 1 and np.all((u >= 0) & (u < cam.width) & (v >= 0) & (v < cam.height)):
            out.append(sensor_id)
    return out


def truth_records(scenario: Scenario, world: World, clock: SimClock | None = None) -> list[dict]:
    """Ground-truth crossings as JSON-ready dicts (with absolute `ts` once the clock has started)."""
    start, speed = (clock.started_at, clock.speed) if clock else (None, 1.0)
    return [crossing_record(c, scenario.site, start, seen_by(scenario, c), speed) for c in crossings(world)]


@dataclass
class Site:
    """All camera servers of one scenario; start() starts the clock after every port listens."""

    scenario: Scenario
    host: str = "127.0.0.1"
    base_port: int = 0
    loop: bool = False
    speed: float = 1.0
    rtsp_base_port: int | None = None  # None: MJPEG only; 0: RTSP too, on any free ports
    servers: list[CameraServer] = field(default_factory=list)
    thermal_servers: list[ThermalServer] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.world = World(self.scenario)
        self.clock = SimClock(self.speed, self.scenario.duration_s if self.loop else None)

    def start(self, cameras: list[str] | None = None, thermals: list[str] | None = None) -> Site:
        """Serve the named cameras (None: all) and thermal imagers (None: all when cameras is None too), then
        start the clock, so t = 0 finds every port listening.

        Camera k gets base_port + k, then imager k base_port + (number of cameras) + k (base_port 0: any free
        ports). A busy port raises OSError and leaves the servers started before it running: call stop().
        """
        specs = [c for c in self.scenario.cameras if cameras is None or c.id in cameras]
        for k, spec in enumerate(specs):
            port = self.base_port + k if self.base_port else 0
            rtsp = None if self.rtsp_base_port is None else (self.rtsp_base_port + k if self.rtsp_base_port else 0)
            r = CameraRenderer(self.scenario, spec, self.world)
            self.servers.append(CameraServer(r, self.clock, self.host, port, rtsp).start())
        wanted = (lambda t: cameras is None) if thermals is None else (lambda t: t in thermals)
        first = self.base_port + len(self.scenario.cameras) if self.base_port else 0
        for k, spec in enumerate(self.scenario.thermals):
            if wanted(spec.id):
                renderer = ThermalRenderer(self.scenario, spec, self.world)
                port = first + k if first else 0
                self.thermal_servers.append(ThermalServer(renderer, self.clock, self.host, port).start())
        self.clock.start()
        return self

    def urls(self) -> dict[str, str]:
        """Camera id -> MJPEG URL (/video), the address an agent's camera config takes."""
        return {s.camera_id: s.video_url for s in self.servers}

    def thermal_urls(self) -> dict[str, str]:
        """Thermal imager id -> tcp:// URL of its Y16 stream, the address an agent's ``[thermals.<id>]`` takes."""
        return {s.thermal_id: s.url for s in self.thermal_servers}

    def rtsp_urls(self) -> dict[str, str]:
        """Camera id -> RTSP URL; empty when the site serves MJPEG only (rtsp_base_port None)."""
        return {s.camera_id: s.rtsp_url for s in self.servers if s.rtsp_url}

    def write_truth(self, path: str | Path) -> int:
        """Write the crossings as JSON lines; returns how many. After start(), each carries its UTC ``ts``."""
        n = write_jsonl(path, truth_records(self.scenario, self.world, self.clock))
        log.info("ground truth written path=%s crossings=%d", path, n)
        return n

    def stop(self) -> None:
        """Stop every camera server: ports and client connections close (the clock holds no thread)."""
        for s in self.servers:
            s.stop()
        for t in self.thermal_servers:
            t.stop()
