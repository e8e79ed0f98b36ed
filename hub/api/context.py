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
from borderwatch.hub.alerts.base import AlertStore
from borderwatch.hub.alerts.config import AlertsConfig
from borderwatch.hub.alerts.engine import AlertEngine
from borderwatch.hub.api.broadcast import Broadcaster
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
    ) -> Sequence[Event]:
        """Stored events, newest first, filtered."""

    def counts_by_sensor(self) -> Sequence[SensorCount]:
        """How many events each sensor delivered."""


@dataclass(frozen=True)
class HubContext:
    """The running hub's parts the routers use; optional ones answer 503/404 when absent."""

    hub_id: str
    alerts: AlertStore
    events: EventQuery
    agents: AgentRegistry
    stats: Callable[[], dict[str, Any]]
    evidence: EvidenceStore | None = None
    tokens: TokenStore | None = None  # None: every route but /health answers 401
    engine: AlertEngine | None = None  # None: alert changes answer 503
    stream: Broadcaster | None = None  # None: /api/v1/stream answers 503
    reload_rules: Callable[[str], AlertsConfig] | None = None  # who -> rules in force (ConfigError: refused)
    metrics: Callable[[], str] | None = None  # Prometheus text of the running hub
    metrics_token_sha256: str | None = None  # the scrape token's hash (api.metrics_token_file)
    cap_sender: str = "borderwatch@hub"  # CAP <sender> of exported alerts (notify.cap_sender)


def get_context() -> HubContext:
    """Replaced in create_app through dependency_overrides."""
    raise RuntimeError("hub context not configured")
