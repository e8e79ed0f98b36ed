"""Alerts: what the hub raises for operators from one or more events."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from borderwatch.contract.common import CONTRACT_VERSION, Count, Ident, ObjectClass, SensorKind, UtcDatetime, WireModel
from borderwatch.contract.events import GeoPosition


class Severity(StrEnum):
    """``humanitarian`` (a person in distress) ranks above everything else, ``critical`` included."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"
    HUMANITARIAN = "humanitarian"


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2, Severity.HUMANITARIAN: 3}
"""Order for sorting alerts, most urgent last (consumers sort descending)."""


class AlertState(StrEnum):
    """pending (waiting out its for-duration) -> firing -> acknowledged -> resolved."""

    PENDING = "pending"
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertEvidence(WireModel):
    """One event that contributed to an alert, with what an operator wants to see of it."""

    event_id: str = Field(min_length=8, max_length=64)
    ts: UtcDatetime
    agent: Ident
    sensor_id: Ident
    sensor_kind: SensorKind
    object_class: ObjectClass = Field(alias="class")
    confidence: float = Field(ge=0, le=1)
    track_id: int | None = None
    position: GeoPosition | None = None
    snapshot: str | None = Field(default=None, max_length=128, description="API path of its JPEG (404: none sent)")
    temperature_c: float | None = Field(default=None, ge=-100, le=1000, description="thermal: apparent temperature")
    speed_mps: float | None = Field(default=None, ge=0, le=200, description="radar: ground speed")


class Alert(WireModel):
    """One alert; ``fingerprint`` groups repeats of the same situation (dedup key).

    ``sensors`` lists every contributing ``agent/sensor`` and ``sensor_kinds`` their kinds: an
    alert confirmed by several independent sensors has a fused ``confidence`` (1 - prod(1 - c_i)
    over the sensors' best confidences)."""

    v: Literal[1] = CONTRACT_VERSION
    id: str = Field(min_length=8, max_length=64)
    fingerprint: str = Field(min_length=1, max_length=128)
    ts: UtcDatetime
    rule: Ident
    severity: Severity
    state: AlertState = AlertState.FIRING
    site: Ident
    agent: Ident
    sensor_id: Ident | None = Field(default=None, description="none for an alert about a whole agent")
    sensor_kind: SensorKind | None = None
    object_class: ObjectClass = Field(alias="class")
    confidence: float = Field(ge=0, le=1)
    track_id: Count | None = None
    position: GeoPosition | None = None
    direction: Literal["inbound", "outbound"] | None = Field(
        default=None,
        description="the way its person crossed the line: a crossing alert's, or a distress alert's once its "
        "person crossed (the earliest crossing among its events)",
    )
    summary: str = Field(max_length=512)
    event_ids: list[str] = Field(default_factory=list, max_length=256)
    zone: Ident | None = Field(default=None, description="restricted zone (hub config) the alert is about")
    sensors: list[str] = Field(default_factory=list, max_length=64, description="contributing agent/sensor ids")
    sensor_kinds: list[SensorKind] = Field(default_factory=list, max_length=3)
    evidence: list[AlertEvidence] = Field(default_factory=list, max_length=64, description="newest last")
    updated_at: UtcDatetime | None = Field(default=None, description="last change of any kind (hub clock)")
    fired_at: UtcDatetime | None = None
    resolved_at: UtcDatetime | None = None
    acked_by: str | None = Field(default=None, max_length=64, description="token name that acknowledged")
    silenced: bool = Field(default=False, description="a silence matched: no notifications are sent")


DISTRESS_ATTRIBUTE = "distress"
"""Event attribute that marks a person in distress for producers without the typed field.

The typed ``Event.distress`` (body temperature, immobile time, in water: set by thermal imagers) is
the primary marker; ``"distress": true`` in the attributes is accepted too, so a sensor kind that
cannot measure those values can still ask for rescue priority. Rules with ``distress = true`` match
either and raise ``humanitarian`` alerts."""
