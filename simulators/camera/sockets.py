"""Closing a socket the way a dead camera does: both directions shut at once, then closed."""

from __future__ import annotations

import contextlib
import socket


def hard_close(sock: socket.socket) -> None:
    """Shut down and close; the peer sees the connection drop at once (no lingering half-close)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
