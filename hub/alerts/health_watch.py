"""The engine's memory of agent health: when each agent last spoke, its last will, its degraded
sensors and lost events; and, with several hub instances, the merge with what the others heard.

Why a class of its own: health is the one input of the engine that is not an event, and the one
whose truth is spread over instances (each hears part of every agent's messages). Alone it keeps
what this hub heard; with a :class:`FleetState` it writes its news at each tick and reads back the
fleet's merged view, so every instance decides on the same facts (no second page after a
failover, no fault one instance cleared kept alive by another).
"""

from __future__ import annotations

from collections.abc import Iterable

from borderwatch.contract import AgentState, AgentStatus, Telemetry
from borderwatch.hub.alerts.config import Health
from borderwatch.hub.alerts.fleet_state import AgentHealth, FleetState
from borderwatch.hub.alerts.health import AgentKey, AgentSeen, agent_faults, loss_fault, seen, sensor_faults
from borderwatch.hub.alerts.health_alerts import HealthFact


class HealthWatch:
    """Agents heard, their sensor and loss faults; not thread-safe (the engine's lock guards it)."""

    def __init__(self, shared: bool = False) -> None:
        self._shared = shared  # with a FleetState: note news for the next sync; alone there is no one to tell
        self.agents: dict[AgentKey, AgentSeen] = {}
        self._sensor_faults: dict[AgentKey, dict[str, str]] = {}
        self._loss_faults: dict[AgentKey, str] = {}
        self._lost: dict[AgentKey, int] = {}  # last events_lost_disk_full heard per agent
        self._telemetry_at: dict[AgentKey, float] = {}
        self._news: dict[AgentKey, AgentHealth] = {}  # what the fleet has not been told yet

    def heard(self, keys: Iterable[AgentKey], t: float) -> None:
        """Messages (events) from ``keys`` at ``t``."""
        for key in keys:
            self.agents[key] = seen(self.agents.get(key), t)
            self._note(key)

    def on_status(self, status: AgentStatus, t: float) -> None:
        """Birth and last will: an offline status starts the agent-offline debounce."""
        key = (status.site, status.agent)
        self.agents[key] = seen(self.agents.get(key), t, offline=status.state is AgentState.OFFLINE)
        self._note(key)

    def on_telemetry(self, telemetry: Telemetry, t: float) -> None:
        """Telemetry proves the agent alive and says which of its sensors are degraded."""
        key = (telemetry.site, telemetry.agent)
        self.agents[key] = seen(self.agents.get(key), t)
        self._sensor_faults[key] = sensor_faults(telemetry)
        # first report since this hub started: its count is the baseline (a restart re-pages nothing)
        fault = loss_fault(telemetry, self._lost.get(key, telemetry.events_lost_disk_full))
        self._lost[key] = telemetry.events_lost_disk_full
        if fault is None:
            self._loss_faults.pop(key, None)
        else:
            self._loss_faults[key] = fault
        self._telemetry_at[key] = t
        self._note(key)

    def restore_offline(self, key: AgentKey, t: float) -> None:
        """An agent-offline alert carried over from before a restart: offline until it speaks."""
        self.agents[key] = AgentSeen(t, t)

    def heard_since(self, key: AgentKey, t: float) -> bool:
        """Whether anything came from the agent after ``t`` (a fault clears only on news)."""
        a = self.agents.get(key)
        return a is not None and a.last_seen > t

    def sites(self) -> set[str]:
        """Sites with an agent heard."""
        return {s for s, _ in self.agents}

    def facts(self, h: Health, t: float) -> dict[str, HealthFact]:
        """The faults holding at ``t``, by fingerprint (the alert's identity across instances)."""
        facts: dict[str, HealthFact] = {}
        if h.agent_offline:
            for (site, agent), why in agent_faults(self.agents, t, h.silence_s).items():
                facts[f"agent-offline:{site}:{agent}"] = HealthFact("agent-offline", site, agent, None, why)
        if h.sensor_degraded:
            for (site, agent), sensors in self._sensor_faults.items():
                for sensor, why in sensors.items():
                    facts[f"sensor-degraded:{site}:{agent}/{sensor}"] = HealthFact("sensor-degraded", site, agent,
                                                                                    sensor, why)  # fmt: skip
        if h.events_lost:
            for (site, agent), why in self._loss_faults.items():
                facts[f"events-lost:{site}:{agent}"] = HealthFact("events-lost", site, agent, None, why)
        return facts

    # -- several instances -------------------------------------------------------------------
    def _note(self, key: AgentKey) -> None:
        if not self._shared:
            return
        a = self.agents[key]
        at = self._telemetry_at.get(key)
        self._news[key] = AgentHealth(
            a.last_seen, a.will_at, at, self._sensor_faults.get(key) if at is not None else None,
            self._loss_faults.get(key), self._lost.get(key) if at is not None else None,
        )  # fmt: skip

    def sync(self, fleet: FleetState, sites: Iterable[str]) -> None:
        """Tell the fleet what this instance heard since the last sync, then take the fleet's merged
        view of ``sites`` as this instance's own (called under the sites' cross-instance lock)."""
        fleet.merge_health(self._news)
        self._news = {}
        for key, h in fleet.health(sites).items():
            self.agents[key] = AgentSeen(h.last_seen, h.offline_will)
            if h.telemetry_at is None:
                continue
            self._telemetry_at[key] = h.telemetry_at
            self._sensor_faults[key] = dict(h.sensor_faults or {})
            if h.lost_count is not None:
                self._lost[key] = h.lost_count
            if h.loss_fault is None:
                self._loss_faults.pop(key, None)
            else:
                self._loss_faults[key] = h.loss_fault
