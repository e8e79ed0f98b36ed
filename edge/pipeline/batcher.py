"""Cross-camera batching: ``lanes`` inference threads per model, fed by every camera that uses it.

Camera workers letterbox their own crops (``Preprocessor``), submit the tensor and later decode the
answer, so all per-frame CPU work runs in the workers and overlaps inference. An inference thread
only forms batches and runs the model: it takes the first request, then keeps collecting until
every camera active in the last second has one in, the batch is full, or ``batch_timeout_ms`` has
passed -- so a single busy camera never waits for company. Requests whose frame is older than
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
from borderwatch.edge.pipeline.decode import Candidates, decode_yolo
from borderwatch.edge.pipeline.detector import DetectorBackend
from borderwatch.edge.sensors.camera.letterbox import Letterbox, LetterboxBatcher
from borderwatch.edge.sensors.camera.regions import Tiling

log = logging.getLogger("borderwatch.camera.inference")
_ACTIVE_S = 1.0


@dataclass(slots=True)
class Request:
    """One frame's letterboxed crops for the model, and where the raw output goes."""

    camera_id: str
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


class Preprocessor:
    """A camera worker's letterboxing, with a few rotating buffers: the tensor of the frame in flight
    must stay intact while the next frame is prepared.
    """

    def __init__(self, input_wh: tuple[int, int], slots: int = 3) -> None:
        self._slots = [LetterboxBatcher(input_wh) for _ in range(slots)]
        self._next = 0

    def __call__(self, frame: np.ndarray, rects: np.ndarray) -> tuple[np.ndarray, Letterbox]:
        batcher = self._slots[self._next]
        self._next = (self._next + 1) % len(self._slots)
        rects = np.asarray(rects, np.int64).reshape(-1, 4)
        return batcher([frame] * len(rects), rects)


class InferenceBatcher:
    """Owns the inference threads (lanes) of one model; ``decode`` turns their raw answers into candidates."""

    def __init__(self, detector: DetectorBackend, cfg: DetectorConfig, lanes: int = 1) -> None:
        self.detector, self.cfg, self.lanes = detector, cfg, max(1, int(lanes))
        # frames one camera may have between plan and finish: two per lane, so a worker keeps gating
        # and preparing the next frames while the model is busy with earlier ones
        self.in_flight = 2 * self.lanes
        self.requests: queue.Queue[Request] = queue.Queue()
        self.cameras: set[str] = set()
        self.last_seen: dict[str, float] = {}
        self.stats = BatchStats()
        self._stats_lock = threading.Lock()
        self._direct: Preprocessor | None = None
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, name=f"inference-{detector.name}-{k}", daemon=True)
            for k in range(self.lanes)
        ]

    def register(self, camera_id: str) -> None:
        self.cameras.add(camera_id)

    def preprocessor(self) -> Preprocessor:
        """A letterboxer for one camera worker, sized for this model, with a buffer for every frame
        the worker may have in flight plus the one being prepared.
        """
        return Preprocessor(self.detector.input_wh, slots=self.in_flight + 1)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout)
        self._fail_pending()

    def submit(self, camera_id: str, tensor: np.ndarray, ts: float, live: bool = True) -> Future:
        """Queue (K, 3, H, W) crops; the future gets the raw (K, 4+C, N) output, or None if skipped.

        ``live`` False (lossless file replay) never goes stale.
        """
        req = Request(camera_id, tensor, ts, live)
        self.last_seen[camera_id] = time.monotonic()
        if self._stop.is_set():
            req.future.set_result(None)
        else:
            self.requests.put(req)
        return req.future

    def decode(self, out: np.ndarray, letterbox: Letterbox, tiling: Tiling | None = None) -> Candidates:
        """Frame-pixel candidates of one request's raw output (all its crops are one frame, tiled or
        not).
        """
        owner = np.zeros(len(out), np.int64)
        c = self.cfg
        return decode_yolo(out, letterbox, owner, c.score_threshold, c.iou_threshold, c.top_k, c.max_detections, tiling)

    def run_direct(self, frame: np.ndarray, rects: np.ndarray, tiling: Tiling | None = None) -> Candidates:
        """Synchronous detection on one frame's crops (CLI tools, benchmarks), no thread involved."""
        if self._direct is None:
            self._direct = Preprocessor(self.detector.input_wh, slots=1)
        tensor, lb = self._direct(frame, rects)
        return self.decode(self.infer(tensor), lb, tiling)

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
        expected = self._active_cameras()
        while images < self.cfg.max_batch and len({r.camera_id for r in batch}) < expected:
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

    def _active_cameras(self) -> int:
        """Cameras that asked for inference within the last second: only they are worth waiting for
        (a camera whose scene is quiet sends nothing, and nobody should wait for it).
        """
        horizon = time.monotonic() - _ACTIVE_S
        return max(1, sum(1 for cam in self.cameras if self.last_seen.get(cam, -1e18) >= horizon))

    def _drop_stale(self, batch: list[Request]) -> list[Request]:
        now = time.time()
        fresh = []
        for req in batch:  # one check per camera request
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
