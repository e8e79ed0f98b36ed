"""Turn SIGINT/SIGTERM into an event, so every process shuts down the same orderly way."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence
from types import FrameType

log = logging.getLogger("borderwatch.process")


def stop_on_signals(signals: Sequence[int] = (signal.SIGINT, signal.SIGTERM)) -> threading.Event:
    """An event set by the first of ``signals``; a second one is ignored while shutting down."""
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        log.info("signal=%s: stopping", signal.Signals(signum).name)
        stop.set()

    for sig in signals:
        signal.signal(sig, handler)
    return stop
