"""Events stamped in the hub's time when the mast's own clock is off (no NTP, a drifting RTC).

Why at the agent: the hub orders, groups and ages everything by event time, and refuses events stamped
more than ``max_clock_skew_s`` ahead. A mast whose clock is 20 s fast raised its crossing alerts 20 s
"late"; one 10 minutes fast had every event refused. The agent knows its offset from the hub's delivery
confirmations (edge/link.py), so it stamps new events in hub time and says so in
``attributes.clock_corrected_s``. Pure: the offset comes in as an argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from borderwatch.contract import Event

CORRECTED_ATTRIBUTE = "clock_corrected_s"
MAX_ATTRIBUTES = 32  # contract/events.py: Event.attributes max_length


def in_hub_time(events: Sequence[Event], offset_s: float | None, over_s: float | None) -> list[Event]:
    """``events`` with ``offset_s`` (hub minus ours) added to their time when it exceeds ``over_s``."""
    if offset_s is None or over_s is None or abs(offset_s) <= over_s:
        return list(events)
    shift = timedelta(seconds=offset_s)
    return [ev.model_copy(update={"ts": ev.ts + shift, "attributes": _noted(ev, offset_s)}) for ev in events]


def _noted(ev: Event, offset_s: float) -> dict:
    """The attributes with the correction noted, unless they are full (the contract allows 32)."""
    if len(ev.attributes) >= MAX_ATTRIBUTES and CORRECTED_ATTRIBUTE not in ev.attributes:
        return dict(ev.attributes)
    return {**ev.attributes, CORRECTED_ATTRIBUTE: offset_s}
