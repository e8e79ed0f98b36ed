"""The store protocol every backend implements (SQLite embedded default, InfluxDB v2 API).

Why a protocol: the ingest loop acknowledges an MQTT message only after ``write_events``
returns, so every backend must make the same promise: durable on return, idempotent by event
(a replayed event overwrites itself instead of counting twice).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
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


class StoreRefusedError(Exception):
    """The store refuses this content for good (not an outage): retrying cannot help, so the ingest
    loop isolates the refused events and dead-letters them instead of holding up everyone else.
    ``reason`` is a dead-letter reason code (``id_taken``, ``store_refused``), ``detail`` for a human."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


DEAD_LETTER_KEEP_BYTES = 4096
"""How much of a refused payload is kept: enough to see what it was, not what a stranger may send."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message the hub refused, kept with the reason and (the start of) the raw bytes.

    ``size`` and ``sha256`` describe the whole payload as received; ``payload`` keeps only its
    first bytes once :meth:`clipped` (every store clips before writing). ``size == -1`` means
    ``payload`` is still whole."""

    received_at: datetime
    topic: str
    reason: str
    payload: bytes
    size: int = -1
    sha256: str = ""
    detail: str = ""

    def clipped(self, keep: int = DEAD_LETTER_KEEP_BYTES) -> DeadLetter:
        """The letter with its payload cut to ``keep`` bytes, its size and hash noted (idempotent)."""
        if self.size >= 0:
            return self
        whole = bytes(self.payload)
        return replace(self, payload=whole[:keep], size=len(whole), sha256=hashlib.sha256(whole).hexdigest())


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
