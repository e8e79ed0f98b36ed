"""Waiting in tests: poll a condition against a deadline (never a fixed sleep), free ports."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from borderwatch.deploy.procs import free_port

__all__ = ["free_port", "listening", "wait_port", "wait_until"]


def wait_until(pred: Callable[[], object], timeout: float, what: str = "condition", every: float = 0.05) -> None:
    """Poll ``pred`` until it is truthy; a clear AssertionError naming ``what`` once ``timeout`` passes.

    Fixed sleeps race under load (two cores shared by several runs); a deadline only costs time when
    something is really wrong."""
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


def listening(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections on ``host:port`` right now."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_port(port: int, timeout: float = 10.0, up: bool = True) -> None:
    """Block until something listens on ``port`` (or, with ``up=False``, nothing does)."""
    wait_until(lambda: listening(port) == up, timeout, f"port {port} to come {'up' if up else 'down'}")
