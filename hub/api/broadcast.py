"""Fan-out of live messages from the hub's threads to SSE clients on uvicorn's event loop.

Each client has a bounded queue; a client too slow to keep up loses messages (counted, and told
by a ``lagged`` event) instead of holding the hub back.
"""

from __future__ import annotations

import asyncio
import threading

from fastapi import HTTPException


class Client:
    """One SSE connection: the kinds it asked for and its queue on the server's loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, kinds: frozenset[str], size: int) -> None:
        self.loop, self.kinds = loop, kinds
        self.queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue(size)
        self.lagged = 0

    def offer(self, item: tuple[str, str]) -> None:  # runs on the server's loop
        """Queue one message, or count it lost when the queue is full."""
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.lagged += 1


class Broadcaster:
    """Thread-safe fan-out from the hub's threads to the SSE clients on uvicorn's event loop."""

    def __init__(self, queue_max: int = 1000, max_clients: int = 64) -> None:
        self._clients: set[Client] = set()
        self._lock = threading.Lock()
        self.queue_max, self.max_clients = queue_max, max_clients
        self.published = 0
        self.dropped = 0

    def publish(self, kind: str, data: str) -> None:
        """Hand one message (JSON text) to every client that asked for ``kind``."""
        with self._lock:
            clients = [c for c in self._clients if kind in c.kinds]
            self.published += 1
        for c in clients:
            try:
                c.loop.call_soon_threadsafe(c.offer, (kind, data))
            except RuntimeError:  # the client's loop is closed: it is going away
                self.dropped += 1

    def clients(self) -> int:
        """How many clients are connected."""
        with self._lock:
            return len(self._clients)

    def join(self, kinds: frozenset[str]) -> Client:
        """Register a client on the running loop (503 beyond ``max_clients``)."""
        with self._lock:
            if len(self._clients) >= self.max_clients:
                raise HTTPException(503, f"too many stream clients (max {self.max_clients})")
            c = Client(asyncio.get_running_loop(), kinds, self.queue_max)
            self._clients.add(c)
            return c

    def leave(self, c: Client) -> None:
        """Unregister a client; its lost messages count as dropped."""
        with self._lock:
            self._clients.discard(c)
            self.dropped += c.lagged
