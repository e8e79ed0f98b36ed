"""Camera reader: reconnect after the stream dies, video loss/recovery, drop-oldest, files, redaction."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pytest

from borderwatch.edge.sensors.camera.capture import ArrayCapture
from borderwatch.edge.sensors.camera.config import CameraConfig
from borderwatch.edge.sensors.camera.reader import CameraReader
from borderwatch.edge.sensors.health import Backoff, LinkFigures, quality_grade
from borderwatch.edge.sensors.queues import DropOldestQueue
from borderwatch.runtime.redact import redact_with_url
from tests.support.testpattern import FAST_WATCHDOG, background, pattern_camera, write_video
from tests.support.waits import wait_until

BG = background((320, 240))


def _fast_watchdog(url: str, **extra) -> CameraConfig:
    return CameraConfig.model_validate(
        {
            "url": url,
            "fps": 10,
            "watchdog": FAST_WATCHDOG,
            **extra,
        }
    )


def test_reader_reconnects_after_the_stream_dies_and_counts_it():
    server = pattern_camera(lambda t: BG, fps=20)
    port = server.port
    reader = CameraReader("cam", _fast_watchdog(server.video_url))
    reader.start()
    try:
        wait_until(lambda: reader.frames.get(0.1) is not None, 5)
        server.stop()
        wait_until(lambda: not reader.online, 6)
        server = pattern_camera(lambda t: BG, fps=20, port=port)
        reader.frames.clear()
        wait_until(lambda: reader.online and reader.frames.get(0.1) is not None, 10)
        stats = reader.stats()
        assert stats.reconnects_1h >= 1 and stats.stalls_1h >= 1
        assert [(c.online, c.reason) for c in reader.pop_changes()][:2] == [
            (True, "frames"),
            (False, "stall"),
        ]
        assert stats.quality in ("B", "C", "D")
    finally:
        reader.stop()
        server.stop()
    assert not reader._thread.is_alive()


def test_drop_oldest_queue_keeps_the_newest_and_counts_drops():
    q: DropOldestQueue[int] = DropOldestQueue(2)
    assert [q.put(i) for i in range(5)] == [0, 0, 1, 1, 1]
    assert q.dropped == 3 and [q.get(0), q.get(0), q.get(0.01)] == [3, 4, None]
    with pytest.raises(ValueError):
        DropOldestQueue(0)


def test_slow_consumer_drops_frames_instead_of_lagging():
    frames = [np.full((8, 8, 3), i, np.uint8) for i in range(50)]
    cfg = CameraConfig.model_validate({"url": "memory", "fps": 120, "queue_size": 2, "realtime": False, "loop": True})
    reader = CameraReader(
        "cam",
        cfg.model_copy(update={"realtime": True}),
        capture_factory=lambda c: ArrayCapture(frames, fps=200),
    )
    reader.start()
    try:
        wait_until(lambda: reader.frames.dropped > 20, 5)
        assert len(reader.frames) <= 2
    finally:
        reader.stop()


def test_file_lossless_replay_then_end_of_file(tmp_path: Path):
    clip = [np.full((48, 64, 3), 10 * i, np.uint8) for i in range(12)]
    path = write_video(tmp_path / "clip.avi", clip, fps=10)
    reader = CameraReader("cam", CameraConfig(url=str(path), realtime=False, fps=2, queue_size=1))
    reader.start()
    got = []
    try:
        while len(got) < 12:
            f = reader.get(2.0)
            assert f is not None, f"only {len(got)} frames arrived"
            got.append(f)
        wait_until(lambda: reader.ended, 3)
    finally:
        reader.stop()
    assert [f.index for f in got] == list(range(12))
    assert np.allclose(np.diff([f.ts for f in got]), 0.1, atol=1e-6)  # file time, not wall time
    assert abs(float(got[5].data.mean()) - 50) < 4
    assert [c.reason for c in reader.pop_changes()] == ["frames", "eof"]


@pytest.mark.parametrize("realtime", [True, False])
def test_looping_file_keeps_playing_and_time_never_runs_back(tmp_path: Path, realtime: bool):
    path = write_video(tmp_path / "loop.avi", [BG] * 5, fps=50)
    reader = CameraReader("cam", CameraConfig(url=f"file://{path}", loop=True, fps=50, realtime=realtime))
    reader.start()
    try:
        got = []
        end = time.time() + 3
        while len(got) < 15 and time.time() < end:
            f = reader.get(0.5)
            got += [f] if f is not None else []
        assert len(got) >= 15 and not reader.ended
    finally:
        reader.stop()
    assert np.all(np.diff([f.ts for f in got]) > 0)


def test_decimation_to_the_configured_fps():
    server = pattern_camera(lambda t: BG, fps=25)
    reader = CameraReader("cam", CameraConfig(url=server.video_url, fps=5))
    reader.start()
    try:
        time.sleep(3.0)  # the window the rates are measured over, not a wait for something
        n = 0
        while reader.get(0) is not None:
            n += 1
        stats = reader.stats()
    finally:
        reader.stop()
        server.stop()
    assert 3.5 <= stats.taken_fps <= 6.5, stats
    assert stats.skipped_fps > stats.taken_fps and stats.source_fps > 2 * stats.taken_fps


def test_credentials_never_reach_logs_or_repr(caplog: pytest.LogCaptureFixture):
    url = "http://viewer:s3cr3t@127.0.0.1:9/stream.mjpg"
    cfg = _fast_watchdog(url)
    assert "s3cr3t" not in repr(cfg)
    assert "s3cr3t" not in redact_with_url(f"could not open {url}: refused (s3cr3t)", url)
    caplog.set_level(logging.DEBUG, logger="borderwatch")
    reader = CameraReader("cam", cfg)
    reader.start()
    try:
        wait_until(lambda: len(caplog.records) >= 2, 5)
    finally:
        reader.stop()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "127.0.0.1:9" in text and "s3cr3t" not in text and "viewer" not in text


def test_backoff_is_paced_and_capped_and_grades():
    b = Backoff(0.5, 3.0)
    assert [b.next() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    b.reset()
    assert b.next() == 0.5
    assert quality_grade(LinkFigures(True, 5.0, 5.0, 0, 0)) == "A"
    assert quality_grade(LinkFigures(True, 5.0, 5.0, 1, 1)) == "B"
    assert quality_grade(LinkFigures(True, 2.5, 5.0, 0, 0)) == "C"
    assert quality_grade(LinkFigures(False, 5.0, 5.0, 0, 0)) == "D"
