"""The alert lifecycle as a pure state machine: pending -> firing -> acknowledged -> resolved.

Time is passed in (hub clock, epoch seconds), never read here. Rules of the machine:
- pending fires once its evidence has spanned the rule's ``for_s`` and the rule's other
  conditions hold (``ready``: a group of N has N tracks); a pending alert whose evidence stops
  (or whose condition clears: an agent back before the debounce) expires without paging anyone;
- firing and acknowledged alerts resolve by an operator, by their clearing condition, or after
  ``resolve_after_s`` without evidence when the rule auto-resolves;
- a firing alert nobody acknowledged is notified again every ``renotify_s``;
- resolved is final: new evidence opens a new alert, never reopens an old one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from borderwatch.contract import AlertState

_OPEN = (AlertState.PENDING, AlertState.FIRING, AlertState.ACKNOWLEDGED)


class Reason(StrEnum):
    """Why an alert changed; notifiers page on the ``NOTIFY`` ones."""

    OPENED = "opened"
    EVIDENCE = "evidence"
    FIRED = "fired"
    RENOTIFY = "renotify"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    AUTO_RESOLVED = "auto_resolved"
    EXPIRED = "expired"
    COMMENT = "comment"
    SILENCED = "silenced"
    UPGRADED = "upgraded"  # a radar cue confirmed by an imager: severity rose
    CROSSED = "crossed"  # someone already alerted on (a person in distress) crossed a line: the alert says which way


NOTIFY = frozenset(
    {
        Reason.FIRED,
        Reason.UPGRADED,
        Reason.CROSSED,
        Reason.RENOTIFY,
        Reason.ACKNOWLEDGED,
        Reason.RESOLVED,
        Reason.AUTO_RESOLVED,
    }
)


class TransitionError(ValueError):
    """An operator action the alert's state does not allow (acknowledging a resolved alert)."""


@dataclass(frozen=True, slots=True)
class Timing:
    """The rule's and the lifecycle's durations, in seconds."""

    for_s: float = 0.0
    resolve_after_s: float = 120.0
    renotify_s: float = 900.0
    auto_resolve: bool = True


@dataclass(frozen=True, slots=True)
class Life:
    """Where an alert is in its lifecycle; times are hub-clock epoch seconds."""

    state: AlertState
    opened_at: float
    last_evidence_at: float
    fired_at: float | None = None
    notified_at: float | None = None
    resolved_at: float | None = None
    acked_by: str | None = None

    @property
    def is_open(self) -> bool:
        """Pending, firing or acknowledged."""
        return self.state in _OPEN


def open_life(now: float) -> Life:
    """A new alert: pending, its first evidence at ``now``."""
    return Life(AlertState.PENDING, now, now)


def on_evidence(life: Life, now: float) -> Life:
    """New evidence keeps an open alert alive; a resolved one is left alone (the caller opens anew)."""
    return replace(life, last_evidence_at=max(life.last_evidence_at, now)) if life.is_open else life


def advance(life: Life, now: float, t: Timing, ready: bool = True) -> tuple[Life, Reason | None]:
    """The time-driven transition due at ``now``, if any (at most one per call)."""
    quiet = now - life.last_evidence_at
    if life.state is AlertState.PENDING:
        if quiet >= t.resolve_after_s:
            return replace(life, state=AlertState.RESOLVED, resolved_at=now), Reason.EXPIRED
        if ready and life.last_evidence_at - life.opened_at >= t.for_s:
            return replace(life, state=AlertState.FIRING, fired_at=now, notified_at=now), Reason.FIRED
        return life, None
    if not life.is_open:
        return life, None
    if t.auto_resolve and quiet >= t.resolve_after_s:
        return replace(life, state=AlertState.RESOLVED, resolved_at=now), Reason.AUTO_RESOLVED
    notified = life.notified_at if life.notified_at is not None else now
    if life.state is AlertState.FIRING and now - notified >= t.renotify_s:
        return replace(life, notified_at=now), Reason.RENOTIFY
    return life, None


def clear(life: Life, now: float) -> tuple[Life, Reason | None]:
    """The alert's condition cleared (agent back, sensor online): pending expires, open resolves."""
    if life.state is AlertState.PENDING:
        return replace(life, state=AlertState.RESOLVED, resolved_at=now), Reason.EXPIRED
    if life.is_open:
        return replace(life, state=AlertState.RESOLVED, resolved_at=now), Reason.AUTO_RESOLVED
    return life, None


def acknowledge(life: Life, who: str) -> Life:
    """An operator takes a firing alert; TransitionError from any other state."""
    if life.state is not AlertState.FIRING:
        raise TransitionError(f"only a firing alert can be acknowledged; this one is {life.state.value}")
    return replace(life, state=AlertState.ACKNOWLEDGED, acked_by=who)


def resolve(life: Life, now: float) -> Life:
    """An operator closes an open alert; TransitionError if it is resolved already."""
    if not life.is_open:
        raise TransitionError("the alert is resolved already")
    return replace(life, state=AlertState.RESOLVED, resolved_at=now)
