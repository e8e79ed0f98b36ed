"""A bounded drop-oldest queue: the consumer always gets the freshest frames, drops are counted.

Why not ``queue.Queue``: under overload a blocking put would make the capture thread lag behind
the camera (latency grows without bound); dropping the oldest keeps latency at most ``maxsize``
frames and turns overload into a visible ``dropped`` figure.
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
        self._items: deque[T] = deque()
        self._cond = threading.Condition()
        self.dropped = 0

    def put(self, item: T) -> int:
        """Add ``item``; returns how many old items were dropped to make room (0 or 1)."""
        with self._cond:
            dropped = 0
            while len(self._items) >= self.maxsize:
                self._items.popleft()
                dropped += 1
            self._items.append(item)
            self.dropped += dropped
            self._cond.notify_all()
            return dropped

    def wait_for_space(self, timeout: float) -> bool:
        """Block until the queue has room (lossless replays); False after ``timeout``."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._items) < self.maxsize, timeout)

    def get(self, timeout: float | None = None) -> T | None:
        """Oldest item still queued, or None after ``timeout`` seconds."""
        with self._cond:
            if not self._items and not self._cond.wait_for(lambda: bool(self._items), timeout):
                return None
            item = self._items.popleft()
            self._cond.notify_all()
            return item

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)

    def clear(self) -> None:
        with self._cond:
            self._items.clear()
