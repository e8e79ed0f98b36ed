"""Settings of the hub's delivery path: MQTT consumer session, ledger, reorder and replay timing."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from borderwatch.runtime.broker import SessionConfig


class DeliveryConfig(SessionConfig):
    """How the hub consumes events, detects gaps and asks agents to replay them."""

    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(
        default="bw-hub",
        min_length=1,
        max_length=128,
        description="stable MQTT client id: the broker keeps our session under it",
    )
    shared_group: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="subscribe through $share/<group>/... so several hub instances split the load "
        '(they must then share one ledger: one ledger_path on one host, or [state] type = "postgres")',
    )
    site: str = Field(default="+", min_length=1, max_length=64, description="site filter; '+' = all sites")
    receive_maximum: int = Field(
        default=64,
        ge=1,
        le=65535,
        description="MQTT v5: unacknowledged messages the broker may send us at once",
    )
    queue_max: int = Field(
        default=256,
        ge=1,
        le=100_000,
        description="bounded hand-over queue between paho's network thread and the worker",
    )
    drain_max_messages: int = Field(
        default=64,
        ge=1,
        le=10_000,
        description="messages written to the store per worker round (one durable write)",
    )
    ledger_path: Path = Field(
        default=Path("hub-ledger.sqlite3"),
        description="SQLite file keeping the highest contiguous seq per agent",
    )
    ledger_synchronous: Literal["full", "normal"] = Field(
        default="normal",
        description="'normal' skips the fsync per round: after a power cut the ledger may be a little "
        "behind what was confirmed; the next replay answer (events re-sent, or 'unavailable' at or below "
        "the agent's acked seq) repairs it without a loss. 'full' costs one more fsync per round",
    )
    reorder_wait_s: float = Field(
        default=2.0, ge=0, le=600, description="how long a gap may stay open before a replay is requested"
    )
    replay_retry_s: float = Field(default=5.0, gt=0, le=3600, description="first wait before asking again")
    replay_retry_max_s: float = Field(default=60.0, gt=0, le=86_400, description="cap of the doubling retry wait")
    replay_max_events: int = Field(
        default=20_000,
        ge=1,
        le=10_000_000,
        description="most events asked for in one round of replay requests",
    )
    give_up_after_attempts: int = Field(
        default=0,
        ge=0,
        le=10_000,
        description="declare a gap lost after this many unanswered requests to an online agent; "
        "0 = only when the agent answers that the events are gone",
    )
    confirm_interval_s: float = Field(
        default=0.5, ge=0, le=3600, description="least time between two DeliveryConfirm publishes per agent"
    )
    store_retry_max_s: float = Field(
        default=10.0, gt=0, le=600, description="cap of the back-off while the store is down (refusals: dead letters)"
    )

    @model_validator(mode="after")
    def _checks(self) -> DeliveryConfig:
        if self.shared_group is not None and self.mqtt_version != "5":
            raise ValueError('delivery.shared_group needs delivery.mqtt_version = "5"')
        if self.replay_retry_max_s < self.replay_retry_s:
            raise ValueError("delivery.replay_retry_max_s must be >= delivery.replay_retry_s")
        if self.queue_max < self.receive_maximum:
            raise ValueError("delivery.queue_max must be >= delivery.receive_maximum")
        return self
