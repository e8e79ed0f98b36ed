"""The store protocol every backend implements (SQLite embedded default, InfluxDB v2 API).

Why a protocol: the ingest loop acknowledges an MQTT message only after ``write_events``
returns, so every backend must make the same promise: durable on return, idempotent by event
(a replayed event overwrites itself instead of counting twice).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from borderwatch.contract import Event, Telemetry


@dataclass(frozen=True, slots=True)
class AlertCount:
    """How many alerts one rule raised at one site and severity in one interval (``alerts`` measurement)."""

    ts: datetime
    site: str
    rule: str
    severity: str
    count: int


@dataclass(frozen=True, slots=True)
class SensorCount:
    """Events stored per sensor: the demo's summary and the API's overview."""

    site: str
    agent: str
    sensor: str
    sensor_kind: str
    events: int


class StoreError(Exception):
    """The store could not make a write durable; the caller must not acknowledge upstream."""


class StoreOverflowError(StoreError):
    """The bounded write buffer stayed full for longer than allowed; counted, nothing acknowledged."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message the hub refused, kept with the reason and the raw bytes for later inspection."""

    received_at: datetime
    topic: str
    reason: str
    payload: bytes


class EventStore(Protocol):
    """Durable, idempotent sink for accepted events and telemetry."""

    def write_events(self, events: Sequence[Event]) -> int:
        """Store ``events`` durably before returning; returns how many were new (not replays)."""
        ...

    def write_telemetry(self, telemetry: Telemetry) -> None:
        """Store one agent's telemetry snapshot as time-series points."""
        ...

    def write_dead_letter(self, letter: DeadLetter) -> None:
        """Keep a refused message; never raises for content reasons."""
        ...

    def close(self) -> None:
        """Flush and release; everything accepted before is durable afterwards."""
        ...


class AlertCountSink(Protocol):
    """Optional side of a store: per-interval alert counts for dashboards (the ``alerts`` measurement)."""

    def write_alert_counts(self, counts: Sequence[AlertCount]) -> None:
        """Store counts durably; the same (ts, site, rule, severity) overwrites itself."""
        ...
