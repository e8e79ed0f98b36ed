"""Small health instruments shared by sensor readers: rates, hourly counters, back-off, grades, and
the state changes and link figures a reader reports.

Event windows are thread-safe (they only append/pop under a lock); a Backoff belongs to the one
reader thread that waits on it. All are bounded: windows prune themselves so a 24/7 reader never grows.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from borderwatch.runtime.backoff import backoff_s

Grade = Literal["A", "B", "C", "D"]


class EventWindow:
    """Timestamps of events within the last ``window_s`` (counts per hour, rates per few seconds)."""

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = float(window_s)
        self.clock = clock
        self._times: deque[float] = deque()
        self._lock = threading.Lock()
        self.total = 0
        self.created = clock()

    def add(self, n: int = 1) -> None:
        """Record ``n`` events now; ``total`` keeps the lifetime count the window forgets."""
        now = self.clock()
        with self._lock:
            self._times.extend([now] * n)
            self.total += n
            self._prune(now)

    def _prune(self, now: float) -> None:
        cutoff = now - self.window_s
        while self._times and self._times[0] < cutoff:
            self._times.popleft()

    def count(self) -> int:
        """Events within the last ``window_s``, pruning older ones first."""
        with self._lock:
            self._prune(self.clock())
            return len(self._times)

    def rate(self) -> float:
        """Events per second over the window (or over the time since creation, if shorter)."""
        span = min(self.window_s, max(self.clock() - self.created, 1e-3))
        return self.count() / span


class Backoff:
    """Paced, capped, doubling waits between reconnect attempts; reset after a good connection."""

    def __init__(self, initial_s: float, max_s: float) -> None:
        self.initial_s, self.max_s = float(initial_s), float(max_s)
        self.attempts = 0

    def next(self) -> float:
        """The wait before this attempt (``initial_s``, then doubling up to ``max_s``); counts the attempt."""
        wait = backoff_s(self.attempts, self.initial_s, self.max_s)
        self.attempts += 1
        return wait

    def reset(self) -> None:
        """Back to ``initial_s`` once a connection delivered, so the next outage starts with a short wait."""
        self.attempts = 0


@dataclass(frozen=True, slots=True)
class LinkFigures:
    """What the grade is computed from."""

    online: bool
    fps: float
    expected_fps: float
    reconnects_1h: int
    stalls_1h: int


def quality_grade(f: LinkFigures) -> Grade:
    """A good, B minor trouble, C degraded, D unusable (offline or almost no frames).

    Frigate-style: reconnects and stalls per hour and delivered fps against the expected rate.
    """
    if not f.online:
        return "D"
    ratio = f.fps / f.expected_fps if f.expected_fps > 0 else 1.0
    trouble = f.reconnects_1h + f.stalls_1h
    if ratio < 0.3 or trouble > 30:
        return "D"
    if ratio < 0.6 or trouble > 6:
        return "C"
    if ratio < 0.85 or trouble > 0:
        return "B"
    return "A"


@dataclass(frozen=True, slots=True)
class StateChange:
    """Video (or data) lost (``online`` False) or back; ``reason`` is a short code (stall, open_failed, eof)."""

    online: bool
    ts: float
    reason: str


@dataclass(frozen=True, slots=True)
class ReaderStats:
    """A reader's link health for status and telemetry.

    ``source_fps``: what the source delivers, before the reader paces it; ``taken_fps``: what it hands on.
    """

    online: bool
    source_fps: float
    taken_fps: float
    skipped_fps: float
    dropped: int
    reconnects_1h: int
    stalls_1h: int
    quality: Grade
