"""What the hub stored, read straight from its SQLite files (events and alerts) after a run.

Why the files and not the HTTP API: the scorer runs once the hub has stopped, needs every row (not a
page), and must not depend on API credentials. The tables are the hub's own (hub/store/sqlite.py: events,
hub/alerts/store.py: alerts); each row carries the contract JSON in ``body``, parsed with the contract.
Alert arrival times come from the eval runner's alert subscriber (JSON lines of id and received stamp).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

from borderwatch.contract import Alert, Event, EventKind
from borderwatch.runtime.sqlite import connect_read_only
from borderwatch.simulators.score.truthfile import parse_ts

HEALTH_RULES = ("agent-offline", "sensor-degraded")  # hub/alerts/health_alerts.py
SCORED_KINDS = (
    EventKind.LINE_CROSSING,
    EventKind.TRACK_NEW,
    EventKind.TRACK_UPDATE,
    EventKind.TRACK_END,
)


@dataclass
class HubRecords:
    """The events the scorer reads (crossings, track lifecycle), every alert, and each event id's kind."""

    events: list[Event] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    event_kinds: dict[str, str] = field(default_factory=dict)
    arrivals: dict[str, datetime] | None = None  # None: no subscriber noted arrivals (latency from alert ts)
    crossing_arrivals: dict[str, datetime] | None = None  # first arrival that showed the alert's direction

    def alert_kind(self, alert: Alert) -> str:
        """The event kind behind an alert (line_crossing, tamper, sensor_offline ...), the health rule of a hub
        health alert (agent-offline, sensor-degraded: no event behind them), else "unknown"."""
        if alert.rule in HEALTH_RULES:
            return alert.rule
        for eid in alert.event_ids:
            if eid in self.event_kinds:
                return self.event_kinds[eid]
        return EventKind.LINE_CROSSING.value if alert.direction else "unknown"

    def crossing_report(self, alert: Alert, kind: str) -> Alert | None:
        """The alert as the crossing it reports, or None if it reports none. A crossing alert is itself; an
        alert of another kind that took a direction from a crossing among its events (a person in distress
        who crossed: hub/alerts/fusion.py) reports that crossing, at the time and place of its earliest
        crossing event; anything else reports no crossing."""
        if kind == EventKind.LINE_CROSSING.value:
            return alert
        if alert.direction is None:
            return None
        crossings = self._crossings
        own = [crossings[eid] for eid in alert.event_ids if eid in crossings]
        if not own:
            return None
        first = min(own, key=lambda ev: (ev.ts, ev.id))
        return alert.model_copy(update={"ts": first.ts, "position": first.position or alert.position})

    @cached_property
    def _crossings(self) -> dict[str, Event]:
        """The line-crossing events read, by id (read once the events are in)."""
        return {ev.id: ev for ev in self.events if ev.kind is EventKind.LINE_CROSSING}

    def crossing_arrival(self, alert: Alert) -> datetime | None:
        """When an operator's subscriber first received the alert showing its crossing direction."""
        arrivals = self.crossing_arrivals if self.crossing_arrivals is not None else self.arrivals
        return None if arrivals is None else arrivals.get(alert.id)


@contextmanager
def _db(path: Path) -> Iterator[sqlite3.Connection]:
    with closing(connect_read_only(path)) as db:
        yield db


def read_hub(events_db: Path | None, alerts_db: Path | None, arrivals: Path | None = None) -> HubRecords:
    """Everything the scorer needs from one run; a missing file reads as nothing stored."""
    out = HubRecords()
    if events_db is not None and events_db.exists():
        with _db(events_db) as db:
            out.event_kinds = dict(db.execute("SELECT id, kind FROM events"))
            marks = ",".join("?" * len(SCORED_KINDS))
            kinds = [k.value for k in SCORED_KINDS]
            rows = db.execute(f"SELECT body FROM events WHERE kind IN ({marks}) ORDER BY ts_us", kinds)
            out.events = [Event.model_validate_json(r[0]) for r in rows]
    if alerts_db is not None and alerts_db.exists():
        with _db(alerts_db) as db:
            out.alerts = [Alert.model_validate_json(r[0]) for r in db.execute("SELECT body FROM alerts ORDER BY ts")]
    if arrivals is not None:
        out.arrivals = read_arrivals(arrivals)
        out.crossing_arrivals = read_arrivals(arrivals, directed=True)
    return out


def read_arrivals(path: Path, directed: bool = False) -> dict[str, datetime]:
    """Alert id -> first time an operator's subscriber received it (a missing file: none arrived);
    ``directed``: first time it arrived showing a crossing direction (a record that does not say
    whether it did, from an older recorder, counts as showing one)."""
    out: dict[str, datetime] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            if not directed or rec.get("direction", "?") is not None:
                out.setdefault(rec["id"], parse_ts(rec["received"]))
    return out
