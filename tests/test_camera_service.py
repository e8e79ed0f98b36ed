"""The sensor service running cameras end to end: MJPEG stream or video file in, contract events and evidence out."""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from borderwatch.contract.events import Event, EventKind
from borderwatch.contract.status import SensorState
from borderwatch.edge.config.detector import DetectorConfig
from borderwatch.edge.evidence import Evidence, Snapshot
from borderwatch.edge.pipeline.batcher import InferenceBatcher
from borderwatch.edge.pipeline.detector import OnnxDetector
from borderwatch.edge.pipeline.modelref import resolve_model
from borderwatch.edge.sensor.emitter import Emitter
from borderwatch.edge.sensor.service import SensorService
from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.edge.sensors.camera.kind import CameraKind
from borderwatch.edge.sensors.camera.letterbox import Preprocessor
from tests.support.synthetic_models import bright_object_model
from tests.support.testpattern import FAST_WATCHDOG, Mover, background, pattern_camera, render, write_video
from tests.support.waits import wait_until

BG = background((640, 480), seed=5)
WALKER = [Mover((40, 220), (160, 0), (30, 60))]  # crosses x=320 at about t=1.6 s
BORDER = {"name": "border", "points": [[320, 0], [320, 480]], "inbound_side": "left"}
START_S = 2.5  # the walker waits this long, so a slow start-up under load cannot miss the crossing


class Sink:
    """The emit callback: records what the service emits, from which thread."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.evidence: list[Evidence] = []
        self.threads: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, events: list[Event], evidence: list[Evidence]) -> None:
        with self.lock:
            self.events += events
            self.evidence += evidence
            self.threads.add(threading.current_thread().name)

    def kinds(self, kind: EventKind) -> list[Event]:
        with self.lock:
            return [e for e in self.events if e.kind is kind]

    def wait(self, kind: EventKind, timeout: float, n: int = 1) -> list[Event]:
        with contextlib.suppress(AssertionError):  # callers assert on what arrived, with their own message
            wait_until(lambda: len(self.kinds(kind)) >= n, timeout, f"{n} {kind} events")
        return self.kinds(kind)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bright_object_model(tmp_path_factory.mktemp("models") / "bright.onnx", (320, 320))


def _camera(url: str, tmp: Path, model_path: Path | None, **extra) -> CameraConfig:
    return CameraConfig.model_validate(
        {
            "url": url,
            "fps": 10,
            "watchdog": FAST_WATCHDOG,
            "pose": {
                "lat": 47.0,
                "lon": 9.0,
                "height_m": 10,
                "heading_deg": 180,
                "tilt_deg": 20,
                "hfov_deg": 70,
            },
            "detection": {"model": str(model_path) if model_path else None},
            "lines": [BORDER],
            "tracker": {"min_hits": 2},
            "evidence": {"dir": str(tmp / "evidence")},
            **extra,
        }
    )


def test_mjpeg_stream_with_model_gives_tracks_crossings_evidence_and_video_loss(model: Path, tmp_path: Path):
    server = pattern_camera(lambda t: render(max(0.0, t - START_S), WALKER, BG), fps=10)
    port = server.port
    sink = Sink()
    svc = SensorService(
        "site-1",
        "mast-7",
        {"cameras": {"cam-n": _camera(server.video_url, tmp_path, model)}},
        DetectorConfig(models_dir=tmp_path),
        sink,
    )
    svc.start()
    try:
        crossing = sink.wait(EventKind.LINE_CROSSING, 12)
        assert crossing, [e.kind for e in sink.events]
        new = sink.kinds(EventKind.TRACK_NEW)
        assert len(new) == 1 and new[0].object_class.value == "person"
        assert crossing[0].rule.rule == "border" and crossing[0].rule.direction == "inbound"
        assert crossing[0].track_id == new[0].track_id
        ev = crossing[0]
        assert (ev.seq, ev.site, ev.agent, ev.sensor.id, ev.sensor.kind.value) == (
            0,
            "site-1",
            "mast-7",
            "cam-n",
            "camera",
        )
        assert ev.box.frame_width == 640 and 290 < (ev.box.x1 + ev.box.x2) / 2 < 400
        assert ev.position is not None and ev.position.lat < 47.0  # camera looks south
        assert abs((datetime.now(UTC) - ev.ts).total_seconds()) < 10
        assert {e.event_id for e in sink.evidence} == {new[0].id, ev.id}
        assert all(e.jpeg[:2] == b"\xff\xd8" and len(e.jpeg) <= 150_000 for e in sink.evidence)
        assert len(list((tmp_path / "evidence" / "cam-n").glob("*.jpg"))) == 2
        assert svc.models()[0].name == "bright" and len(svc.models()[0].sha256) == 64
        tele = svc.telemetry()[0]
        assert tele.process_fps > 3 and tele.detection_fps > 1 and tele.inference_ms > 0 and tele.state == "online"

        server.stop()
        offline = sink.wait(EventKind.SENSOR_OFFLINE, 8)
        assert offline and offline[0].attributes["reason"] in ("stall", "open_failed")
        assert sink.kinds(EventKind.TRACK_END)  # tracks end with the video
        assert svc.sensor_status()[0].state is SensorState.OFFLINE
        server = pattern_camera(lambda t: render(t, WALKER, BG), fps=10, port=port)
        assert sink.wait(EventKind.SENSOR_ONLINE, 10)
        assert svc.telemetry()[0].reconnects_1h >= 1
    finally:
        svc.stop()
        server.stop()
    svc.stop()  # idempotent
    assert sink.threads == {"sensor-emitter"}
    alive = [t.name for t in threading.enumerate() if t.name.startswith(("cam-", "sensor-", "inference-"))]
    assert alive == []


def test_video_file_with_motion_blob_fallback(tmp_path: Path):
    frames = [render(i / 10, WALKER, BG) for i in range(45)]
    path = write_video(tmp_path / "walk.avi", frames, fps=10)
    sink = Sink()
    cfg = _camera(str(path), tmp_path, None, realtime=False, motion={"absorb_frames": 8})
    svc = SensorService("site-1", "mast-7", {"cameras": {"cam-f": cfg}}, DetectorConfig(), sink)
    svc.start()
    try:
        crossing = sink.wait(EventKind.LINE_CROSSING, 15)
    finally:
        svc.stop()
    assert crossing and crossing[0].rule.direction == "inbound"
    assert crossing[0].object_class.value == "unknown"
    assert len(sink.kinds(EventKind.TRACK_NEW)) == 1
    assert svc.models() == []


def test_unusable_model_falls_back_to_blobs_and_reports_degraded(tmp_path: Path):
    server = pattern_camera(lambda t: BG, fps=10)
    svc = SensorService(
        "s",
        "a",
        {"cameras": {"cam": _camera(server.video_url, tmp_path, tmp_path / "missing.onnx")}},
        DetectorConfig(models_dir=tmp_path),
        Sink(),
    )
    svc.start()
    try:
        wait_until(lambda: svc.sensor_status()[0].state is not SensorState.OFFLINE, 5, "the camera to come up")
        assert svc.sensor_status()[0].state is SensorState.DEGRADED
        assert svc.sensors["cam"].unit.pipeline.uses_model is False
    finally:
        svc.stop()
        server.stop()


def test_batcher_joins_cameras_into_one_batch_and_skips_stale_frames(model: Path):
    det = OnnxDetector(resolve_model(str(model), model.parent), 1)
    # A batch waits up to batch_timeout_ms (at most 200) for every camera active in the last second:
    # "b" is submitted right after "a" (no sleep in between that a loaded machine could stretch).
    b = InferenceBatcher(det, DetectorConfig(batch_timeout_ms=200, staleness_ms=1000))
    b.register("a")
    b.register("b")
    b.start()
    try:
        prep = Preprocessor(b.detector.input_wh, slots=b.in_flight + 1)
        frame = render(0.5, WALKER, BG)
        rect = np.array([[0, 0, 640, 480]])
        tensor, lb = prep(frame, rect)
        b.submit("a", tensor, time.time()).result(5)  # both cameras active recently
        b.submit("b", tensor, time.time()).result(5)
        batches, images = b.stats.batches, b.stats.images
        fa = b.submit("a", tensor, time.time())
        fb = b.submit("b", tensor, time.time())
        ra, rb = b.decode(fa.result(5), lb), b.decode(fb.result(5), lb)
        assert (b.stats.batches - batches, b.stats.images - images) == (1, 2)
        assert np.allclose(ra.xyxy, rb.xyxy) and np.allclose(ra.xyxy[0], [120, 220, 150, 280], atol=1)
        assert b.submit("a", tensor, time.time() - 5).result(5) is None
        assert b.stats.stale == 1
        assert b.submit("a", tensor, time.time() - 5, live=False).result(5) is not None  # replays: never stale
    finally:
        b.stop()


class SlowModel:
    """A DetectorBackend whose calls take a while and record how many ran at once."""

    name, labels, input_wh, dynamic_batch = "slow", ("person",), (32, 32), True

    def __init__(self) -> None:
        self.running = self.most = 0
        self.lock = threading.Lock()

    def infer(self, batch: np.ndarray) -> np.ndarray:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.15)
        with self.lock:
            self.running -= 1
        out = np.zeros((len(batch), 5, 1), np.float32)
        out[:, 4, 0] = batch[:, 0, 0, 0]  # echo the input, so each answer can be told apart
        return out

    def info(self):  # pragma: no cover - not used here
        raise NotImplementedError


def test_batcher_lanes_run_model_calls_side_by_side_and_answer_each_request():
    model = SlowModel()
    b = InferenceBatcher(model, DetectorConfig(batch_timeout_ms=0), lanes=2)
    b.register("a")
    b.start()
    try:
        tensors = [np.full((1, 3, 32, 32), k / 10, np.float32) for k in range(6)]
        futures = [b.submit("a", t, time.time(), live=False) for t in tensors]
        answers = [f.result(5) for f in futures]
    finally:
        b.stop()
    assert model.most == 2  # two lanes, never more
    assert [round(float(a[0, 4, 0]), 3) for a in answers] == [k / 10 for k in range(6)]
    assert (b.stats.images, b.stats.batches) == (6, 6)


@pytest.mark.parametrize(
    ("lanes", "threads", "cores", "plan"),
    [(0, 0, 1, (1, 1)), (0, 0, 2, (2, 1)), (0, 0, 8, (2, 4)), (1, 0, 2, (1, 2)), (3, 2, 2, (3, 2))],
)
def test_detector_thread_plan(lanes: int, threads: int, cores: int, plan: tuple[int, int]):
    assert DetectorConfig(lanes=lanes, intra_op_threads=threads).threads(cores) == plan


def test_snapshots_render_on_the_emitter_but_never_hold_more_than_a_few_frames(tmp_path: Path):
    sink = Sink()
    cam = CameraConfig.model_validate({"evidence": {"dir": str(tmp_path)}})
    emitter = Emitter(sink, lambda sensor_id: cam.evidence)  # not running: items stay queued
    frame = render(0.5, WALKER, BG)
    now = datetime.now(UTC)
    snaps = [
        Snapshot(
            "cam",
            (f"event-{k:04d}",),
            frame,
            np.array([[10.0, 10, 60, 90]]),
            ("person #1",),
            np.ones(1, bool),
            150_000,
            640,
        )
        for k in range(10)
    ]
    events = [
        Event(
            id=f"event-{k:04d}",
            seq=0,
            ts=now,
            site="s",
            agent="a",
            sensor={"id": "cam", "kind": "camera"},
            kind=EventKind.TRACK_NEW,
        )
        for k in range(10)
    ]
    for ev, snap in zip(events, snaps, strict=True):
        emitter.queue([ev], [snap])
    items = [emitter.items.get_nowait() for _ in range(10)]
    assert [len(deferred) for _, deferred, _ in items] == [1] * 8 + [0] * 2  # 8 frames held, then rendered here
    assert all(e[0].jpeg[:2] == b"\xff\xd8" for _, _, e in items[8:])
    for item in items:  # the emitter's part: render, keep, emit; each frame's slot is given back
        emitter.items.put(item)
    emitter.items.put(None)
    emitter.run()
    assert sorted(e.event_id for e in sink.evidence) == [e.id for e in events]
    assert emitter.snapshot_slots.acquire(blocking=False)  # slots free again
    assert len(list(tmp_path.rglob("*.jpg"))) == 10  # and every snapshot kept on the agent


def test_sensor_ids_must_be_topic_safe_and_unique_and_sections_known():
    with pytest.raises(ValueError, match="sensor ids must be letters"):
        SensorService("s", "a", {"cameras": {"cam/1": CameraConfig()}}, DetectorConfig(), Sink())
    with pytest.raises(ValueError, match="no sensor kind registered for sections \\['sonars'\\]"):
        SensorService("s", "a", {"sonars": {"s1": CameraConfig()}}, DetectorConfig(), Sink())
    twice = {"cameras": {"x": CameraConfig()}, "others": {"x": CameraConfig()}}
    with pytest.raises(ValueError, match="unique across sections"):
        SensorService("s", "a", twice, DetectorConfig(), Sink(), {"cameras": CameraKind(), "others": CameraKind()})
