"""Radar readers: one thread per radar reading a serial port (pyserial: NMEA, TI) or a UDP socket
(ASTERIX), decoding as bytes arrive, handing frames over through a drop-oldest queue.

Never crashes on the link: a port that cannot be opened, or vanishes (a USB-serial adapter pulled),
is closed and reopened with paced, capped back-off (``edge/sensors/health.py``), counted as a stall
and a reconnect. The line is watched: no valid frame for ``offline_after_s`` raises
``sensor_offline`` with the reason (``silent``, ``device_lost``, ``open_failed``); bytes arriving but
no valid frame for ``garbage_after_s`` is logged as a suspected wrong baud rate and becomes the
offline reason ``wrong_baud``. Rejected frames (checksum, length, malformed) are the reader's
``skipped_fps``; the framer's counters are in ``counters()``.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from borderwatch.edge.sensors.frame import Frame
from borderwatch.edge.sensors.health import Backoff, EventWindow, LinkFigures, ReaderStats, StateChange, quality_grade
from borderwatch.edge.sensors.queues import DropOldestQueue, drain
from borderwatch.edge.sensors.radar.config import RadarConfig
from borderwatch.edge.sensors.radar.decoder import StreamDecoder
from borderwatch.edge.sensors.radar.records import LinkCounters

log = logging.getLogger("borderwatch.radar.reader")
_READ_TIMEOUT_S = 0.05
_GARBAGE_MIN_BYTES = 64


class Transport(Protocol):
    """A byte source: ``read`` returns what arrived within ``timeout`` (b"" if nothing); raises OSError when gone."""

    def read(self) -> bytes: ...

    def close(self) -> None: ...


class SerialTransport:
    """A serial port (a real tty, a USB adapter, or a pseudo-terminal) at the configured speed, 8N1."""

    def __init__(self, device: str, baud: int) -> None:
        import serial  # pyserial: only radars on serial links need it

        self._error = serial.SerialException
        self.port = serial.Serial(device, baud, timeout=_READ_TIMEOUT_S)

    def read(self) -> bytes:
        try:
            return bytes(self.port.read(max(1, self.port.in_waiting)))
        except self._error as exc:  # readiness without data: the device went away
            raise OSError(str(exc)) from exc

    def close(self) -> None:
        self.port.close()


class UdpTransport:
    """One UDP socket; a read is one datagram (ASTERIX blocks never span datagrams)."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.settimeout(_READ_TIMEOUT_S)

    def read(self) -> bytes:
        try:
            return self.sock.recv(65535)
        except TimeoutError:
            return b""

    def close(self) -> None:
        self.sock.close()


def open_transport(cfg: RadarConfig) -> Transport:
    """The link ``cfg`` names (raises OSError, or pyserial's error, when it cannot be opened)."""
    if cfg.protocol == "asterix":
        return UdpTransport(cfg.listen_host, cfg.listen_port)
    assert cfg.device is not None  # the config model requires it for serial protocols
    return SerialTransport(cfg.device, cfg.serial_baud)


TransportFactory = Callable[[RadarConfig], Transport]


class RadarReader:
    """Owns the read thread of one radar; the radar's worker calls ``get`` and ``pop_changes``."""

    def __init__(self, sensor_id: str, cfg: RadarConfig, factory: TransportFactory = open_transport) -> None:
        self.sensor_id, self.cfg, self.factory = sensor_id, cfg, factory
        self.frames: DropOldestQueue[Frame] = DropOldestQueue(cfg.queue_size)
        self.changes: deque[StateChange] = deque(maxlen=64)
        self.backoff = Backoff(cfg.link.backoff_initial_s, cfg.link.backoff_max_s)
        self.received, self.rejected = EventWindow(5.0), EventWindow(5.0)
        self.reconnects, self.stalls = EventWindow(3600.0), EventWindow(3600.0)
        self.decoder = StreamDecoder(cfg.protocol, cfg.link.batch_s)
        self.state: bool | None = None
        self.suspect_baud = False
        self.last_frame = time.time()
        self._garbage_bytes = 0
        self._lost, self._loss_reason = False, ""
        self._index = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"radar-reader-{sensor_id}", daemon=True)

    @property
    def lossless(self) -> bool:
        return False  # a live link: nothing waits for the worker

    @property
    def online(self) -> bool:
        return self.state is True

    def start(self) -> None:
        self._thread.start()

    def signal_stop(self) -> None:
        self._stop.set()

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout if timeout is not None else 5.0)

    def get(self, timeout: float) -> Frame | None:
        return self.frames.get(timeout)

    def pop_changes(self) -> list[StateChange]:
        return drain(self.changes)

    def counters(self) -> LinkCounters:
        """What the framer counted since start (bytes, dropped bytes, frames, rejections)."""
        return self.decoder.counters

    def stats(self) -> ReaderStats:
        rate = self.received.rate()
        fig = LinkFigures(self.online, rate, max(rate, 1e-3), self.reconnects.count(), self.stalls.count())
        return ReaderStats(
            self.online, rate, rate, self.rejected.rate(), self.frames.dropped,
            fig.reconnects_1h, fig.stalls_1h, "C" if self.suspect_baud and self.online else quality_grade(fig),
        )  # fmt: skip

    # --- the read thread --------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                link = self.factory(self.cfg)
            except (OSError, ValueError) as exc:  # pyserial's SerialException is an OSError
                log.warning("radar open failed sensor=%s error=%s", self.sensor_id, exc)
                self._lose("open_failed")
                self._pause(self.backoff.next())
                continue
            try:
                self._pump(link)
            except OSError as exc:
                self.stalls.add()
                log.warning("radar link lost sensor=%s error=%s", self.sensor_id, exc)
                self._lose("device_lost")
            finally:
                link.close()
            if not self._stop.is_set():
                self._pause(self.backoff.next())

    def _pump(self, link: Transport) -> None:
        while not self._stop.is_set():
            data = link.read()
            now = time.time()
            before = self.decoder.counters
            scans = self.decoder.feed(data, now) if data else self.decoder.flush(now)
            after = self.decoder.counters
            bad = (after.checksum_failures + after.length_errors + after.malformed) - (
                before.checksum_failures + before.length_errors + before.malformed
            )
            if bad:
                self.rejected.add(bad)
            if after.frames > before.frames:
                self._garbage_bytes = 0
                self._alive(now)
            else:
                self._garbage_bytes += len(data)
            for scan in scans:
                self.frames.put(Frame(self.sensor_id, now, self._index, scan))  # type: ignore[arg-type]
                self._index += 1
                self.received.add()
            self._watch(now)

    def _watch(self, now: float) -> None:
        """Silence and garbage checks, each reported once per episode."""
        quiet = now - self.last_frame
        if quiet >= self.cfg.link.garbage_after_s and self._garbage_bytes >= _GARBAGE_MIN_BYTES:
            if not self.suspect_baud:
                self.suspect_baud = True
                c = self.decoder.counters
                log.warning(
                    "radar sends only garbage sensor=%s seconds=%.1f baud=%d dropped_bytes=%d checksum_failures=%d "
                    "length_errors=%d: check the baud rate",
                    self.sensor_id, quiet, self.cfg.serial_baud, c.dropped_bytes, c.checksum_failures, c.length_errors,
                )  # fmt: skip
            self._lose("wrong_baud")
        elif quiet >= self.cfg.link.offline_after_s:
            self._lose("garbage" if self._garbage_bytes >= _GARBAGE_MIN_BYTES else "silent")

    def _alive(self, now: float) -> None:
        self.last_frame = now
        self.suspect_baud = False
        if self._lost:
            self.reconnects.add()
            log.info("radar data back sensor=%s", self.sensor_id)
            self._lost = False
        self.backoff.reset()
        if self.state is not True:
            self.state = True
            self.changes.append(StateChange(True, now, "frames"))

    def _lose(self, reason: str) -> None:
        if not self._lost or reason == "wrong_baud":
            self._loss_reason = reason
        self._lost = True
        now = time.time()
        if self.state is not False and now - self.last_frame >= self.cfg.link.offline_after_s:
            self.state = False
            self.changes.append(StateChange(False, now, self._loss_reason))
            log.warning("radar offline sensor=%s reason=%s", self.sensor_id, self._loss_reason)

    def _pause(self, seconds: float) -> None:
        end = time.time() + seconds
        while not self._stop.is_set() and time.time() < end:
            self._stop.wait(min(0.25, max(0.0, end - time.time())))
            self._lose(self._loss_reason or "silent")
