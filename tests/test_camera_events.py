"""Event lifecycle and throttling, and evidence snapshots (size cap, drawing, retention on disk)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np

from borderwatch.contract.events import EventKind
from borderwatch.edge.config.events import EventsConfig
from borderwatch.edge.evidence import Evidence, EvidenceStore, encode_capped, render_snapshot
from borderwatch.edge.pipeline.events import EventFactory, TrackView


def view(ids: list[int], x: list[float], stationary: list[bool] | None = None) -> TrackView:
    n = len(ids)
    xs = np.asarray(x, float)
    xyxy = np.stack((xs, np.full(n, 100.0), xs + 30, np.full(n, 160.0)), axis=1)
    latlon = np.tile([47.0, 9.0], (n, 1))
    still = np.asarray(stationary if stationary is not None else [False] * n)
    return TrackView(
        np.asarray(ids),
        xyxy,
        np.zeros(n, np.int64),
        np.full(n, 0.8),
        still,
        latlon,
        np.full(n, 2.0),
        (640, 480),
    )


def test_updates_are_throttled_with_a_heartbeat_and_state_is_pruned():
    f = EventFactory(
        "s", "a", "cam", EventsConfig(update_min_interval_s=1.0, heartbeat_s=5.0, significant_move_frac=0.25)
    )
    log = []
    empty = view([], [])
    for step in range(100):  # 10 s at 10 fps; the track moves 20 px per frame for 3 s, then stands
        t = step / 10
        x = 20 * min(step, 30)
        events = f.lifecycle(view([7], [x]), [7] if step == 0 else [], np.array([True]), empty, t)
        log += [(e.kind.value, round(t, 1)) for e in events]
    kinds = [k for k, _ in log]
    assert kinds[0] == "track_new" and kinds.count("track_new") == 1
    times = [t for k, t in log if k == "track_update"]
    assert np.all(np.diff(times) >= 1.0 - 1e-9)  # never faster than the minimum interval
    assert times[:3] == [1.0, 2.0, 3.0]  # significant motion: as often as allowed
    assert times[3:] == [8.0]  # then standing still: only the heartbeat
    ended = f.lifecycle(empty, [], np.zeros(0, bool), view([7], [600]), 10.0)
    assert [e.kind for e in ended] == [EventKind.TRACK_END] and len(f.throttle) == 0


def test_events_carry_box_position_and_contract_fields():
    f = EventFactory("site-1", "mast-2", "cam-3", EventsConfig())
    ev = f.lifecycle(view([5], [630]), [5], np.array([True]), view([], []), 1_700_000_000.0)[0]
    assert ev.seq == 0 and ev.ts.timestamp() == 1_700_000_000.0
    prefix, number = ev.id.rsplit("-", 1)
    assert len(prefix) == 20 and len(number) == 11  # the agent's random prefix, then a counter
    again = f.lifecycle(view([6], [630]), [6], np.array([True]), view([], []), 1_700_000_001.0)[0]
    assert again.id == f"{prefix}-{int(number) + 1:011d}"  # the next id: the hub keeps them as one run
    assert (ev.box.x2, ev.box.frame_width) == (640, 640)  # clipped to the frame
    assert ev.position.lat == 47.0 and ev.position.uncertainty_m == 2.0
    assert ev.object_class.value == "person" and ev.track_id == 5
    crossing = f.rule(EventKind.LINE_CROSSING, view([5], [300]), [0], "border", 1.0, direction=["inbound"])[0]
    assert crossing.rule.rule == "border" and crossing.rule.direction == "inbound"


def test_snapshot_is_size_capped_and_shows_the_boxes():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (1080, 1920, 3), dtype=np.uint8)  # noise: the worst case for JPEG
    jpeg = encode_capped(frame, 60_000, 960)
    assert jpeg[:2] == b"\xff\xd8" and len(jpeg) <= 60_000
    flat = np.full((480, 640, 3), 40, np.uint8)
    img = cv2.imdecode(
        np.frombuffer(
            render_snapshot(flat, np.array([[100.0, 100, 200, 300]]), ["person #1"], np.array([True]), 150_000, 960),
            np.uint8,
        ),
        cv2.IMREAD_COLOR,
    )
    assert img.shape == (480, 640, 3)
    edge = img[150:250, 98:103].astype(int)
    assert (edge[..., 2] - edge[..., 1]).max() > 60  # the subject's box is drawn in red
    assert np.abs(img[300:400, 400:500].astype(int) - 40).max() < 12  # elsewhere the frame is untouched


def test_store_keeps_snapshots_for_the_configured_time(tmp_path: Path):
    store = EvidenceStore(tmp_path, keep_s=60)
    old = store.save(Evidence("e1", "cam", b"\xff\xd8old"), time.time() - 120)
    new = store.save(Evidence("e2", "cam", b"\xff\xd8new"), time.time())
    os.utime(old, (time.time() - 120, time.time() - 120))
    assert store.prune(force=True) == 1
    assert not old.exists() and new.exists() and new.parent.name == "cam"
    assert EvidenceStore(tmp_path, keep_s=0).save(Evidence("e3", "cam", b"x"), time.time()) is None
