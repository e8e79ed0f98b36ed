"""A thermal imager on localhost: the Y16 network stream (docs/thermal-stream.md) over TCP.

Each client gets its own sender thread rendering the world at the imager's fps on the shared clock,
so the agent's real reader (``edge/sensors/thermal``) runs unchanged in CI. Built in: periodic
flat-field freezes (``ffc_frames`` repeats of the last payload every ``ffc_every_s``, the counter
running on, as a Lepton does). Faults for tests and demos (``fault``): ``garbage`` (random bytes
between frames), ``zeros`` (all-zero frames), ``kill`` (every connection closed and new ones refused
until ``fault`` is set back to ``none``).
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import numpy as np

from borderwatch.edge.sensors.thermal.stream import from_centikelvin, pack_frame
from borderwatch.simulators.camera.server import SimClock
from borderwatch.simulators.camera.sockets import hard_close
from borderwatch.simulators.thermal.render import ThermalRenderer

log = logging.getLogger("borderwatch.sim.thermal")
FAULTS = ("none", "garbage", "zeros", "kill")


class ThermalServer:
    """Serves one imager; ``start`` listens, ``stop`` closes everything."""

    def __init__(self, renderer: ThermalRenderer, clock: SimClock, host: str = "127.0.0.1", port: int = 0) -> None:
        self.renderer, self.clock, self.host = renderer, clock, host
        self.spec = renderer.spec
        self.fault = "none"
        self.port = port
        self._listener: socket.socket | None = None
        self._clients: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._rng = np.random.default_rng(renderer.scenario.seed)

    @property
    def thermal_id(self) -> str:
        return self.spec.id

    @property
    def url(self) -> str:
        """The address an agent's ``[thermals.<id>] url`` takes."""
        return f"tcp://{self.host}:{self.port}"

    def start(self) -> ThermalServer:
        """Listen (port 0 = any free port) and accept clients in a thread."""
        self._listen()
        threading.Thread(target=self._accept, name=f"sim-thermal-{self.spec.id}", daemon=True).start()
        log.info("thermal imager serving id=%s url=%s", self.spec.id, self.url)
        return self

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(8)
        sock.settimeout(0.2)
        self.port = sock.getsockname()[1]
        self._listener = sock

    def set_fault(self, fault: str) -> None:
        """Apply a fault (``FAULTS``); ``kill`` drops every client and refuses new ones until cleared."""
        if fault not in FAULTS:
            raise ValueError(f"unknown thermal fault {fault!r} (known: {', '.join(FAULTS)})")
        self.fault = fault
        if fault == "kill":
            self._close_all()

    def _accept(self) -> None:
        while not self._stop.is_set():
            listener = self._listener
            if listener is None:
                self._stop.wait(0.1)
                if self.fault != "kill" and not self._stop.is_set():
                    self._listen()
                continue
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                continue
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._clients.add(conn)
            threading.Thread(target=self._send, args=(conn,), daemon=True).start()

    def _send(self, conn: socket.socket) -> None:
        spec, period = self.spec, 1.0 / self.spec.fps
        counter, last, next_t = 0, None, time.monotonic()
        try:
            while not self._stop.is_set() and self.fault != "kill":
                counter += 1
                last = self._counts(self.clock.now(), last)
                payload = pack_frame(last, spec.format, time.time(), counter)
                if self.fault == "garbage":
                    conn.sendall(self._rng.bytes(int(self._rng.integers(1, 4000))))
                conn.sendall(payload)
                next_t += period
                self._stop.wait(max(0.0, next_t - time.monotonic()))
        except OSError:
            pass
        finally:
            with self._lock:
                self._clients.discard(conn)
            hard_close(conn)

    def _counts(self, t: float, last: np.ndarray | None) -> np.ndarray:
        """The Y16 counts sent at scenario time ``t`` (``last``: the previous ones, for freezes)."""
        spec = self.spec
        if self.fault == "zeros":
            return np.zeros((spec.height, spec.width), np.uint16)
        if last is not None and spec.ffc_every_s > 0 and (t % spec.ffc_every_s) < spec.ffc_frames / spec.fps:
            return last  # shutter closed for flat-field correction: the last picture again
        return from_centikelvin(self.renderer.render(t).ck, spec.format)

    def _close_all(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients), set()
            listener, self._listener = self._listener, None
        for conn in clients:
            hard_close(conn)
        if listener is not None:
            listener.close()

    def stop(self) -> None:
        """Close the listener and every connection."""
        self._stop.set()
        self._close_all()
