"""The demo summary scores each camera's line crossings against every crossing it had in view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from borderwatch.contract import Event, EventKind, GeoPosition, ObjectClass, RuleHit, SensorKind, SensorRef
from borderwatch.deploy.demo_summary import _per_camera
from borderwatch.simulators.score import Crossing

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def _crossing_event(n: int, cls: ObjectClass, dt_s: float, lat: float, lon: float) -> Event:
    return Event(
        id=f"event-{n:04d}",
        seq=0,
        ts=T0 + timedelta(seconds=dt_s),
        site="west-1",
        agent="mast-01",
        sensor=SensorRef(id="cam-2", kind=SensorKind.CAMERA),
        kind=EventKind.LINE_CROSSING,
        object_class=cls,
        confidence=0.8,
        track_id=n,
        rule=RuleHit(rule="border", direction="inbound"),
        position=GeoPosition(lat=lat, lon=lon),
    )


def test_an_animal_crossing_reported_as_animal_is_found_not_false():
    truth = [
        Crossing(T0, "person", "inbound", 47.95027, 22.85030, ("cam-2",)),
        Crossing(T0 + timedelta(seconds=30), "animal", "inbound", 47.95027, 22.85040, ("cam-2",)),
    ]
    events = [
        _crossing_event(1, ObjectClass.PERSON, 1.5, 47.95028, 22.85031),
        _crossing_event(2, ObjectClass.ANIMAL, 31.0, 47.95027, 22.85041),
    ]
    s = _per_camera(truth, events)["cam-2"]
    assert (s.expected, s.matched, s.false_reports) == (2, 2, 0)
    wrong_class = [_crossing_event(3, ObjectClass.PERSON, 31.0, 47.95027, 22.85041)]
    s = _per_camera(truth[1:], wrong_class)["cam-2"]
    assert (s.matched, s.missed, s.false_reports) == (0, 1, 1)
