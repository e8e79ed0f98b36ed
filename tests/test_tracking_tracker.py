"""Tracker behaviour on synthetic sequences: id switches, occlusion, confirmation, deletion, purity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from borderwatch.edge.config.tracker import TrackerConfig
from borderwatch.edge.pipeline.detections import BEARING_DEG, RANGE_M, Detections
from borderwatch.edge.pipeline.polar import with_metric
from borderwatch.edge.tools.track_cli import main as track_main
from borderwatch.edge.tracking import (
    ConstantVelocityPoint,
    DistanceAssociator,
    Initiator,
    KalmanPredictor,
    KalmanUpdater,
    TimeDeleter,
    Tracker,
    box_tracker,
)
from borderwatch.runtime.geometry import iou_matrix


def boxes_at(t: float, starts: np.ndarray, vel: np.ndarray, size=(30, 60)) -> np.ndarray:
    xy = starts + vel * t
    return np.concatenate((xy, xy + np.array(size)), axis=1)


def id_switches(truth_seq: list[np.ndarray], outputs: list) -> tuple[int, int]:
    """(switches, frames where a true object had no confirmed track) by IoU matching each frame."""
    last: dict[int, int] = {}
    switches = misses = 0
    for truth, out in zip(truth_seq, outputs, strict=True):
        live = out.tracks[out.tracks.confirmed & out.matched]
        iou = iou_matrix(truth, box_tracker(TrackerConfig()).model.boxes(live.mean))
        for k in range(len(truth)):
            if iou.shape[1] == 0 or iou[k].max() < 0.3:
                misses += 1
                continue
            tid = int(live.ids[iou[k].argmax()])
            switches += k in last and last[k] != tid
            last[k] = tid
    return switches, misses


def run(tracker, seq: list[Detections], fps: float = 10.0) -> list:
    return [tracker.step(d, i / fps) for i, d in enumerate(seq)]


def test_crossing_objects_keep_their_ids():
    starts = np.array([[50.0, 200.0], [550.0, 210.0], [300.0, 20.0]])
    vel = np.array([[80.0, 0.0], [-80.0, 0.0], [0.0, 40.0]])
    rng = np.random.default_rng(0)
    truth = [boxes_at(i / 10, starts, vel) for i in range(60)]
    seq = [Detections(b + rng.normal(0, 1.5, b.shape), np.full(3, 0.9), np.zeros(3, np.int64)) for b in truth]
    outs = run(box_tracker(TrackerConfig()), seq)
    switches, misses = id_switches(truth, outs)
    assert switches == 0
    assert misses <= 3 * 2  # only the frames before confirmation (min_hits=3)


def test_short_occlusion_keeps_the_id_long_one_starts_a_new_track():
    cfg = TrackerConfig(max_age_s=1.0)
    tracker = box_tracker(cfg)
    starts, vel = np.array([[50.0, 200.0]]), np.array([[60.0, 0.0]])
    ids, ended = [], []
    for i in range(80):
        t = i / 10
        hidden = 20 <= i < 26 or 40 <= i < 60  # 0.6 s, then 2 s
        d = Detections.empty() if hidden else Detections(boxes_at(t, starts, vel), [0.9], [0])
        out = tracker.step(d, t)
        ended += out.ended.ids.tolist()
        ids += out.tracks.ids[out.tracks.confirmed & out.matched].tolist()
    first, second = sorted(set(ids))
    assert ids.count(first) > 30 and ids.count(second) > 10
    assert ended == [first]


def test_a_distant_walker_with_noisy_widths_keeps_its_track_across_a_missed_second():
    """A far person (10 x 30 px) whose detected width jitters by a few pixels, unseen for 1.2 s (rain, a missed
    look), then seen again where it walked to: the same track, and the coasting box keeps a usable size
    (size changes slowly; a width velocity learnt from the jitter shrank it to 1 px, so the track ended)."""
    tracker = box_tracker(TrackerConfig())
    rng = np.random.default_rng(3)
    ids, widths = set(), []
    for i in range(60):
        t = i / 10
        cx = 300.0 + 8.0 * t  # walking across at about a quarter box height per second
        if 20 <= i < 32:  # unseen for 1.2 s (the tracker looked: every track counts a miss)
            out = tracker.step(Detections.empty(), t)
            widths += (out.tracks.mean[:, 2]).tolist()
            continue
        w = 10.0 + rng.choice([-3.0, 3.0])  # the detector's box edges land a few pixels either way
        box = np.array([[cx - w / 2, 200.0, cx + w / 2, 230.0]])
        out = tracker.step(Detections(box, [0.8], [0]), t)
        ids.update(out.tracks.ids[out.tracks.confirmed & out.matched].tolist())
    assert len(ids) == 1, f"the walker came back as a new track: {sorted(ids)}"
    assert min(widths) >= 5.0, f"the coasting box shrank to {min(widths):.1f} px wide"


def test_single_spurious_detection_never_becomes_a_track():
    tracker = box_tracker(TrackerConfig(min_hits=3))
    outs = run(tracker, [Detections(np.array([[10, 10, 40, 70]]), [0.9], [0])] + [Detections.empty()] * 5)
    assert all(len(o.new_ids) == 0 for o in outs) and len(tracker.tracks) == 0


def test_tracker_never_mutates_its_input():
    tracker = box_tracker(TrackerConfig(min_hits=1))
    dets = Detections(np.array([[10, 10, 40, 70], [100, 10, 130, 70]]), [0.9, 0.8], [0, 1])
    before = (dets.xyxy.copy(), dets.confidence.copy(), dets.class_id.copy(), dets.tracker_id.copy())
    for i in range(3):
        tracker.step(dets, i * 0.1)
    after = (dets.xyxy, dets.confidence, dets.class_id, dets.tracker_id)
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_class_aware_association_and_stationary_flag():
    tracker = box_tracker(TrackerConfig(min_hits=1, stationary_s=2.0))
    box = np.array([[100.0, 100.0, 130.0, 160.0]])
    for i in range(31):
        out = tracker.step(Detections(box, [0.9], [0]), i / 10)
    assert tracker.stationary(out.tracks, 3.0).tolist() == [True]
    out = tracker.step(Detections(box, [0.9], [1]), 3.1)  # same place, other class: a new track
    assert len(out.new_ids) == 1 and len(out.tracks) == 2


def test_tracks_not_looked_at_are_neither_missed_nor_deleted():
    tracker = box_tracker(TrackerConfig(min_hits=1, max_age_s=0.5))
    tracker.step(Detections(np.array([[100.0, 100, 130, 160]]), [0.9], [0]), 0.0)
    for i in range(1, 50):
        out = tracker.step(Detections.empty(), i / 10, visible=lambda tr: np.zeros(len(tr), bool))
    assert len(out.tracks) == 1 and out.tracks.misses[0] == 0
    for i in range(50, 60):
        out = tracker.step(Detections.empty(), i / 10)
    assert len(out.tracks) == 0 and len(out.ended) <= 1


def test_point_model_with_distance_association_for_ground_positions():
    model = ConstantVelocityPoint(measurement_std=1.0)
    tracker = Tracker(
        KalmanPredictor(model),
        DistanceAssociator(model, max_cost=3.0),
        KalmanUpdater(model),
        Initiator(model, min_hits=2),
        TimeDeleter(2.0),
    )
    ids = set()
    for i in range(30):
        xy = np.array([[10.0 + 2 * i, 0.0], [10.0 + 2 * i, 40.0]])
        d = Detections(np.zeros((2, 4)), [0.9, 0.9], [0, 0], extra={"x_m": xy[:, 0], "y_m": xy[:, 1]})
        out = tracker.step(d, i * 0.5)
        ids |= set(out.tracks.ids[out.tracks.confirmed].tolist())
    assert len(ids) == 2
    assert np.allclose(out.tracks.mean[:, 2], 4.0, atol=0.3)  # 2 m per 0.5 s


def test_radar_plots_in_polar_are_tracked_in_metres():
    """range/bearing plots -> ``with_metric`` -> the point tracker: one target moving 1 m/s along x."""
    model = ConstantVelocityPoint(measurement_std=0.5)
    tracker = Tracker(
        KalmanPredictor(model),
        DistanceAssociator(model, 3.0),
        KalmanUpdater(model),
        Initiator(model, 2),
        TimeDeleter(2),
    )
    for i in range(20):
        x, y = -5.0 + i, 100.0
        polar = {RANGE_M: np.array([np.hypot(x, y)]), BEARING_DEG: np.array([np.degrees(np.arctan2(x, y))])}
        out = tracker.step(with_metric(Detections(np.zeros((1, 4)), [0.9], [0], extra=polar)), float(i))
    assert len(out.tracks) == 1 and out.tracks.confirmed.all()
    assert np.allclose(out.tracks.mean[0], [14.0, 100.0, 1.0, 0.0], atol=0.2)


class MissDeleter:
    """A deleter of our own (the ``Deleter`` protocol): a track ends after two misses in a row."""

    def gone(self, tracks, ts: float, looked: np.ndarray) -> np.ndarray:
        return tracks.misses >= 2


def test_tracker_takes_any_part_that_fits_its_protocol():
    model = ConstantVelocityPoint()
    tracker = Tracker(
        KalmanPredictor(model), DistanceAssociator(model, 3.0), KalmanUpdater(model), Initiator(model, 1), MissDeleter()
    )
    seen = Detections(np.zeros((1, 4)), [0.9], [0], extra={"x_m": [0.0], "y_m": [0.0]})
    nothing = Detections.empty(("x_m", "y_m"))
    ends = [len(tracker.step(d, float(t)).ended) for t, d in enumerate([seen, seen, nothing, nothing])]
    assert ends == [0, 0, 0, 1]  # ended at the second miss, long before a time-based deleter would


def test_track_cli_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    starts = np.array([[50.0, 200.0], [550.0, 210.0]])
    vel = np.array([[8.0, 0.0], [-8.0, 0.0]])
    rows = []
    for f in range(1, 51):
        for b in boxes_at(f, starts, vel):
            rows.append(f"{f},-1,{b[0]:.1f},{b[1]:.1f},{b[2] - b[0]:.1f},{b[3] - b[1]:.1f},0.9,-1,-1,-1")
    det = tmp_path / "det.txt"
    det.write_text("\n".join(rows) + "\n")
    out = tmp_path / "tracks.txt"
    assert track_main([str(det), "-o", str(out), "--fps", "10"]) == 0
    res = np.loadtxt(out, delimiter=",")
    assert set(res[:, 1].astype(int)) == {1, 2}
    for tid in (1, 2):  # each id stays on one side's object: x moves monotonically
        xs = res[res[:, 1] == tid, 2]
        assert np.all(np.diff(xs) > 0) or np.all(np.diff(xs) < 0)
    assert res.shape[1] == 10 and res[:, 0].min() == 1  # confirmed at the third frame, its first two written too
    assert len(res) == 100 and np.all(np.diff(res[:, 0]) >= 0)  # every detection tracked, rows by frame
    bad = tmp_path / "bad.txt"
    bad.write_text("not,a,mot,file\n")
    assert track_main([str(bad)]) == 2
    assert "not a MOTChallenge" in capsys.readouterr().err
