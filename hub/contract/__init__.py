"""The wire contract: the one module edge and hub share.

It depends on pydantic alone, so an agent, the hub, a third-party consumer or a test can
import it without the rest of either side. Its JSON Schema is generated into
``docs/contract/`` (``python -m hub.contract.schema``) and a test fails when they drift.
"""

from hub.contract.alerts import Alert, AlertState, Severity
from hub.contract.commands import Command, CommandAck, CommandKind, DeliveryConfirm
from hub.contract.common import CONTRACT_VERSION, ObjectClass, SensorKind
from hub.contract.events import (
    Event,
    EventBatch,
    EventKind,
    GeoPosition,
    ImageBox,
    PolarPosition,
    RuleHit,
    SensorRef,
)
from hub.contract.status import (
    AgentState,
    AgentStatus,
    ModelInfo,
    SensorState,
    SensorStatus,
    SensorTelemetry,
    Telemetry,
)
from hub.contract.topics import Channel, TopicInfo, parse_topic, topic

__all__ = [
    "CONTRACT_VERSION",
    "AgentState",
    "AgentStatus",
    "Alert",
    "AlertState",
    "Channel",
    "Command",
    "CommandAck",
    "CommandKind",
    "DeliveryConfirm",
    "Event",
    "EventBatch",
    "EventKind",
    "GeoPosition",
    "ImageBox",
    "ModelInfo",
    "ObjectClass",
    "PolarPosition",
    "RuleHit",
    "SensorKind",
    "SensorRef",
    "SensorState",
    "SensorStatus",
    "SensorTelemetry",
    "Severity",
    "Telemetry",
    "TopicInfo",
    "parse_topic",
    "topic",
]
