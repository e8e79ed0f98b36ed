"""A TCP proxy between agent and broker that the test can partition.

A partition is silent, like a cut cable: bytes in both directions are read and thrown away, so
neither end sees an error until its MQTT keep-alive gives up; connections attempted during the
partition hang the same way. Healing closes those dead connections and forwards new ones again.
One selector thread: no per-connection threads, CPU-light.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading


class PartitionProxy:
    def __init__(self, upstream_port: int, host: str = "127.0.0.1") -> None:
        self._upstream = (host, upstream_port)
        self._listen = socket.create_server((host, 0))
        self._listen.setblocking(False)
        self.port = int(self._listen.getsockname()[1])
        self._sel = selectors.DefaultSelector()
        self._peer: dict[socket.socket, socket.socket | None] = {}
        self._dead: set[socket.socket] = set()
        self._partitioned = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="partition-proxy", daemon=True)

    def start(self) -> PartitionProxy:
        self._sel.register(self._listen, selectors.EVENT_READ)
        self._thread.start()
        return self

    def partition(self) -> None:
        with self._lock:
            self._partitioned = True
            self._dead.update(self._peer)

    def heal(self) -> None:
        with self._lock:
            self._partitioned = False
            for s in list(self._dead):
                self._close(s)
            self._dead.clear()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for s in list(self._peer):
            self._close(s)
        self._listen.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._sel.select(timeout=0.2):
                with self._lock:
                    if key.fileobj is self._listen:
                        self._accept()
                    else:
                        self._pump(key.fileobj)  # type: ignore[arg-type]

    def _accept(self) -> None:
        client, _ = self._listen.accept()
        if self._partitioned:
            self._add(client, None)
            self._dead.add(client)
            return
        try:
            upstream = socket.create_connection(self._upstream, timeout=2)
        except OSError:
            client.close()
            return
        self._add(client, upstream)
        self._add(upstream, client)

    def _add(self, s: socket.socket, peer: socket.socket | None) -> None:
        s.setblocking(False)
        self._peer[s] = peer
        self._sel.register(s, selectors.EVENT_READ)

    def _pump(self, s: socket.socket) -> None:
        try:
            data = s.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close(s)
            return
        peer = self._peer.get(s)
        if s in self._dead or peer is None:
            return  # partitioned: the bytes vanish
        try:
            peer.settimeout(5.0)
            peer.sendall(data)
            peer.setblocking(False)
        except OSError:
            self._close(s)

    def _close(self, s: socket.socket) -> None:
        peer = self._peer.pop(s, None)
        self._dead.discard(s)
        with contextlib.suppress(KeyError, ValueError):
            self._sel.unregister(s)
        s.close()
        if peer is not None and peer in self._peer:
            self._close(peer)
