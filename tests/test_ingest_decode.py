"""decode(): every kind of bad input gets its reason code; valid messages come back validated."""

from __future__ import annotations

import json

import pytest

from borderwatch.contract import AgentStatus, Channel, EventBatch, Telemetry, topic
from borderwatch.contract.common import MAX_PAYLOAD_BYTES
from borderwatch.hub.ingest.decode import Accepted, Evidence, Reason, Rejected, decode, decode_many
from tests.support.builders import make_batch, make_events, make_telemetry

EV_TOPIC = topic("s1", "a1", Channel.EVENTS)


def _batch_json(**override: object) -> bytes:
    doc = json.loads(make_batch(make_events(3)).model_dump_json(by_alias=True))
    doc.update(override)
    return json.dumps(doc).encode()


def _event_field(field: str, value: object) -> bytes:
    doc = json.loads(_batch_json())
    doc["events"][1][field] = value
    return json.dumps(doc).encode()


def _raw_event_field(field: str, raw: str) -> bytes:
    """Set a field to raw JSON text that json.dumps would not write (NaN, Infinity)."""
    doc = json.loads(_batch_json())
    doc["events"][1][field] = "@RAW@"
    return json.dumps(doc).replace('"@RAW@"', raw).encode()


def _raw_box(raw_x2: str) -> bytes:
    doc = json.loads(_batch_json())
    doc["events"][1]["box"] = {"x1": 1, "y1": 1, "x2": "@RAW@", "y2": 5, "frame_width": 640, "frame_height": 480}
    doc["events"][1]["sensor"]["kind"] = "camera"
    doc["events"][1].pop("polar", None)
    return json.dumps(doc).replace('"@RAW@"', raw_x2).encode()


def _foreign_event() -> bytes:
    doc = json.loads(_batch_json())
    doc["events"][2]["agent"] = "a2"
    return json.dumps(doc).encode()


REJECTIONS = [
    ("oversized", EV_TOPIC, b"{" + b" " * MAX_PAYLOAD_BYTES + b"}", Reason.OVERSIZED, "bytes > limit"),
    ("not utf-8", EV_TOPIC, b'{"site": "\xff\xfe"}', Reason.NOT_UTF8, "invalid UTF-8"),
    ("not json", EV_TOPIC, b"site=s1 agent=a1", Reason.NOT_JSON, "Invalid JSON"),
    ("truncated json", EV_TOPIC, _batch_json()[:-20], Reason.NOT_JSON, "Invalid JSON"),
    ("empty", EV_TOPIC, b"", Reason.EMPTY, "empty payload"),
    ("version 2", EV_TOPIC, _batch_json(v=2), Reason.UNKNOWN_VERSION, "not 1"),
    ("version 2 topic", "bw/v2/s1/a1/events", _batch_json(), Reason.UNKNOWN_VERSION, "not contract v1"),
    ("version 12 topic", "bw/v12/s1/a1/events", _batch_json(), Reason.UNKNOWN_VERSION, "not contract v1"),
    ("json array", EV_TOPIC, b"[1, 2]", Reason.SCHEMA, "(top level)"),
    ("missing field", EV_TOPIC, _batch_json(sent_at=None), Reason.SCHEMA, "sent_at"),
    ("unknown field", EV_TOPIC, _batch_json(colour="red"), Reason.SCHEMA, "colour"),
    ("bad confidence", EV_TOPIC, _event_field("confidence", 1.5), Reason.OUT_OF_RANGE, "events[1].confidence"),
    ("seq past int64", EV_TOPIC, _event_field("seq", 2**63), Reason.OUT_OF_RANGE, "events[1].seq"),
    ("seq past 2^53", EV_TOPIC, _event_field("seq", 2**53), Reason.OUT_OF_RANGE, "events[1].seq"),
    ("huge track id", EV_TOPIC, _event_field("track_id", 10**30), Reason.OUT_OF_RANGE, "events[1].track_id"),
    ("year 2262+", EV_TOPIC, _event_field("ts", "2300-01-01T00:00:00Z"), Reason.OUT_OF_RANGE, "events[1].ts"),
    ("year 1969", EV_TOPIC, _event_field("ts", "1969-12-31T23:59:59Z"), Reason.OUT_OF_RANGE, "events[1].ts"),
    ("NaN confidence", EV_TOPIC, _raw_event_field("confidence", "NaN"), Reason.NOT_FINITE, "confidence"),
    ("infinite box", EV_TOPIC, _raw_box("Infinity"), Reason.NOT_FINITE, "box.x2"),
    ("1e999 box", EV_TOPIC, _raw_box("1e999"), Reason.NOT_FINITE, "box.x2"),
    ("huge box", EV_TOPIC, _raw_box("1e300"), Reason.OUT_OF_RANGE, "box.x2"),
    ("nested attribute", EV_TOPIC, _event_field("attributes", {"k": {"a": 1}}), Reason.SCHEMA, "attributes.k"),
    ("long attribute", EV_TOPIC, _event_field("attributes", {"k": "x" * 300}), Reason.SCHEMA, "attributes.k"),
    ("infinite attribute", EV_TOPIC, _raw_event_field("attributes", '{"k": -Infinity}'), Reason.SCHEMA, "k"),
    ("huge attribute", EV_TOPIC, _raw_event_field("attributes", '{"k": 1' + "0" * 400 + "}"), Reason.SCHEMA, "k"),
    (
        "many attributes",
        EV_TOPIC,
        _event_field("attributes", {f"k{i}": i for i in range(33)}),
        Reason.OUT_OF_RANGE,
        "attr",
    ),
    ("naive ts", EV_TOPIC, _event_field("ts", "2026-01-01T00:00:00"), Reason.SCHEMA, "events[1].ts"),
    ("no events", EV_TOPIC, _batch_json(events=[]), Reason.SCHEMA, "events"),
    ("outside tree", "other/v1/s1/a1/events", _batch_json(), Reason.TOPIC, "not under"),
    ("unknown channel", "bw/v1/s1/a1/gossip", _batch_json(), Reason.TOPIC, "unknown channel"),
    ("bad level", "bw/v1/s 1/a1/events", _batch_json(), Reason.TOPIC, "not a valid topic level"),
    ("evidence no id", "bw/v1/s1/a1/evidence", b"\xff\xd8", Reason.TOPIC, "event id"),
    (
        "batch from other agent",
        topic("s1", "a9", Channel.EVENTS),
        _batch_json(),
        Reason.SENDER_MISMATCH,
        "a9",
    ),
    ("batch from other site", topic("s2", "a1", Channel.EVENTS), _batch_json(), Reason.SENDER_MISMATCH, "s2"),
    ("event of other agent", EV_TOPIC, _foreign_event(), Reason.SENDER_MISMATCH, "a2"),
    (
        "telemetry of other agent",
        topic("s1", "a2", Channel.TELEMETRY),
        make_telemetry().model_dump_json().encode(),
        Reason.SENDER_MISMATCH,
        "a2",
    ),
]


@pytest.mark.parametrize(
    ("name", "topic_name", "payload", "reason", "detail"), REJECTIONS, ids=[r[0] for r in REJECTIONS]
)
def test_rejections_carry_reason_and_readable_detail(name, topic_name, payload, reason, detail):
    out = decode(topic_name, payload)
    assert isinstance(out, Rejected), out
    assert out.reason is reason
    assert detail in out.detail
    assert len(out.detail) <= 300


def test_valid_batch_is_accepted_with_topic_and_model():
    batch = make_batch(make_events(50))
    out = decode(EV_TOPIC, batch.model_dump_json(by_alias=True).encode())
    assert isinstance(out, Accepted)
    assert out.topic.site == "s1" and out.topic.agent == "a1" and out.topic.channel is Channel.EVENTS
    assert isinstance(out.message, EventBatch)
    assert out.message == batch


@pytest.mark.parametrize(
    ("channel", "model", "doc"),
    [
        (Channel.TELEMETRY, Telemetry, make_telemetry()),
        (
            Channel.STATUS,
            AgentStatus,
            AgentStatus(site="s1", agent="a1", state="online", ts="2026-01-01T00:00:00Z"),
        ),
    ],
)
def test_other_channels_decode_to_their_model(channel, model, doc):
    out = decode(topic("s1", "a1", channel), doc.model_dump_json().encode())
    assert isinstance(out, Accepted) and isinstance(out.message, model)


def test_evidence_passes_bytes_through():
    out = decode(topic("s1", "a1", Channel.EVIDENCE, "ev-00000001"), b"\xff\xd8jpeg")
    assert isinstance(out, Accepted) and out.message == Evidence("ev-00000001", b"\xff\xd8jpeg")


def test_decode_many_isolates_bad_messages():
    good = make_batch(make_events(2)).model_dump_json(by_alias=True).encode()
    out = decode_many([(EV_TOPIC, good), (EV_TOPIC, b"garbage"), (EV_TOPIC, good)])
    assert [type(o) for o in out] == [Accepted, Rejected, Accepted]
