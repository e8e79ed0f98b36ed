"""Cross-camera batching: one inference thread per model, fed by every camera that uses it.

Camera workers submit a frame's crops and wait on a future. The inference thread takes the first
request, then keeps collecting until every registered camera has one in (each camera has at most
one outstanding), the batch is full, or ``batch_timeout_ms`` has passed -- so a single busy camera
never waits for company. Requests whose frame is older than ``staleness_ms`` when the batch
starts are answered ``None`` (skipped and counted) instead of spending the model on old news.
Letterboxing and decoding run over the whole batch at once, while the camera workers finish their
previous frames (see ``CameraService._work``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from edge.config.camera import DetectorConfig
from edge.pipeline.decode import Candidates, decode_yolo
from edge.pipeline.detector import DetectorBackend
from edge.pipeline.letterbox import LetterboxBatcher

log = logging.getLogger("borderwatch.camera.inference")


@dataclass(slots=True)
class Request:
    """One frame's crops for the model, and where the answer goes."""

    camera_id: str
    frame: np.ndarray
    ts: float
    rects: np.ndarray
    live: bool = True
    future: Future = field(default_factory=Future)


@dataclass(slots=True)
class BatchStats:
    """Counters the service turns into telemetry (written by the inference thread only)."""

    batches: int = 0
    images: int = 0
    stale: int = 0
    errors: int = 0
    ms_per_image: float = 0.0


def split_by_request(cands: Candidates, n: int) -> list[Candidates]:
    """Per-request views of a batch's candidates (``frame`` is the request index)."""
    out = []
    for i in range(n):  # one slice per camera request, not per box
        m = cands.frame == i
        out.append(
            Candidates(cands.xyxy[m], cands.score[m], cands.class_id[m], cands.image[m], cands.frame[m])
        )
    return out


class InferenceBatcher:
    """Owns the inference thread of one model."""

    def __init__(self, detector: DetectorBackend, cfg: DetectorConfig) -> None:
        self.detector, self.cfg = detector, cfg
        self.letterbox = LetterboxBatcher(detector.input_wh)
        self.requests: queue.Queue[Request] = queue.Queue()
        self.cameras: set[str] = set()
        self.last_seen: dict[str, float] = {}
        self.stats = BatchStats()
        self._model_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"inference-{detector.name}", daemon=True)

    def register(self, camera_id: str) -> None:
        self.cameras.add(camera_id)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._fail_pending()

    def submit(
        self, camera_id: str, frame: np.ndarray, ts: float, rects: np.ndarray, live: bool = True
    ) -> Future:
        """Queue a frame's crops; ``live`` False (lossless file replay) never goes stale."""
        req = Request(camera_id, frame, ts, np.asarray(rects, np.int64).reshape(-1, 4), live)
        self.last_seen[camera_id] = time.monotonic()
        if self._stop.is_set():
            req.future.set_result(None)
        else:
            self.requests.put(req)
        return req.future

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
        batch, images = [first], len(first.rects)
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
            images += len(req.rects)
        return self._drop_stale(batch)

    def _active_cameras(self) -> int:
        """Cameras that asked for inference within the last second: only they are worth waiting for
        (a camera whose scene is quiet sends nothing, and nobody should wait for it).
        """
        horizon = time.monotonic() - 1.0
        return max(1, sum(1 for cam in self.cameras if self.last_seen.get(cam, -1e18) >= horizon))

    def _drop_stale(self, batch: list[Request]) -> list[Request]:
        now = time.time()
        fresh = []
        for req in batch:  # one check per camera request
            if req.live and (now - req.ts) * 1000 > self.cfg.staleness_ms:
                self.stats.stale += 1
                req.future.set_result(None)
            else:
                fresh.append(req)
        return fresh

    def detect(self, frames: list[np.ndarray], rects: np.ndarray, owner: np.ndarray) -> Candidates:
        """Letterbox, infer and decode crops ``rects[i]`` of ``frames[i]``; groups by ``owner[i]``."""
        with self._model_lock:  # the inference thread and inline callers share one session and buffers
            return self._detect(frames, rects, owner)

    def _detect(self, frames: list[np.ndarray], rects: np.ndarray, owner: np.ndarray) -> Candidates:
        t0 = time.perf_counter()
        tensor, lb = self.letterbox(frames, rects)
        out = self._infer(tensor)
        cands = decode_yolo(
            out,
            lb,
            owner,
            self.cfg.score_threshold,
            self.cfg.iou_threshold,
            self.cfg.top_k,
            self.cfg.max_detections,
        )
        self._account(len(rects), time.perf_counter() - t0)
        return cands

    def run_direct(self, frame: np.ndarray, rects: np.ndarray) -> Candidates:
        """Synchronous detection on one frame's crops (CLI tools, benchmarks), no thread involved."""
        rects = np.asarray(rects, np.int64).reshape(-1, 4)
        return self.detect([frame] * len(rects), rects, np.zeros(len(rects), np.int64))

    def _process(self, batch: list[Request]) -> None:
        if not batch:
            return
        try:
            frames = [r.frame for r in batch for _ in range(len(r.rects))]
            rects = np.concatenate([r.rects for r in batch])
            owner = np.concatenate([np.full(len(r.rects), i, np.int64) for i, r in enumerate(batch)])
            cands = self.detect(frames, rects, owner)
        except Exception as exc:  # a model failure must not kill the thread: answer and count it
            self.stats.errors += 1
            log.error("inference failed model=%s error=%s: %s", self.detector.name, type(exc).__name__, exc)
            for req in batch:
                req.future.set_result(None)
            return
        for req, part in zip(batch, split_by_request(cands, len(batch)), strict=True):
            req.future.set_result(part)

    def _infer(self, tensor: np.ndarray) -> np.ndarray:
        step = self.cfg.max_batch if self.detector.dynamic_batch else 1
        if len(tensor) <= step:
            return self.detector.infer(tensor)
        return np.concatenate(
            [self.detector.infer(tensor[i : i + step]) for i in range(0, len(tensor), step)]
        )

    def _account(self, images: int, seconds: float) -> None:
        s = self.stats
        s.batches += 1
        s.images += images
        per = seconds * 1000 / max(images, 1)
        s.ms_per_image = per if s.batches == 1 else 0.9 * s.ms_per_image + 0.1 * per

    def _fail_pending(self) -> None:
        while True:
            try:
                self.requests.get_nowait().future.set_result(None)
            except queue.Empty:
                return
