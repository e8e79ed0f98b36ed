"""The radar's tracker and unit: crossing targets keep their ids, M-of-N confirmation and deletion,
radar-made tracks pass through with mapped ids, events carry range/bearing/speed/course and lat/lon."""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch.contract.events import EventKind
from borderwatch.edge.pipeline.detections import X_M, Y_M, Detections
from borderwatch.edge.sensor.kind import BuildContext
from borderwatch.edge.sensors.frame import Frame
from borderwatch.edge.sensors.radar.config import RadarConfig, RadarPose, RadarTrackerConfig
from borderwatch.edge.sensors.radar.kind import RadarUnit
from borderwatch.edge.sensors.radar.records import RadarRecord
from borderwatch.edge.sensors.radar.scan import scan_of_records
from borderwatch.edge.sensors.radar.tracking import cluster, radar_tracker


def _dets(xy: np.ndarray) -> Detections:
    n = len(xy)
    return Detections(np.zeros((n, 4)), np.ones(n), np.zeros(n, np.int64), extra={X_M: xy[:, 0], Y_M: xy[:, 1]})


def test_crossing_targets_keep_their_ids() -> None:
    tracker, _ = radar_tracker(RadarTrackerConfig(gate_m=15.0, measurement_std_m=2.0))
    rng = np.random.default_rng(0)
    dt, steps = 1.0, 60
    start = np.array([[-150.0, 500.0], [150.0, 500.0]])
    vel = np.array([[5.0, 1.0], [-5.0, 1.0]])  # they cross at t = 30 s
    holder: list[dict[int, int]] = []  # per step: target row -> confirmed track id updated by it
    for k in range(steps):
        truth = start + vel * k * dt
        plots = truth + rng.normal(0, 2.0, truth.shape)
        clutter = rng.uniform([-400, 100], [400, 900], (2, 2))
        out = tracker.step(_dets(np.concatenate((plots, clutter))), k * dt)
        hit = (out.detection >= 0) & (out.detection < 2) & out.tracks.confirmed
        holder.append(dict(zip(out.detection[hit].tolist(), out.tracks.ids[hit].tolist(), strict=True)))
    before, after = holder[15], holder[55]  # well before and well after the crossing at t = 30 s
    assert set(before) == set(after) == {0, 1} and before[0] != before[1]
    assert before == after  # each target kept its track through the crossing


def test_m_of_n_confirms_and_drops() -> None:
    tracker, _ = radar_tracker(RadarTrackerConfig(confirm_m=3, confirm_n=5, gate_m=10.0, max_coast_s=3.0))
    seen = [True, False, True, False, True]  # 3 of 5: confirmed on the fifth scan
    for k, hit in enumerate(seen):
        out = tracker.step(_dets(np.array([[0.0, 100.0 + k]]) if hit else np.zeros((0, 2))), float(k))
    assert len(out.new_ids) == 1 and tracker.tracks.confirmed.all()
    tracker2, _ = radar_tracker(RadarTrackerConfig(confirm_m=3, confirm_n=5))
    for k, hit in enumerate([True, False, False, False, True]):  # 1 hit then 3 misses: cannot reach 3 of 5
        tracker2.step(_dets(np.array([[0.0, 50.0]]) if hit else np.zeros((0, 2))), float(k))
        if k == 3:
            assert len(tracker2.tracks) == 0
    ended = []
    for k in range(5, 10):  # the confirmed track coasts 3 s (last hit at t = 4), then ends
        ended += tracker.step(_dets(np.zeros((0, 2))), float(k)).ended.ids.tolist()
        assert len(tracker.tracks) == (1 if k <= 7 else 0)
    assert len(ended) == 1


def test_cluster_groups_close_plots() -> None:
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.5], [50.0, 50.0]])
    labels, count = cluster(xy, 1.5)
    assert count == 2 and len(set(labels[:3])) == 1 and labels[3] != labels[0]


def _unit() -> RadarUnit:
    cfg = RadarConfig(
        protocol="asterix", pose=RadarPose(lat=48.0, lon=16.0, heading_deg=90.0),
        tracker=RadarTrackerConfig(confirm_m=2, confirm_n=3, max_coast_s=2.0),
    )  # fmt: skip
    return RadarUnit("radar-1", cfg, BuildContext("site-a", "agent-1", 1000))


def test_unit_events_carry_polar_speed_course_and_position() -> None:
    unit = _unit()
    events = []
    for k in range(6):  # a target 1 km east of the radar walking north at 1.5 m/s (true bearings, ASTERIX)
        east, north = 1000.0, 1.5 * k
        rec = RadarRecord(kind="plot", protocol="asterix", range_m=float(np.hypot(east, north)),
                          bearing_deg=float(np.degrees(np.arctan2(east, north))), bearing_true=True)  # fmt: skip
        frame = Frame("radar-1", 1_700_000_000.0 + k, k, scan_of_records([rec]))  # type: ignore[arg-type]
        events += unit.finish(unit.plan(frame), None).events
    new = [e for e in events if e.kind == EventKind.TRACK_NEW]
    assert len(new) == 1 and new[0].track_id == 1000 and new[0].polar is not None
    assert new[0].polar.range_m == pytest.approx(1000.0, abs=5) and new[0].polar.bearing_deg == pytest.approx(90, abs=1)
    assert new[0].position is not None and new[0].position.lon > 16.0
    later = unit.finish(unit.plan(Frame("radar-1", 1_700_000_010.0, 9, scan_of_records([]))), None)  # type: ignore[arg-type]
    assert [e.kind for e in later.events] == [EventKind.TRACK_END]


def test_radar_made_tracks_pass_through_with_fresh_ids() -> None:
    unit = _unit()

    def ttm(number: int, status: str, k: int) -> list:
        rec = RadarRecord(kind="track", protocol="nmea", track_id=number, range_m=800.0 + k, bearing_deg=10.0,
                          bearing_true=False, speed_mps=3.0, course_deg=0.0, status=status)  # fmt: skip
        out = unit.plan(Frame("radar-1", 1_700_000_000.0 + k, k, scan_of_records([rec])))  # type: ignore[arg-type]
        return unit.finish(out, None).events

    assert ttm(7, "Q", 0) == []  # acquiring: not announced
    (new,) = ttm(7, "T", 1)
    assert new.kind == EventKind.TRACK_NEW and new.polar is not None
    assert new.polar.bearing_deg == pytest.approx(100.0) and new.polar.speed_mps == pytest.approx(3.0)
    assert new.polar.course_deg == pytest.approx(90.0)  # relative course turned by the heading
    (end,) = ttm(7, "L", 2)
    assert end.kind == EventKind.TRACK_END and end.track_id == new.track_id
    (again,) = ttm(7, "T", 3)  # number 7 reused by the radar: a new object, a new id
    assert again.kind == EventKind.TRACK_NEW and again.track_id != new.track_id
