"""What the engine tracks per open alert and what it tells its hooks about each change.

Why apart from the engine: hooks (live stream, webhooks, retained MQTT state) only need
:class:`AlertChange`; the engine's parts (health, operators, the shared store) only need
:class:`Tracked` and its rendering to the contract's Alert.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from borderwatch.contract import Alert, AlertState, EventKind
from borderwatch.hub.alerts import lifecycle as lc
from borderwatch.hub.alerts.fusion import Situation
from borderwatch.hub.alerts.lifecycle import Life, Reason, Timing
from borderwatch.hub.alerts.shared import life_json


@dataclass(frozen=True, slots=True)
class AlertChange:
    """One change of one alert, as hooks receive it."""

    alert: Alert
    previous: AlertState | None
    reason: Reason

    @property
    def notify(self) -> bool:
        """Whether notifiers page on it (watchers see every change)."""
        return self.reason in lc.NOTIFY and not self.alert.silenced


Hook = Callable[[AlertChange], None]


@dataclass(slots=True)
class Tracked:
    """An open alert in the engine: its evidence (situation), lifecycle clock and rule settings."""

    sit: Situation
    life: Life
    timing: Timing
    min_count: int = 1
    resolve_on: frozenset[EventKind] = frozenset()
    health: str | None = None  # fingerprint of a health fact
    silenced: bool = False
    dirty: bool = False  # evidence joined since the store last saw it

    def ready(self) -> bool:
        """The rule's conditions beyond evidence hold (a group of N has N tracks)."""
        return self.min_count <= 1 or self.sit.group_size() >= self.min_count

    def render(self, now: datetime) -> Alert:
        """The contract's Alert: the situation's alert with the lifecycle's state and times."""

        def when(v: float | None) -> datetime | None:
            return datetime.fromtimestamp(v, UTC) if v is not None else None

        return self.sit.alert.model_copy(update={
            "state": self.life.state, "fired_at": when(self.life.fired_at), "resolved_at": when(self.life.resolved_at),
            "acked_by": self.life.acked_by, "updated_at": now, "silenced": self.silenced})  # fmt: skip


Change = tuple[Tracked, AlertState | None, Reason]
"""An alert, its state before the change, and why it changed (what the engine commits)."""


def lives(xs: Sequence[Tracked]) -> dict[str, str]:
    """Lifecycle clocks as JSON by alert id (stored beside the alerts for other instances)."""
    return {x.sit.alert.id: life_json(x.life) for x in xs}
