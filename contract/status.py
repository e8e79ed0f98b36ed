"""Agent status (birth / last will, retained) and periodic telemetry."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from borderwatch.contract.common import CONTRACT_VERSION, MAX_COUNT, Count, Ident, SensorKind, UtcDatetime, WireModel

MAX_RATE = 1_000_000.0
"""Ceiling of rates (per second) and durations (ms) in telemetry: far above any real sensor."""
MAX_CLOCK_OFFSET_S = 10 * 365 * 86_400.0


class AgentState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class SensorState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    DISABLED = "disabled"
    DEGRADED = "degraded"


class Degraded(StrEnum):
    """Why an agent that is running does not work as it should (telemetry ``degraded``)."""

    DISK_FULL = "disk_full"  # the outbox cannot write: new events are lost (events_lost_disk_full)


class ModelInfo(WireModel):
    """A loaded model, identified by the SHA-256 checked against the manifest at load."""

    name: str = Field(min_length=1, max_length=128)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class SensorStatus(WireModel):
    id: Ident
    kind: SensorKind
    state: SensorState


class AgentStatus(WireModel):
    """Birth certificate when online; the broker publishes the offline form as last will."""

    v: Literal[1] = CONTRACT_VERSION
    site: Ident
    agent: Ident
    state: AgentState
    ts: UtcDatetime
    boot_id: str | None = Field(default=None, max_length=64, description="changes on every start")
    software_version: str | None = Field(default=None, max_length=64)
    models: list[ModelInfo] = Field(default_factory=list, max_length=16)
    sensors: list[SensorStatus] = Field(default_factory=list, max_length=64)
    last_seq: int | None = Field(
        default=None, ge=0, le=MAX_COUNT, description="highest sequence number assigned so far"
    )


class SensorTelemetry(WireModel):
    """Per-sensor health counters; ``quality`` grades the link: A good ... D unusable."""

    id: Ident
    kind: SensorKind
    state: SensorState = SensorState.ONLINE
    input_fps: float = Field(default=0.0, ge=0, le=MAX_RATE, description="camera_fps / frame or scan rate")
    process_fps: float = Field(default=0.0, ge=0, le=MAX_RATE)
    skipped_fps: float = Field(default=0.0, ge=0, le=MAX_RATE)
    detection_fps: float = Field(default=0.0, ge=0, le=MAX_RATE)
    inference_ms: float = Field(default=0.0, ge=0, le=MAX_RATE)
    dropped_frames: Count = 0
    reconnects_1h: Count = 0
    stalls_1h: Count = 0
    quality: Literal["A", "B", "C", "D"] = "A"


class Telemetry(WireModel):
    """Periodic agent health: delivery state and every sensor's counters."""

    v: Literal[1] = CONTRACT_VERSION
    site: Ident
    agent: Ident
    ts: UtcDatetime
    outbox_depth: Count = 0
    outbox_dropped: Count = 0
    events_lost_disk_full: int = Field(
        default=0,
        ge=0,
        le=MAX_COUNT,
        description="events never stored because the disk was full (also in outbox_dropped)",
    )
    degraded: list[Degraded] = Field(default_factory=list, max_length=8, description="empty = healthy")
    link_up: bool = True
    last_seq: Count | None = None
    clock_offset_s: float | None = Field(
        default=None,
        ge=-MAX_CLOCK_OFFSET_S,
        le=MAX_CLOCK_OFFSET_S,
        description="hub clock minus agent clock, from the last live delivery confirmation (None: none yet)",
    )
    sensors: list[SensorTelemetry] = Field(default_factory=list, max_length=64)
