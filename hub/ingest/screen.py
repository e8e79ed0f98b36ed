"""What the hub accepts after decode: from whom (agent gate) and from when (time window). Pure.

Why after decode: both need state the contract cannot know (the fleet, the hub's clock). Decisions:
- an agent outside the allow-list (or past the cap of learned agents) is dead-lettered as
  ``unknown_agent`` and never reaches the ledger, the registry or a replay request;
- an event stamped more than ``max_clock_skew_s`` ahead of the hub's clock is dead-lettered as
  ``clock_ahead``, one older than ``max_event_age`` as ``too_old``. Rejected, not flagged: a
  flagged event would still sort first in listings, hold alert groups open and escape retention.
  The event's seq still counts as received, so the agent is not asked to replay it for ever.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter

from borderwatch.contract import Event
from borderwatch.hub.ingest.decode import Reason

AgentKey = tuple[str, str]


class AgentGate:
    """Admits the allow-listed agents, or (without a list) learns agents up to a cap."""

    def __init__(self, allowed: frozenset[AgentKey] | None, cap: int, known: Iterable[AgentKey] = ()) -> None:
        self._allowed = allowed
        self._cap = cap
        self._known: set[AgentKey] = set() if allowed is not None else set(known)

    def knows(self, key: AgentKey) -> bool:
        """True when ``key`` is allow-listed or already learned; never learns. For side channels
        (evidence) that must not let a stranger in through the back door, and may be called from
        another thread than ``admit``'s."""
        if self._allowed is not None:
            return key in self._allowed
        return key in self._known

    def admit(self, key: AgentKey) -> bool:
        """True when the hub tracks ``key``; learns it while under the cap."""
        if self._allowed is not None:
            return key in self._allowed
        if key in self._known:
            return True
        if len(self._known) >= self._cap:
            return False
        self._known.add(key)
        return True


_TS = attrgetter("ts")


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Event timestamps the hub accepts: from ``now - max_age`` to ``now + skew``."""

    skew: timedelta
    max_age: timedelta

    def split(self, events: Sequence[Event], now: datetime) -> tuple[list[Event], list[tuple[Event, Reason]]]:
        """(events inside the window, refused events with their reason); order kept."""
        if not events:
            return [], []
        # Bounds in the events' own tzinfo (pydantic-core shares one per offset): comparing aware
        # datetimes whose tzinfo objects differ calls utcoffset() on both sides, which made this
        # check about nine times dearer per event (bench/bench_ingest.py's hub).
        tz = events[0].ts.tzinfo
        latest, earliest = (now + self.skew).astimezone(tz), (now - self.max_age).astimezone(tz)
        stamps = list(map(_TS, events))  # the common case in C loops: every event inside the window
        if earliest <= min(stamps) and max(stamps) <= latest:
            return list(events), []
        good: list[Event] = []
        bad: list[tuple[Event, Reason]] = []
        for ev in events:
            if ev.ts > latest:
                bad.append((ev, Reason.CLOCK_AHEAD))
            elif ev.ts < earliest:
                bad.append((ev, Reason.TOO_OLD))
            else:
                good.append(ev)
        return good, bad
