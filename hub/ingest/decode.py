"""Validate one raw MQTT message against the wire contract: Accepted, or Rejected with a reason.

Why one pass: ``model_validate_json`` parses and validates the bytes inside pydantic-core, so
a batch of thousands of events never becomes Python dicts first (``json.loads`` + validate
costs about twice as much, see bench/bench_ingest.py). Error paths (not UTF-8, unknown
version, sender mismatch) are worked out only after a failure, from pydantic's error list,
so the accepted path pays for nothing but the parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError

from borderwatch.contract import (
    AgentStatus,
    Alert,
    Channel,
    Command,
    CommandAck,
    DeliveryConfirm,
    EventBatch,
    Telemetry,
    TopicInfo,
    parse_topic,
)
from borderwatch.contract.common import CONTRACT_VERSION, MAX_PAYLOAD_BYTES


class Reason(StrEnum):
    """Machine reason codes of a rejection; also the ``reason`` of the dead letter."""

    OVERSIZED = "oversized"
    EMPTY = "empty"
    NOT_UTF8 = "not_utf8"
    NOT_JSON = "not_json"
    UNKNOWN_VERSION = "unknown_version"
    SCHEMA = "schema"
    NOT_FINITE = "not_finite"
    OUT_OF_RANGE = "out_of_range"
    TOPIC = "topic"
    SENDER_MISMATCH = "sender_mismatch"
    # decided after decode, by the ingest loop (hub/ingest/screen.py and the store)
    UNKNOWN_AGENT = "unknown_agent"
    CLOCK_AHEAD = "clock_ahead"
    TOO_OLD = "too_old"
    ID_TAKEN = "id_taken"
    STORE_REFUSED = "store_refused"
    INTERNAL = "internal_error"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Evidence bytes (a JPEG) published for one event; not JSON, so not validated further."""

    event_id: str
    data: bytes


Message = EventBatch | Telemetry | AgentStatus | CommandAck | Command | DeliveryConfirm | Alert | Evidence


@dataclass(frozen=True, slots=True)
class Accepted:
    """A message that passed: where it came from and the validated contract object."""

    topic: TopicInfo
    message: Message


@dataclass(frozen=True, slots=True)
class Rejected:
    """A refused message: ``reason`` for counters and dead letters, ``detail`` for a human."""

    reason: Reason
    detail: str


Decoded = Accepted | Rejected

MODELS: dict[Channel, type[BaseModel]] = {
    Channel.EVENTS: EventBatch,
    Channel.TELEMETRY: Telemetry,
    Channel.STATUS: AgentStatus,
    Channel.COMMAND_ACK: CommandAck,
    Channel.COMMAND: Command,
    Channel.DELIVERY: DeliveryConfirm,
    Channel.ALERTS: Alert,
}
"""Which contract model each JSON channel carries (explicit table, no introspection)."""

_SENDER_CHECKED = (EventBatch, Telemetry, AgentStatus, DeliveryConfirm)
"""Models whose site/agent must equal the topic's (alerts name the hub in their topic)."""

_OTHER_VERSION = re.compile(rf"^bw/v(?!{CONTRACT_VERSION}/)\d+/")
_MAX_DETAIL = 300
_MAX_ERRORS_SHOWN = 3


def decode(topic: str, payload: bytes) -> Decoded:
    """Turn one received message into a contract object, or a rejection that says why."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return Rejected(Reason.OVERSIZED, f"{len(payload)} bytes > limit {MAX_PAYLOAD_BYTES}")
    try:
        info = parse_topic(topic)
    except ValueError as exc:
        if _OTHER_VERSION.match(topic):
            return Rejected(Reason.UNKNOWN_VERSION, _clip(f"topic {topic!r} is not contract v{CONTRACT_VERSION}"))
        return Rejected(Reason.TOPIC, _clip(str(exc)))
    if info.channel is Channel.EVIDENCE:
        return _evidence(info, payload)
    if not payload:
        return Rejected(Reason.EMPTY, f"empty payload on {info.channel.value} (a cleared retained message?)")
    model = MODELS[info.channel]
    try:
        message = model.model_validate_json(payload)
    except ValidationError as exc:
        return _explain(exc, payload)
    return _check_sender(info, message)


def decode_many(messages: Iterable[tuple[str, bytes]]) -> list[Decoded]:
    """Decode several (topic, payload) pairs; a bad one never affects its neighbours."""
    return [decode(t, p) for t, p in messages]


def _evidence(info: TopicInfo, payload: bytes) -> Decoded:
    if info.suffix is None:
        return Rejected(Reason.TOPIC, "evidence topic must end with the event id")
    if not payload:
        return Rejected(Reason.EMPTY, f"empty evidence for event {info.suffix}")
    return Accepted(info, Evidence(info.suffix, payload))


def _check_sender(info: TopicInfo, message: Any) -> Decoded:
    if isinstance(message, _SENDER_CHECKED) and (message.site, message.agent) != (info.site, info.agent):
        return Rejected(
            Reason.SENDER_MISMATCH,
            f"payload says {message.site}/{message.agent} but topic is {info.site}/{info.agent}",
        )
    return Accepted(info, message)


def _explain(exc: ValidationError, payload: bytes) -> Rejected:
    """Classify a validation failure; runs only on the (rare) error path."""
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    if errors[0]["type"] == "json_invalid":
        return _not_json(errors[0]["msg"], payload)
    if any(e["loc"] == ("v",) for e in errors):
        return Rejected(Reason.UNKNOWN_VERSION, f"contract version is not {CONTRACT_VERSION}")
    mismatch = next((e for e in errors if _is_sender_mismatch(e)), None)
    if mismatch is not None:
        return Rejected(Reason.SENDER_MISMATCH, _clip(mismatch["msg"]))
    reason = _bounds_reason(errors)
    shown = "; ".join(f"{_loc(e['loc'])}: {e['msg']}" for e in errors[:_MAX_ERRORS_SHOWN])
    more = f" (+{len(errors) - _MAX_ERRORS_SHOWN} more)" if len(errors) > _MAX_ERRORS_SHOWN else ""
    return Rejected(reason, _clip(shown + more))


def _not_json(msg: str, payload: bytes) -> Rejected:
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejected(Reason.NOT_UTF8, f"invalid UTF-8 at byte {exc.start}")
    return Rejected(Reason.NOT_JSON, _clip(msg))


_NOT_FINITE = frozenset({"finite_number"})
_OUT_OF_RANGE = frozenset(
    {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "too_long", "string_too_long"}
)


def _bounds_reason(errors: list[Any]) -> Reason:
    """``not_finite`` / ``out_of_range`` when every error is of that kind (a value past what the
    stores hold); any other mix stays ``schema``."""
    types = {e["type"] for e in errors}
    if types <= _NOT_FINITE | _OUT_OF_RANGE:
        return Reason.NOT_FINITE if types & _NOT_FINITE else Reason.OUT_OF_RANGE
    return Reason.SCHEMA


def _is_sender_mismatch(err: Any) -> bool:
    # EventBatch's own validator raises this stable error type (PydanticCustomError).
    return err["type"] == "sender_mismatch"


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "(top level)"


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."
