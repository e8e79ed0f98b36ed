"""Whether ingest is healthy, and if not, why: what ``/health`` reports.

Why a small tracker: the worker knows when the store is down, when it refused a message and how
long received messages have waited; the API thread only reads the verdict. Degraded means an
operator should look: the store is down (nothing is acknowledged, agents buffer), the store
refused messages recently (they are in the dead letters), or ingest lags behind the broker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


class IngestHealth:
    """Written by the ingest worker, read by the API (a lock around a few fields)."""

    def __init__(self, lag_s: float, hold_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._lag_s = lag_s
        self._hold_s = hold_s
        self._clock = clock
        self._lock = threading.Lock()
        self._down: str | None = None
        self._refused_at: float | None = None
        self._refused_reason = ""
        self._refused_n = 0
        self._busy_since: float | None = None
        self._idle_since = clock()

    def store_down(self, error: str) -> None:
        """A round failed because the store is unreachable or broken; kept until :meth:`store_ok`."""
        with self._lock:
            self._down = error

    def store_ok(self) -> None:
        """A round was written: the store is back."""
        with self._lock:
            self._down = None

    def refused(self, n: int, reason: str) -> None:
        """The store refused ``n`` messages (dead-lettered with ``reason``)."""
        with self._lock:
            self._refused_at, self._refused_reason = self._clock(), reason
            self._refused_n += n

    def round_started(self) -> None:
        """The worker took messages off the queue; lag counts from here until :meth:`round_ended`."""
        with self._lock:
            self._busy_since = self._clock()

    def round_ended(self) -> None:
        """The round is durable and acknowledged."""
        with self._lock:
            self._busy_since = None
            self._idle_since = self._clock()

    def report(self, queued: int) -> dict[str, Any]:
        """``{"status": "ok" | "degraded", "reasons": [...]}``; ``queued`` = messages waiting."""
        now = self._clock()
        reasons: list[str] = []
        with self._lock:
            if self._down is not None:
                reasons.append(f"store down: {self._down}")
            if self._refused_at is not None and now - self._refused_at <= self._hold_s:
                reasons.append(
                    f"store refused {self._refused_n} message(s), last {now - self._refused_at:.0f}s ago "
                    f"(reason {self._refused_reason}; see dead letters)"
                )
            waiting = now - (self._busy_since if self._busy_since is not None else self._idle_since)
            if (self._busy_since is not None or queued) and waiting > self._lag_s:
                reasons.append(f"ingest lags: a round has waited {waiting:.0f}s (queue {queued})")
        return {"status": "degraded" if reasons else "ok", "reasons": reasons}
