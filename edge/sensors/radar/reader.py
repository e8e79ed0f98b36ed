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
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from borderwatch.edge.sensor.reader import LinkTiming, SensorReader
from borderwatch.edge.sensors.health import EventWindow, ReaderStats
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


class RadarReader(SensorReader):
    """Owns the read thread of one radar; the radar's worker calls ``get`` and ``pop_changes``."""

    def __init__(self, sensor_id: str, cfg: RadarConfig, factory: TransportFactory = open_transport) -> None:
        link = cfg.link
        timing = LinkTiming(link.offline_after_s, link.backoff_initial_s, link.backoff_max_s)
        super().__init__(sensor_id, f"radar-reader-{sensor_id}", cfg.queue_size, timing)
        self.cfg, self.factory = cfg, factory
        self.received, self.rejected = EventWindow(5.0), EventWindow(5.0)
        self.decoder = StreamDecoder(cfg.protocol, cfg.link.batch_s, cfg.noise_dbm)
        self.suspect_baud = False
        self._garbage_bytes = 0

    def counters(self) -> LinkCounters:
        """What the framer counted since start (bytes, dropped bytes, frames, rejections)."""
        return self.decoder.counters

    def stats(self) -> ReaderStats:
        """A radar has no nominal rate: it is graded on what it delivers, and a suspected wrong baud caps it at C."""
        rate = self.received.rate()
        stats = self._link_stats(rate, rate, max(rate, 1e-3), self.rejected.rate())
        return replace(stats, quality="C") if self.suspect_baud and self.online else stats

    # --- the read thread --------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                link = self.factory(self.cfg)
            except (OSError, ValueError) as exc:  # pyserial's SerialException is an OSError
                log.warning("radar open failed sensor=%s error=%s", self.sensor_id, exc)
                self._retry_later("open_failed", stalled=False)
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
                self._hand_over(scan, now)
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
        self.suspect_baud = False
        super()._alive(now)

    def _lose(self, reason: str) -> None:
        if reason == "wrong_baud":  # found out later in an outage, and the more useful reason
            self._loss_reason = reason
        super()._lose(reason)

    def _log_recovered(self) -> None:
        log.info("radar data back sensor=%s", self.sensor_id)

    def _log_offline(self, reason: str) -> None:
        log.warning("radar offline sensor=%s reason=%s", self.sensor_id, reason)
