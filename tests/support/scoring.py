"""Builders of ground truth and hub records for the scorer's tests (test_score*, test_demo_summary)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from borderwatch.contract import (
    Alert,
    Event,
    EventKind,
    GeoPosition,
    ObjectClass,
    RuleHit,
    SensorKind,
    SensorRef,
    Severity,
)
from borderwatch.runtime.geo import to_geo
from borderwatch.simulators.score.hubread import HubRecords
from borderwatch.simulators.score.match import Tolerances
from borderwatch.simulators.score.truthfile import Crossing, Fault, Position, Truth

T0 = datetime(2026, 11, 27, 12, tzinfo=UTC)
LAT0, LON0 = 47.95, 22.85
TOL = Tolerances(position_m=10.0, time_s=5.0)
WARMUP_S, RECOVERY_S = 10.0, 10.0


def at(east: float, north: float = 32.0) -> tuple[float, float]:
    lat, lon = to_geo(east, north, LAT0, LON0)
    return float(lat), float(lon)


def crossing(t: float, east: float = 0.0, cls: str = "person", direction: str = "inbound", actor: str = "p1",
             group: str | None = None, seen: tuple[str, ...] = ("cam-1",)) -> Crossing:  # fmt: skip
    return Crossing(T0 + timedelta(seconds=t), cls, direction, *at(east), seen, actor, group or actor)


def truth(crossings: list[Crossing], duration_s: float = 120.0, faults: list[Fault] | None = None,
          sensors: dict[str, str] | None = None, positions: list[Position] | None = None) -> Truth:  # fmt: skip
    return Truth(
        scenario="t",
        started=T0,
        duration_s=duration_s,
        sensors=sensors or {"cam-1": "camera"},
        crossings=crossings,
        positions=positions or [],
        faults=faults or [],
    )


def event(n: int, t: float, east: float | None = 0.0, cls: str = "person", direction: str = "inbound",
          kind: EventKind = EventKind.LINE_CROSSING, sensor: str = "cam-1", track: int | None = 1,
          north: float = 32.0) -> Event:  # fmt: skip
    pos = None if east is None else GeoPosition(lat=at(east, north)[0], lon=at(east, north)[1])
    return Event(
        id=f"event-{n:04d}",
        seq=n,
        ts=T0 + timedelta(seconds=t),
        site="west-1",
        agent="mast-01",
        sensor=SensorRef(id=sensor, kind=SensorKind.CAMERA),
        kind=kind,
        object_class=ObjectClass(cls),
        confidence=0.8,
        track_id=track,
        rule=RuleHit(rule="border", direction=direction) if kind == EventKind.LINE_CROSSING else None,
        position=pos,
    )


def alert(n: int, t: float, east: float | None = 0.0, cls: str = "person", direction: str | None = "inbound",
          sensor: str | None = "cam-1", rule: str = "border-crossing-person") -> Alert:  # fmt: skip
    pos = None if east is None else GeoPosition(lat=at(east)[0], lon=at(east)[1])
    return Alert(
        id=f"alert-{n:04d}",
        fingerprint=f"f{n}",
        ts=T0 + timedelta(seconds=t),
        rule=rule,
        severity=Severity.CRITICAL,
        site="west-1",
        agent="mast-01",
        sensor_id=sensor,
        sensor_kind=SensorKind.CAMERA,
        object_class=ObjectClass(cls),
        confidence=0.8,
        position=pos,
        direction=direction,
        summary="test",
        event_ids=[f"event-{n:04d}"],
    )


def hub(events: list[Event] = (), alerts: list[Alert] = (), kinds: dict[str, str] | None = None) -> HubRecords:
    ev = list(events)
    known = {e.id: e.kind.value for e in ev} | (kinds or {})
    return HubRecords(events=ev, alerts=list(alerts), event_kinds=known)
