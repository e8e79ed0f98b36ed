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
import threading
import time
from collections import Counter, deque
from collections.abc import Callable

from borderwatch.edge.sensors.frame import Frame
from borderwatch.edge.sensors.health import Backoff, EventWindow, LinkFigures, ReaderStats, StateChange, quality_grade
from borderwatch.edge.sensors.queues import DropOldestQueue, drain
from borderwatch.edge.sensors.thermal.checks import bad_frame_reason
from borderwatch.edge.sensors.thermal.config import ThermalConfig
from borderwatch.edge.sensors.thermal.sources import Source, open_source
from borderwatch.edge.sensors.thermal.stream import U16, StreamError, to_centikelvin

log = logging.getLogger("borderwatch.thermal.reader")
SourceFactory = Callable[[ThermalConfig], Source]
_RATE_WINDOW_S = 5.0
_LOG_EVERY_S = 10.0
_MAX_CLOCK_SKEW_S = 2.0


class ThermalReader:
    """Owns the capture thread of one imager; the sensor worker calls ``get`` and ``pop_changes``."""

    def __init__(self, sensor_id: str, cfg: ThermalConfig, factory: SourceFactory = open_source) -> None:
        self.sensor_id, self.cfg, self.factory = sensor_id, cfg, factory
        self.frames: DropOldestQueue[Frame] = DropOldestQueue(cfg.queue_size)
        self.changes: deque[StateChange] = deque(maxlen=64)
        self.backoff = Backoff(cfg.watchdog.backoff_initial_s, cfg.watchdog.backoff_max_s)
        self.received, self.taken, self.skipped = (EventWindow(_RATE_WINDOW_S) for _ in range(3))
        self.reconnects, self.stalls = EventWindow(3600.0), EventWindow(3600.0)
        self.bad: Counter[str] = Counter()
        self.state: bool | None = None
        self.last_frame = time.time()
        self._lost = False
        self._loss_reason = ""
        self._previous: U16 | None = None
        self._previous_counter: int | None = None
        self._next_due = 0.0
        self._index = 0
        self._last_bad_log = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"thermal-reader-{sensor_id}", daemon=True)

    @property
    def lossless(self) -> bool:
        """A live imager: frames may go stale and be dropped."""
        return False

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
            self._thread.join(timeout if timeout is not None else self.cfg.watchdog.stall_timeout_s + 2)

    def get(self, timeout: float) -> Frame | None:
        return self.frames.get(timeout)

    def pop_changes(self) -> list[StateChange]:
        return drain(self.changes)

    def stats(self) -> ReaderStats:
        fig = LinkFigures(self.online, self.taken.rate(), self.cfg.fps, self.reconnects.count(), self.stalls.count())
        return ReaderStats(
            self.online,
            self.received.rate(),
            fig.fps,
            self.skipped.rate(),
            self.frames.dropped,
            fig.reconnects_1h,
            fig.stalls_1h,
            quality_grade(fig),
        )

    # --- the capture thread -------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                source = self.factory(self.cfg)
            except OSError as exc:
                log.debug("open failed sensor=%s error=%s", self.sensor_id, exc)
                self._lose("open_failed")
                self._pause(self.backoff.next())
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
            self.stalls.add()
            self._lose(reason)
            self._pause(self.backoff.next())

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
            self.frames.put(Frame(self.sensor_id, ts, self._index, ck))
            self._index += 1
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
        self.last_frame = now
        if self._lost:
            self.reconnects.add()
            log.info("stream recovered sensor=%s attempts=%d", self.sensor_id, self.backoff.attempts)
            self._lost = False
        self.backoff.reset()
        if self.state is not True:
            self.state = True
            self.changes.append(StateChange(True, now, "frames"))

    def _lose(self, reason: str) -> None:
        if not self._lost:
            self._loss_reason = reason
            self._previous, self._previous_counter = None, None
        self._lost = True
        self._check_offline()

    def _check_offline(self) -> None:
        now = time.time()
        if self.state is not False and now - self.last_frame >= self.cfg.watchdog.offline_after_s:
            self.state = False
            self.changes.append(StateChange(False, now, self._loss_reason))
            log.warning("thermal video lost sensor=%s reason=%s", self.sensor_id, self._loss_reason)

    def _pause(self, seconds: float) -> None:
        """Back-off wait that keeps checking for loss and wakes at once on stop."""
        end = time.time() + seconds
        while not self._stop.is_set() and time.time() < end:
            self._stop.wait(min(0.25, max(0.0, end - time.time())))
            self._check_offline()
