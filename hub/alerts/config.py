"""Alert configuration (the ``[alerts]`` section of the hub config): rules, zones, lifecycle, health.

Reloadable without a restart (SIGHUP or ``POST /api/v1/rules/reload``): everything here but
``db_path`` takes effect on reload; a new config that does not validate is refused whole.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from borderwatch.contract import EventKind, ObjectClass, SensorKind, Severity
from borderwatch.contract.common import Ident


class Zone(BaseModel):
    """A restricted area on the ground: a polygon of (lat, lon) corners, not closed (first != last)."""

    model_config = ConfigDict(extra="forbid")

    name: Ident
    site: Ident | None = Field(default=None, description="only events of this site; none = any site")
    polygon: list[tuple[float, float]] = Field(min_length=3, max_length=256, description="[[lat, lon], ...]")

    @model_validator(mode="after")
    def _on_earth(self) -> Zone:
        for i, (lat, lon) in enumerate(self.polygon):
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError(f"polygon[{i}] = ({lat}, {lon}) is not a [lat, lon] pair on earth")
        return self


class Hours(BaseModel):
    """A daily window in local time, e.g. night = 20 -> 6 (wraps over midnight)."""

    model_config = ConfigDict(extra="forbid")

    start: float = Field(ge=0, lt=24, description="hour the window opens")
    end: float = Field(ge=0, lt=24, description="hour it closes (may be smaller than start)")
    utc_offset_h: float = Field(default=0.0, ge=-12, le=14, description="local time = UTC + this")


class AlertRule(BaseModel):
    """Raise an alert for events matching every given condition (empty list = any)."""

    model_config = ConfigDict(extra="forbid")

    name: Ident
    severity: Severity = Field(default=Severity.WARNING, description="info | warning | critical | humanitarian")
    kinds: list[EventKind] = Field(default_factory=lambda: [EventKind.LINE_CROSSING], min_length=1)
    classes: list[ObjectClass] = Field(default_factory=list, description="object classes; empty = any")
    radar_cues: bool = Field(default=True, description="radar events of class unknown match too, as cues: "
                             "capped at warning until a camera or thermal imager confirms them")  # fmt: skip
    sensor_kinds: list[SensorKind] = Field(default_factory=list, description="empty = any sensor")
    rules: list[str] = Field(default_factory=list, description="zone/line names on the agents; empty = any")
    directions: list[Literal["inbound", "outbound"]] = Field(default_factory=list, description="empty = any")
    min_confidence: float = Field(default=0.0, ge=0, le=1)
    zone: str | None = Field(default=None, description="name of an [[alerts.zones]] entry the event must be inside")
    hours: Hours | None = Field(default=None, description="only events inside this daily window (night)")
    min_count: int = Field(default=1, ge=1, le=1000, description="group of N: fires once N distinct tracks")
    min_dwell_s: float | None = Field(default=None, ge=0, description="loitering: the event's dwell_s at least")
    distress: bool = Field(default=False, description="only events with the distress attribute set")
    for_s: float = Field(default=0.0, ge=0, le=3600, description="pending this long (with evidence) before firing")
    auto_resolve: bool = Field(default=True, description="resolve when evidence stops (lifecycle.resolve_after_s)")
    resolve_on: list[EventKind] = Field(default_factory=list, description="event kinds from the same sensor "
                                        "that resolve it (sensor_online for sensor_offline)")  # fmt: skip
    group_radius_m: float = Field(
        default=40.0,
        ge=0,
        le=5000,
        description="fusion gate: matches this close (and within group_window_s) to an open alert join it "
        "instead of raising a new one: one person seen by a radar and a camera is one alert",
    )
    group_window_s: float = Field(default=30.0, ge=0, le=3600)

    @property
    def per_direction(self) -> bool:
        """Whether crossings in opposite directions are separate situations: so for a rule on line crossings
        only. A rule on other kinds too (a person in distress) follows the person whichever way they cross:
        one alert, which records the crossing (see ``hub/alerts/fusion.py``)."""
        return all(k is EventKind.LINE_CROSSING for k in self.kinds)


# A crossing is an instant at a place: one alert per crossing seen by several sensors and per party crossing
# together (side by side or in file, each within 10 m and 5 s of the one before). 10 m is the gate the eval
# holds a crossing report to (simulators/scenarios/floors.toml); the library's localisation p95 is ~2.5 m.
# Wider gates chained people crossing one after another along the line into one alert (40 m / 30 s folded
# a dense scene's 11 crossings into 3): an operator must see each crossing where and when it happened.
CROSSING_GROUP_RADIUS_M = 10.0
CROSSING_GROUP_WINDOW_S = 5.0


def default_rules() -> list[AlertRule]:
    """People in distress first (humanitarian), then people crossing the border line."""
    return [
        AlertRule(
            name="person-in-distress",
            severity=Severity.HUMANITARIAN,
            kinds=list(EventKind),
            distress=True,
            group_radius_m=60.0,
            group_window_s=300.0,
        ),
        AlertRule(
            name="border-crossing-person",
            severity=Severity.CRITICAL,
            kinds=[EventKind.LINE_CROSSING],
            classes=[ObjectClass.PERSON],
            min_confidence=0.3,
            group_radius_m=CROSSING_GROUP_RADIUS_M,
            group_window_s=CROSSING_GROUP_WINDOW_S,
        ),
        AlertRule(
            name="border-crossing-vehicle",
            severity=Severity.CRITICAL,
            kinds=[EventKind.LINE_CROSSING],
            classes=[ObjectClass.VEHICLE, ObjectClass.VESSEL],
            min_confidence=0.3,
            group_radius_m=CROSSING_GROUP_RADIUS_M,
            group_window_s=CROSSING_GROUP_WINDOW_S,
        ),
        AlertRule(name="camera-tamper", severity=Severity.WARNING, kinds=[EventKind.TAMPER], group_radius_m=0),
        AlertRule(
            name="sensor-offline",
            severity=Severity.WARNING,
            kinds=[EventKind.SENSOR_OFFLINE],
            group_radius_m=0,
            group_window_s=3600,
            auto_resolve=False,
            resolve_on=[EventKind.SENSOR_ONLINE],
        ),
    ]


class Lifecycle(BaseModel):
    """How alerts age: auto-resolve, re-notification, zone-edge hysteresis."""

    model_config = ConfigDict(extra="forbid")

    resolve_after_s: float = Field(default=120.0, gt=0, le=86400, description="no evidence this long: resolved")
    renotify_s: float = Field(default=900.0, gt=0, le=86400, description="firing and unacknowledged: notify again")
    hysteresis_m: float = Field(default=5.0, ge=0, le=500, description="a track leaves a zone only this far out "
                                "and enters only this far in: a target on the edge does not flap")  # fmt: skip
    tick_s: float = Field(default=1.0, gt=0, le=60, description="how often time-driven transitions are checked")
    max_open_per_agent: int = Field(default=200, ge=1, le=100_000, description="open alerts one agent may hold; "
                                    "further new matches of it are dropped, counted and logged (a flood)")  # fmt: skip


class Health(BaseModel):
    """Agent and sensor health alerts (from last wills, silence and telemetry)."""

    model_config = ConfigDict(extra="forbid")

    agent_offline: bool = Field(default=True, description="raise agent-offline alerts")
    debounce_s: float = Field(default=60.0, ge=0, le=3600, description="offline this long before it fires: "
                              "a short blip pages nobody")  # fmt: skip
    silence_s: float = Field(default=180.0, gt=0, le=86400, description="no message from a known agent this "
                             "long counts as offline (without a last will)")  # fmt: skip
    sensor_degraded: bool = Field(default=True, description="telemetry says degraded/offline or quality D")
    severity: Severity = Field(default=Severity.WARNING)
    events_lost: bool = Field(default=True, description="an agent's disk is full and events are lost: "
                              "no debounce, every loss counts")  # fmt: skip
    events_lost_severity: Severity = Field(default=Severity.CRITICAL, description="lost events are gone for good")


class AlertsConfig(BaseModel):
    """The ``[alerts]`` section: rules (first match wins), the zones they name, lifecycle and health
    timings, the store file."""

    model_config = ConfigDict(extra="forbid")

    rules: list[AlertRule] = Field(default_factory=default_rules, max_length=256)
    zones: list[Zone] = Field(default_factory=list, max_length=256, description="restricted zones rules refer to")
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
    health: Health = Field(default_factory=Health)
    db_path: str = Field(default="var/hub/alerts.sqlite3", description="SQLite alert store", min_length=1)

    @model_validator(mode="after")
    def _names(self) -> AlertsConfig:
        zones = {z.name for z in self.zones}
        seen: set[str] = set()
        for i, r in enumerate(self.rules):
            if r.name in seen:
                raise ValueError(f"rules[{i}].name {r.name!r} is used twice: rule names identify alerts")
            seen.add(r.name)
            if r.zone is not None and r.zone not in zones:
                raise ValueError(f"rules[{i}].zone {r.zone!r} is not one of alerts.zones {sorted(zones)}")
        if len(zones) != len(self.zones):
            raise ValueError("alerts.zones: two zones share a name")
        return self
