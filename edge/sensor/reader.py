"""The plumbing every sensor reader shares: one capture thread, a drop-oldest hand-off, and link watch.

Why one base: each kind (camera, thermal, radar, and the test toy) reads its own source and parses
its own frames, but the rest was the same code four times — starting and stopping the thread, the
bounded drop-oldest queue the sensor worker ``get``s from, the state changes it ``pop_changes``,
the paced, capped back-off between reconnects, and the online/offline bookkeeping (a loss is
reported once it lasts ``offline_after_s``, recovery at the first good frame). A kind subclasses
``SensorReader``, implements ``_run`` (its read loop) and, where it wants its own log lines,
``_log_recovered`` / ``_log_offline``. Nothing here knows what a frame holds.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from borderwatch.edge.sensors.frame import Frame
from borderwatch.edge.sensors.health import (
    Backoff,
    EventWindow,
    Grade,
    LinkFigures,
    ReaderStats,
    StateChange,
    quality_grade,
)
from borderwatch.edge.sensors.queues import DropOldestQueue, drain

log = logging.getLogger("borderwatch.sensor.reader")


@dataclass(frozen=True, slots=True)
class LinkTiming:
    """How long a loss lasts before it is reported, the back-off bounds, and how long ``stop`` waits."""

    offline_after_s: float = math.inf
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0
    join_timeout_s: float = 5.0


class Watchdog(Protocol):
    """A kind's stall and reconnect settings (the camera's ``[watchdog]`` section; thermal reuses it)."""

    @property
    def offline_after_s(self) -> float: ...
    @property
    def backoff_initial_s(self) -> float: ...
    @property
    def backoff_max_s(self) -> float: ...
    @property
    def stall_timeout_s(self) -> float: ...


def watchdog_timing(w: Watchdog) -> LinkTiming:
    """The timing a ``[watchdog]`` section asks for; ``stop`` outlasts a read blocked on a dead source."""
    return LinkTiming(w.offline_after_s, w.backoff_initial_s, w.backoff_max_s, w.stall_timeout_s + 2)


class SensorReader:
    """Owns one sensor's reader thread; the sensor worker calls ``get``, ``pop_changes`` and ``stats``."""

    def __init__(
        self,
        sensor_id: str,
        thread_name: str,
        queue_size: int,
        timing: LinkTiming = LinkTiming(),
        changes_kept: int = 64,
    ) -> None:
        self.sensor_id = sensor_id
        self.frames: DropOldestQueue[Frame] = DropOldestQueue(queue_size)
        self.changes: deque[StateChange] = deque(maxlen=changes_kept)
        self.backoff = Backoff(timing.backoff_initial_s, timing.backoff_max_s)
        self.reconnects, self.stalls = EventWindow(3600.0), EventWindow(3600.0)
        self.state: bool | None = None  # None until the first frame or the first loss
        self.last_frame = time.time()
        self.offline_after_s = timing.offline_after_s
        self._join_timeout_s = timing.join_timeout_s
        self._lost = False
        self._loss_reason = ""
        self._index = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=thread_name, daemon=True)

    # --- what the sensor worker calls ---------------------------------------------------------
    @property
    def lossless(self) -> bool:
        """A live source by default: frames may go stale and be dropped; replays override this."""
        return False

    @property
    def online(self) -> bool:
        """True only once frames flow; False both before the first frame and after a loss."""
        return self.state is True

    def start(self) -> None:
        """Start the reader thread; frames then arrive through ``get`` and state changes through ``pop_changes``."""
        self._thread.start()

    def signal_stop(self) -> None:
        """Ask the thread to end (returns at once; ``stop`` joins)."""
        self._stop.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stop and join; the kind's default wait outlasts a read blocked on a dead source."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout if timeout is not None else self._join_timeout_s)

    def get(self, timeout: float) -> Frame | None:
        """The oldest frame still queued (older ones were dropped under load), or None after ``timeout`` seconds."""
        return self.frames.get(timeout)

    def pop_changes(self) -> list[StateChange]:
        """Lost/back changes since the last call, oldest first (only the newest few are kept if nobody asks)."""
        return drain(self.changes)

    def _link_stats(self, source_fps: float, taken_fps: float, expected_fps: float, skipped_fps: float) -> ReaderStats:
        """Rates as the kind measures them, with stalls and reconnects over the last hour and the grade they earn."""
        fig = LinkFigures(self.online, taken_fps, expected_fps, self.reconnects.count(), self.stalls.count())
        grade: Grade = quality_grade(fig)
        return ReaderStats(
            self.online, source_fps, fig.fps, skipped_fps, self.frames.dropped, fig.reconnects_1h, fig.stalls_1h, grade
        )

    # --- the reader thread --------------------------------------------------------------------
    def _run(self) -> None:
        raise NotImplementedError

    def _hand_over(self, data: object, ts: float, wait: bool = False) -> bool:
        """Queue the next frame; ``wait`` (lossless) blocks for space rather than dropping. False if stopped."""
        if wait:
            while not self.frames.wait_for_space(0.2):
                if self._stop.is_set():
                    return False
        self.frames.put(Frame(self.sensor_id, ts, self._index, data))  # type: ignore[arg-type]
        self._index += 1
        return True

    def _set_state(self, online: bool, ts: float, reason: str) -> None:
        self.state = online
        self.changes.append(StateChange(online, ts, reason))

    def _alive(self, now: float) -> None:
        """A good frame: the link is up, a pending outage counts as a reconnect, back-off starts short again."""
        self.last_frame = now
        if self._lost:
            self.reconnects.add()
            self._log_recovered()
            self._lost = False
        self.backoff.reset()
        if self.state is not True:
            self._set_state(True, now, "frames")

    def _lose(self, reason: str) -> None:
        """The link is down; the first reason of an outage is the one reported."""
        if not self._lost:
            self._loss_reason = reason
        self._lost = True
        self._check_offline()

    def _check_offline(self) -> None:
        now = time.time()
        if self.state is not False and now - self.last_frame >= self.offline_after_s:
            self._set_state(False, now, self._loss_reason)
            self._log_offline(self._loss_reason)

    def _retry_later(self, reason: str, stalled: bool = True) -> None:
        """After a failed open or a dropped link: count the stall, mark the loss, wait out the back-off."""
        if stalled:
            self.stalls.add()
        self._lose(reason)
        self._pause(self.backoff.next())

    def _pause(self, seconds: float) -> None:
        """Back-off wait that keeps checking for loss and wakes at once on stop."""
        end = time.time() + seconds
        while not self._stop.is_set() and time.time() < end:
            self._stop.wait(min(0.25, max(0.0, end - time.time())))
            self._check_offline()

    def _log_recovered(self) -> None:
        log.info("stream recovered sensor=%s attempts=%d", self.sensor_id, self.backoff.attempts)

    def _log_offline(self, reason: str) -> None:
        log.warning("sensor offline sensor=%s reason=%s", self.sensor_id, reason)
