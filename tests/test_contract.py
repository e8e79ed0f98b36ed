"""The wire contract: topics, validation rules, and the generated JSON Schema staying in sync."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from borderwatch.contract import Channel, Event, EventBatch, parse_topic, topic
from borderwatch.contract.schema import DEFAULT_DIR, render
from borderwatch.contract.topics import subscription

TS = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def event(**over: object) -> dict:
    base = {
        "id": "evt00000001",
        "seq": 1,
        "ts": TS.isoformat(),
        "site": "west-1",
        "agent": "mast-01",
        "sensor": {"id": "cam1", "kind": "camera"},
        "kind": "track_new",
        "class": "person",
        "confidence": 0.8,
        "track_id": 3,
        "box": {"x1": 1, "y1": 2, "x2": 30, "y2": 80, "frame_width": 640, "frame_height": 480},
    }
    base.update(over)
    return base


def test_schema_files_match_models() -> None:
    for name, text in render().items():
        path = DEFAULT_DIR / name
        assert path.exists(), f"{path} missing: run `make schema`"
        assert path.read_text() == text, f"{path} drifted from the models: run `make schema`"


def test_topic_round_trip() -> None:
    t = topic("west-1", "mast-01", Channel.EVENTS)
    assert t == "bw/v1/west-1/mast-01/events"
    info = parse_topic(t)
    assert (info.site, info.agent, info.channel, info.suffix) == ("west-1", "mast-01", Channel.EVENTS, None)
    assert parse_topic(topic("s", "a", Channel.EVIDENCE, "abc123")).suffix == "abc123"
    assert subscription(Channel.EVENTS, share="hubs") == "$share/hubs/bw/v1/+/+/events"


@pytest.mark.parametrize(
    "name",
    ["bw/v2/s/a/events", "bw/v1/s/a/nope", "bw/v1/s/a", "other/v1/s/a/events", "bw/v1/s/a/events/x/y"],
)
def test_bad_topics_rejected(name: str) -> None:
    with pytest.raises(ValueError):
        parse_topic(name)


def test_topic_levels_cannot_inject_wildcards() -> None:
    with pytest.raises(ValueError):
        topic("west/+", "a", Channel.EVENTS)


def test_valid_event_serialises_with_class_alias() -> None:
    ev = Event.model_validate(event())
    assert ev.object_class.value == "person"
    assert '"class":"person"' in ev.model_dump_json(by_alias=True)


@pytest.mark.parametrize(
    ("over", "needle"),
    [
        ({"ts": "2026-11-27T12:00:00"}, "timezone"),
        ({"seq": -1}, "seq"),
        ({"confidence": 1.5}, "confidence"),
        ({"sensor": {"id": "r1", "kind": "radar"}}, "radar events carry polar"),
        ({"kind": "line_crossing"}, "line_crossing events name"),
        ({"box": {"x1": 50, "y1": 2, "x2": 30, "y2": 80, "frame_width": 640, "frame_height": 480}}, "order"),
        ({"colour": "red"}, "Extra inputs"),
        ({"site": "west 1"}, "site"),
    ],
)
def test_invalid_events_rejected(over: dict, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        Event.model_validate(event(**over))


def test_batch_refuses_foreign_events() -> None:
    doc = {"site": "west-1", "agent": "mast-02", "sent_at": TS.isoformat(), "events": [event()]}
    with pytest.raises(ValidationError, match="claims west-1/mast-01"):
        EventBatch.model_validate(doc)


def test_event_timestamps_accept_any_offset_and_keep_the_instant() -> None:
    ev = Event.model_validate(event(ts="2026-11-27T14:00:00+02:00"))
    assert ev.ts == TS and ev.ts.utcoffset() is not None
    doc = {"site": "west-1", "agent": "mast-01", "sent_at": "2026-11-27T12:00:00", "events": [event()]}
    with pytest.raises(ValidationError, match="timezone"):
        EventBatch.model_validate(doc)


def test_batch_sender_mismatch_has_a_stable_error_type() -> None:
    doc = {"site": "west-1", "agent": "mast-02", "sent_at": TS.isoformat(), "events": [event(), event()]}
    with pytest.raises(ValidationError) as info:
        EventBatch.model_validate(doc)
    (err,) = info.value.errors()
    assert err["type"] == "sender_mismatch" and err["loc"] == ()
    assert err["msg"] == "event evt00000001 claims west-1/mast-01 inside a batch from west-1/mast-02"


@pytest.mark.parametrize(
    ("over", "needle"),
    [
        ({"box": {"x1": 1, "y1": 90, "x2": 30, "y2": 80, "frame_width": 640, "frame_height": 480}}, "order"),
        ({"polar": {"range_m": 10, "bearing_deg": 1}}, "camera events carry an image box"),
        ({"kind": "line_crossing", "rule": {"rule": "border"}}, "crossing direction"),
    ],
)
def test_event_consistency_checks_hold_inside_a_batch(over: dict, needle: str) -> None:
    doc = {"site": "west-1", "agent": "mast-01", "sent_at": TS.isoformat(), "events": [event(), event(**over)]}
    with pytest.raises(ValidationError, match=needle) as info:
        EventBatch.model_validate(doc)
    assert info.value.errors()[0]["loc"] == ("events", 1)
