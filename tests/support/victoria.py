"""Real HTTP peers for the InfluxStore tests: a VictoriaMetrics process and a scriptable proxy.

The proxy is a real HTTP server in front of VictoriaMetrics that fails the first requests in
a chosen way (503 + Retry-After, 413 on big bodies, 400 on a poison line, dropped
connections, 401) and forwards the rest, so the writer is exercised over real sockets.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.waits import free_port

VM_BINARY = shutil.which("victoria-metrics")


@dataclass
class VictoriaMetrics:
    url: str
    proc: subprocess.Popen[bytes]

    def flush(self) -> None:
        urllib.request.urlopen(f"{self.url}/internal/force_flush", timeout=10).read()

    def settle(self, timeout_s: float = 30.0) -> None:
        """Make every acknowledged write visible to export. VictoriaMetrics 1.79 holds inserted rows
        in a pending buffer and flushes its parts and index about every second; force_flush alone
        does not cover that. Wait until its counters say every inserted row reached storage, then
        one flush period, then force a flush."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            m = self.metrics()
            inserted = sum(v for k, v in m.items() if k.startswith("vm_rows_inserted_total"))
            pending = sum(v for k, v in m.items() if k.startswith("vm_pending_rows"))
            if m.get("vm_rows_added_to_storage_total", -1) >= inserted and pending == 0:
                break
            time.sleep(0.2)
        time.sleep(1.2)
        self.flush()

    def metrics(self) -> dict[str, float]:
        """VictoriaMetrics' own /metrics as {name{labels}: value}."""
        text = urllib.request.urlopen(f"{self.url}/metrics", timeout=10).read().decode()
        pairs = (line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
        return {k: float(v) for k, v in pairs}

    def export(self, metric: str) -> list[dict]:
        """Every series of ``metric`` with its raw samples (call :meth:`settle` after writing)."""
        url = f"{self.url}/api/v1/export?match[]={urllib.parse.quote(metric)}"
        body = urllib.request.urlopen(url, timeout=10).read().decode()
        return [json.loads(line) for line in body.splitlines() if line.strip()]

    def samples(self, metric: str) -> int:
        return sum(len(s["values"]) for s in self.export(metric))

    def values(self, metric: str) -> list[float]:
        return sorted(v for s in self.export(metric) for v in s["values"])


@contextlib.contextmanager
def victoria_metrics(data_dir: Path) -> Iterator[VictoriaMetrics]:
    """Start VictoriaMetrics on a free port; dedup at 1 ms makes a replayed point overwrite itself."""
    if VM_BINARY is None:
        pytest.skip("victoria-metrics binary missing: apt-get install -y victoria-metrics (needs root)")
    port = free_port()
    args = [VM_BINARY, "-storageDataPath", str(data_dir), "-httpListenAddr", f"127.0.0.1:{port}",
            "-dedup.minScrapeInterval=1ms", "-loggerLevel=ERROR"]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    vm = VictoriaMetrics(f"http://127.0.0.1:{port}", proc)
    try:
        _wait_healthy(vm)
        yield vm
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_healthy(vm: VictoriaMetrics) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if vm.proc.poll() is not None:
            raise RuntimeError(f"victoria-metrics exited: {vm.proc.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
        with contextlib.suppress(OSError):
            if urllib.request.urlopen(f"{vm.url}/health", timeout=1).read().strip() == b"OK":
                return
        time.sleep(0.1)
    raise RuntimeError("victoria-metrics did not become healthy in 20 s")


# Decides per request: None forwards, else (status, headers) is answered; "drop" closes the socket.
Script = Callable[[int, list[bytes]], tuple[int, dict[str, str]] | str | None]


@dataclass
class Proxy:
    url: str
    requests: int = 0
    encodings: list[str] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)


@contextlib.contextmanager
def scripted_proxy(upstream: str, script: Script) -> Iterator[Proxy]:
    """A real HTTP server in front of ``upstream``; ``script(n, lines)`` may fail request ``n``."""
    port = free_port()
    proxy = Proxy(f"http://127.0.0.1:{port}")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            encoding = self.headers.get("Content-Encoding", "")
            body = gzip.decompress(raw) if encoding == "gzip" else raw
            with lock:
                n = proxy.requests
                proxy.requests += 1
                proxy.encodings.append(encoding)
            action = script(n, body.splitlines())
            if action == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            status, headers = action if isinstance(action, tuple) else _forward(upstream, self, raw)
            proxy.answered.append(status)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()


def _forward(upstream: str, handler: BaseHTTPRequestHandler, raw: bytes) -> tuple[int, dict[str, str]]:
    headers = {k: v for k, v in handler.headers.items() if k.lower() in ("content-encoding", "content-type")}
    req = urllib.request.Request(upstream + handler.path, data=raw, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, {}
    except urllib.error.HTTPError as exc:
        return exc.code, {}
