"""The eval's partition proxy: bytes flow, a cut holds them (nothing is closed), healing delivers them, a
connection made during a cut waits for the heal, and a closed upstream closes the client."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from borderwatch.deploy.netfault import PartitionProxy
from tests.support.waits import wait_until


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(4096):
            self.request.sendall(data)


@pytest.fixture
def echo() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(echo: socketserver.ThreadingTCPServer) -> Iterator[PartitionProxy]:
    p = PartitionProxy(echo.server_address[1]).start()
    yield p
    p.stop()


def _client(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.settimeout(0.3)
    return s


def _received(s: socket.socket) -> bytes:
    try:
        return s.recv(4096)
    except TimeoutError:
        return b""


def test_bytes_flow_until_cut_and_arrive_once_healed(proxy: PartitionProxy) -> None:
    with _client(proxy.port) as c:
        c.sendall(b"hello")
        wait_until(lambda: _received(c) == b"hello", 5, "the echo through the proxy")
        proxy.cut()
        c.sendall(b"during")  # accepted by the kernel: the sender cannot tell a partition from a slow link
        assert _received(c) == b""
        assert _received(c) == b""
        proxy.heal()
        wait_until(lambda: _received(c) == b"during", 5, "the held bytes after the heal")


def test_a_connection_made_during_a_cut_goes_through_after_the_heal(proxy: PartitionProxy) -> None:
    proxy.cut()
    with _client(proxy.port) as c:
        c.sendall(b"late")
        assert _received(c) == b""
        proxy.heal()
        wait_until(lambda: _received(c) == b"late", 5, "the connection carried after the heal")
    assert proxy.connections == 1


def test_an_upstream_that_is_gone_closes_the_client(echo: socketserver.ThreadingTCPServer) -> None:
    port = echo.server_address[1]
    echo.shutdown()
    echo.server_close()
    p = PartitionProxy(port).start()
    try:
        with _client(p.port) as c:
            c.settimeout(5)
            assert c.recv(10) == b""  # closed: the agent sees its broker as down, as without a proxy
    finally:
        p.stop()
