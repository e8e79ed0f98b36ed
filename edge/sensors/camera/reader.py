"""Camera reader: one capture thread per camera, a drop-oldest queue, and a watchdog.

The thread grabs every frame the source delivers (so the stream never lags), decodes only the
frames due at the configured fps, and hands them over through a bounded drop-oldest queue; every
skipped or dropped frame is counted. When frames stop (``grab`` fails or times out) it counts a
stall, reconnects with paced, capped back-off, counts the reconnect once frames flow again, and
reports video loss / recovery as state changes the camera worker turns into events. Files play
at their own frame rate (``realtime``) or, for replays, losslessly as fast as they are consumed.
"""

from __future__ import annotations

import logging
import time

import cv2

from borderwatch.edge.sensor.reader import SensorReader, watchdog_timing
from borderwatch.edge.sensors.camera.capture import Capture, CaptureFactory, classify, open_capture
from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.edge.sensors.health import EventWindow, ReaderStats

log = logging.getLogger("borderwatch.camera.reader")
_RATE_WINDOW_S = 5.0


class CameraReader(SensorReader):
    """Owns the capture thread of one camera; the camera worker calls ``get`` and ``pop_changes``."""

    def __init__(self, camera_id: str, cfg: CameraConfig, capture_factory: CaptureFactory = open_capture) -> None:
        super().__init__(camera_id, f"cam-reader-{camera_id}", cfg.queue_size, watchdog_timing(cfg.watchdog))
        self.camera_id, self.cfg, self.factory = camera_id, cfg, capture_factory
        self.source = classify(cfg.url)
        self.grabbed, self.taken, self.skipped = (EventWindow(_RATE_WINDOW_S) for _ in range(3))
        self.ended = False
        self._clip_time: float | None = None

    @property
    def lossless(self) -> bool:
        """A file replayed frame by frame (``realtime`` off): nothing is dropped, nothing goes stale."""
        return self.source.kind == "file" and not self.cfg.realtime

    def stats(self) -> ReaderStats:
        """Rates over the last few seconds, stalls and reconnects over the last hour, and the grade they earn."""
        return self._link_stats(self.grabbed.rate(), self.taken.rate(), self.cfg.fps, self.skipped.rate())

    # --- the capture thread -------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            cap = self.factory(self.cfg)
            if cap is None:
                self._retry_later("open_failed", stalled=False)
                continue
            try:
                reason = self._pump(cap)
            except cv2.error as exc:  # a decoder error must not kill the thread
                log.warning(
                    "capture error camera=%s source=%s error=%s",
                    self.camera_id,
                    self.source.redacted,
                    type(exc).__name__,
                )
                reason = "error"
            finally:
                cap.release()
            if reason == "stopped" or (reason == "eof" and not self.cfg.loop):
                self._finish(reason)
                return
            if reason != "eof":
                log.warning(
                    "stream stalled camera=%s source=%s reason=%s",
                    self.camera_id,
                    self.source.redacted,
                    reason,
                )
                self._retry_later(reason)

    def _pump(self, cap: Capture) -> str:
        """Read until the stream stops; returns why (stopped, eof, stall)."""
        native = cap.get(cv2.CAP_PROP_FPS)
        native = native if 0 < native < 240 else self.cfg.fps
        period, pace = 1.0 / self.cfg.fps, self.source.kind == "file" and self.cfg.realtime
        lossless = self.lossless
        start, n, next_due = time.time(), 0, 0.0
        if lossless and self._clip_time is not None:  # a looping replay: clip time runs on, never back
            start = self._clip_time
        while not self._stop.is_set():
            if not cap.grab():
                self._clip_time = start + n / native
                return "eof" if self.source.kind == "file" else "stall"
            now = time.time()
            self._alive(now)
            ts = start + n / native if lossless else now
            n += 1
            if lossless or ts >= next_due - 0.25 * period:
                next_due = max(next_due + period, ts) if next_due else ts + period
                self._retrieve(cap, ts, lossless)
            else:
                self.skipped.add()
            if pace:
                self._stop.wait(max(0.0, start + n / native - time.time()))
        return "stopped"

    def _retrieve(self, cap: Capture, ts: float, lossless: bool) -> None:
        ok, image = cap.retrieve()
        if not ok or image is None:
            self.skipped.add()
            return
        if image.ndim == 2:  # monochrome devices: the pipeline speaks BGR
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        if self._hand_over(image, ts, wait=lossless):
            self.taken.add()

    def _alive(self, now: float) -> None:
        self.grabbed.add()
        super()._alive(now)

    def _log_recovered(self) -> None:
        log.info(
            "stream recovered camera=%s source=%s attempts=%d",
            self.camera_id,
            self.source.redacted,
            self.backoff.attempts,
        )

    def _log_offline(self, reason: str) -> None:
        log.warning("video lost camera=%s source=%s reason=%s", self.camera_id, self.source.redacted, reason)

    def _finish(self, reason: str) -> None:
        if reason == "eof":
            self.ended = True
            log.info("file ended camera=%s source=%s", self.camera_id, self.source.redacted)
            if self.state is not False:
                self._set_state(False, time.time(), "eof")
