"""Alerts: what the hub raises for operators from one or more events."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from borderwatch.contract.common import CONTRACT_VERSION, Ident, ObjectClass, SensorKind, UtcDatetime, WireModel
from borderwatch.contract.events import GeoPosition


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertState(StrEnum):
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Alert(WireModel):
    """One alert; ``fingerprint`` groups repeats of the same situation (dedup key)."""

    v: Literal[1] = CONTRACT_VERSION
    id: str = Field(min_length=8, max_length=64)
    fingerprint: str = Field(min_length=1, max_length=128)
    ts: UtcDatetime
    rule: Ident
    severity: Severity
    state: AlertState = AlertState.FIRING
    site: Ident
    agent: Ident
    sensor_id: Ident
    sensor_kind: SensorKind
    object_class: ObjectClass = Field(alias="class")
    confidence: float = Field(ge=0, le=1)
    track_id: int | None = None
    position: GeoPosition | None = None
    direction: Literal["inbound", "outbound"] | None = None
    summary: str = Field(max_length=512)
    event_ids: list[str] = Field(default_factory=list, max_length=256)
