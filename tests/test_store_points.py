"""Line-protocol mapping: stable timestamps, bounded tags, telemetry and alert points."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderwatch.contract import Event, EventKind, GeoPosition, ObjectClass, PolarPosition, RuleHit
from borderwatch.hub.store.base import AlertCount
from borderwatch.hub.store.points import (
    alert_count_lines,
    epoch_us,
    event_line,
    event_lines,
    from_epoch_us,
    point_time,
    telemetry_lines,
)
from tests.support.builders import make_event, make_telemetry

TS = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def _tags(line: str) -> dict[str, str]:
    head = line.split(" ", 1)[0]
    return dict(kv.split("=", 1) for kv in head.split(",")[1:])


def test_epoch_round_trip_is_exact():
    assert from_epoch_us(epoch_us(TS)) == TS
    assert epoch_us(TS) == 1772366400123456


@pytest.mark.parametrize(
    ("precision", "seq", "expected"),
    [
        ("ns", 0, 1772366400123456000),
        ("ns", 1234, 1772366400123456234),
        ("ms", 0, 1772366400100),
        ("ms", 1234, 1772366400134),
    ],
)
def test_point_time_table(precision, seq, expected):
    assert point_time(TS, seq, precision) == expected


@pytest.mark.parametrize("precision", ["ns", "ms"])
def test_same_event_same_line_and_frame_events_distinct(precision):
    assert event_line(make_event(7, ts=TS), precision) == event_line(make_event(7, ts=TS), precision)
    stamps = {point_time(TS, seq, precision) for seq in range(100, 200)}
    assert len(stamps) == 100  # a crowded frame: 100 events at one instant stay 100 points


def test_ms_precision_keeps_events_in_their_100ms_window():
    ms = epoch_us(TS) // 1000
    for seq in range(0, 1000, 37):
        t = point_time(TS, seq, "ms")
        assert t // 100 == ms // 100 and abs(ms - t) < 100


def test_event_tags_are_bounded_and_ids_are_fields():
    ev = make_event(
        3, ts=TS, kind=EventKind.LINE_CROSSING, rule=RuleHit(rule="border", direction="inbound")
    ).model_copy(update={"track_id": 99})
    line = event_line(ev)
    assert _tags(line) == {
        "site": "s1", "agent": "a1", "sensor": "cam1", "sensor_kind": "camera",
        "kind": "line_crossing", "class": "person",
    }  # fmt: skip
    fields = line.split(" ")[1]
    for field in ('event_id="s1-a1-0000000003"', "track_id=99i", "seq=3i", 'rule="border"', "count=1i"):
        assert field in fields
    assert "x1=" not in fields
    assert ",x1=10.0,y1=20.0,x2=50.0,y2=120.0 " in event_line(ev, boxes=True)


def test_radar_event_carries_polar_fields():
    line = event_line(make_event(1, ts=TS, sensor="radar1", radar=True))
    assert "range_m=1201.0" in line and "bearing_deg=45.0" in line and "speed_mps=1.5" in line
    assert "x1=" not in line


def test_telemetry_lines_one_agent_point_and_one_per_sensor():
    lines = telemetry_lines(make_telemetry(ts=TS))
    assert len(lines) == 3
    assert lines[0].startswith("agent,site=s1,agent=a1 ")
    assert "outbox_depth=17i" in lines[0] and "link_up=1i" in lines[0]
    assert _tags(lines[1]) == {"site": "s1", "agent": "a1", "sensor": "cam1", "sensor_kind": "camera"}
    assert "inference_ms=13.5" in lines[1] and "dropped_frames=3i" in lines[1]
    assert all(ln.endswith(str(epoch_us(TS) * 1000)) for ln in lines)


def test_alert_count_lines():
    lines = alert_count_lines([AlertCount(TS + timedelta(minutes=1), "s1", "border", "critical", 4)], "ms")
    assert lines == [f"alerts,site=s1,rule=border,severity=critical count=4i {epoch_us(TS) // 1000 + 60_000}"]


def test_event_lines_match_event_line_across_series_and_geometry():
    evs = [
        make_event(1, ts=TS),
        make_event(2, ts=TS, sensor="radar1", radar=True),
        make_event(3, ts=TS, kind=EventKind.LINE_CROSSING, rule=RuleHit(rule="border", direction="inbound")),
        make_event(4, ts=TS).model_copy(update={"track_id": None}),
        make_event(5, ts=TS, agent="a2"),
    ]
    for precision in ("ns", "ms"):
        for boxes in (False, True):
            assert event_lines(evs, precision, boxes) == [event_line(e, precision, boxes) for e in evs]
    assert len({line.split(" ", 1)[0] for line in event_lines(evs)}) == 4  # series: cam, radar, crossing, a2


def test_any_offset_and_parsed_timestamps_give_the_same_point():
    # Events keep the offset they were sent with; the point (series and time) depends on the instant only.
    parsed = Event.model_validate_json(make_event(9, ts=TS).model_dump_json(by_alias=True))
    shifted = make_event(9, ts=TS.astimezone(timezone(timedelta(hours=-5, minutes=-30))))
    for precision in ("ns", "ms"):
        expected = event_line(make_event(9, ts=TS), precision)
        assert event_line(parsed, precision) == event_line(shifted, precision) == expected
    assert epoch_us(parsed.ts) == epoch_us(shifted.ts) == epoch_us(TS)


def _fields(line: str) -> dict[str, str]:
    return dict(kv.split("=", 1) for kv in line.split(" ")[1].split(","))


_OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))])


@given(
    seqs=st.lists(st.integers(0, 2**53 - 1), min_size=1, max_size=8),
    track=st.one_of(st.none(), st.integers(0, 2**53 - 1)),
    rule=st.one_of(st.none(), st.sampled_from(["border", "river-2"])),
    radar=st.booleans(),
    position=st.booleans(),
    speed=st.booleans(),
    confidence=st.floats(0, 1),
    cls=st.sampled_from(list(ObjectClass)),
    offset=_OFFSETS,
    us=st.integers(0, 4_102_444_799_999_999),
    precision=st.sampled_from(["ns", "ms"]),
    boxes=st.booleans(),
)
def test_every_line_reads_back_as_its_event(
    seqs, track, rule, radar, position, speed, confidence, cls, offset, us, precision, boxes
):
    # The hot path reads each event's fields in one call and takes a short cut for the common shape;
    # whatever the shape, each line must say exactly what its event says.
    ts = from_epoch_us(us).astimezone(offset)
    extra: dict = {"track_id": track, "confidence": confidence, "object_class": cls}
    if rule is not None:
        extra["rule"] = RuleHit(rule=rule)
    if position:
        extra["position"] = GeoPosition(lat=47.5, lon=-22.25)
    evs = [
        make_event(seq % 1000, ts=ts, radar=radar, agent=f"a{seq % 2}").model_copy(update={**extra, "seq": seq})
        for seq in seqs
    ]
    if radar and not speed:
        evs = [e.model_copy(update={"polar": PolarPosition(range_m=5.0, bearing_deg=359.5)}) for e in evs]
    lines = event_lines(evs, precision, boxes)
    assert len(lines) == len(evs)
    for ev, line in zip(evs, lines, strict=True):
        assert line.split(",", 1)[0] == "events"
        assert _tags(line) == {
            "site": ev.site, "agent": ev.agent, "sensor": ev.sensor.id, "sensor_kind": ev.sensor.kind.value,
            "kind": ev.kind.value, "class": ev.object_class.value,
        }  # fmt: skip
        expected = {"count": "1i", "confidence": repr(ev.confidence), "seq": f"{ev.seq}i", "event_id": f'"{ev.id}"'}
        if ev.track_id is not None:
            expected["track_id"] = f"{ev.track_id}i"
        if ev.rule is not None:
            expected["rule"] = f'"{ev.rule.rule}"'
        if boxes and ev.box is not None:
            expected |= {k: repr(getattr(ev.box, k)) for k in ("x1", "y1", "x2", "y2")}
        if ev.polar is not None:
            expected |= {"range_m": repr(ev.polar.range_m), "bearing_deg": repr(ev.polar.bearing_deg)}
            if ev.polar.speed_mps is not None:
                expected["speed_mps"] = repr(ev.polar.speed_mps)
        if ev.position is not None:
            expected |= {"lat": repr(ev.position.lat), "lon": repr(ev.position.lon)}
        assert _fields(line) == expected
        assert int(line.rsplit(" ", 1)[1]) == point_time(ev.ts, ev.seq, precision)


_WIRE_TEXT = st.one_of(
    st.text(max_size=12), st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,20}\Z"), st.sampled_from([" ", ",", "=", '"'])
)
_PLACES = ("site", "agent", "sensor", "id", "rule")


@given(
    place=st.sampled_from(_PLACES),
    text=_WIRE_TEXT,
    confidence=st.one_of(st.floats(0, 1), st.sampled_from([math.nan, math.inf, -math.inf, 1.5])),
)
def test_what_the_contract_lets_through_needs_no_escaping(place: str, text: str, confidence: float) -> None:
    # event_lines writes tags and string fields without escaping (the hot path): safe only because
    # the contract refuses spaces, commas, equals signs, quotes and backslashes in every text it
    # writes, and NaN or infinite numbers. Whatever a message may carry in one of those places,
    # either the contract refuses it or the line splits back into exactly its tags and fields.
    wire = make_event(3, radar=True).model_dump(mode="json")
    if place == "sensor":
        wire["sensor"]["id"] = text
    elif place == "rule":
        wire["rule"] = {"rule": text}
    else:
        wire[place] = text
    wire["confidence"] = confidence
    try:
        ev = Event.model_validate(wire)
    except ValueError:
        return
    assert 0 <= ev.confidence <= 1  # so never nan or inf in a line
    (line,) = event_lines([ev], "ns", boxes=True)
    head, fields, stamp = line.split(" ")
    tags = dict(kv.split("=") for kv in head.split(",")[1:])
    assert (tags["site"], tags["agent"], tags["sensor"]) == (ev.site, ev.agent, ev.sensor.id)
    pairs = dict(kv.split("=") for kv in fields.split(","))
    assert pairs["event_id"] == f'"{ev.id}"' and pairs["confidence"] == repr(ev.confidence)
    assert pairs.get("rule") == (None if ev.rule is None else f'"{ev.rule.rule}"')
    assert all(c not in v.strip('"') for v in (*tags.values(), *pairs.values()) for c in ' ,="\\')
    assert int(stamp) == point_time(ev.ts, ev.seq, "ns")
