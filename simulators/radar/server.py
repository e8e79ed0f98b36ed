"""Serve a simulated radar: every scan rendered from the world, encoded, faults applied, then written
to a pseudo-terminal (NMEA, TI: the agent opens the device path like a real tty) or sent as a UDP
datagram (ASTERIX).

The pty is raw (no line discipline) and written without blocking: when nobody reads, the kernel
buffer fills and the scan is dropped and counted, as a UART would lose it. ``device`` is a symlink
to the pty's slave side so the path stays the same when an ``unplug`` fault replaces the pty.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path

import numpy as np

from borderwatch.simulators.radar.encode import encode_asterix, encode_nmea, encode_ti
from borderwatch.simulators.radar.faults import Fault, apply
from borderwatch.simulators.radar.heatmap import MapGeometry
from borderwatch.simulators.radar.render import RadarRenderer, RadarSpec
from borderwatch.simulators.world import World

log = logging.getLogger("borderwatch.sim.radar")
SCAN_S = {"nmea": 1.0, "ti": 0.1, "asterix": 1.0}


class PtyLink:
    """A raw pseudo-terminal pair behind a fixed path; ``unplug``/``plug`` emulate a USB adapter."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.master = self.slave = -1
        self.dropped = 0
        self.plug()

    def plug(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.path.unlink(missing_ok=True)
        self.path.symlink_to(os.ttyname(self.slave))

    def unplug(self) -> None:
        if self.master < 0:
            return
        self.path.unlink(missing_ok=True)
        os.close(self.master)
        os.close(self.slave)
        self.master = self.slave = -1

    @property
    def plugged(self) -> bool:
        return self.master >= 0

    def send(self, data: bytes) -> None:
        if not data or self.master < 0:
            return
        try:
            os.write(self.master, data)
        except (BlockingIOError, OSError):
            self.dropped += 1

    def close(self) -> None:
        self.unplug()


class UdpLink:
    """Datagrams to one address."""

    def __init__(self, host: str, port: int) -> None:
        self.addr = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.dropped = 0

    def send(self, data: bytes) -> None:
        if data:
            try:
                self.sock.sendto(data, self.addr)
            except OSError:
                self.dropped += 1

    def close(self) -> None:
        self.sock.close()


class RadarSimulator:
    """One radar of a scenario world on its link, on its own thread."""

    def __init__(
        self,
        world: World,
        spec: RadarSpec,
        protocol: str,
        link: PtyLink | UdpLink,
        faults: tuple[Fault, ...] = (),
        speed: float = 1.0,
        loop: bool = False,
        seed: int = 0,
        maps: MapGeometry | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.world, self.spec, self.protocol, self.link = world, spec, protocol, link
        self.faults, self.speed, self.loop, self.maps = faults, float(speed), loop, maps
        self.clock = clock  # scenario seconds from a shared clock (a whole site), else our own from start()
        self.renderer = RadarRenderer(world, spec, seed)
        self.rng = np.random.default_rng([seed, 1])
        self.scans = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sim-radar-{protocol}", daemon=True)

    def start(self) -> RadarSimulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.link.close()

    def scan_bytes(self, t: float, tod: float) -> bytes:
        """The bytes of the scan at scenario time ``t`` (no faults)."""
        plots, truth = self.renderer.plots(t)
        if self.protocol == "ti":
            return encode_ti(plots, self.scans, self.maps, self.rng)
        if self.protocol == "asterix":
            return encode_asterix(plots, self.spec, tod)
        numbers = [int(row) % 99 + 1 for row in truth.rows]
        return encode_nmea(truth, numbers, self.spec, self.world.origin, tod)

    def _run(self) -> None:
        period = SCAN_S[self.protocol]
        t0 = time.time()
        while not self._stop.is_set():
            t = self.clock() if self.clock is not None else (time.time() - t0) * self.speed
            if t > self.world.scenario.duration_s and self.clock is None:  # a site's radar scans on, empty
                if not self.loop:
                    return
                t0 = time.time()
                continue
            active = {f.kind for f in self.faults if f.active(t)}
            if isinstance(self.link, PtyLink):
                if "unplug" in active and self.link.plugged:
                    self.link.unplug()
                elif "unplug" not in active and not self.link.plugged:
                    self.link.plug()
            data = self.scan_bytes(t, time.time() % 86400.0)
            self.link.send(apply(data, active, self.rng))
            self.scans += 1
            self._stop.wait(period / max(self.speed, 1e-3))  # the scan period is scenario time
