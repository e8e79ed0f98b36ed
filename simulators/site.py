"""Run a whole simulated site: every camera and thermal imager of a scenario served on its own port,
every radar sending ASTERIX over UDP, one shared clock, and the ground truth written as JSON lines.

Why one clock: all cameras show the same instant of the same world, and the ground-truth file
can give each crossing an absolute UTC time the demo compares hub alerts against.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from borderwatch.runtime.geo import to_local
from borderwatch.simulators.camera.render import CameraRenderer
from borderwatch.simulators.camera.server import CameraServer, SimClock
from borderwatch.simulators.coverage import coverage
from borderwatch.simulators.radar.render import RadarSpec
from borderwatch.simulators.radar.server import RadarSimulator, UdpLink
from borderwatch.simulators.scenario import CAMERA_FAULTS, FaultSpec, Scenario
from borderwatch.simulators.thermal.render import ThermalRenderer
from borderwatch.simulators.thermal.server import ThermalServer
from borderwatch.simulators.truth import (
    Crossing,
    crossing_record,
    crossings,
    distress_records,
    fault_records,
    groups,
    position_records,
    run_record,
    write_jsonl,
)
from borderwatch.simulators.world import World

log = logging.getLogger("borderwatch.sim.site")


def seen_by(scenario: Scenario, c: Crossing) -> list[str]:
    """Sensors covering the crossing point (cameras and thermal imagers: feet and head of a 1.7 m person in
    the image)."""
    return [s for s, m in coverage(scenario, [c.east_m], [c.north_m]).items() if m[0]]


def truth_records(scenario: Scenario, world: World, clock: SimClock | None = None) -> list[dict]:
    """Ground-truth crossings as JSON-ready dicts (with absolute `ts` once the clock has started)."""
    start, speed = (clock.started_at, clock.speed) if clock else (None, 1.0)
    member_group = groups(scenario)
    return [
        crossing_record(c, scenario.site, start, seen_by(scenario, c), speed, member_group.get(c.actor))
        for c in crossings(world)
    ]


def full_truth(scenario: Scenario, world: World, clock: SimClock) -> list[dict]:
    """Everything the scorer needs: the run, the crossings, sampled positions, people entering water and the
    injected faults."""
    start, speed = clock.started_at, clock.speed
    return [
        run_record(scenario, start, speed),
        *truth_records(scenario, world, clock),
        *position_records(world, start, speed),
        *distress_records(world, start, speed),
        *fault_records(scenario, start, speed),
    ]


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
    radars: dict[str, RadarSimulator] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.world = World(self.scenario)
        self.clock = SimClock(self.speed, self.scenario.duration_s if self.loop else None)
        self._stopped = threading.Event()

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
        if cameras is None:
            self._start_radars()
        self.clock.start()
        faults = [f for f in self.scenario.faults if f.kind in CAMERA_FAULTS]
        if faults:
            threading.Thread(target=self._play_faults, args=(faults,), name="sim-faults", daemon=True).start()
        return self

    def _start_radars(self) -> None:
        """Every radar of the scenario (``sensors`` of kind radar) sends ASTERIX CAT-048 plots by UDP to
        port base_port + cameras + thermal imagers + k on ``host`` (where the agent listens), on the
        site's clock; nothing when base_port is 0 (no agent address to send to)."""
        if not self.base_port:
            return
        first = self.base_port + len(self.scenario.cameras) + len(self.scenario.thermals)
        origin = (self.scenario.origin.lat, self.scenario.origin.lon)
        radars = [s for s in self.scenario.sensors if s.kind == "radar"]
        for k, s in enumerate(radars):
            east, north = to_local(s.lat, s.lon, *origin)
            spec = RadarSpec(float(east), float(north), s.heading_deg % 360.0, fov_deg=s.fov_deg, max_range_m=s.range_m)
            link = UdpLink(self.host, first + k)
            sim = RadarSimulator(self.world, spec, "asterix", link, seed=self.scenario.seed + k, clock=self.clock.now)
            self.radars[s.id] = sim.start()

    def _play_faults(self, faults: list[FaultSpec]) -> None:
        """Apply each camera fault when scenario time reaches it (durations are scenario seconds)."""
        by_id = {s.camera_id: s for s in self.servers}
        for f in sorted(faults, key=lambda f: f.at_s):
            while not self._stopped.is_set() and self.clock.now() < f.at_s:
                self._stopped.wait(min(0.1, max(0.0, (f.at_s - self.clock.now()) / self.speed)))
            server = by_id.get(f.target)
            if self._stopped.is_set() or server is None:
                continue
            if f.kind == "kill":
                server.kill(f.duration_s / self.speed)
            else:
                server.set_fault(f.kind, f.duration_s / self.speed)

    def urls(self) -> dict[str, str]:
        """Camera id -> MJPEG URL (/video), the address an agent's camera config takes."""
        return {s.camera_id: s.video_url for s in self.servers}

    def thermal_urls(self) -> dict[str, str]:
        """Thermal imager id -> tcp:// URL of its Y16 stream, the address an agent's ``[thermals.<id>]`` takes."""
        return {s.thermal_id: s.url for s in self.thermal_servers}

    def radar_targets(self) -> dict[str, str]:
        """Radar id -> udp://host:port its ASTERIX datagrams go to (the agent's listen address)."""
        return {
            rid: f"udp://{r.link.addr[0]}:{r.link.addr[1]}"
            for rid, r in self.radars.items()
            if isinstance(r.link, UdpLink)
        }

    def rtsp_urls(self) -> dict[str, str]:
        """Camera id -> RTSP URL; empty when the site serves MJPEG only (rtsp_base_port None)."""
        return {s.camera_id: s.rtsp_url for s in self.servers if s.rtsp_url}

    def write_truth(self, path: str | Path) -> int:
        """Write the ground truth as JSON lines; returns how many crossings. After start(), records carry UTC ``ts``."""
        records = full_truth(self.scenario, self.world, self.clock)
        write_jsonl(path, records)
        n = sum(r["kind"] == "crossing" for r in records)
        log.info("ground truth written path=%s crossings=%d records=%d", path, n, len(records))
        return n

    def stop(self) -> None:
        """Stop every camera server: ports and client connections close; faults not yet played are dropped."""
        self._stopped.set()
        for s in self.servers:
            s.stop()
        for t in self.thermal_servers:
            t.stop()
        for r in self.radars.values():
            r.stop()
