"""Which host names stay on this machine: the one test the broker and the store settings share."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    """Whether ``host`` binds loopback only (``localhost`` or a 127/8 or ::1 address)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_is_loopback(url: str) -> bool:
    """Whether the server of ``url`` (``http://127.0.0.1:8428``, ``http://[::1]:8086``) is this machine."""
    return is_loopback(urlsplit(url).hostname or "")
