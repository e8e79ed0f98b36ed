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
import threading
import time
from collections import deque

import cv2

from borderwatch.edge.sensors.camera.capture import Capture, CaptureFactory, classify, open_capture
from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.edge.sensors.frame import Frame
from borderwatch.edge.sensors.health import (
    Backoff,
    EventWindow,
    LinkFigures,
    ReaderStats,
    StateChange,
    quality_grade,
)
from borderwatch.edge.sensors.queues import DropOldestQueue, drain

log = logging.getLogger("borderwatch.camera.reader")
_RATE_WINDOW_S = 5.0


class CameraReader:
    """Owns the capture thread of one camera; the camera worker calls ``get`` and ``pop_changes``."""

    def __init__(self, camera_id: str, cfg: CameraConfig, capture_factory: CaptureFactory = open_capture) -> None:
        self.camera_id, self.cfg, self.factory = camera_id, cfg, capture_factory
        self.source = classify(cfg.url)
        self.frames: DropOldestQueue[Frame] = DropOldestQueue(cfg.queue_size)
        self.changes: deque[StateChange] = deque(maxlen=64)
        self.backoff = Backoff(cfg.watchdog.backoff_initial_s, cfg.watchdog.backoff_max_s)
        self.grabbed, self.taken, self.skipped = (EventWindow(_RATE_WINDOW_S) for _ in range(3))
        self.reconnects, self.stalls = EventWindow(3600.0), EventWindow(3600.0)
        self.state: bool | None = None  # None until the first frame or the first loss
        self.ended = False
        self.last_frame = time.time()
        self._lost = False
        self._loss_reason = ""
        self._clip_time: float | None = None
        self._index = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"cam-reader-{camera_id}", daemon=True)

    def start(self) -> None:
        """Start the capture thread; frames then arrive through ``get`` and state changes through ``pop_changes``."""
        self._thread.start()

    @property
    def lossless(self) -> bool:
        """A file replayed frame by frame (``realtime`` off): nothing is dropped, nothing goes stale."""
        return self.source.kind == "file" and not self.cfg.realtime

    def signal_stop(self) -> None:
        """Ask the thread to end (returns at once; ``stop`` joins)."""
        self._stop.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stop and join; the default wait outlasts a stall timeout, so a ``grab`` blocked on a dead source returns."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout if timeout is not None else self.cfg.watchdog.stall_timeout_s + 2)

    def get(self, timeout: float) -> Frame | None:
        """The oldest frame still queued (older ones were dropped under load), or None after ``timeout`` seconds."""
        return self.frames.get(timeout)

    def pop_changes(self) -> list[StateChange]:
        """Video lost/back changes since the last call, oldest first (only the last 64 are kept if nobody asks)."""
        return drain(self.changes)

    @property
    def online(self) -> bool:
        """True only once frames flow; False both before the first frame and after a loss."""
        return self.state is True

    def stats(self) -> ReaderStats:
        """Rates over the last few seconds, stalls and reconnects over the last hour, and the grade they earn."""
        fig = LinkFigures(self.online, self.taken.rate(), self.cfg.fps, self.reconnects.count(), self.stalls.count())
        return ReaderStats(
            self.online,
            self.grabbed.rate(),
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
            cap = self.factory(self.cfg)
            if cap is None:
                self._lose("open_failed")
                self._pause(self.backoff.next())
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
                self.stalls.add()
                log.warning(
                    "stream stalled camera=%s source=%s reason=%s",
                    self.camera_id,
                    self.source.redacted,
                    reason,
                )
                self._lose(reason)
                self._pause(self.backoff.next())

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
                self._hand_over(cap, ts, lossless)
            else:
                self.skipped.add()
            if pace:
                self._stop.wait(max(0.0, start + n / native - time.time()))
        return "stopped"

    def _hand_over(self, cap: Capture, ts: float, lossless: bool) -> None:
        ok, image = cap.retrieve()
        if not ok or image is None:
            self.skipped.add()
            return
        if image.ndim == 2:  # monochrome devices: the pipeline speaks BGR
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        if lossless:
            while not self.frames.wait_for_space(0.2):
                if self._stop.is_set():
                    return
        self.frames.put(Frame(self.camera_id, ts, self._index, image))
        self._index += 1
        self.taken.add()

    def _alive(self, now: float) -> None:
        self.grabbed.add()
        self.last_frame = now
        if self._lost:
            self.reconnects.add()
            log.info(
                "stream recovered camera=%s source=%s attempts=%d",
                self.camera_id,
                self.source.redacted,
                self.backoff.attempts,
            )
            self._lost = False
        self.backoff.reset()
        if self.state is not True:
            self.state = True
            self.changes.append(StateChange(True, now, "frames"))

    def _lose(self, reason: str) -> None:
        if not self._lost:
            self._loss_reason = reason
        self._lost = True
        self._check_offline()

    def _check_offline(self) -> None:
        reason = self._loss_reason
        now = time.time()
        if self.state is not False and now - self.last_frame >= self.cfg.watchdog.offline_after_s:
            self.state = False
            self.changes.append(StateChange(False, now, reason))
            log.warning("video lost camera=%s source=%s reason=%s", self.camera_id, self.source.redacted, reason)

    def _pause(self, seconds: float) -> None:
        """Back-off wait that keeps checking for video loss and wakes at once on stop."""
        end = time.time() + seconds
        while not self._stop.is_set() and time.time() < end:
            self._stop.wait(min(0.25, max(0.0, end - time.time())))
            self._check_offline()

    def _finish(self, reason: str) -> None:
        if reason == "eof":
            self.ended = True
            log.info("file ended camera=%s source=%s", self.camera_id, self.source.redacted)
            if self.state is not False:
                self.state = False
                self.changes.append(StateChange(False, time.time(), "eof"))
