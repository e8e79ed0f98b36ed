"""Is this message a snapshot we keep? Pure checks on the topic and the bytes, no I/O.

Why check the bytes at all: the evidence channel is the one channel that is not JSON, so
nothing else stands between a misbehaving publisher and the operators' browser. A JPEG starts
with SOI (FF D8 FF) and ends with EOI (FF D9); the event id must be a contract event id,
because it becomes a file name and the key the API serves it under.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import TypeAdapter, ValidationError

from borderwatch.contract import Channel, Event, parse_topic

JPEG_SOI = b"\xff\xd8\xff"
JPEG_EOI = b"\xff\xd9"
HEAD_BYTES = 256
"""What an arrival keeps of a payload over the size cap (for the dead letter), bounding memory."""

_EVENT_ID = TypeAdapter(Annotated[str, Event.model_fields["id"]])


class Reason(StrEnum):
    """Why a snapshot was not kept; the ``reason`` of its dead letter and of its counter."""

    TOPIC = "topic"
    BAD_ID = "bad_event_id"
    EMPTY = "empty"
    TOO_BIG = "too_big"
    NOT_JPEG = "not_jpeg"
    WRITE_FAILED = "write_failed"


@dataclass(frozen=True, slots=True)
class Arrival:
    """One received evidence message. ``size`` is the true length; ``payload`` is cut to
    ``HEAD_BYTES`` when it is over the cap, so a flood of huge messages cannot fill memory."""

    topic: str
    payload: bytes
    size: int
    received_at: datetime

    @classmethod
    def of(cls, topic: str, payload: bytes, received_at: datetime, max_bytes: int) -> Arrival:
        size = len(payload)
        return cls(topic, payload if size <= max_bytes else payload[:HEAD_BYTES], size, received_at)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A valid snapshot: whose it is and its JPEG bytes."""

    site: str
    agent: str
    event_id: str
    jpeg: bytes
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Rejection:
    """A refused arrival: ``reason`` for counters and the dead letter, ``detail`` for a human."""

    reason: Reason
    detail: str


def is_jpeg(data: bytes) -> bool:
    """SOI at the start and EOI at the end (what every encoder writes, OpenCV's included)."""
    return len(data) >= len(JPEG_SOI) + len(JPEG_EOI) and data.startswith(JPEG_SOI) and data.endswith(JPEG_EOI)


def check(arrival: Arrival, max_bytes: int) -> Snapshot | Rejection:
    """Topic, event id, size and JPEG markers, in that order (cheapest and most telling first)."""
    try:
        info = parse_topic(arrival.topic)
    except ValueError as exc:
        return Rejection(Reason.TOPIC, str(exc))
    if info.channel is not Channel.EVIDENCE or info.suffix is None:
        return Rejection(Reason.TOPIC, f"topic {arrival.topic!r} is not bw/v1/<site>/<agent>/evidence/<event_id>")
    try:
        event_id = _EVENT_ID.validate_python(info.suffix)
    except ValidationError as exc:
        return Rejection(Reason.BAD_ID, f"event id {info.suffix!r}: {exc.errors()[0]['msg']}")
    if arrival.size == 0:
        return Rejection(Reason.EMPTY, f"empty evidence for event {event_id}")
    if arrival.size > max_bytes:
        return Rejection(Reason.TOO_BIG, f"{arrival.size} bytes > limit {max_bytes}")
    if not is_jpeg(arrival.payload):
        return Rejection(Reason.NOT_JPEG, f"no JPEG SOI/EOI markers (starts {arrival.payload[:4].hex()})")
    return Snapshot(info.site, info.agent, event_id, arrival.payload, arrival.received_at)
