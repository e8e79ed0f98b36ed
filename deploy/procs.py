"""Child processes for the demo: each in its own session, logs to a file, always reaped.

Why sessions: a child that starts its own helpers (threads are fine, but e.g. a simulator
spawning servers) is stopped as a whole by signalling its process group, so Ctrl-C or a crash
of the demo never leaves a process behind.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger("borderwatch.demo")


class Child:
    """One supervised ``borderwatch`` subprocess."""

    def __init__(self, name: str, args: list[str], log_dir: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("ab")
        cmd = [sys.executable, "-m", "borderwatch.deploy.cli", *args]
        self.proc = subprocess.Popen(
            cmd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
        log.info("started name=%s pid=%d log=%s", name, self.proc.pid, self.log_path)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout_s: float = 10.0) -> int | None:
        """SIGTERM the group, wait, then SIGKILL; returns the exit code."""
        if self.alive():
            self._signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                log.warning("child did not stop in time name=%s pid=%d: killing", self.name, self.proc.pid)
                self._signal(signal.SIGKILL)
                self.proc.wait(5)
        self._signal(signal.SIGKILL)  # stragglers in the group, if any
        self._log.close()
        return self.proc.returncode

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def wait_port(host: str, port: int, timeout_s: float, child: Child | None = None) -> bool:
    """Poll until something accepts TCP connections on host:port (or the child died)."""
    import socket

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if child is not None and not child.alive():
            return False
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.2)
    return False


def free_port() -> int:
    """A port the OS calls free right now (bound to port 0, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port_run(n: int, tries: int = 50) -> int:
    """A free port whose ``n - 1`` successors are free too (one per simulated sensor server).

    Probed by binding all of them at once, not by connecting: a connect only finds a listener, and
    a port bound but not listening yet (another run starting up) or held by a client would pass.
    """
    import socket

    for _ in range(tries):
        first = free_port()
        if first + n > 65536:
            continue
        with contextlib.ExitStack() as held:
            try:
                for port in range(first + 1, first + n):
                    held.enter_context(socket.socket()).bind(("127.0.0.1", port))
            except OSError:
                continue
            return first
    raise RuntimeError(f"no run of {n} free ports")
