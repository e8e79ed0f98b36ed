"""A wall clock offset by N seconds inside one Python process: the eval's clock-skew fault on an agent.

Why not libfaketime: preloaded into CPython 3.11 it breaks timed waits (``Event.wait(0.5)`` never
returned with the monotonic clock faked; ``time.sleep`` failed with EINVAL without), so the agent would
not be the agent. The skew a mast without NTP has is in its wall clock only: ``time.time`` and
``datetime.now`` here; ``time.monotonic`` and every timeout stay true. ``install`` must run before the
code under test is imported (the eval starts the agent with ``deploy/skew`` first on PYTHONPATH, whose
``sitecustomize`` calls it when ``BW_EVAL_CLOCK_SKEW_S`` is set).
"""

from __future__ import annotations

import datetime as _dt
import time
from pathlib import Path

ENV = "BW_EVAL_CLOCK_SKEW_S"
SITE_DIR = Path(__file__).resolve().parent / "skew"  # holds the sitecustomize that calls install()


def install(offset_s: float) -> None:
    """Offset this process's wall clock by ``offset_s`` (time.time, time.time_ns, datetime.now/utcnow/today)."""
    real_time, real_ns = time.time, time.time_ns
    shift = _dt.timedelta(seconds=offset_s)
    base = _dt.datetime

    def skewed_time() -> float:
        return real_time() + offset_s

    def skewed_ns() -> int:
        return real_ns() + int(offset_s * 1e9)

    class SkewedDatetime(base):
        """datetime whose clock readings are offset (instances are plain datetimes in every other way)."""

        @classmethod
        def now(cls, tz: _dt.tzinfo | None = None) -> _dt.datetime:  # type: ignore[override]
            return base.now(tz) + shift

        @classmethod
        def utcnow(cls) -> _dt.datetime:  # type: ignore[override]
            return base.now(_dt.UTC).replace(tzinfo=None) + shift

        @classmethod
        def today(cls) -> _dt.datetime:  # type: ignore[override]
            return base.now() + shift

    time.time, time.time_ns = skewed_time, skewed_ns  # type: ignore[assignment]
    _dt.datetime = SkewedDatetime  # type: ignore[misc]
