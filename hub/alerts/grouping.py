"""Fold matches into alerts: repeats of one situation join the alert already firing.

Why spatial grouping: a person crossing in front of two cameras (or a camera and a radar)
produces two line-crossing events; operators want one alert with both as evidence. Matches
join an open group when rule and direction agree and they are within the rule's radius and
time window; without a position they join by site/agent/sensor/track. Pure: time comes from
the events, never from a clock.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from borderwatch.contract import Alert, Event, GeoPosition
from borderwatch.hub.alerts.rules import Match
from borderwatch.runtime.geo import EARTH_RADIUS_M


def distance_m(a: GeoPosition, b: GeoPosition) -> float:
    """Equirectangular distance: exact enough within the few hundred metres grouping looks at."""
    lat0 = math.radians((a.lat + b.lat) / 2)
    dx = math.radians(b.lon - a.lon) * math.cos(lat0)
    dy = math.radians(b.lat - a.lat)
    return EARTH_RADIUS_M * math.hypot(dx, dy)


def _summary(ev: Event, rule_name: str) -> str:
    what = ev.object_class.value
    where = f" at {ev.position.lat:.5f},{ev.position.lon:.5f}" if ev.position else ""
    how = f" {ev.rule.direction}" if ev.rule and ev.rule.direction else ""
    line = f" line {ev.rule.rule}" if ev.rule else ""
    return f"{what}{how} {ev.kind.value.replace('_', ' ')}{line} seen by {ev.agent}/{ev.sensor.id}{where}"


def _fingerprint(m: Match) -> str:
    ev = m.event
    direction = ev.rule.direction if ev.rule and ev.rule.direction else "-"
    return f"{m.rule.name}:{ev.site}:{direction}"


def new_alert(m: Match) -> Alert:
    ev = m.event
    return Alert(
        id=uuid.uuid4().hex,
        fingerprint=_fingerprint(m),
        ts=ev.ts,
        rule=m.rule.name,
        severity=m.rule.severity,
        site=ev.site,
        agent=ev.agent,
        sensor_id=ev.sensor.id,
        sensor_kind=ev.sensor.kind,
        object_class=ev.object_class,
        confidence=ev.confidence,
        track_id=ev.track_id,
        position=ev.position,
        direction=ev.rule.direction if ev.rule else None,
        summary=_summary(ev, m.rule.name),
        event_ids=[ev.id],
    )


@dataclass
class _Group:
    alert: Alert
    last_ts: datetime
    last_event: Event
    track_keys: set[tuple[str, str, int | None]] = field(default_factory=set)


def _same_place(group: _Group, m: Match) -> bool:
    ev, last = m.event, group.last_event
    key = (ev.agent, ev.sensor.id, ev.track_id)
    if key in group.track_keys and ev.track_id is not None:
        return True
    if ev.position is None or last.position is None:
        return ev.agent == last.agent and ev.sensor.id == last.sensor.id and m.rule.group_radius_m == 0
    return distance_m(ev.position, last.position) <= m.rule.group_radius_m


class AlertGrouper:
    """Open alert groups keyed by fingerprint.

    Each fold first drops the expired groups of its own fingerprint (older than the rule's
    ``group_window_s`` before the folded event); groups of other fingerprints wait for their next
    match, so ``open_count`` may include groups that no longer accept events.
    """

    def __init__(self) -> None:
        self._groups: dict[str, list[_Group]] = {}

    def fold(self, m: Match) -> tuple[Alert, bool]:
        """Returns the alert the match belongs to and whether it is new."""
        fp = _fingerprint(m)
        groups = self._prune(fp, m.event.ts, m.rule.group_window_s)
        for g in groups:
            if _same_place(g, m):
                return self._join(g, m), False
        alert = new_alert(m)
        ev = m.event
        groups.append(_Group(alert, ev.ts, ev, {(ev.agent, ev.sensor.id, ev.track_id)}))
        return alert, True

    def _prune(self, fp: str, now: datetime, window_s: float) -> list[_Group]:
        kept = [g for g in self._groups.get(fp, []) if (now - g.last_ts).total_seconds() <= window_s]
        self._groups[fp] = kept
        return kept

    @staticmethod
    def _join(g: _Group, m: Match) -> Alert:
        ev = m.event
        ids = [*g.alert.event_ids, ev.id][-256:]
        g.alert = g.alert.model_copy(update={"event_ids": ids, "confidence": max(g.alert.confidence, ev.confidence)})
        g.last_ts = max(g.last_ts, ev.ts)
        g.last_event = ev
        g.track_keys.add((ev.agent, ev.sensor.id, ev.track_id))
        return g.alert

    def open_count(self) -> int:
        return sum(len(v) for v in self._groups.values())
