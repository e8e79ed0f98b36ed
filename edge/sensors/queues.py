"""A bounded drop-oldest queue: the consumer always gets the freshest frames, drops are counted.

Why not ``queue.Queue``: under overload a blocking put would make the capture thread lag behind
the camera (latency grows without bound); dropping the oldest keeps latency at most ``maxsize``
frames and turns overload into a visible ``dropped`` figure. Lossless replays instead wait for
room (``wait_for_space``), refilling only once the queue has drained to half, so producer and
consumer wake each other once per half queue rather than once per frame.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class DropOldestQueue(Generic[T]):
    """Thread-safe; one or more producers, one or more consumers."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be >= 1, got {maxsize}")
        self.maxsize = maxsize
        self.low_water = maxsize // 2 if maxsize > 1 else 0
        self._items: deque[T] = deque()
        self._lock = threading.Lock()
        self._not_empty = threading.Condition(self._lock)
        self._drained = threading.Condition(self._lock)
        self.dropped = 0

    def put(self, item: T) -> int:
        """Add ``item``; returns how many old items were dropped to make room (0 or 1)."""
        with self._lock:
            dropped = 0
            while len(self._items) >= self.maxsize:
                self._items.popleft()
                dropped += 1
            self._items.append(item)
            self.dropped += dropped
            self._not_empty.notify()
            return dropped

    def wait_for_space(self, timeout: float) -> bool:
        """Block while the queue is full, until it drained to half; False after ``timeout``."""
        with self._lock:
            if len(self._items) < self.maxsize:
                return True
            return self._drained.wait_for(lambda: len(self._items) <= self.low_water, timeout)

    def get(self, timeout: float | None = None) -> T | None:
        """Oldest item still queued, or None after ``timeout`` seconds."""
        with self._lock:
            if not self._items and not self._not_empty.wait_for(lambda: bool(self._items), timeout):
                return None
            item = self._items.popleft()
            if len(self._items) <= self.low_water:
                self._drained.notify_all()
            return item

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def clear(self) -> None:
        """Discard everything queued (not counted as dropped) and wake a producer waiting for space."""
        with self._lock:
            self._items.clear()
            self._drained.notify_all()


def drain(items: deque[T]) -> list[T]:
    """Everything in ``items``, oldest first, removed; safe while another thread appends (``popleft``
    until empty is atomic per item, unlike copying then clearing).
    """
    out = []
    while items:
        out.append(items.popleft())
    return out
