"""Stand-in decoder until ``hub.ingest.decode`` lands from the store branch; same shape
(``decode(topic, payload) -> Accepted | Rejected``) so switching is one import.

Only the channels the delivery path consumes are decoded; one ``model_validate_json`` parses
and validates each payload inside pydantic-core.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from hub.contract import AgentStatus, Channel, CommandAck, EventBatch, Telemetry, TopicInfo, parse_topic
from hub.contract.common import MAX_PAYLOAD_BYTES

Message = EventBatch | Telemetry | AgentStatus | CommandAck

MODELS: dict[Channel, type[BaseModel]] = {
    Channel.EVENTS: EventBatch,
    Channel.TELEMETRY: Telemetry,
    Channel.STATUS: AgentStatus,
    Channel.COMMAND_ACK: CommandAck,
}


@dataclass(frozen=True, slots=True)
class Accepted:
    topic: TopicInfo
    message: Message


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str
    detail: str


def decode(topic: str, payload: bytes) -> Accepted | Rejected:
    """One raw message -> the validated contract object, or why not."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return Rejected("oversized", f"{len(payload)} bytes > limit {MAX_PAYLOAD_BYTES}")
    try:
        info = parse_topic(topic)
    except ValueError as exc:
        return Rejected("topic", str(exc)[:300])
    model = MODELS.get(info.channel)
    if model is None:
        return Rejected("topic", f"channel {info.channel.value} is not consumed here")
    try:
        message = model.model_validate_json(payload)
    except ValidationError as exc:
        return Rejected("schema", str(exc)[:300])
    if isinstance(message, EventBatch | Telemetry | AgentStatus) and (message.site, message.agent) != (
        info.site,
        info.agent,
    ):
        return Rejected("sender_mismatch", f"payload says {message.site}/{message.agent}, topic {topic}")
    return Accepted(info, message)  # type: ignore[arg-type]
