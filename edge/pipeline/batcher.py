"""Cross-sensor batching: ``lanes`` inference threads per model, fed by every sensor that uses it.

Sensor workers prepare their own model input (preprocessing is the sensor kind's: a camera
letterboxes its crops), submit the tensor and later decode the answer (``decode``: the decoder the
model's output layout needs), so all per-frame CPU work runs in the workers and overlaps inference. An inference thread
only forms batches and runs the model: it takes the first request, then keeps collecting until
every sensor active in the last second has one in, the batch is full, or ``batch_timeout_ms`` has
passed -- so a single busy sensor never waits for company. Requests whose frame is older than
``staleness_ms`` when the batch starts are answered ``None`` (skipped and counted) instead of
spending the model on old news. With several lanes the threads call the one session concurrently
(onnxruntime's ``run`` is thread-safe and releases the GIL), each with its own core(s).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from borderwatch.edge.config.detector import DetectorConfig
from borderwatch.edge.pipeline.decode import (
    BoxFilter,
    BoxMapping,
    Candidates,
    classifier_picks,
    decode_classifier,
    decode_yolo,
    output_layout,
)
from borderwatch.edge.pipeline.detector import DetectorBackend

log = logging.getLogger("borderwatch.sensor.inference")
_ACTIVE_S = 1.0


@dataclass(slots=True)
class Request:
    """One frame's model input (crops as the sensor kind prepared them), and where the raw output goes."""

    sensor_id: str
    tensor: np.ndarray
    ts: float
    live: bool = True
    future: Future = field(default_factory=Future)


@dataclass(slots=True)
class BatchStats:
    """Counters the service turns into telemetry (written by the inference threads under a lock)."""

    batches: int = 0
    images: int = 0
    stale: int = 0
    errors: int = 0
    ms_per_image: float = 0.0


class InferenceBatcher:
    """Owns the inference threads (lanes) of one model; ``decode`` turns their raw answers into candidates."""

    def __init__(self, detector: DetectorBackend, cfg: DetectorConfig, lanes: int = 1) -> None:
        self.detector, self.cfg, self.lanes = detector, cfg, max(1, int(lanes))
        # frames one sensor may have between plan and finish: two per lane, so a worker keeps gating
        # and preparing the next frames while the model is busy with earlier ones
        self.in_flight = 2 * self.lanes
        self.requests: queue.Queue[Request] = queue.Queue()
        self.sensors: set[str] = set()
        self.last_seen: dict[str, float] = {}
        self.stats = BatchStats()
        self._owners: dict[int, np.ndarray] = {}  # ``decode``'s frame-of-image column per batch size
        self._stats_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, name=f"inference-{detector.name}-{k}", daemon=True)
            for k in range(self.lanes)
        ]

    def register(self, sensor_id: str) -> None:
        """Count ``sensor_id`` among those a batch may wait for (only while it sent a request in the last second)."""
        self.sensors.add(sensor_id)

    def start(self) -> None:
        """Start the lane threads; call once, after every sensor using the model has registered."""
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the lanes (joining each for up to ``timeout`` s) and answer every queued request ``None``, so no
        sensor worker waits on a future that will never be set.
        """
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout)
        self._fail_pending()

    def submit(self, sensor_id: str, tensor: np.ndarray, ts: float, live: bool = True) -> Future:
        """Queue (K, 3, H, W) crops; the future gets the raw output ((K, 4+C, N), or (K, C) for a classifier),
        or None if skipped.

        ``live`` False (lossless file replay) never goes stale.
        """
        req = Request(sensor_id, tensor, ts, live)
        self.last_seen[sensor_id] = time.monotonic()
        if self._stop.is_set():
            req.future.set_result(None)
        else:
            self.requests.put(req)
        return req.future

    def decode(self, out: np.ndarray, mapping: BoxMapping, keep: BoxFilter | None = None) -> Candidates:
        """Frame-pixel candidates of one request's raw output (all its images are one frame, tiled or
        not), by the decoder the output's layout needs.
        """
        owner = self._owners.get(len(out))
        if owner is None:  # every image of a request is one frame's: the same read-only zeros every call
            owner = self._owners[len(out)] = np.zeros(len(out), np.int64)
            owner.flags.writeable = False
        c = self.cfg
        if output_layout(out.shape) == "classifier":
            return decode_classifier(out, mapping, owner, self.detector.input_wh, c.score_threshold)
        return decode_yolo(out, mapping, owner, c.score_threshold, c.iou_threshold, c.top_k, c.max_detections, keep)

    def picks(self, out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(image, class, score) per image of a classifier's raw output, as ``decode`` finds them but without
        mapping boxes back (a sensor whose images are its own chips needs none); None for a detector's output.
        """
        if output_layout(out.shape) != "classifier":
            return None
        return classifier_picks(out, self.cfg.score_threshold)

    def infer(self, tensor: np.ndarray) -> np.ndarray:
        """Run the model on a (B, 3, H, W) tensor in the caller's thread, at most ``max_batch`` images
        per call, timed into the stats (safe beside the lanes: the session runs concurrent calls).
        """
        t0 = time.perf_counter()
        step = self.cfg.max_batch  # a fixed-batch model runs image by image inside ``detector.infer``
        if len(tensor) <= step:
            out = self.detector.infer(tensor)
        else:
            out = np.concatenate([self.detector.infer(tensor[i : i + step]) for i in range(0, len(tensor), step)])
        self._account(len(tensor), time.perf_counter() - t0)
        return out

    # --- the inference thread -----------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self._collect()
            if batch:
                self._process(batch)

    def _collect(self) -> list[Request]:
        try:
            first = self.requests.get(timeout=0.2)
        except queue.Empty:
            return []
        batch, images = [first], len(first.tensor)
        deadline = time.monotonic() + self.cfg.batch_timeout_ms / 1000
        expected = self._active_sensors()
        while images < self.cfg.max_batch and len({r.sensor_id for r in batch}) < expected:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                req = self.requests.get(timeout=remaining)
            except queue.Empty:
                break
            batch.append(req)
            images += len(req.tensor)
        return self._drop_stale(batch)

    def _active_sensors(self) -> int:
        """Sensors that asked for inference within the last second: only they are worth waiting for
        (a sensor whose scene is quiet sends nothing, and nobody should wait for it).
        """
        horizon = time.monotonic() - _ACTIVE_S
        return max(1, sum(1 for sensor in self.sensors if self.last_seen.get(sensor, -1e18) >= horizon))

    def _drop_stale(self, batch: list[Request]) -> list[Request]:
        now = time.time()
        fresh = []
        for req in batch:  # one check per request
            if req.live and (now - req.ts) * 1000 > self.cfg.staleness_ms:
                with self._stats_lock:
                    self.stats.stale += 1
                req.future.set_result(None)
            else:
                fresh.append(req)
        return fresh

    def _process(self, batch: list[Request]) -> None:
        if not batch:
            return
        try:
            tensor = batch[0].tensor if len(batch) == 1 else np.concatenate([r.tensor for r in batch])
            out = self.infer(tensor)
        except Exception as exc:  # a model failure must not kill the thread: answer and count it
            with self._stats_lock:
                self.stats.errors += 1
            log.error("inference failed model=%s error=%s: %s", self.detector.name, type(exc).__name__, exc)
            for req in batch:
                req.future.set_result(None)
            return
        if len(batch) == 1:  # the usual batch: the whole output is the one request's
            batch[0].future.set_result(out)
            return
        bounds = np.cumsum([0] + [len(r.tensor) for r in batch])
        for req, a, b in zip(batch, bounds[:-1], bounds[1:], strict=True):  # one slice per request
            req.future.set_result(out[a:b])

    def _account(self, images: int, seconds: float) -> None:
        per = seconds * 1000 / max(images, 1)
        with self._stats_lock:  # several lanes finish batches at once
            s = self.stats
            s.batches += 1
            s.images += images
            s.ms_per_image = per if s.batches == 1 else 0.9 * s.ms_per_image + 0.1 * per

    def _fail_pending(self) -> None:
        while True:
            try:
                self.requests.get_nowait().future.set_result(None)
            except queue.Empty:
                return
