"""Routers: health, alerts, agents, events, stats (evidence and tokens have their own modules).

Reading needs a viewer token (added per router in create_app); a route that changes something
names its role in its signature.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from borderwatch.contract import AgentStatus, Alert, AlertState, Event, EventKind, Telemetry
from borderwatch.hub.api.auth import Operator
from borderwatch.hub.api.context import HubContext, get_context
from borderwatch.hub.api.evidence import evidence
from borderwatch.hub.api.token_routes import tokens

Ctx = Annotated[HubContext, Depends(get_context)]
log = logging.getLogger("borderwatch.hub.api")

health = APIRouter(tags=["health"])
alerts = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])
agents = APIRouter(prefix="/api/v1/agents", tags=["agents"])
events = APIRouter(prefix="/api/v1/events", tags=["events"])
stats = APIRouter(prefix="/api/v1/stats", tags=["stats"])


class Health(BaseModel):
    status: str
    hub_id: str


class AgentOut(BaseModel):
    site: str
    agent: str
    online: bool
    status: AgentStatus | None
    telemetry: Telemetry | None


@health.get("/health")
def get_health(ctx: Ctx) -> Health:
    return Health(status="ok", hub_id=ctx.hub_id)


@alerts.get("")
def list_alerts(
    ctx: Ctx, limit: Annotated[int, Query(ge=1, le=1000)] = 100, state: AlertState | None = None
) -> list[Alert]:
    return ctx.alerts.list(limit=limit, state=state)


@alerts.get("/{alert_id}")
def get_alert(ctx: Ctx, alert_id: str) -> Alert:
    alert = ctx.alerts.get(alert_id)
    if alert is None:
        raise HTTPException(404, f"no alert {alert_id}")
    return alert


class AlertStateChange(BaseModel):
    """An operator's decision on an alert (firing is the engine's to set)."""

    state: AlertState = Field(description="acknowledged | resolved")


@alerts.post("/{alert_id}/state")
def set_alert_state(ctx: Ctx, who: Operator, alert_id: str, change: AlertStateChange) -> Alert:
    """Operators acknowledge or resolve; the new state survives later updates of the alert."""
    if change.state is AlertState.FIRING:
        raise HTTPException(422, "an alert is set firing by the alert engine only")
    alert = ctx.alerts.set_state(alert_id, change.state)
    if alert is None:
        raise HTTPException(404, f"no alert {alert_id}")
    log.info("alert state changed id=%s state=%s by=%s", alert_id, change.state.value, who.name)
    return alert


@agents.get("")
def list_agents(ctx: Ctx) -> list[AgentOut]:
    return [
        AgentOut(site=v.site, agent=v.agent, online=v.online, status=v.status, telemetry=v.telemetry)
        for v in ctx.agents.agents()
    ]


@events.get("")
def list_events(
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    since: datetime | None = None,
    kind: EventKind | None = None,
    agent: str | None = None,
) -> list[Event]:
    return list(ctx.events.events(since=since, limit=limit, kind=kind.value if kind else None, agent=agent))


@stats.get("")
def get_stats(ctx: Ctx) -> dict[str, Any]:
    return {
        "ingest": ctx.stats(),
        "events_by_sensor": [asdict(c) for c in ctx.events.counts_by_sensor()],
        "alerts": ctx.alerts.count(),
    }


ROUTERS = (health, alerts, agents, events, stats, evidence, tokens)
OPEN_ROUTERS = (health,)
"""Answered without a token: load balancers and monitoring probe /health."""
