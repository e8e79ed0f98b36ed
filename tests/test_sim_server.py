"""Camera device server: a real MJPEG stream read by OpenCV, snapshots, faults, stream death."""

from __future__ import annotations

import json
import socket
import time
import urllib.request

import cv2
import numpy as np
import pytest

from borderwatch.simulators.camera.faults import Fault, apply_fault
from borderwatch.simulators.camera.render import CameraRenderer
from borderwatch.simulators.camera.server import CameraServer, SimClock
from borderwatch.simulators.scenario import ActorSpec, CameraPose, CameraSpec, Scenario, TerrainSpec
from borderwatch.simulators.site import Site
from tests.support.waits import listening, wait_until


def _scenario() -> Scenario:
    cam = CameraSpec(
        id="cam-t",
        pose=CameraPose(height_m=6, tilt_deg=10, hfov_deg=50),
        width=320,
        height=240,
        fps=25.0,
        noise_sigma=2.0,
    )
    actors = [ActorSpec(id="p", cls="person", waypoints=[(-5, 25), (5, 25)], speed_mps=1.0)]
    return Scenario(cameras=[cam], actors=actors, terrain=TerrainSpec(bushes=5, extent_m=100))


@pytest.fixture
def server():
    scn = _scenario()
    srv = CameraServer(CameraRenderer(scn, "cam-t", texture_px=256), SimClock().start()).start()
    yield srv
    srv.stop()


def _read(cap: cv2.VideoCapture, n: int) -> list[np.ndarray]:
    frames = []
    for _ in range(n):
        ok, f = cap.read()
        assert ok, "stream ended early"
        frames.append(f)
    return frames


def _post(url: str) -> dict:
    req = urllib.request.Request(url, data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def test_opencv_reads_the_mjpeg_stream_paced(server) -> None:
    cap = cv2.VideoCapture(server.video_url)
    assert cap.isOpened()
    _read(cap, 3)
    t = time.monotonic()
    frames = _read(cap, 10)
    dt = time.monotonic() - t
    cap.release()
    assert frames[0].shape == (240, 320, 3)
    assert 0.2 < dt < 2.0  # 10 frames at 25 fps: paced, not as fast as possible
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 0.5  # time moves: noise, walker


def test_snapshot_and_health(server) -> None:
    with urllib.request.urlopen(server.url + "/snapshot.jpg", timeout=5) as resp:
        img = cv2.imdecode(np.frombuffer(resp.read(), np.uint8), cv2.IMREAD_COLOR)
    assert img.shape == (240, 320, 3)
    with urllib.request.urlopen(server.url + "/health", timeout=5) as resp:
        assert json.loads(resp.read())["camera"] == "cam-t"


def test_black_frame_fault_over_http_then_clears(server) -> None:
    cap = cv2.VideoCapture(server.video_url)
    _read(cap, 2)
    assert _post(server.url + "/fault?mode=black&duration_s=0.6")["fault"] == "black"
    frames = _read(cap, 4)
    assert frames[-1].max() < 10
    wait_until(lambda: _read(cap, 1)[0].mean() > 40, 5, "the picture back after the fault")  # drains the buffer
    cap.release()


def test_freeze_repeats_the_same_picture(server) -> None:
    cap = cv2.VideoCapture(server.video_url)
    _read(cap, 2)
    server.set_fault(Fault.FREEZE)
    a, b = _read(cap, 6)[-2:]
    assert np.array_equal(a, b)
    cap.release()


def test_kill_closes_stream_and_refuses_then_revives(server) -> None:
    cap = cv2.VideoCapture(server.video_url)
    _read(cap, 2)
    _post(server.url + "/fault?mode=kill&duration_s=1.5")
    wait_until(lambda: not listening(server.port), 5, "the camera port to close")
    ok = True
    for _ in range(5):  # what was already buffered may still come out
        ok, _ = cap.read()
        if not ok:
            break
    assert not ok
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
    wait_until(lambda: listening(server.port), 5, "the camera port to reopen")
    cap = cv2.VideoCapture(server.video_url)
    assert cap.isOpened() and cap.read()[0]
    cap.release()


def test_unknown_fault_is_rejected(server) -> None:
    req = urllib.request.Request(server.url + "/fault?mode=melt", data=b"", method="POST")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=5)
    assert exc.value.code == 400


@pytest.mark.parametrize("fault", sorted(Fault))
def test_apply_fault_table(fault: Fault) -> None:
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (60, 80, 3), dtype=np.uint8)
    frozen = np.full_like(frame, 7)
    out = apply_fault(frame, fault, frozen)
    assert out.shape == frame.shape and out.dtype == np.uint8
    expect = {
        Fault.NONE: lambda o: o is frame,
        Fault.FREEZE: lambda o: o is frozen,
        Fault.BLACK: lambda o: o.max() == 0,
        Fault.UNIFORM: lambda o: o.std() == 0,
        Fault.BLUR: lambda o: o.astype(float).std() < frame.astype(float).std() / 3,
        Fault.SHIFT: lambda o: np.abs(o.astype(int) - frame.astype(int)).mean() > 30,
    }
    assert expect[fault](out)


def test_site_serves_all_cameras_and_writes_truth(tmp_path) -> None:
    from borderwatch.simulators.presets import PRESETS

    site = Site(PRESETS["border-crossing"]()).start()
    try:
        urls = site.urls()
        assert sorted(urls) == ["cam-1", "cam-2"]
        n = site.write_truth(tmp_path / "truth.jsonl")
        rows = [json.loads(x) for x in (tmp_path / "truth.jsonl").read_text().splitlines()]
        assert rows[0]["kind"] == "run" and rows[0]["started"].endswith("Z")
        crossing_rows = [r for r in rows if r["kind"] == "crossing"]
        assert n == len(crossing_rows) >= 6 and all(r["ts"].endswith("Z") and r["seen_by"] for r in crossing_rows)
        cap = cv2.VideoCapture(urls["cam-2"])
        assert cap.read()[1].shape == (540, 960, 3)
        cap.release()
    finally:
        site.stop()
