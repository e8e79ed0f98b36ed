"""CameraService: the imperative shell of the camera path on an edge agent.

Threads: one capture thread per camera (``CameraReader``), one worker per camera (gating, tracking,
rules, events -- it owns its ``CameraPipeline``), a few inference threads ("lanes") per model shared
by all its cameras (``InferenceBatcher``, cross-camera batches), and one emitter thread, the only
caller of ``emit`` and the renderer of evidence snapshots, so neither a slow disk write nor a JPEG
encode delays anybody's capture or inference. Hand-over is by bounded queues and futures.
Events carry ``seq=0``; the outbox numbers them.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field

import cv2

from borderwatch.contract.common import SensorKind
from borderwatch.contract.events import Event, EventKind
from borderwatch.contract.status import ModelInfo, SensorState, SensorStatus, SensorTelemetry
from borderwatch.edge.config.detector import DetectorConfig
from borderwatch.edge.evidence import Evidence, EvidenceStore, Snapshot
from borderwatch.edge.pipeline.batcher import InferenceBatcher, Preprocessor
from borderwatch.edge.pipeline.decode import Candidates
from borderwatch.edge.pipeline.detector import OnnxDetector
from borderwatch.edge.pipeline.modelref import ModelError, resolve_model
from borderwatch.edge.sensors.camera.capture import CaptureFactory, open_capture
from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.edge.sensors.camera.letterbox import Letterbox
from borderwatch.edge.sensors.camera.pipeline import CameraPipeline, Plan
from borderwatch.edge.sensors.camera.reader import CameraReader
from borderwatch.edge.sensors.frame import Frame
from borderwatch.edge.sensors.health import EventWindow

log = logging.getLogger("borderwatch.camera")
EmitFn = Callable[[list[Event], list[Evidence]], None]
_IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_EMIT_RETRIES = 3
_SNAPSHOTS_QUEUED = 8  # frames held for the emitter to render; beyond that the worker renders (bounded memory)


@dataclass(frozen=True, slots=True)
class _InFlight:
    """A frame between ``plan`` and ``finish``: its plan and, if the model runs, the answer to come
    and how its crops were letterboxed (to map the boxes back).
    """

    plan: Plan
    future: Future | None = None
    letterbox: Letterbox | None = None


@dataclass
class _Camera:
    """Runtime of one camera (the worker thread is the only writer of the pipeline)."""

    id: str
    cfg: CameraConfig
    reader: CameraReader
    pipeline: CameraPipeline
    batcher: InferenceBatcher | None
    prep: Preprocessor | None = None
    model_error: str | None = None
    processed: EventWindow = field(default_factory=lambda: EventWindow(5.0))
    detected: EventWindow = field(default_factory=lambda: EventWindow(5.0))
    stale: int = 0
    errors: int = 0
    offline_announced: bool = False
    tamper: set[str] = field(default_factory=set)
    thread: threading.Thread | None = None


class CameraService:
    """All cameras of one agent: ``start()``, ``stop()``, and health for status and telemetry."""

    def __init__(
        self,
        site: str,
        agent: str,
        cameras: Mapping[str, CameraConfig],
        detector: DetectorConfig,
        emit: EmitFn,
        *,
        capture_factory: CaptureFactory = open_capture,
    ) -> None:
        bad = [c for c in cameras if not _IDENT.match(c)]
        if bad:
            raise ValueError(f"camera ids must be letters, digits, _ . - (max 64): {bad}")
        self.site, self.agent, self.detector_cfg, self.emit = site, agent, detector, emit
        self.configs = dict(cameras)
        self.capture_factory = capture_factory
        self.cams: dict[str, _Camera] = {}
        self.batchers: dict[str, InferenceBatcher] = {}
        self.outbox: queue.Queue[tuple[list[Event], list[Snapshot], list[Evidence]] | None] = queue.Queue(maxsize=256)
        self._snapshot_slots = threading.BoundedSemaphore(_SNAPSHOTS_QUEUED)
        self.emit_failures = 0
        self._stores: dict[tuple[str, float], EvidenceStore] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._started = self._stopped = False
        self._emitter = threading.Thread(target=self._emit_loop, name="camera-emitter", daemon=True)

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        # OpenCV's worker pool busy-waits: on frames this small its second thread doubles the CPU of
        # a resize or blur for no wall-clock gain (measured), and those cores belong to the model
        cv2.setNumThreads(1)
        first_id = int(time.time()) * 1000
        for cam_id, cfg in self.configs.items():
            self.cams[cam_id] = self._build(cam_id, cfg, first_id)
        for batcher in self.batchers.values():
            batcher.start()
        self._emitter.start()
        for cam in self.cams.values():
            cam.thread = threading.Thread(target=self._work, args=(cam,), name=f"cam-worker-{cam.id}", daemon=True)
            cam.reader.start()
            cam.thread.start()
        log.info("camera service started cameras=%d models=%d", len(self.cams), len(self.batchers))

    def _build(self, cam_id: str, cfg: CameraConfig, first_id: int) -> _Camera:
        batcher, error = None, None
        if cfg.detection.model is not None:
            try:
                batcher = self._batcher_for(cfg.detection.model)
                batcher.register(cam_id)
            except ModelError as exc:
                error = str(exc)
                log.error("model unusable camera=%s fallback=motion_blobs error=%s", cam_id, exc)
        labels = batcher.detector.labels if batcher else None
        side = batcher.detector.input_wh[0] if batcher else 640
        pipeline = CameraPipeline(self.site, self.agent, cam_id, cfg, labels, side, first_id)
        reader = CameraReader(cam_id, cfg, self.capture_factory)
        prep = batcher.preprocessor() if batcher else None
        return _Camera(cam_id, cfg, reader, pipeline, batcher, prep, error)

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
        for cam in self.cams.values():
            cam.reader.signal_stop()
        for cam in self.cams.values():
            cam.reader.stop()
        for cam in self.cams.values():
            if cam.thread is not None:
                cam.thread.join(10)
        for batcher in self.batchers.values():
            batcher.stop()
        self.outbox.put(None)
        self._emitter.join(30)
        log.info("camera service stopped")

    # --- per-camera worker ----------------------------------------------------------------------
    def _work(self, cam: _Camera) -> None:
        """Pipelined: the next frames are planned and sent to the model before frame t is finished,
        so the tracking, rules and events of one frame overlap the inference of the next ones (up to
        ``InferenceBatcher.in_flight`` frames: two per lane). Frames are finished in order. When no
        frame is waiting, the oldest frame in flight is finished at once (no latency is added on a
        live camera).
        """
        depth = cam.batcher.in_flight if cam.batcher else 1
        inflight: deque[_InFlight] = deque()
        while not self._stop.is_set():
            if cam.reader.changes:
                while inflight:
                    self._complete(cam, inflight.popleft())
                self._state_changes(cam)
            frame = cam.reader.get(timeout=0.0 if inflight else 0.2)
            if frame is None:
                if inflight:
                    self._complete(cam, inflight.popleft())
                continue
            started = self._begin(cam, frame)
            if started is not None:
                inflight.append(started)
            while len(inflight) > depth:
                self._complete(cam, inflight.popleft())
        while inflight:
            self._complete(cam, inflight.popleft())

    def _begin(self, cam: _Camera, frame: Frame) -> _InFlight | None:
        """Plan the frame and, if the model must look, letterbox its crops and send them off."""
        try:
            plan = cam.pipeline.plan(frame)
            if not len(plan.rects) or cam.batcher is None or cam.prep is None:
                return _InFlight(plan)
            tensor, letterbox = cam.prep(frame.data, plan.rects)
        except Exception:  # bad frame or bug: count, log, keep the camera running
            cam.errors += 1
            log.exception("frame failed camera=%s index=%d", cam.id, frame.index)
            return None
        future = cam.batcher.submit(cam.id, tensor, frame.ts, live=not cam.reader.lossless)
        return _InFlight(plan, future, letterbox)

    def _complete(self, cam: _Camera, job: _InFlight) -> None:
        """Wait for the model's answer (if any), decode it, track, make and queue the events."""
        try:
            cands = self._answer(cam, job)
            out = cam.pipeline.finish(job.plan, cands, inferred=cands is not None)
        except Exception:  # bad frame or bug: count, log, keep the camera running
            cam.errors += 1
            log.exception("frame failed camera=%s index=%d", cam.id, job.plan.frame.index)
            return
        cam.processed.add()
        cam.detected.add(out.detections)
        self._note_tamper(cam, out.events)
        self._queue(out.events, out.snapshots)

    def _answer(self, cam: _Camera, job: _InFlight) -> Candidates | None:
        if job.future is None or cam.batcher is None or job.letterbox is None:
            return None
        try:
            out = job.future.result(timeout=self.detector_cfg.staleness_ms / 1000 + 30)
        except TimeoutError:
            out = None
        if out is None:
            cam.stale += 1
            return None
        return cam.batcher.decode(out, job.letterbox, job.plan.tiling)

    def _state_changes(self, cam: _Camera) -> None:
        for change in cam.reader.pop_changes():
            attrs: dict[str, str | float | int | bool] = {"reason": change.reason}
            if not change.online:
                out = cam.pipeline.video_lost(change.ts)
                ev = cam.pipeline.output.health(EventKind.SENSOR_OFFLINE, change.ts, attrs)
                cam.offline_announced = True
                self._queue([*out.events, ev])
            elif cam.offline_announced:
                cam.offline_announced = False
                self._queue([cam.pipeline.output.health(EventKind.SENSOR_ONLINE, change.ts, attrs)])

    def _note_tamper(self, cam: _Camera, events: list[Event]) -> None:
        for ev in events:
            if ev.kind is EventKind.TAMPER:
                kind = str(ev.attributes.get("tamper"))
                (cam.tamper.add if ev.attributes.get("state") == "raised" else cam.tamper.discard)(kind)
        cam.tamper.discard("scene_change")

    def _queue(self, events: list[Event], snapshots: list[Snapshot] | None = None) -> None:
        """Hand events to the emitter, with their snapshots to render there; when the emitter already
        holds ``_SNAPSHOTS_QUEUED`` frames, the worker renders itself (slower, but memory stays bounded).
        """
        if not events:
            return
        deferred, rendered = [], []
        for snap in snapshots or []:
            if self._snapshot_slots.acquire(blocking=False):
                deferred.append(snap)
            else:
                rendered += self._render(snap)
        while True:
            try:
                self.outbox.put((events, deferred, rendered), timeout=0.5)
                return
            except queue.Full:
                log.warning("emit queue full: worker waits (emit is slower than event production)")

    @staticmethod
    def _render(snap: Snapshot) -> list[Evidence]:
        try:
            return snap.render()
        except Exception:  # a snapshot is a convenience; its events must still go out
            log.exception("evidence not rendered camera=%s events=%d", snap.sensor_id, len(snap.event_ids))
            return []

    # --- the single emitter ---------------------------------------------------------------------
    def _emit_loop(self) -> None:
        while True:
            item = self.outbox.get()
            if item is None:
                return
            events, snapshots, evidence = item
            for snap in snapshots:
                try:
                    evidence = [*evidence, *self._render(snap)]
                finally:
                    self._snapshot_slots.release()
            try:
                self._keep(evidence, events)
            except Exception:  # evidence on disk is a convenience; the events must still go out
                log.exception("evidence not kept events=%d", len(events))
            self._emit_once(events, evidence)

    def _emit_once(self, events: list[Event], evidence: list[Evidence]) -> None:
        for attempt in range(1, _EMIT_RETRIES + 1):
            try:
                self.emit(events, evidence)
                return
            except Exception as exc:  # the callback is someone else's code: count, retry, go on
                log.error("emit failed attempt=%d events=%d error=%s", attempt, len(events), exc)
                time.sleep(0.2 * attempt)
        self.emit_failures += len(events)

    def _keep(self, evidence: list[Evidence], events: list[Event]) -> None:
        ts = {e.id: e.ts.timestamp() for e in events}
        for item in evidence:
            ev = self.configs[item.sensor_id].evidence
            key = (str(ev.dir), ev.keep_s)
            store = self._stores.setdefault(key, EvidenceStore(ev.dir, ev.keep_s))
            store.save(item, ts.get(item.event_id, time.time()))

    # --- health ---------------------------------------------------------------------------------
    def _state(self, cam: _Camera) -> SensorState:
        if not cam.reader.online:
            return SensorState.OFFLINE
        if cam.model_error or cam.tamper or cam.reader.stats().quality in ("C", "D"):
            return SensorState.DEGRADED
        return SensorState.ONLINE

    def telemetry(self) -> list[SensorTelemetry]:
        out = []
        for cam in self.cams.values():
            r = cam.reader.stats()
            process = cam.processed.rate()
            out.append(
                SensorTelemetry(
                    id=cam.id,
                    kind=SensorKind.CAMERA,
                    state=self._state(cam),
                    input_fps=round(r.camera_fps, 2),
                    process_fps=round(process, 2),
                    skipped_fps=round(max(0.0, r.camera_fps - process), 2),
                    detection_fps=round(cam.detected.rate(), 2),
                    inference_ms=round(cam.batcher.stats.ms_per_image, 2) if cam.batcher else 0.0,
                    dropped_frames=r.dropped + cam.stale,
                    reconnects_1h=r.reconnects_1h,
                    stalls_1h=r.stalls_1h,
                    quality=r.quality,
                )
            )
        return out

    def sensor_status(self) -> list[SensorStatus]:
        return [SensorStatus(id=c.id, kind=SensorKind.CAMERA, state=self._state(c)) for c in self.cams.values()]

    def models(self) -> list[ModelInfo]:
        return [b.detector.info() for b in self.batchers.values()]
