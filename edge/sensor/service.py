"""SensorService: the imperative shell that runs every sensor of an agent, whatever its kind.

Threads: one capture thread per sensor (its kind's ``Reader``), one worker per sensor (its kind's
``SensorUnit``: plan, then finish -- gating, tracking, rules, events), a few inference threads
("lanes") per model shared by all sensors using it (``InferenceBatcher``, cross-sensor batches), and
one emitter thread (``Emitter``), the only caller of ``emit`` and the renderer of evidence snapshots,
so neither a slow disk write nor a JPEG encode delays anybody's capture or inference. Hand-over is
by bounded queues and futures. Events carry ``seq=0``; the outbox numbers them.

The service knows no sensor kind: sensors come as config sections (``{"cameras": {id: cfg}}``) and
each section's kind (``edge/sensor/registry.py``) builds its sensors.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from pydantic import BaseModel

from borderwatch.contract.common import SensorKind, is_ident
from borderwatch.contract.events import EventKind
from borderwatch.contract.status import ModelInfo, SensorState, SensorStatus, SensorTelemetry
from borderwatch.edge.config.detector import DetectorConfig
from borderwatch.edge.config.evidence import EvidenceConfig
from borderwatch.edge.pipeline.batcher import InferenceBatcher
from borderwatch.edge.pipeline.detector import OnnxDetector
from borderwatch.edge.pipeline.modelref import ModelError, resolve_model
from borderwatch.edge.sensor.emitter import EmitFn, Emitter
from borderwatch.edge.sensor.kind import Attributes, BuildContext, Kind, Planned, Reader, SensorUnit
from borderwatch.edge.sensor.registry import REGISTRY, build_kinds
from borderwatch.edge.sensors.frame import Frame
from borderwatch.edge.sensors.health import EventWindow

log = logging.getLogger("borderwatch.sensor")

__all__ = ["EmitFn", "SensorService"]


@dataclass(frozen=True, slots=True)
class _InFlight:
    """A frame between ``plan`` and ``finish``: its plan and, if the model runs, the answer to come."""

    planned: Planned
    future: Future | None = None


@dataclass
class Sensor:
    """Runtime of one sensor (the worker thread is the only caller of its unit)."""

    id: str
    kind: SensorKind
    reader: Reader
    unit: SensorUnit
    batcher: InferenceBatcher | None
    evidence: EvidenceConfig | None = None
    model_error: str | None = None
    processed: EventWindow = field(default_factory=lambda: EventWindow(5.0))
    detected: EventWindow = field(default_factory=lambda: EventWindow(5.0))
    stale: int = 0
    errors: int = 0
    offline_announced: bool = False
    thread: threading.Thread | None = None


class SensorService:
    """All sensors of one agent: ``start()``, ``stop()``, and health for status and telemetry."""

    def __init__(
        self,
        site: str,
        agent: str,
        sections: Mapping[str, Mapping[str, BaseModel]],
        detector: DetectorConfig,
        emit: EmitFn,
        kinds: Mapping[str, Kind[Any]] | None = None,
    ) -> None:
        kinds = build_kinds(REGISTRY) if kinds is None else kinds
        unknown = sorted(set(sections) - set(kinds))
        if unknown:
            raise ValueError(f"no sensor kind registered for sections {unknown}")
        ids = [sid for section in sections.values() for sid in section]
        bad = [s for s in ids if not is_ident(s)]
        if bad:
            raise ValueError(f"sensor ids must be letters, digits, _ . - (max 64): {bad}")
        repeated = sorted({s for s in ids if ids.count(s) > 1})
        if repeated:
            raise ValueError(f"sensor ids must be unique across sections, repeated: {repeated}")
        self.site, self.agent, self.detector_cfg = site, agent, detector
        self.sections = {name: dict(section) for name, section in sections.items()}
        self.kinds = kinds
        self.sensors: dict[str, Sensor] = {}
        self.batchers: dict[str, InferenceBatcher] = {}
        self.emitter = Emitter(emit, self._evidence_of)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._started = self._stopped = False
        self._emitter = threading.Thread(target=self.emitter.run, name="sensor-emitter", daemon=True)

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        """Build every sensor (loading each model once), then start the model lanes, the emitter,
        and each sensor's reader and worker (idempotent).
        """
        with self._lock:
            if self._started:
                return
            self._started = True
        # OpenCV's worker pool busy-waits: on frames this small its second thread doubles the CPU of
        # a resize or blur for no wall-clock gain (measured), and those cores belong to the model
        cv2.setNumThreads(1)
        first_id = int(time.time()) * 1000
        for name, section in self.sections.items():
            for sensor_id, cfg in section.items():
                self.sensors[sensor_id] = self._build(self.kinds[name], sensor_id, cfg, first_id)
        for batcher in self.batchers.values():
            batcher.start()
        self._emitter.start()
        for s in self.sensors.values():
            s.thread = threading.Thread(target=self._work, args=(s,), name=f"sensor-worker-{s.id}", daemon=True)
            s.reader.start()
            s.thread.start()
        log.info("sensor service started sensors=%d models=%d", len(self.sensors), len(self.batchers))

    def _build(self, kind: Kind[Any], sensor_id: str, cfg: BaseModel, first_id: int) -> Sensor:
        batcher, error = None, None
        ref = kind.model_ref(cfg)
        if ref is not None:
            try:
                batcher = self._batcher_for(ref)
                batcher.register(sensor_id)
            except ModelError as exc:
                error = str(exc)
                log.error("model unusable sensor=%s error=%s", sensor_id, exc)
        built = kind.build(sensor_id, cfg, BuildContext(self.site, self.agent, first_id, batcher))
        return Sensor(sensor_id, kind.contract_kind, built.reader, built.unit, batcher, built.evidence, error)

    def _batcher_for(self, ref: str) -> InferenceBatcher:
        if ref not in self.batchers:
            d = self.detector_cfg
            lanes, threads = d.threads()
            model = resolve_model(ref, d.models_dir, d.verify_sha256)
            detector = OnnxDetector(model, threads, d.input_size, d.spin_wait)
            self.batchers[ref] = InferenceBatcher(detector, d, lanes)
            log.info("model=%s lanes=%d intra_op_threads=%d", detector.name, lanes, threads)
        return self.batchers[ref]

    def stop(self) -> None:
        """Stop and join every thread (idempotent); events already made are still emitted."""
        with self._lock:
            if self._stopped or not self._started:
                self._stopped = True
                return
            self._stopped = True
        self._stop.set()
        for s in self.sensors.values():
            s.reader.signal_stop()
        for s in self.sensors.values():
            s.reader.stop()
        for s in self.sensors.values():
            if s.thread is not None:
                s.thread.join(10)
        for batcher in self.batchers.values():
            batcher.stop()
        self.emitter.close()
        self._emitter.join(30)
        log.info("sensor service stopped")

    # --- per-sensor worker ----------------------------------------------------------------------
    def _work(self, s: Sensor) -> None:
        """Pipelined: the next frames are planned and sent to the model before frame t is finished,
        so the tracking, rules and events of one frame overlap the inference of the next ones (up to
        ``InferenceBatcher.in_flight`` frames: two per lane). Frames are finished in order. When no
        frame is waiting, the oldest frame in flight is finished at once (no latency is added on a
        live sensor).
        """
        depth = s.batcher.in_flight if s.batcher else 1
        inflight: deque[_InFlight] = deque()
        while not self._stop.is_set():
            if s.reader.changes:
                while inflight:
                    self._complete(s, inflight.popleft())
                self._state_changes(s)
            frame = s.reader.get(timeout=0.0 if inflight else 0.2)
            if frame is None:
                if inflight:
                    self._complete(s, inflight.popleft())
                continue
            started = self._begin(s, frame)
            if started is not None:
                inflight.append(started)
            while len(inflight) > depth:
                self._complete(s, inflight.popleft())
        while inflight:
            self._complete(s, inflight.popleft())

    def _begin(self, s: Sensor, frame: Frame) -> _InFlight | None:
        """Plan the frame (the kind prepares the model input) and, if the model must look, send it off."""
        try:
            planned = s.unit.plan(frame)
        except Exception:  # bad frame or bug: count, log, keep the sensor running
            s.errors += 1
            log.exception("frame failed sensor=%s index=%d", s.id, frame.index)
            return None
        if planned.inputs is None or s.batcher is None:
            return _InFlight(planned)
        future = s.batcher.submit(s.id, planned.inputs, frame.ts, live=not s.reader.lossless)
        return _InFlight(planned, future)

    def _complete(self, s: Sensor, job: _InFlight) -> None:
        """Wait for the model's answer (if any), let the kind finish the frame, queue the events."""
        try:
            out = s.unit.finish(job.planned, self._answer(s, job))
        except Exception:  # bad frame or bug: count, log, keep the sensor running
            s.errors += 1
            log.exception("frame failed sensor=%s index=%d", s.id, job.planned.frame.index)
            return
        s.processed.add()
        s.detected.add(out.detections)
        self.emitter.queue(out.events, out.snapshots)

    def _answer(self, s: Sensor, job: _InFlight) -> np.ndarray | None:
        if job.future is None:
            return None
        try:
            out = job.future.result(timeout=self.detector_cfg.staleness_ms / 1000 + 30)
        except TimeoutError:
            out = None
        if out is None:
            s.stale += 1
        return out

    def _state_changes(self, s: Sensor) -> None:
        for change in s.reader.pop_changes():
            attrs: Attributes = {"reason": change.reason}
            if not change.online:
                out = s.unit.lost(change.ts)
                ev = s.unit.health(EventKind.SENSOR_OFFLINE, change.ts, attrs)
                s.offline_announced = True
                self.emitter.queue([*out.events, ev])
            elif s.offline_announced:
                s.offline_announced = False
                self.emitter.queue([s.unit.health(EventKind.SENSOR_ONLINE, change.ts, attrs)])

    def _evidence_of(self, sensor_id: str) -> EvidenceConfig | None:
        s = self.sensors.get(sensor_id)
        return s.evidence if s is not None else None

    # --- health ---------------------------------------------------------------------------------
    def _state(self, s: Sensor) -> SensorState:
        if not s.reader.online:
            return SensorState.OFFLINE
        if s.model_error or s.unit.degraded or s.reader.stats().quality in ("C", "D"):
            return SensorState.DEGRADED
        return SensorState.ONLINE

    def telemetry(self) -> list[SensorTelemetry]:
        """Per-sensor rates and counters for the agent's periodic telemetry."""
        out = []
        for s in self.sensors.values():
            r = s.reader.stats()
            process = s.processed.rate()
            out.append(
                SensorTelemetry(
                    id=s.id,
                    kind=s.kind,
                    state=self._state(s),
                    input_fps=round(r.source_fps, 2),
                    process_fps=round(process, 2),
                    skipped_fps=round(max(0.0, r.source_fps - process), 2),
                    detection_fps=round(s.detected.rate(), 2),
                    inference_ms=round(s.batcher.stats.ms_per_image, 2) if s.batcher else 0.0,
                    dropped_frames=r.dropped + s.stale,
                    reconnects_1h=r.reconnects_1h,
                    stalls_1h=r.stalls_1h,
                    quality=r.quality,
                )
            )
        return out

    def sensor_status(self) -> list[SensorStatus]:
        """Per-sensor state for the birth certificate: offline, degraded (model, kind checks, link) or online."""
        return [SensorStatus(id=s.id, kind=s.kind, state=self._state(s)) for s in self.sensors.values()]

    def models(self) -> list[ModelInfo]:
        """The models loaded (name and SHA-256), for the birth certificate."""
        return [b.detector.info() for b in self.batchers.values()]
