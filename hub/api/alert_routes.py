"""Routers: alerts (list, detail, acknowledge, resolve, comment), silences, rules, audit log.

Every change goes through the alert engine, which audits it (who = the token's name) and tells
the stream and the notifiers. Lists filter by state, severity, site and time range and page with
an opaque cursor (alerts) or ``before_id`` (audit), at most 1000 per page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from borderwatch.contract import Alert, AlertState, Severity
from borderwatch.hub.alerts.base import MAX_PAGE, AlertQuery, AuditEntry, AuditQuery
from borderwatch.hub.alerts.engine import AlertEngine
from borderwatch.hub.alerts.lifecycle import TransitionError
from borderwatch.hub.alerts.silences import Silence, SilenceRequest
from borderwatch.hub.api.auth import Admin, Operator
from borderwatch.hub.api.context import HubContext, get_context
from borderwatch.runtime.configfile import ConfigError

Ctx = Annotated[HubContext, Depends(get_context)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]

alerts = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])
silences = APIRouter(prefix="/api/v1/silences", tags=["silences"])
rules = APIRouter(prefix="/api/v1/rules", tags=["rules"])
audit = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AlertPage(BaseModel):
    """One page of alerts, newest first."""

    items: list[Alert]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last")


class OperatorNote(BaseModel):
    """An optional comment with acknowledge/resolve; required for ``/comment``."""

    comment: str | None = Field(default=None, max_length=2000)


class AuditOut(BaseModel):
    """One audit log entry as the API returns it."""

    id: int
    ts: datetime
    who: str
    action: str
    alert_id: str | None
    silence_id: str | None
    comment: str | None

    @classmethod
    def of(cls, e: AuditEntry) -> AuditOut:
        """From the store's entry."""
        return cls(id=e.id or 0, ts=e.ts, who=e.who, action=e.action, alert_id=e.alert_id, silence_id=e.silence_id,
                   comment=e.comment)  # fmt: skip


def _engine(ctx: HubContext) -> AlertEngine:
    if ctx.engine is None:
        raise HTTPException(503, "the alert engine is not running on this hub")
    return ctx.engine


@alerts.get("")
def list_alerts(
    ctx: Ctx,
    limit: Limit = 100,
    state: Annotated[list[AlertState] | None, Query()] = None,
    severity: Annotated[list[Severity] | None, Query()] = None,
    site: str | None = None,
    rule: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
) -> AlertPage:
    """Newest first; repeat ``state``/``severity`` to allow several values."""
    q = AlertQuery(state or (), severity or (), site, rule, since, until, limit, cursor)
    try:
        page = ctx.alerts.query(q)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return AlertPage(items=page.items, next_cursor=page.next_cursor)


@alerts.get("/{alert_id}")
def get_alert(ctx: Ctx, alert_id: str) -> Alert:
    """One alert with its evidence, sensors and lifecycle times."""
    alert = ctx.alerts.get(alert_id)
    if alert is None:
        raise HTTPException(404, f"no alert {alert_id}")
    return alert


@alerts.get("/{alert_id}/history")
def alert_history(ctx: Ctx, alert_id: str, limit: Limit = 100) -> list[AuditOut]:
    """Operators' actions and comments on one alert, newest first."""
    return [AuditOut.of(e) for e in ctx.alerts.audit_log(AuditQuery(alert_id=alert_id, limit=limit))]


def _act(ctx: HubContext, alert_id: str, action: str, who: str, comment: str | None) -> Alert:
    try:
        return _engine(ctx).act(alert_id, action, who, comment)
    except KeyError:
        raise HTTPException(404, f"no alert {alert_id}") from None
    except TransitionError as exc:
        raise HTTPException(409, str(exc)) from None


@alerts.post("/{alert_id}/ack")
def acknowledge(ctx: Ctx, who: Operator, alert_id: str, note: OperatorNote | None = None) -> Alert:
    """Firing -> acknowledged: someone is on it; re-notification stops."""
    return _act(ctx, alert_id, "ack", who.name, note.comment if note else None)


@alerts.post("/{alert_id}/resolve")
def resolve(ctx: Ctx, who: Operator, alert_id: str, note: OperatorNote | None = None) -> Alert:
    """Any open state -> resolved; new evidence afterwards opens a new alert."""
    return _act(ctx, alert_id, "resolve", who.name, note.comment if note else None)


@alerts.post("/{alert_id}/comment")
def comment(ctx: Ctx, who: Operator, alert_id: str, note: OperatorNote) -> Alert:
    """Add an operator's comment (kept in the audit log and the alert's history)."""
    if not note.comment:
        raise HTTPException(422, "comment is empty")
    return _act(ctx, alert_id, "comment", who.name, note.comment)


@silences.post("", status_code=201)
def create_silence(ctx: Ctx, who: Operator, req: SilenceRequest) -> Silence:
    """Mute notifications for matching alerts until the silence expires."""
    return _engine(ctx).add_silence(req, who.name)


@silences.get("")
def list_silences(ctx: Ctx, expired: bool = False) -> list[Silence]:
    """Active silences (``expired=true``: every silence ever made)."""
    return ctx.alerts.silences(include_expired=expired)


@silences.delete("/{silence_id}")
def delete_silence(ctx: Ctx, who: Operator, silence_id: str) -> Silence:
    """Expires the silence now (kept for the audit log)."""
    s = _engine(ctx).expire_silence(silence_id, who.name)
    if s is None:
        raise HTTPException(404, f"no silence {silence_id}")
    return s


@rules.get("")
def list_rules(ctx: Ctx, _: Admin) -> dict[str, Any]:
    """The rules, zones, lifecycle and health settings in force."""
    return _engine(ctx).config.model_dump(mode="json", exclude={"db_path"})


@rules.post("/reload")
def reload_rules(ctx: Ctx, who: Admin) -> dict[str, Any]:
    """Re-read ``[alerts]`` from the hub's config file; a config that does not validate is refused
    (422 with the reason) and the rules in force stay."""
    if ctx.reload_rules is None:
        raise HTTPException(503, "this hub was not started from a config file")
    try:
        cfg = ctx.reload_rules(who.name)
    except ConfigError as exc:
        raise HTTPException(422, f"config refused, old rules kept: {exc}") from None
    return {"rules": len(cfg.rules), "zones": len(cfg.zones)}


@audit.get("")
def list_audit(
    ctx: Ctx,
    _: Admin,
    limit: Limit = 100,
    who: str | None = None,
    action: str | None = None,
    alert_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
) -> list[AuditOut]:
    """Every operator action, newest first; page with ``before_id`` = the last id seen."""
    q = AuditQuery(who, action, alert_id, since, until, limit, before_id)
    return [AuditOut.of(e) for e in ctx.alerts.audit_log(q)]
