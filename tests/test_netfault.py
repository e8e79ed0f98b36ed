"""The eval's link faults: the partition proxy (bytes flow, a cut holds them and closes nothing, healing
delivers them, a connection made during a cut waits for the heal, a closed upstream closes the client) and
the agent's skewed clock (its wall clock only, in its process only)."""

from __future__ import annotations

import os
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from borderwatch.deploy.eval_faults import LinkFaults
from borderwatch.deploy.eval_run import LIBRARY
from borderwatch.deploy.netfault import PartitionProxy
from borderwatch.simulators.scenario import load_scenario
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


def test_link_faults_route_the_agent_through_the_proxy_and_skew_only_its_clock() -> None:
    scn = load_scenario(LIBRARY / "link-faults.toml")
    link = LinkFaults(scn, broker_port=1)
    try:
        assert link.agent_port == link.proxy.port and not link.proxy.partitioned
        env = link.agent_env()
        assert env["BW_EVAL_CLOCK_SKEW_S"] == "+20.000" and env["PYTHONPATH"].split(os.pathsep)[0].endswith("skew")
        link.begin("partition")
        assert link.proxy.partitioned
        link.end("partition")
        assert not link.proxy.partitioned
    finally:
        link.close()
    plain = LinkFaults(load_scenario(LIBRARY / "person-day.toml"), broker_port=1)
    assert plain.agent_port is None and plain.agent_env() == {}


def test_the_skewed_clock_is_the_agents_wall_clock() -> None:
    env = LinkFaults(load_scenario(LIBRARY / "link-faults.toml"), broker_port=1)
    try:
        code = (
            "import threading, time; from borderwatch.contract.common import utc_now; "
            "t = time.monotonic(); threading.Event().wait(0.2); time.sleep(0.1); "
            "print(time.time(), utc_now().timestamp(), time.monotonic() - t)"
        )
        out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env.agent_env()},
                             capture_output=True, text=True, timeout=30, check=True)  # fmt: skip
        wall, contract_now, waited = (float(x) for x in out.stdout.split())
        assert 19.0 < wall - time.time() < 21.0 and 19.0 < contract_now - time.time() < 21.0
        assert 0.25 < waited < 5.0  # timeouts stay true: the monotonic clock is not skewed
    finally:
        env.close()
