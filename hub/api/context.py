"""What the routers need from the running hub, handed over as one dependency.

Why a dependency instead of app attributes: handlers declare what they use, and tests build
the app around a context of real stores in a temporary directory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from borderwatch.contract import Event
from borderwatch.hub.agents import AgentRegistry
from borderwatch.hub.alerts.store import SqliteAlertStore
from borderwatch.hub.api.tokens import TokenStore
from borderwatch.hub.evidence.store import EvidenceStore
from borderwatch.hub.store.base import SensorCount


class EventQuery(Protocol):
    """The read side of the event store the API uses."""

    def events(
        self,
        since: datetime | None = None,
        limit: int = 100,
        kind: str | None = None,
        agent: str | None = None,
    ) -> Sequence[Event]: ...

    def counts_by_sensor(self) -> Sequence[SensorCount]: ...


@dataclass(frozen=True)
class HubContext:
    hub_id: str
    alerts: SqliteAlertStore
    events: EventQuery
    agents: AgentRegistry
    stats: Callable[[], dict[str, Any]]
    evidence: EvidenceStore | None = None
    tokens: TokenStore | None = None  # None: every route but /health answers 401


def get_context() -> HubContext:
    """Replaced in create_app through dependency_overrides."""
    raise RuntimeError("hub context not configured")
