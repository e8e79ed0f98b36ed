"""Alert rule configuration (the ``[alerts]`` section of the hub config)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from borderwatch.contract import EventKind, ObjectClass, SensorKind, Severity
from borderwatch.contract.common import Ident


class AlertRule(BaseModel):
    """Raise an alert for events matching every given condition (empty list = any)."""

    model_config = ConfigDict(extra="forbid")

    name: Ident
    severity: Severity = Field(default=Severity.WARNING, description="info | warning | critical")
    kinds: list[EventKind] = Field(default_factory=lambda: [EventKind.LINE_CROSSING], min_length=1)
    classes: list[ObjectClass] = Field(default_factory=list, description="object classes; empty = any")
    sensor_kinds: list[SensorKind] = Field(default_factory=list, description="empty = any sensor")
    rules: list[str] = Field(default_factory=list, description="zone/line names on the agents; empty = any")
    directions: list[Literal["inbound", "outbound"]] = Field(default_factory=list, description="empty = any")
    min_confidence: float = Field(default=0.0, ge=0, le=1)
    group_radius_m: float = Field(
        default=40.0,
        ge=0,
        le=5000,
        description="matches this close (and within group_window_s) to a firing alert join it instead "
        "of raising a new one: one person seen by two cameras is one alert",
    )
    group_window_s: float = Field(default=30.0, ge=0, le=3600)


def default_rules() -> list[AlertRule]:
    """People crossing the border line first: they may be in distress as much as a threat."""
    return [
        AlertRule(
            name="border-crossing-person",
            severity=Severity.CRITICAL,
            kinds=[EventKind.LINE_CROSSING],
            classes=[ObjectClass.PERSON],
            min_confidence=0.3,
        ),
        AlertRule(
            name="border-crossing-vehicle",
            severity=Severity.CRITICAL,
            kinds=[EventKind.LINE_CROSSING],
            classes=[ObjectClass.VEHICLE, ObjectClass.VESSEL],
            min_confidence=0.3,
        ),
        AlertRule(name="camera-tamper", severity=Severity.WARNING, kinds=[EventKind.TAMPER], group_radius_m=0),
        AlertRule(
            name="sensor-offline",
            severity=Severity.WARNING,
            kinds=[EventKind.SENSOR_OFFLINE],
            group_radius_m=0,
        ),
    ]


class AlertsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[AlertRule] = Field(default_factory=default_rules, max_length=256)
    db_path: str = Field(default="var/hub/alerts.sqlite3", description="SQLite alert store", min_length=1)
