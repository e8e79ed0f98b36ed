"""A TCP proxy between an agent and its broker that the eval runner can partition and heal.

Why a proxy and not stopping the broker: a network partition is not a restart. Nothing is closed; bytes
stop flowing both ways, new connections get no answer, and each side only finds out through its own
timers (MQTT keep-alive, PUBACK waits). While cut, the proxy reads nothing from either socket, so what the
peers send waits in the kernel's buffers as it would behind a dead radio link, and new connections are
accepted but not carried upstream until the link heals. A side that gave up meanwhile (it closed its
socket) is seen when the link heals, and the other side is closed then too.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading

log = logging.getLogger("borderwatch.eval.netfault")
_CHUNK = 65536
_POLL_S = 0.2


class PartitionProxy:
    """Forwards 127.0.0.1:<port> to an upstream TCP port; ``cut()`` partitions, ``heal()`` restores."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self._upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(_POLL_S)
        self.port: int = self._listener.getsockname()[1]
        self._open = threading.Event()
        self._open.set()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.connections = 0

    @property
    def partitioned(self) -> bool:
        """True while cut."""
        return not self._open.is_set()

    def start(self) -> PartitionProxy:
        """Accept in the background."""
        self._spawn(self._accept_loop, "proxy-accept")
        return self

    def cut(self) -> None:
        """Partition: stop carrying bytes and new connections (nothing is closed)."""
        log.warning("partition: link to port %d cut", self._upstream[1])
        self._open.clear()

    def heal(self) -> None:
        """Restore the link: held connections go upstream, paused ones flow again."""
        log.warning("partition: link to port %d healed", self._upstream[1])
        self._open.set()

    def stop(self) -> None:
        """Close the listener and every carried connection."""
        self._stop.set()
        self._open.set()
        self._listener.close()
        for t in self._threads:
            t.join(2.0)

    def _spawn(self, target: object, name: str, *args: object) -> None:
        t = threading.Thread(target=target, args=args, name=name, daemon=True)  # type: ignore[arg-type]
        t.start()
        self._threads = [x for x in self._threads if x.is_alive()] + [t]

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self._spawn(self._carry, "proxy-pipe", client)

    def _wait_open(self) -> bool:
        """Block while partitioned; False when stopping."""
        while not self._open.wait(_POLL_S):
            if self._stop.is_set():
                return False
        return not self._stop.is_set()

    def _carry(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            if not self._wait_open():  # a connection attempt into a partition gets no answer
                return
            try:
                upstream = socket.create_connection(self._upstream, timeout=5.0)
            except OSError:
                return  # the broker is down: the client sees its connection close
            self._pump(client, upstream)
        finally:
            for s in (client, upstream):
                if s is not None:
                    with contextlib.suppress(OSError):
                        s.close()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peer = {a: b, b: a}
        with selectors.DefaultSelector() as sel:
            sel.register(a, selectors.EVENT_READ)
            sel.register(b, selectors.EVENT_READ)
            while not self._stop.is_set():
                if not self._wait_open():
                    return
                for key, _ in sel.select(_POLL_S):
                    if self.partitioned:
                        break  # cut while waiting: read nothing more
                    src: socket.socket = key.fileobj  # type: ignore[assignment]
                    try:
                        data = src.recv(_CHUNK)
                        if not data:
                            return
                        peer[src].sendall(data)
                    except OSError:
                        return
