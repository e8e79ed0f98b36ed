"""Settings of the agent's delivery path: the durable outbox and the MQTT link to the broker.

How to reach the broker (host, TLS, credentials, back-off) is ``runtime.broker.BrokerConfig``,
shared with the hub; what is here only concerns how the agent stores and sends.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from borderwatch.runtime.broker import SessionConfig

DAY_S = 86_400.0


class OutboxConfig(BaseModel):
    """Bounds and durability of the disk-backed outbox.

    Full-outbox policy, in this order: confirmed events past use go first (not a loss), then
    the oldest telemetry, then the oldest unconfirmed events; every telemetry and event drop is
    counted and reported in ``Telemetry.outbox_dropped``.
    """

    model_config = ConfigDict(extra="forbid")

    max_events: int = Field(
        default=1_000_000,
        ge=100,
        le=100_000_000,
        description="most event rows kept (confirmed within the replay window included)",
    )
    max_bytes: int = Field(
        default=512 * 1024 * 1024,
        ge=1024 * 1024,
        le=64 * 1024**3,
        description="most payload bytes kept (events + telemetry)",
    )
    max_event_age_s: float = Field(
        default=7 * DAY_S,
        ge=60,
        le=365 * DAY_S,
        description="unconfirmed events older than this are dropped (counted)",
    )
    replay_window_s: float = Field(
        default=3600.0,
        ge=0,
        le=30 * DAY_S,
        description="confirmed events kept this long so the hub can still ask a replay",
    )
    max_telemetry: int = Field(
        default=10_000,
        ge=10,
        le=10_000_000,
        description="most telemetry snapshots kept while the link is down",
    )
    telemetry_max_age_s: float = Field(
        default=DAY_S,
        ge=60,
        le=30 * DAY_S,
        description="undelivered telemetry older than this is dropped (counted)",
    )
    synchronous: Literal["full", "normal"] = Field(
        default="full",
        description="SQLite synchronous mode: 'full' survives power loss (fsync per append), "
        "'normal' only process crashes",
    )


class LinkConfig(SessionConfig):
    """How the agent's MQTT link batches, bounds and re-sends."""

    model_config = ConfigDict(extra="forbid")

    client_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="stable MQTT client id; default bw-agent-<site>-<agent>",
    )
    batch_max_events: int = Field(default=200, ge=1, le=5000, description="events per live EventBatch")
    replay_batch_events: int = Field(default=1000, ge=1, le=5000, description="events per replayed EventBatch")
    max_inflight_batches: int = Field(
        default=16, ge=1, le=1000, description="published batches awaiting the broker's PUBACK"
    )
    probe_after_s: float = Field(
        default=10.0,
        ge=0.5,
        le=3600,
        description="re-send the newest unconfirmed event when no confirmation came for this long "
        "(lets the hub see a loss at the tail of a stream)",
    )
    maintain_interval_s: float = Field(
        default=5.0, ge=0.1, le=3600, description="how often the outbox's age bounds are enforced"
    )
    telemetry_qos: Literal[0, 1] = Field(default=1, description="QoS of telemetry publishes")
    evidence_qos: Literal[0, 1] = Field(default=0, description="QoS of evidence JPEG publishes")
    connect_timeout_s: float = Field(default=10.0, ge=1, le=120, description="wait for CONNACK")
    clock_correct_over_s: float | None = Field(
        default=1.0,
        ge=0.1,
        le=86_400,
        description="when our clock is off the hub's by more than this (measured from delivery confirmations), "
        "new events are stamped in hub time and carry attributes.clock_corrected_s; None = never",
    )

    @model_validator(mode="after")
    def _replay_not_smaller(self) -> LinkConfig:
        if self.replay_batch_events < self.batch_max_events:
            raise ValueError("link.replay_batch_events must be >= link.batch_max_events")
        return self
