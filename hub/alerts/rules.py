"""Rule matching: events x rules -> matches. Pure: no clock, no I/O; zone state passed in and out.

Zone membership is decided per track with hysteresis (:func:`geo.hysteresis_inside`), so a
target standing on a zone's edge enters once and leaves once instead of flapping. Membership of
ended tracks is dropped at once, of tracks not seen for ``MEMBERSHIP_TTL_S`` every
``PRUNE_EVERY_S``: a 24/7 hub keeps no dead state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from borderwatch.contract import DISTRESS_ATTRIBUTE, Event, EventKind, ObjectClass, SensorKind
from borderwatch.hub.alerts.config import AlertRule, Hours, Zone
from borderwatch.hub.alerts.geo import hysteresis_inside, signed_edge_m

MEMBERSHIP_TTL_S = 600.0
PRUNE_EVERY_S = 30.0

TrackKey = tuple[str, str, str, int | None]
"""(site, agent, sensor id, track id) of an event; track None = an event without a track."""


@dataclass(frozen=True, slots=True)
class Match:
    """One event that satisfied one rule (and the rule's zone, if it names one)."""

    rule: AlertRule
    event: Event
    zone: str | None = None


@dataclass(frozen=True, slots=True)
class ZoneState:
    """Which zones each track is inside, and when it was last seen (epoch seconds)."""

    inside: dict[tuple[TrackKey, str], bool]
    seen: dict[TrackKey, float]
    pruned_at: float = float("-inf")

    @classmethod
    def empty(cls) -> ZoneState:
        """No track in any zone yet."""
        return cls({}, {})


def track_key(ev: Event) -> TrackKey:
    """Identifies an event's track across batches (per site, agent and sensor)."""
    return (ev.site, ev.agent, ev.sensor.id, ev.track_id)


def in_hours(ts: datetime, hours: Hours) -> bool:
    """Whether ``ts`` falls inside the daily window, in the window's local time."""
    h = (ts.timestamp() / 3600.0 + hours.utc_offset_h) % 24.0
    if hours.start <= hours.end:
        return hours.start <= h < hours.end
    return h >= hours.start or h < hours.end


def _radar_cue(ev: Event) -> bool:
    return ev.sensor.kind is SensorKind.RADAR and ev.object_class is ObjectClass.UNKNOWN


def matches(rule: AlertRule, ev: Event, inside: frozenset[str] = frozenset()) -> bool:
    """Whether one event satisfies every condition of one rule (``inside``: zones it is in)."""
    hit = ev.rule
    return (
        ev.kind in rule.kinds
        and (not rule.classes or ev.object_class in rule.classes or (rule.radar_cues and _radar_cue(ev)))
        and (not rule.sensor_kinds or ev.sensor.kind in rule.sensor_kinds)
        and (not rule.rules or (hit is not None and hit.rule in rule.rules))
        and (not rule.directions or (hit is not None and hit.direction in rule.directions))
        and ev.confidence >= rule.min_confidence
        and (rule.zone is None or rule.zone in inside)
        and (rule.hours is None or in_hours(ev.ts, rule.hours))
        and (rule.min_dwell_s is None or (hit is not None and (hit.dwell_s or 0.0) >= rule.min_dwell_s))
        and (not rule.distress or ev.distress is not None or ev.attributes.get(DISTRESS_ATTRIBUTE) is True)
    )


def zone_edges(zones: Sequence[Zone], events: Sequence[Event]) -> np.ndarray:
    """(N events, Z zones) signed distances to each zone's edge (m, positive inside); -inf where an
    event has no position or belongs to another site. One broadcast per zone."""
    out = np.full((len(events), len(zones)), -np.inf)
    located = [i for i, ev in enumerate(events) if ev.position is not None]
    if not located or not zones:
        return out
    lat = np.array([events[i].position.lat for i in located])  # type: ignore[union-attr]
    lon = np.array([events[i].position.lon for i in located])  # type: ignore[union-attr]
    sites = np.array([events[i].site for i in located])
    for z, zone in enumerate(zones):
        edge = signed_edge_m(lat, lon, np.asarray(zone.polygon, dtype=float))
        if zone.site is not None:
            edge = np.where(sites == zone.site, edge, -np.inf)
        out[located, z] = edge
    return out


def update_zones(
    zones: Sequence[Zone], events: Sequence[Event], state: ZoneState, margin_m: float
) -> tuple[list[frozenset[str]], ZoneState]:
    """The zones each event is inside (with hysteresis per track) and the new state."""
    if not zones:
        return [frozenset()] * len(events), state
    edges = zone_edges(zones, events)
    inside, seen = dict(state.inside), dict(state.seen)
    per_event: list[frozenset[str]] = []
    for i, ev in enumerate(events):  # sequential: one track may appear twice in a batch
        key = track_key(ev)
        was = np.array([inside.get((key, z.name), False) for z in zones], dtype=bool)
        now_in = hysteresis_inside(edges[i], was, margin_m)
        names = frozenset(z.name for z, flag in zip(zones, now_in, strict=True) if flag)
        per_event.append(names)
        if ev.track_id is None:
            continue
        for z, flag in zip(zones, now_in, strict=True):
            if flag and ev.kind is not EventKind.TRACK_END:
                inside[(key, z.name)] = True
            else:  # absent = outside: an ended track leaves nothing behind
                inside.pop((key, z.name), None)
        if ev.kind is EventKind.TRACK_END:
            seen.pop(key, None)
        else:
            seen[key] = ev.ts.timestamp()
    now = max((e.ts.timestamp() for e in events), default=state.pruned_at)
    if now - state.pruned_at < PRUNE_EVERY_S:
        return per_event, ZoneState(inside, seen, state.pruned_at)
    return per_event, _prune(inside, seen, now)


def _prune(inside: dict[tuple[TrackKey, str], bool], seen: dict[TrackKey, float], now: float) -> ZoneState:
    alive = {k: t for k, t in seen.items() if now - t <= MEMBERSHIP_TTL_S}
    return ZoneState({k: v for k, v in inside.items() if k[0] in alive and v}, alive, now)


def evaluate(
    rules: Sequence[AlertRule],
    events: Sequence[Event],
    zones: Sequence[Zone] = (),
    state: ZoneState | None = None,
    margin_m: float = 0.0,
) -> tuple[list[Match], ZoneState]:
    """Every matching (rule, event), in event order; the first matching rule wins, so rule order
    is priority order (distress first)."""
    ordered = sorted(events, key=lambda e: e.ts)
    inside, new_state = update_zones(zones, ordered, state or ZoneState.empty(), margin_m)
    out: list[Match] = []
    for ev, names in zip(ordered, inside, strict=True):
        rule = next((r for r in rules if matches(r, ev, names)), None)
        if rule is not None:
            out.append(Match(rule, ev, rule.zone))
    return out, new_state
