"""Shortcuts of the per-frame hot path give the same answers as the general code they bypass."""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch.edge.pipeline.decode import batched_nms
from borderwatch.edge.pipeline.detections import Detections
from borderwatch.edge.pipeline.geometry import Segments, iou_matrix, signed_distance_to_polyline
from borderwatch.edge.pipeline.trackstate import TrackState, member
from borderwatch.edge.tracking import ConstantVelocityBox, KalmanPredictor, KalmanUpdater, Tracks, solve
from borderwatch.edge.tracking.kalman import _gain


def test_member_matches_isin_for_small_and_large_sets():
    rng = np.random.default_rng(0)
    for n, m in [(0, 3), (3, 0), (1, 1), (5, 3), (200, 100)]:
        values, of = rng.integers(0, 50, n), rng.integers(0, 50, m)
        assert np.array_equal(member(values, of), np.isin(values, of))
    assert member(np.array([1, 2, 3]), []).tolist() == [False, False, False]


def test_trackstate_exchange_returns_the_previous_values_and_writes_the_new_ones():
    state = TrackState({"side": 0, "x": 0.0})
    state.set(np.array([5, 2]), {"side": [1, -1], "x": [0.5, 0.25]})
    before = state.exchange(np.array([2, 9]), {"side": [1, 1], "x": [3.0, 4.0]})
    assert before["known"].tolist() == [True, False]
    assert before["side"].tolist() == [-1, 0] and before["x"].tolist() == [0.25, 0.0]
    after = state.get(np.array([2, 5, 9]))
    assert after["side"].tolist() == [1, 1, 1] and after["x"].tolist() == [3.0, 0.5, 4.0]
    assert state.ids.tolist() == [2, 5, 9]


def test_prepared_segments_give_the_signed_distance_of_the_polyline():
    line = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]])
    pts = np.array([[5.0, 2.0], [5.0, -3.0], [12.0, 5.0], [-4.0, 3.0]])
    d = Segments.of(line).signed_distance(pts)
    assert np.allclose(d, [2.0, -3.0, -2.0, 5.0])
    assert np.array_equal(d, signed_distance_to_polyline(pts, line))
    assert Segments.of(line).signed_distance(np.zeros((0, 2))).shape == (0,)


def test_iou_of_degenerate_boxes_is_zero():
    iou = iou_matrix(np.array([[0, 0, 0, 0], [0, 0, 10, 10]]), np.array([[0, 0, 0, 0], [5, 0, 15, 10]]))
    assert np.allclose(iou, [[0.0, 0.0], [0.0, 1 / 3]])


def test_nms_of_one_box_keeps_it_when_it_scores():
    box = np.array([[0.0, 0.0, 10.0, 10.0]])
    assert batched_nms(box, np.array([0.5]), np.array([3]), 0.5).tolist() == [0]
    assert batched_nms(box, np.array([0.0]), np.array([3]), 0.5).tolist() == []
    assert batched_nms(np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64), 0.5).tolist() == []


def test_nms_of_one_group_matches_the_same_boxes_as_several_groups():
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 100, (30, 2))
    boxes = np.concatenate((xy, xy + rng.uniform(10, 40, (30, 2))), axis=1)
    score = rng.uniform(0.1, 1, 30)
    one = batched_nms(boxes, score, np.full(30, 7), 0.45)
    # the same boxes twice, in two groups: each copy must keep exactly what a lone group keeps
    two = batched_nms(np.concatenate((boxes, boxes)), np.concatenate((score, score)), np.repeat([0, 1], 30), 0.45)
    assert two.tolist() == one.tolist() + (one + 30).tolist()


def test_one_row_or_column_assignment_matches_the_solver():
    rng = np.random.default_rng(2)
    for shape in [(1, 1), (1, 4), (5, 1)]:
        for _ in range(20):
            cost = rng.uniform(0, 1, shape)
            got = solve(cost, 0.6)
            # the general solver on a padded copy: a forbidden extra row and column change nothing
            padded = np.full((shape[0] + 1, shape[1] + 1), 1e6)
            padded[: shape[0], : shape[1]] = cost
            ref = solve(padded, 0.6)
            assert got.tracks.tolist() == ref.tracks.tolist()
            assert got.detections.tolist() == ref.detections.tolist()
            assert sorted(got.unmatched_tracks.tolist() + got.tracks.tolist()) == list(range(shape[0]))
            assert sorted(got.unmatched_detections.tolist() + got.detections.tolist()) == list(range(shape[1]))
    refused = solve(np.array([[np.nan, 0.9]]), 0.6)
    assert refused.tracks.tolist() == [] and refused.unmatched_detections.tolist() == [0, 1]


def test_diagonal_gain_equals_the_solved_gain():
    rng = np.random.default_rng(3)
    p = rng.random((3, 8, 8))
    p = p @ p.transpose(0, 2, 1) + np.eye(8)
    h = np.eye(4, 8)
    pht = p @ h.T
    for diagonal in (True, False):
        s = h @ pht + np.eye(4)
        if diagonal:
            s = s * np.eye(4)
        ref = np.linalg.solve(s, pht.transpose(0, 2, 1)).transpose(0, 2, 1)
        assert np.allclose(_gain(pht, s), ref, rtol=1e-12, atol=1e-12)


def test_box_model_keeps_the_innovation_covariance_diagonal():
    """The diagonal gain is the path the camera tracker takes: its S stays diagonal step after step."""
    model = ConstantVelocityBox()
    mean, cov = model.initial(np.array([[100.0, 200.0, 30.0, 60.0], [300.0, 100.0, 10.0, 20.0]]))
    predictor, updater = KalmanPredictor(model), KalmanUpdater(model)
    n = len(mean)
    tracks = Tracks(
        np.arange(n), mean, cov, np.zeros(n, np.int64), np.ones(n), np.ones(n, np.int64),
        np.zeros(n, np.int64), np.ones(n, bool), np.zeros(n), np.zeros(n), np.zeros(n),
        mean[:, :2].copy(), np.zeros(n), np.zeros(n),
    )  # fmt: skip
    for step in range(1, 20):
        tracks = predictor.predict(tracks, step / 10)
        s = model.H @ tracks.cov @ model.H.T + model.measurement_noise(tracks.mean[:, :4])
        assert np.count_nonzero(s * (1 - np.eye(4))) == 0
        z = tracks.mean[:, :4] + 1.0
        new_mean, new_cov = updater.update(tracks.mean, tracks.cov, z)
        tracks = tracks.evolve(mean=new_mean, cov=new_cov)


def test_tracks_evolve_refuses_unknown_columns_and_empty_is_shared():
    tracks = Tracks.empty(8)
    assert Tracks.empty(8) is tracks and Tracks.empty(4) is not tracks
    assert len(tracks.evolve(misses=np.zeros(0, np.int64))) == 0
    with pytest.raises(TypeError, match="unknown columns"):
        tracks.evolve(speed=np.zeros(0))


def test_detections_rows_are_selected_without_losing_columns():
    dets = Detections(
        np.array([[0, 0, 1, 1], [1, 1, 2, 2], [2, 2, 3, 3]]), [0.5, 0.6, 0.7], [0, 1, 2], extra={"snr": [1, 2, 3]}
    )
    for index, rows in [(np.array([2, 0]), [2, 0]), ([2, 0], [2, 0]), (np.array([True, False, True]), [0, 2])]:
        sub = dets[index]
        assert sub.xyxy.dtype == np.float32 and sub.class_id.dtype == np.int64
        assert sub.class_id.tolist() == rows and sub.extra["snr"].tolist() == [1 + r for r in rows]
        assert sub.tracker_id.tolist() == [-1, -1]
    assert len(dets[[]]) == 0 and len(dets[1:]) == 2
    with pytest.raises(TypeError):
        dets[0]  # a scalar would break the column shapes
    with pytest.raises(ValueError):
        dets.with_tracker_ids(np.arange(2))
