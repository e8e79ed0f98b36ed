"""Routers: health, agents, events, stats (alerts, evidence, tokens, stream, metrics have their own).

Reading needs a viewer token (added per router in create_app); a route that changes something
names its role in its signature.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from borderwatch.contract import AgentStatus, Event, EventKind, Telemetry
from borderwatch.hub.api.alert_routes import alerts, audit, rules, silences
from borderwatch.hub.api.cap_routes import cap
from borderwatch.hub.api.context import HubContext, get_context
from borderwatch.hub.api.evidence import evidence
from borderwatch.hub.api.metrics import metrics
from borderwatch.hub.api.stream import stream
from borderwatch.hub.api.token_routes import tokens

Ctx = Annotated[HubContext, Depends(get_context)]
log = logging.getLogger("borderwatch.hub.api")

health = APIRouter(tags=["health"])
agents = APIRouter(prefix="/api/v1/agents", tags=["agents"])
events = APIRouter(prefix="/api/v1/events", tags=["events"])
stats = APIRouter(prefix="/api/v1/stats", tags=["stats"])


class Health(BaseModel):
    """``ok``, or ``degraded`` with the reasons (store down or refusing messages, ingest lagging)."""

    status: str
    hub_id: str
    reasons: list[str] = []


class AgentOut(BaseModel):
    site: str
    agent: str
    online: bool
    status: AgentStatus | None
    telemetry: Telemetry | None


@health.get("/health")
def get_health(ctx: Ctx) -> Health:
    health = ctx.stats().get("health") or {"status": "ok", "reasons": []}
    return Health(status=health["status"], hub_id=ctx.hub_id, reasons=health["reasons"])


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


ROUTERS = (health, alerts, cap, silences, rules, audit, agents, events, stats, evidence, tokens, stream, metrics)
OPEN_ROUTERS = (health, metrics)
"""Answered without a viewer check on the router: load balancers probe /health; /metrics checks
its own token (a viewer token or the configured metrics token)."""
