"""The agent's own defences on real footage: a fixed camera on a static scene with nobody in it.

The clip is opencv-doc's tree.avi (`make test` installs the package): a real camera behind a window,
looking at a tree whose leaves move in the wind, with sun flare and compression noise. Its
people-free part (frames 0-51; a hand enters later) is played forwards and backwards twice, so the
clip has no cut. The agent runs with the shipped camera model by its manifest name and its default
gating, tracking and suppression settings (only the frame rate is raised to the clip's 15 fps, so
every frame goes through the pipeline), with a border line down the middle of the frame and a zone
over all of it, as a technician would draw them. Nothing may come out: no track events, no line or
zone events, and a hub alert engine that fires on any track event raises nothing.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import cv2
import pytest

from borderwatch.contract import EventKind
from borderwatch.contract.events import Event
from borderwatch.edge.config.detector import DetectorConfig
from borderwatch.edge.evidence import Evidence
from borderwatch.edge.sensor.service import SensorService
from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.hub.alerts.config import AlertRule, AlertsConfig
from borderwatch.hub.alerts.engine import AlertEngine
from borderwatch.hub.alerts.store import SqliteAlertStore
from borderwatch.models.registry import MODELS_DIR
from tests.support.testpattern import write_video
from tests.support.waits import wait_until

TREE = Path("/usr/share/doc/opencv-doc/examples/data/tree.avi")
PEOPLE_FREE = 52  # frames before the hand comes in (checked by eye)
TRACK_KINDS = {
    EventKind.TRACK_NEW,
    EventKind.TRACK_UPDATE,
    EventKind.TRACK_END,
    EventKind.LINE_CROSSING,
    EventKind.ZONE_ENTRY,
    EventKind.ZONE_EXIT,
    EventKind.LOITERING,
}

pytestmark = pytest.mark.skipif(
    not TREE.exists() and shutil.which("apt-get") is None,
    reason=f"{TREE} missing and apt-get unavailable to install opencv-doc (`make test` installs it as root)",
)


def _clip(tmp: Path) -> tuple[Path, int]:
    if not TREE.exists():
        pytest.fail(f"{TREE} missing: run `make services` (installs opencv-doc) or apt-get install opencv-doc")
    cap = cv2.VideoCapture(str(TREE))
    frames = []
    while len(frames) < PEOPLE_FREE:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    cap.release()
    assert len(frames) == PEOPLE_FREE, f"{TREE}: only {len(frames)} frames decoded"
    played = (frames + frames[::-1]) * 2
    return write_video(tmp / "tree.avi", played, fps=15.0), len(played)


class Sink:
    """The emit callback: everything the service emits."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.lock = threading.Lock()

    def __call__(self, events: list[Event], evidence: list[Evidence]) -> None:
        with self.lock:
            self.events += events


def test_static_real_scene_gives_no_tracks_and_no_alerts(tmp_path: Path) -> None:
    path, n = _clip(tmp_path)
    cam = CameraConfig.model_validate(
        {
            "url": str(path),
            "fps": 15,
            "realtime": False,
            "pose": {"lat": 47.0, "lon": 9.0, "height_m": 6, "heading_deg": 90, "tilt_deg": 10, "hfov_deg": 60},
            "detection": {"model": "bw-cam-s"},
            "lines": [{"name": "border", "points": [[160, 0], [160, 240]]}],
            "zones": [{"name": "all", "points": [[0, 0], [320, 0], [320, 240], [0, 240]]}],
            "evidence": {"dir": str(tmp_path / "evidence")},
        }
    )
    sink = Sink()
    svc = SensorService("west-1", "mast-01", {"cameras": {"cam-1": cam}}, DetectorConfig(models_dir=MODELS_DIR), sink)
    svc.start()
    try:
        assert svc.sensors["cam-1"].unit.pipeline.uses_model, "the shipped model did not load"
        wait_until(lambda: svc.sensors["cam-1"].processed.total >= n, 180, f"all {n} frames through the pipeline")
    finally:
        svc.stop()
    with sink.lock:
        events = list(sink.events)
    tracks = [(e.kind.value, e.object_class, e.confidence) for e in events if e.kind in TRACK_KINDS]
    assert tracks == [], f"track events on a static real scene: {tracks}"

    store = SqliteAlertStore(tmp_path / "alerts.sqlite3")
    try:
        any_track = AlertRule(name="any-object", kinds=sorted(TRACK_KINDS, key=lambda k: k.value))
        engine = AlertEngine(AlertsConfig(rules=[any_track, AlertRule(name="crossing")]), store)
        assert engine.handle(events) == []
        engine.flush()
        assert engine.raised == 0
    finally:
        store.close()
