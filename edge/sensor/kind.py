"""The sensor seam: what a sensor kind (camera, thermal, radar, ...) gives the one ``SensorService``.

A kind builds, per configured sensor, a ``Reader`` (the capture thread: frames in, online/offline
changes, link health) and a ``SensorUnit`` (the per-frame steps, run on the sensor's worker thread):

    reader.get() -> frame -> unit.plan(frame) -> Planned(inputs?) -> model (shared, batched)
                 -> unit.finish(planned, answer) -> Output(events, snapshots)

``plan`` decides what the model must see and prepares its input tensor (preprocessing belongs to the
kind: only the kind knows its frame format); ``finish`` decodes the model's answer (with the decoder
the model's output layout chose, see ``edge/pipeline/decode.py``), tracks, applies the rules and
makes the events. Everything after ``finish`` (queues, evidence hand-off, emit, telemetry) is the
service's and knows no kind. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Sized
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import numpy as np
from pydantic import BaseModel

from borderwatch.contract.common import SensorKind
from borderwatch.contract.events import Event, EventKind
from borderwatch.edge.config.evidence import EvidenceConfig
from borderwatch.edge.evidence import Snapshot
from borderwatch.edge.pipeline.batcher import InferenceBatcher
from borderwatch.edge.sensors.frame import Frame
from borderwatch.edge.sensors.health import ReaderStats, StateChange

Attributes = dict[str, str | float | int | bool]


@dataclass(frozen=True, slots=True)
class Planned:
    """What ``plan`` decided for a frame: the model input (None = the model need not look) and
    whatever the kind needs again in ``finish`` (``state``; the service never reads it).
    """

    frame: Frame
    inputs: np.ndarray | None = None
    state: Any = None


@dataclass(frozen=True, slots=True)
class Output:
    """Events and evidence snapshots (rendered later, off the worker) of one frame, and how many
    detections survived the filters (telemetry).
    """

    events: list[Event]
    snapshots: list[Snapshot] = field(default_factory=list)
    detections: int = 0


class Reader(Protocol):
    """The capture side of one sensor: its own thread, a bounded drop-oldest frame queue."""

    changes: Sized

    @property
    def lossless(self) -> bool:
        """A replay taken frame by frame: nothing dropped, nothing goes stale."""
        ...

    @property
    def online(self) -> bool:
        """Frames are coming (False before the first and after a loss lasting the kind's grace time)."""
        ...

    def start(self) -> None:
        """Start the capture thread."""
        ...

    def signal_stop(self) -> None:
        """Ask the thread to end (returns at once; ``stop`` joins)."""
        ...

    def stop(self, timeout: float | None = None) -> None:
        """Stop and join the capture thread."""
        ...

    def get(self, timeout: float) -> Frame | None:
        """The oldest frame still queued, or None after ``timeout``."""
        ...

    def pop_changes(self) -> list[StateChange]:
        """Online/offline changes since the last call, oldest first (the worker turns them into events)."""
        ...

    def stats(self) -> ReaderStats:
        """Link health now, for status and telemetry."""
        ...


class SensorUnit(Protocol):
    """One sensor's per-frame state and steps; only its worker thread calls these."""

    @property
    def degraded(self) -> bool:
        """Whether the sensor's own checks (e.g. tamper) say its picture cannot be trusted now."""
        ...

    def plan(self, frame: Frame) -> Planned:
        """Decide what the model must see of ``frame`` and prepare its input (the kind's preprocessing)."""
        ...

    def finish(self, planned: Planned, answer: np.ndarray | None) -> Output:
        """``answer`` is the model's raw output for ``planned.inputs``, None if it did not run (stale)."""
        ...

    def lost(self, ts: float) -> Output:
        """The reader went offline: end what cannot be followed any more."""
        ...

    def health(self, kind: EventKind, ts: float, attributes: Attributes) -> Event:
        """A health event (sensor_offline, sensor_online, ...) of this sensor."""
        ...


@dataclass(frozen=True, slots=True)
class Built:
    """One configured sensor, as its kind built it."""

    reader: Reader
    unit: SensorUnit
    evidence: EvidenceConfig | None = None  # where its snapshots are kept; None = not kept on disk


@dataclass(frozen=True, slots=True)
class BuildContext:
    """What the service gives a kind to build one sensor: identity, the first track id (unique per
    agent start), and the model the sensor asked for (None: none configured, or unusable).
    """

    site: str
    agent: str
    first_track_id: int
    model: InferenceBatcher | None = None


C = TypeVar("C", bound=BaseModel, contravariant=True)


class Kind(Protocol[C]):
    """A sensor kind: the contract's name for it, and how to build one sensor from its config ``C``."""

    contract_kind: SensorKind

    def model_ref(self, cfg: C) -> str | None:
        """The model (manifest name or path) a sensor with this config wants, or None."""
        ...

    def build(self, sensor_id: str, cfg: C, ctx: BuildContext) -> Built:
        """One sensor's reader and unit (no thread started yet: the service starts the reader)."""
        ...
