"""Thermal reader: one thread per imager, bad frames counted and skipped, paced reconnects.

The thread reads every frame the source delivers, refuses bad ones (``checks.py``, and the stream
parser's size/magic errors) with a per-reason count and a rate-limited log line, converts the good
ones due at the configured fps to centikelvin (the kind's frame format: (H, W) uint16) and hands them
over through a bounded drop-oldest queue. When frames stop (timeout, closed connection, device gone)
it counts a stall, reconnects with the same paced, capped back-off as cameras
(``edge/sensors/health.py``) and reports the loss as a state change once it lasts
``watchdog.offline_after_s``. Nothing a source sends can end the thread.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

from borderwatch.edge.sensor.reader import SensorReader, watchdog_timing
from borderwatch.edge.sensors.health import EventWindow, ReaderStats
from borderwatch.edge.sensors.thermal.checks import bad_frame_reason
from borderwatch.edge.sensors.thermal.config import ThermalConfig
from borderwatch.edge.sensors.thermal.sources import Source, open_source
from borderwatch.edge.sensors.thermal.stream import U16, StreamError, to_centikelvin

log = logging.getLogger("borderwatch.thermal.reader")
SourceFactory = Callable[[ThermalConfig], Source]
_RATE_WINDOW_S = 5.0
_LOG_EVERY_S = 10.0
_MAX_CLOCK_SKEW_S = 2.0


class ThermalReader(SensorReader):
    """Owns the capture thread of one imager; the sensor worker calls ``get`` and ``pop_changes``."""

    def __init__(self, sensor_id: str, cfg: ThermalConfig, factory: SourceFactory = open_source) -> None:
        super().__init__(sensor_id, f"thermal-reader-{sensor_id}", cfg.queue_size, watchdog_timing(cfg.watchdog))
        self.cfg, self.factory = cfg, factory
        self.received, self.taken, self.skipped = (EventWindow(_RATE_WINDOW_S) for _ in range(3))
        self.bad: Counter[str] = Counter()
        self._previous: U16 | None = None
        self._previous_counter: int | None = None
        self._next_due = 0.0
        self._last_bad_log = 0.0

    def stats(self) -> ReaderStats:
        """Rates over the last few seconds, stalls and reconnects over the last hour, and the grade they earn."""
        return self._link_stats(self.received.rate(), self.taken.rate(), self.cfg.fps, self.skipped.rate())

    # --- the capture thread -------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                source = self.factory(self.cfg)
            except OSError as exc:
                log.debug("open failed sensor=%s error=%s", self.sensor_id, exc)
                self._retry_later("open_failed", stalled=False)
                continue
            try:
                reason = self._pump(source)
            except (OSError, EOFError) as exc:  # timeout, reset, closed, device gone
                reason = "stall"
                log.warning("stream stalled sensor=%s error=%s: %s", self.sensor_id, type(exc).__name__, exc)
            finally:
                source.close()
            if reason == "stopped":
                return
            self._retry_later(reason)

    def _pump(self, source: Source) -> str:
        opened = time.time()
        while not self._stop.is_set():
            try:
                header, counts = source.read()
                reason = bad_frame_reason(
                    counts, header.counter, self._previous, self._previous_counter, self.cfg.bad_frames
                )
                self._previous, self._previous_counter = counts, header.counter
            except StreamError as exc:
                reason = exc.reason
            now = time.time()
            if reason is not None:  # only good frames keep the link alive: endless garbage is a stall
                self._refuse(reason)
                if now - max(self.last_frame, opened) > self.cfg.watchdog.stall_timeout_s:
                    return "bad_frames"
                continue
            self._alive(now)
            ts = header.ts if abs(header.ts - now) < _MAX_CLOCK_SKEW_S else now
            if ts < self._next_due - 0.25 / self.cfg.fps:
                self.skipped.add()
                continue
            self._next_due = max(self._next_due + 1.0 / self.cfg.fps, ts)
            r = self.cfg.radiometry
            ck = to_centikelvin(counts, header.format, r.raw_gain_k, r.raw_offset_k)
            self._hand_over(ck, ts)
            self.taken.add()
        return "stopped"

    def _refuse(self, reason: str) -> None:
        self.bad[reason] += 1
        self.skipped.add()
        now = time.monotonic()
        if now - self._last_bad_log >= _LOG_EVERY_S:
            self._last_bad_log = now
            log.warning("bad frames skipped sensor=%s last=%s counts=%s", self.sensor_id, reason, dict(self.bad))

    def _alive(self, now: float) -> None:
        self.received.add()
        super()._alive(now)

    def _lose(self, reason: str) -> None:
        if not self._lost:  # a new outage: the next frame has no predecessor to compare with
            self._previous, self._previous_counter = None, None
        super()._lose(reason)

    def _log_offline(self, reason: str) -> None:
        log.warning("thermal video lost sensor=%s reason=%s", self.sensor_id, reason)
