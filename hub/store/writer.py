"""The hub-owned write path around influxdb-client: bounded buffer, batching thread, retries.

Why not influxdb-client's batching ``WriteApi``: its ``flush()`` does nothing, its buffer is
unbounded, and a batch that exhausts its retries is gone (influxdb-client 1.x). Here every submission
is a ``Future`` that resolves only once its points are on the server (or dead-lettered as
individually unwritable); the ingest loop acknowledges upstream from that. Submissions are
written in FIFO order by one thread, so futures resolve in arrival order (MQTT wants PUBACKs
in order).

Policy:
- batches of up to ``batch_size`` points, a part-filled batch lingers ``flush_interval_ms``;
- 429, 5xx and network errors: exponential back-off with jitter, at least the server's
  Retry-After, until ``retry_budget_s`` is spent; then the submitters get ``StoreError``;
- 413 (too large): split in halves; 400/422 (bad points): bisect down to the bad lines,
  which go to the dead-letter callback; other 4xx (auth, missing bucket): ``StoreError``;
- a full buffer makes submitters wait ``overflow_wait_s``, then ``StoreOverflowError``
  (counted); ``offer`` (fire-and-forget counters) drops and counts at once.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Literal

import urllib3
from influxdb_client.client.exceptions import InfluxDBError

from borderwatch.hub.store.base import StoreError, StoreOverflowError
from borderwatch.runtime.backoff import backoff_s

log = logging.getLogger("borderwatch.store.influx")

Post = Callable[[str, list[str]], None]
"""Sends lines to a bucket; raises InfluxDBError or a network error on failure."""
OnDead = Callable[[str, str, int], None]
"""Receives (bucket, line, HTTP status) of a point the server refuses for good."""

_SPLIT = frozenset({400, 413, 422})


@dataclass(frozen=True, slots=True)
class WriterSettings:
    """The knobs of :class:`BatchWriter` (filled from InfluxStoreConfig)."""

    batch_size: int = 5000
    flush_interval_s: float = 0.01
    max_buffer_points: int = 200_000
    overflow_wait_s: float = 5.0
    retry_initial_s: float = 0.5
    retry_max_s: float = 30.0
    retry_after_max_s: float = 600.0
    retry_budget_s: float = 300.0
    close_timeout_s: float = 10.0


@dataclass
class WriterStats:
    """Counters since start; ``lost`` stays 0 unless points were dead-lettered or overflowed."""

    points_written: int = 0
    batches_written: int = 0
    retries: int = 0
    overflow_points: int = 0
    dead_lettered_points: int = 0
    failed_points: int = 0
    buffered_points: int = 0


@dataclass(slots=True)
class _Ticket:
    bucket: str
    lines: list[str]
    future: Future[int] = field(default_factory=Future)


def classify(exc: BaseException) -> tuple[Literal["retry", "permanent"], int, float | None]:
    """(what to do, HTTP status or 0, Retry-After seconds) for one failed write."""
    if isinstance(exc, InfluxDBError):
        status = int(getattr(exc, "status", 0) or 0)
        retry_after = parse_retry_after(getattr(exc, "retry_after", None))
        if status == 0 or status == 429 or status >= 500:
            return "retry", status, retry_after
        return "permanent", status, None
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError | TimeoutError):
        return "retry", 0, None
    raise exc


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff_delay(attempt: int, s: WriterSettings, retry_after: float | None, rnd: float) -> float:
    """Equal-jitter exponential back-off, never shorter than the server's (capped) Retry-After."""
    base = backoff_s(attempt, s.retry_initial_s, s.retry_max_s)
    delay = base / 2 + rnd * base / 2
    if retry_after is not None:
        delay = max(delay, min(retry_after, s.retry_after_max_s))
    return delay


class BatchWriter:
    """Bounded buffer + one writer thread that batches, retries and resolves futures in order."""

    def __init__(self, post: Post, settings: WriterSettings, on_dead: OnDead) -> None:
        self._post = post
        self._s = settings
        self._on_dead = on_dead
        self._queue: deque[_Ticket] = deque()
        self._cond = threading.Condition()
        self._pending = 0  # queued + in flight, in points
        self._queued = 0  # queued only, in points
        self._closing = False
        self._abort = threading.Event()
        self._stats = WriterStats()
        self._thread = threading.Thread(target=self._run, name="influx-writer", daemon=True)
        self._thread.start()

    # -- producer side --------------------------------------------------------------------------

    def submit(self, bucket: str, lines: list[str]) -> Future[int]:
        """Queue lines; the future resolves to the number written once they are on the server.

        Done-callbacks run on the writer thread in submission order: keep them short (an MQTT ack).
        """
        ticket = _Ticket(bucket, lines)
        if not lines:
            ticket.future.set_result(0)
            return ticket.future
        with self._cond:
            if not self._cond.wait_for(lambda: self._has_room(len(lines)), self._s.overflow_wait_s):
                self._stats.overflow_points += len(lines)
                raise StoreOverflowError(f"write buffer full ({self._pending} points) for {self._s.overflow_wait_s}s")
            self._enqueue(ticket)
        return ticket.future

    def offer(self, bucket: str, lines: list[str]) -> bool:
        """Queue without waiting (counters nobody acks on); a full buffer drops and counts them."""
        with self._cond:
            if not self._has_room(len(lines)):
                self._stats.overflow_points += len(lines)
                return False
            self._enqueue(_Ticket(bucket, lines))
        return True

    def _has_room(self, n: int) -> bool:
        if self._closing:
            raise StoreError("store is closed")
        return self._pending == 0 or self._pending + n <= self._s.max_buffer_points

    def _enqueue(self, ticket: _Ticket) -> None:
        self._queue.append(ticket)
        self._pending += len(ticket.lines)
        self._queued += len(ticket.lines)
        # Wake the writer only when it has something to do: a first ticket to linger on, or a
        # full batch. A wake-up per submission cost the ingest thread GIL hand-overs for nothing.
        if len(self._queue) == 1 or self._queued >= self._s.batch_size:
            self._cond.notify_all()

    def stats(self) -> WriterStats:
        with self._cond:
            return WriterStats(**{**self._stats.__dict__, "buffered_points": self._pending})

    def close(self) -> None:
        """Drain what is queued for up to ``close_timeout_s``; then fail the rest (nothing was acked)."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(self._s.close_timeout_s)
        if self._thread.is_alive():
            self._abort.set()
            self._thread.join(self._s.close_timeout_s)

    # -- writer thread --------------------------------------------------------------------------

    def _run(self) -> None:
        while (tickets := self._take()) is not None:
            try:
                self._write_group(tickets)
            except Exception as exc:
                error = exc if isinstance(exc, StoreError) else StoreError(f"write failed: {exc!r}")
                self._resolve(tickets, error)
            else:
                self._resolve(tickets, None)

    def _take(self) -> list[_Ticket] | None:
        with self._cond:
            self._cond.wait_for(lambda: self._queue or self._closing)
            if not self._queue:
                return None
            deadline = time.monotonic() + self._s.flush_interval_s
            while self._queued_points() < self._s.batch_size and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0 or not self._cond.wait(left):
                    break
            return self._pop_batch()

    def _queued_points(self) -> int:
        return self._queued

    def _pop_batch(self) -> list[_Ticket]:
        taken = [self._queue.popleft()]
        points = len(taken[0].lines)
        while self._queue and points + len(self._queue[0].lines) <= self._s.batch_size:
            taken.append(self._queue.popleft())
            points += len(taken[-1].lines)
        self._queued -= points
        return taken

    def _write_group(self, tickets: list[_Ticket]) -> None:
        by_bucket: dict[str, list[str]] = {}
        for t in tickets:
            by_bucket.setdefault(t.bucket, []).extend(t.lines)
        for bucket, lines in by_bucket.items():
            for i in range(0, len(lines), self._s.batch_size):
                self._deliver(bucket, lines[i : i + self._s.batch_size])

    def _resolve(self, tickets: list[_Ticket], error: StoreError | None) -> None:
        with self._cond:
            self._pending -= sum(len(t.lines) for t in tickets)
            if error is not None:
                self._stats.failed_points += sum(len(t.lines) for t in tickets)
            self._cond.notify_all()
        for t in tickets:
            if error is None:
                t.future.set_result(len(t.lines))
            else:
                t.future.set_exception(error)

    def _deliver(self, bucket: str, lines: list[str]) -> None:
        status = self._post_with_retry(bucket, lines)
        if status is None:
            return
        if status not in _SPLIT:
            raise StoreError(f"server refused the write: HTTP {status} bucket={bucket} (check token/bucket/org)")
        if len(lines) == 1:
            log.error("point refused for good status=%d bucket=%s; dead-lettered", status, bucket)
            self._on_dead(bucket, lines[0], status)
            with self._cond:
                self._stats.dead_lettered_points += 1
            return
        mid = len(lines) // 2
        self._deliver(bucket, lines[:mid])
        self._deliver(bucket, lines[mid:])

    def _post_with_retry(self, bucket: str, lines: list[str]) -> int | None:
        """None when written; the HTTP status of a permanent refusal; StoreError when out of budget."""
        start, attempt = time.monotonic(), 0
        while True:
            try:
                self._post(bucket, lines)
            except Exception as exc:
                kind, status, retry_after = classify(exc)
                if kind == "permanent":
                    return status
                delay = backoff_delay(attempt, self._s, retry_after, random.random())
                if time.monotonic() - start + delay > self._s.retry_budget_s:
                    raise StoreError(f"write still failing after {attempt + 1} attempts: {exc!r}") from exc
                log.warning(
                    "write failed status=%d attempt=%d retry_in_s=%.2f points=%d",
                    *(status, attempt + 1, delay, len(lines)),
                )
                with self._cond:
                    self._stats.retries += 1
                if self._abort.wait(delay):
                    raise StoreError("store closed while retrying") from exc
                attempt += 1
                continue
            with self._cond:
                self._stats.points_written += len(lines)
                self._stats.batches_written += 1
            return None
