"""The wire contract: the one module edge and hub share.

It depends on pydantic alone, so an agent, the hub, a third-party consumer or a test can
import it without the rest of either side. Its JSON Schema is generated into
``docs/contract/`` (``python -m borderwatch.contract.schema``) and a test fails when they drift.
"""

from borderwatch.contract.alerts import DISTRESS_ATTRIBUTE, Alert, AlertEvidence, AlertState, Severity
from borderwatch.contract.commands import Command, CommandAck, CommandKind, DeliveryConfirm, ReplayAnswer
from borderwatch.contract.common import CONTRACT_VERSION, ObjectClass, SensorKind
from borderwatch.contract.events import (
    Distress,
    Event,
    EventBatch,
    EventKind,
    GeoPosition,
    ImageBox,
    PolarPosition,
    RuleHit,
    SensorRef,
    ThermalReading,
)
from borderwatch.contract.status import (
    AgentState,
    AgentStatus,
    Degraded,
    ModelInfo,
    SensorState,
    SensorStatus,
    SensorTelemetry,
    Telemetry,
)
from borderwatch.contract.topics import Channel, TopicInfo, parse_topic, topic

__all__ = [
    "CONTRACT_VERSION",
    "DISTRESS_ATTRIBUTE",
    "AgentState",
    "AgentStatus",
    "Alert",
    "AlertEvidence",
    "AlertState",
    "Channel",
    "Command",
    "CommandAck",
    "CommandKind",
    "Degraded",
    "DeliveryConfirm",
    "Distress",
    "Event",
    "EventBatch",
    "EventKind",
    "GeoPosition",
    "ImageBox",
    "ModelInfo",
    "ObjectClass",
    "PolarPosition",
    "ReplayAnswer",
    "RuleHit",
    "SensorKind",
    "SensorRef",
    "SensorState",
    "SensorStatus",
    "SensorTelemetry",
    "Severity",
    "Telemetry",
    "ThermalReading",
    "TopicInfo",
    "parse_topic",
    "topic",
]
