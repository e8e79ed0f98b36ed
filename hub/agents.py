"""The hub's view of its fleet: last status and telemetry per agent, fed by the ingest loop."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from borderwatch.contract import AgentState, AgentStatus, Telemetry
from borderwatch.contract.common import utc_now


@dataclass(frozen=True, slots=True)
class AgentView:
    site: str
    agent: str
    status: AgentStatus | None
    telemetry: Telemetry | None

    @property
    def online(self) -> bool:
        return self.status is not None and self.status.state is AgentState.ONLINE


class AgentRegistry:
    """Thread-safe: written by the ingest worker, read by API handlers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._status: dict[tuple[str, str], AgentStatus] = {}
        self._telemetry: dict[tuple[str, str], Telemetry] = {}

    def on_status(self, status: AgentStatus) -> None:
        with self._lock:
            self._status[(status.site, status.agent)] = status

    def on_telemetry(self, telemetry: Telemetry) -> None:
        with self._lock:
            self._telemetry[(telemetry.site, telemetry.agent)] = telemetry

    def agents(self) -> list[AgentView]:
        with self._lock:
            keys = sorted(set(self._status) | set(self._telemetry))
            return [AgentView(s, a, self._status.get((s, a)), self._telemetry.get((s, a))) for s, a in keys]

    def get(self, site: str, agent: str) -> AgentView | None:
        with self._lock:
            key = (site, agent)
            if key not in self._status and key not in self._telemetry:
                return None
            return AgentView(site, agent, self._status.get(key), self._telemetry.get(key))

    def seen_at(self, site: str, agent: str) -> str | None:
        view = self.get(site, agent)
        if view is None:
            return None
        stamps = [x.ts for x in (view.status, view.telemetry) if x is not None]
        return max(stamps).isoformat() if stamps else utc_now().isoformat()
