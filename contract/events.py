"""Events: what an agent saw, one record per happening, batched per publish.

Modelled on SAPIENT's DetectionReport so the hub speaks a recognised shape: who saw it
(site, agent, sensor), when, what (class, confidence, event kind), where (in the sensor's
own frame and, where the pose allows, on the ground) and which track it belongs to.
"""

from __future__ import annotations

from enum import StrEnum
from operator import attrgetter
from typing import Annotated, Literal

from pydantic import Field, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from borderwatch.contract.common import (
    CONTRACT_VERSION,
    MAX_COUNT,
    AwareTimestamp,
    Confidence,
    Count,
    Ident,
    ObjectClass,
    SensorKind,
    WireModel,
)

MAX_EVENTS_PER_BATCH = 5000
MAX_PIXELS = 1_000_000.0
"""Box coordinates stay within a generous multiple of the largest frame (16384 px)."""


class EventKind(StrEnum):
    """Lifecycle and rule events; ``track_*`` carry the track, the others a rule or health fact."""

    TRACK_NEW = "track_new"
    TRACK_UPDATE = "track_update"
    TRACK_END = "track_end"
    ZONE_ENTRY = "zone_entry"
    ZONE_EXIT = "zone_exit"
    LOITERING = "loitering"
    LINE_CROSSING = "line_crossing"
    TAMPER = "tamper"
    SENSOR_OFFLINE = "sensor_offline"
    SENSOR_ONLINE = "sensor_online"


class SensorRef(WireModel):
    """Which sensor on the agent produced the event."""

    id: Ident
    kind: SensorKind


class ImageBox(WireModel):
    """Axis-aligned box in pixels of the sensor's frame (camera, thermal), x first."""

    # Corner order (x1 <= x2, y1 <= y2) is checked by Event, the only model that carries a box:
    # one Python validator per event instead of two keeps ingest cheap.

    x1: float = Field(ge=0, le=MAX_PIXELS)
    y1: float = Field(ge=0, le=MAX_PIXELS)
    x2: float = Field(ge=0, le=MAX_PIXELS)
    y2: float = Field(ge=0, le=MAX_PIXELS)
    frame_width: int = Field(gt=0, le=16384)
    frame_height: int = Field(gt=0, le=16384)


class PolarPosition(WireModel):
    """Radar geometry: range and bearing from the sensor, speeds in metres per second."""

    range_m: float = Field(ge=0, le=200_000)
    bearing_deg: float = Field(ge=0, lt=360, description="clockwise from true north")
    speed_mps: float | None = Field(default=None, ge=0, le=200, description="ground speed")
    course_deg: float | None = Field(default=None, ge=0, lt=360)
    radial_velocity_mps: float | None = Field(default=None, ge=-200, le=200)
    elevation_deg: float | None = Field(default=None, ge=-90, le=90)


class GeoPosition(WireModel):
    """WGS-84 position on the ground, with an honest uncertainty."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    uncertainty_m: float | None = Field(default=None, ge=0, le=100_000)


class RuleHit(WireModel):
    """The zone or line a rule event refers to; direction only for line crossings."""

    rule: Ident
    direction: Literal["inbound", "outbound"] | None = None
    dwell_s: float | None = Field(default=None, ge=0, le=10 * 365 * 86_400)


class ThermalReading(WireModel):
    """Radiometric temperatures of a thermal imager's hot spot, degrees Celsius (finite, bounded)."""

    max_c: float = Field(ge=-100, le=2000, allow_inf_nan=False, description="hottest pixel of the object")
    mean_c: float = Field(ge=-100, le=2000, allow_inf_nan=False, description="mean over the object's pixels")


class Distress(WireModel):
    """A person who may need rescue (immobile too long, or in water): the hub alerts on it first."""

    body_temp_c: float = Field(ge=-50, le=100, allow_inf_nan=False, description="hottest body pixel")
    immobile_s: float = Field(ge=0, le=604_800, allow_inf_nan=False, description="how long without moving")
    in_water: bool = Field(default=False, description="inside a configured water or river zone")


AttributeValue = (
    Annotated[str, Field(max_length=256)] | StrictBool | Annotated[int, Field(ge=-MAX_COUNT, le=MAX_COUNT)] | float
)
"""Free-form attribute values: flat scalars only (no nesting), short strings, integers every store
holds and finite floats (the model config refuses NaN and infinities)."""

_RADAR = SensorKind.RADAR
_LINE_CROSSING = EventKind.LINE_CROSSING
_SENDER = attrgetter("site", "agent")


class Event(WireModel):
    """One event. ``id`` is globally unique; ``seq`` grows per agent and survives restarts."""

    id: Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    seq: int = Field(ge=0, le=MAX_COUNT, description="per-agent sequence number, assigned by the agent's outbox")
    ts: AwareTimestamp
    site: Ident
    agent: Ident
    sensor: SensorRef
    kind: EventKind
    object_class: ObjectClass = Field(default=ObjectClass.UNKNOWN, alias="class")
    confidence: Confidence = 0.0
    track_id: Count | None = None
    box: ImageBox | None = None
    polar: PolarPosition | None = None
    position: GeoPosition | None = None
    rule: RuleHit | None = None
    stationary: bool = False
    temperature: ThermalReading | None = None
    distress: Distress | None = None
    attributes: dict[Annotated[str, Field(max_length=64)], AttributeValue] = Field(default_factory=dict, max_length=32)

    @model_validator(mode="after")
    def _consistent(self) -> Event:
        # The only Python that runs per event during ingest: keep it one call, cheap tests first.
        box, radar = self.box, self.sensor.kind is _RADAR
        if box is not None:
            if box.x2 < box.x1 or box.y2 < box.y1:
                raise ValueError(f"box corners out of order: ({box.x1},{box.y1})-({box.x2},{box.y2})")
            if radar:
                raise ValueError("radar events carry polar geometry, not an image box")
        if self.polar is not None and not radar:
            raise ValueError(f"{self.sensor.kind.value} events carry an image box, not polar geometry")
        if self.kind is _LINE_CROSSING and (self.rule is None or self.rule.direction is None):
            raise ValueError("line_crossing events name the line and the crossing direction")
        return self


class EventBatch(WireModel):
    """What one publish carries; ``replay`` marks events re-sent from the outbox after a gap."""

    v: Literal[1] = CONTRACT_VERSION
    site: Ident
    agent: Ident
    sent_at: AwareTimestamp
    replay: bool = False
    events: list[Event] = Field(min_length=1, max_length=MAX_EVENTS_PER_BATCH)

    @model_validator(mode="after")
    def _events_belong_to_sender(self) -> EventBatch:
        # One pass over the batch; error type ``sender_mismatch`` is what decode keys on.
        sender = (self.site, self.agent)
        if set(map(_SENDER, self.events)) == {sender}:  # one C loop: this runs for every batch ingested
            return self
        ev = next(ev for ev in self.events if (ev.site, ev.agent) != sender)
        raise PydanticCustomError(
            "sender_mismatch",
            "event {event} claims {claimed} inside a batch from {sender}",
            {"event": ev.id, "claimed": f"{ev.site}/{ev.agent}", "sender": f"{self.site}/{self.agent}"},
        )
