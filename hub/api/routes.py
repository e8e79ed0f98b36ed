"""Routers: health, alerts, agents, events, stats (evidence lives in hub/api/evidence.py)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel

from borderwatch.contract import AgentStatus, Alert, AlertState, Event, EventKind, Telemetry
from borderwatch.hub.api.context import HubContext, get_context
from borderwatch.hub.api.evidence import evidence

Ctx = Annotated[HubContext, Depends(get_context)]

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


ROUTERS = (health, alerts, agents, events, stats, evidence)
