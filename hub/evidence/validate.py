"""Is this message a snapshot we keep? Pure checks on the topic and the bytes, no I/O.

Why check the bytes at all: the evidence channel is the one channel that is not JSON, so
nothing else stands between a misbehaving publisher and the operators' browser. A JPEG starts
with SOI (FF D8 FF) and ends with EOI (FF D9), and it must decode: Pillow reads the header
(the pixel count is capped before anything is decoded: a few KiB can claim 65535 x 65535) and
then decodes the image at 1/8 scale, which walks all of its entropy-coded data at a fraction of
the memory. The event id must be a contract event id, because it becomes a file name and the
key the API serves it under. Who may send a snapshot for an event is the store's check (it
needs the index).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from PIL import Image, UnidentifiedImageError
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
    NOT_OWNER = "not_owner"
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
        """Cut a payload over ``max_bytes`` to its head before it waits in the queue; ``size`` keeps the true length."""
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


def jpeg_rejection(data: bytes, max_pixels: int) -> Rejection | None:
    """Why ``data`` is not a decodable JPEG of at most ``max_pixels``, or None when it is one."""
    if not is_jpeg(data):
        return Rejection(Reason.NOT_JPEG, f"no JPEG SOI/EOI markers (starts {data[:4].hex()})")
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as img:
            width, height = img.size
            if width * height > max_pixels:
                return Rejection(Reason.TOO_BIG, f"{width} x {height} pixels > limit {max_pixels}")
            img.draft("L", (max(1, width // 8), max(1, height // 8)))
            img.load()
    except Image.DecompressionBombError as exc:  # Pillow's own, far higher cap, raised while opening
        return Rejection(Reason.TOO_BIG, str(exc))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        return Rejection(Reason.NOT_JPEG, f"does not decode as a JPEG: {exc}")
    return None


def check(arrival: Arrival, max_bytes: int, max_pixels: int) -> Snapshot | Rejection:
    """Topic, event id, size and JPEG decoding, in that order (cheapest and most telling first)."""
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
    if rejection := jpeg_rejection(arrival.payload, max_pixels):
        return rejection
    return Snapshot(info.site, info.agent, event_id, arrival.payload, arrival.received_at)
