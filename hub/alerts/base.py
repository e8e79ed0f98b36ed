"""The alert store's protocol and the shapes passed through it.

Why a protocol: the SQLite store serves one hub; a PostgreSQL store (several hubs sharing one
alert state) implements the same methods and the engine and API do not change.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from borderwatch.contract import Alert, AlertState, Severity
from borderwatch.hub.alerts.silences import Silence

MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class AlertQuery:
    """Filters (all optional, combined with AND) and paging: newest first, ``cursor`` from the last page."""

    states: Sequence[AlertState] = ()
    severities: Sequence[Severity] = ()
    site: str | None = None
    rule: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of alerts and the cursor of the next one (None on the last page)."""

    items: list[Alert]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One operator action: who (token name), when, what, on which alert or silence, why."""

    ts: datetime
    who: str
    action: str
    alert_id: str | None = None
    silence_id: str | None = None
    comment: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters of the audit log; page with ``before_id`` = the smallest id seen so far."""

    who: str | None = None
    action: str | None = None
    alert_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    before_id: int | None = None


@dataclass(frozen=True, slots=True)
class StateCounts:
    """Alert counts by (state, severity)."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)


def encode_cursor(ts: str, alert_id: str) -> str:
    """An opaque cursor naming the last alert of a page (its ts and id)."""
    return base64.urlsafe_b64encode(f"{ts}|{alert_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    """(ts, id) of the last item of the previous page; ValueError when it is not one of ours."""
    try:
        ts, alert_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        datetime.fromisoformat(ts)
    except Exception as exc:
        raise ValueError("cursor is not one this hub handed out") from exc
    return ts, alert_id


class AlertStore(Protocol):
    """Alerts, silences and the audit log of one hub (or of several sharing one database)."""

    shared: bool
    """Other hub instances write the same alerts: the engine decides under :meth:`locked`."""

    def locked(self, sites: Sequence[str]) -> AbstractContextManager[None]:
        """One transaction holding each site's alert lock across instances until the block ends."""

    def open_lives(self, sites: Sequence[str] | None = None) -> list[tuple[Alert, str | None]]:
        """Open alerts (of ``sites``, all when None) with their stored lifecycle clock (JSON)."""

    def upsert(self, alert: Alert) -> None:
        """Insert or replace one alert (the engine's rendering is the truth)."""

    def upsert_many(self, alerts: Sequence[Alert], lives: Mapping[str, str] | None = None) -> None:
        """Insert or replace several alerts in one transaction, with their lifecycle clocks."""

    def delete(self, alert_id: str) -> None:
        """Forget an alert (a pending alert that expired without paging anyone)."""

    def get(self, alert_id: str) -> Alert | None:
        """One alert by id, or None."""

    def query(self, q: AlertQuery) -> Page:
        """Alerts matching ``q``, newest first, one page."""

    def list(self, limit: int = 100, state: AlertState | None = None) -> list[Alert]:
        """The newest ``limit`` alerts, optionally of one state."""

    def open_alerts(self) -> list[Alert]:
        """Alerts not resolved: what the engine carries on after a restart."""

    def count(self) -> int:
        """How many alerts the store holds."""

    def counts(self) -> StateCounts:
        """Alert counts by (state, severity), for /metrics."""

    def add_silence(self, s: Silence) -> None:
        """Keep a new silence."""

    def silences(self, include_expired: bool = False, now: datetime | None = None) -> list[Silence]:
        """Active silences at ``now`` (all of them with ``include_expired``)."""

    def get_silence(self, silence_id: str) -> Silence | None:
        """One silence by id, or None."""

    def expire_silence(self, silence_id: str, now: datetime) -> Silence | None:
        """End a silence at ``now``; None when there is no such silence."""

    def audit(self, entry: AuditEntry) -> AuditEntry:
        """Append an operator action; returns it with its id."""

    def audit_log(self, q: AuditQuery) -> list[AuditEntry]:
        """Operator actions matching ``q``, newest first."""

    def close(self) -> None:
        """Release the database connection."""
