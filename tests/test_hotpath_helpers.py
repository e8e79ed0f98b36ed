"""Shortcuts of the per-frame hot path give the same answers as the general code they bypass."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from borderwatch.edge.pipeline.decode import batched_nms, cxcywh_boxes, select_candidates
from borderwatch.edge.pipeline.detections import Detections
from borderwatch.edge.pipeline.trackstate import TrackState, member
from borderwatch.edge.sensors.camera.letterbox import PAD_VALUE, LetterboxBatcher
from borderwatch.edge.tracking import ConstantVelocityBox, KalmanPredictor, KalmanUpdater, Tracks, solve
from borderwatch.edge.tracking.kalman import _gain
from borderwatch.runtime.geometry import Segments, iou_matrix, signed_distance_to_polyline


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


def _boxes(rng: np.random.Generator, n: int, rounded: bool) -> np.ndarray:
    xy = rng.uniform(0, 100, (n, 2))
    boxes = np.concatenate((xy, xy + rng.uniform(-5, 40, (n, 2))), axis=1)  # some inverted: zero area
    return np.round(boxes) if rounded else boxes


def test_iou_of_a_few_boxes_in_plain_floats_matches_the_vectorised_formula_bit_for_bit():
    rng = np.random.default_rng(4)
    for trial in range(500):
        a, b = (
            _boxes(rng, int(rng.integers(1, 4)), trial % 2 == 0),
            _boxes(rng, int(rng.integers(1, 3)), trial % 3 == 0),
        )
        b[0] = a[0] if trial % 5 == 0 else b[0]
        small = iou_matrix(a, b)  # few pairs: plain floats
        big = iou_matrix(np.tile(a, (10, 1)), b)[: len(a)]  # many pairs: the vectorised path
        assert small.dtype == big.dtype and small.shape == big.shape
        assert np.array_equal(small, big)
    nan = iou_matrix(np.array([[np.nan, 0, 1, 1]]), np.array([[0.0, 0, 1, 1]]))  # not finite: vectorised path
    assert nan.shape == (1, 1)


def test_line_distance_of_a_few_points_in_plain_floats_matches_the_vectorised_formula_bit_for_bit():
    rng = np.random.default_rng(5)
    for trial in range(500):
        line = rng.uniform(-50, 50, (int(rng.integers(2, 5)), 2))
        line = np.round(line) if trial % 4 == 0 else line
        if trial % 7 == 0:
            line[1] = line[0]  # a zero-length segment
        pts = rng.uniform(-80, 80, (int(rng.integers(1, 3)), 2))
        segs = Segments.of(line)
        small = segs.signed_distance(pts)
        big = segs.signed_distance(np.tile(pts, (20, 1)))[: len(pts)]
        assert np.array_equal(small, big)
        assert np.array_equal(np.signbit(small), np.signbit(big))


def test_class_filters_of_a_few_boxes_in_plain_floats_match_the_vectorised_formula(monkeypatch):
    from borderwatch.edge.config.rules import default_filters
    from borderwatch.edge.pipeline import filters

    table = filters.ClassFilterTable.from_config(default_filters())
    rng = np.random.default_rng(9)
    for trial in range(2000):
        n = int(rng.integers(1, filters._SCALAR_ROWS + 1))
        xyxy = rng.uniform(-50, 700, (n, 4)).astype(np.float32)
        if trial % 5 == 0:
            xyxy[rng.integers(n), rng.integers(4)] = np.nan  # NaN fails every comparison on both paths
        if trial % 7 == 0:
            xyxy[:, 3] = xyxy[:, 1]  # zero height: the ratio's 1e-6 floor
        score = rng.uniform(0, 1, n).astype(np.float32)
        if trial % 3 == 0:
            score[0] = np.float32(0.4)  # exactly a default threshold, in float32
        dets = Detections(xyxy, score, rng.integers(-2, 12, n))  # ids beyond the table clamp on both paths
        few = table.keep(dets)
        with monkeypatch.context() as m:
            m.setattr(filters, "_SCALAR_ROWS", 0)
            assert np.array_equal(few, table.keep(dets)) and few.dtype == bool


def test_line_rule_of_a_few_tracks_in_plain_python_matches_the_vectorised_rule(monkeypatch):
    """Same crossings and the same per-track state, frame after frame: dead band, NaN anchors, class filters."""
    from borderwatch.edge.pipeline import rules

    rng = np.random.default_rng(10)
    crossings = 0
    for trial in range(600):
        line = rng.uniform(0, 100, (int(rng.integers(2, 5)), 2))
        classes = [None, np.zeros(0, np.int64), np.array([0, 2])][trial % 3]
        margin = float(rng.uniform(0, 5))
        few = rules.LineCrossingRule("l", line, trial % 2 == 0, margin, classes)
        many = rules.LineCrossingRule("l", line, trial % 2 == 0, margin, classes)
        where: dict[int, np.ndarray] = {}
        for frame in range(12):
            n = int(rng.integers(0, rules._SCALAR_ROWS))
            ids = rng.choice(10, n, replace=False).astype(np.int64)
            pts = np.array([where.get(i, rng.uniform(0, 100, 2)) + rng.normal(0, 8, 2) for i in ids]).reshape(-1, 2)
            where.update(zip(ids.tolist(), pts, strict=True))
            if n and frame % 4 == 0:
                pts[0, 0] = np.nan
            if n > 1 and frame % 5 == 0:
                pts[1] = line[0]  # on the line: inside the dead band
            cls = rng.integers(0, 4, n)
            a = few.update(ids, pts, cls)
            with monkeypatch.context() as m:
                m.setattr(rules, "_SCALAR_ROWS", -1)
                b = many.update(ids, pts, cls)
            crossings += len(a.index)
            assert a.index.dtype == b.index.dtype and np.array_equal(a.index, b.index)
            assert a.inbound.dtype == b.inbound.dtype and np.array_equal(a.inbound, b.inbound)
            assert np.array_equal(few.state.ids, many.state.ids)
            for key, col in few.state.cols.items():
                assert np.array_equal(col, many.state.cols[key])
    assert crossings > 50  # the flip and path test ran, not only quiet frames


def test_association_of_a_few_boxes_in_plain_floats_matches_the_matrix_path(monkeypatch):
    """Same pairs and left-overs, class-aware or not, at any gate, NaN boxes included (they take the matrix path)."""
    from borderwatch.edge.tracking import Initiator, IoUAssociator
    from borderwatch.edge.tracking import associator as associator_module

    rng = np.random.default_rng(12)
    model = ConstantVelocityBox()
    initiator = Initiator(model, 1, 0.0)
    for trial in range(3000):
        t, n = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        known = rng.uniform(0, 100, (t, 4))
        known[:, 2:] = known[:, :2] + rng.uniform(1, 50, (t, 2))
        seen = known[rng.integers(0, t, n)] + rng.normal(0, 3 * (trial % 4), (n, 4))
        if trial % 7 == 0:
            seen[0] = known[0]  # a perfect match
        if trial % 11 == 0:
            seen[0, 0] = np.nan
        born = Detections(known.astype(np.float32), np.ones(t, np.float32), rng.integers(0, 2, t))
        tracks = initiator.initiate(born, 0.0)
        dets = Detections(seen.astype(np.float32), np.ones(n, np.float32), rng.integers(0, 2, n))
        assoc = IoUAssociator(model, [0.8, 0.3, 1.0, 0.0][trial % 4], trial % 2 == 0)
        few = assoc.associate(tracks, dets)
        with monkeypatch.context() as m:
            m.setattr(associator_module, "_SCALAR_PAIRS", 0)
            matrix = assoc.associate(tracks, dets)
        for side in ("tracks", "detections", "unmatched_tracks", "unmatched_detections"):
            a, b = getattr(few, side), getattr(matrix, side)
            assert a.dtype == b.dtype and np.array_equal(a, b), side


def test_one_image_decode_matches_the_batched_decode():
    rng = np.random.default_rng(6)
    for trial in range(200):
        classes, anchors = int(rng.integers(1, 5)), int(rng.integers(1, 300))
        out = rng.random((1, 4 + classes, anchors), dtype=np.float32) * np.float32(300)
        out[:, 4:] = rng.random((1, classes, anchors), dtype=np.float32) ** 4
        if trial % 3 == 0:
            out[:, 4:] = np.round(out[:, 4:], 1)  # ties between classes: the first wins either way
        top_k = 3 if trial % 2 else 300
        one = select_candidates(out, 0.25, top_k)
        quiet = np.concatenate((out, np.zeros_like(out)))  # a second image without candidates: the batched path
        two = select_candidates(quiet, 0.25, top_k)
        for x, y in zip(one, two, strict=True):
            assert x.dtype == y.dtype and np.array_equal(x, y)
        assert np.array_equal(cxcywh_boxes(out, one[0], one[1]), cxcywh_boxes(quiet, two[0], two[1]))


def test_letterbox_writes_the_bits_of_the_multiply():
    rng = np.random.default_rng(7)
    for w, h in [(640, 480), (480, 640)]:  # padding above and below (contiguous planes), then left and right
        frame = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        tensor, _ = LetterboxBatcher((320, 320))([frame], np.array([[0, 0, w, h]]))
        small = cv2.resize(frame, (w // 2, h // 2), interpolation=cv2.INTER_LINEAR)
        px, py = (320 - w // 2) // 2, (320 - h // 2) // 2
        expected = np.full((3, 320, 320), np.float32(PAD_VALUE / 255), np.float32)
        expected[:, py : py + h // 2, px : px + w // 2] = small[..., ::-1].transpose(2, 0, 1) * np.float32(1 / 255)
        assert np.array_equal(tensor[0], expected)


def test_letterbox_views_kept_per_layout_write_what_a_fresh_batcher_writes():
    """A slot's destination planes are sliced once per layout; frames after layout changes, a grown batch and
    a return to an earlier layout still get exactly the tensor a new batcher makes of them.
    """
    rng = np.random.default_rng(9)
    reused = LetterboxBatcher((320, 320))
    layouts = [
        [[0, 0, 640, 480]],
        [[0, 0, 640, 480]],
        [[0, 0, 300, 500], [100, 40, 420, 280]],  # a portrait crop (padding left and right) and a native one
        [[0, 0, 640, 480]],
        [[10, 20, 650, 500], [0, 0, 640, 480], [200, 0, 400, 480]],
        [[0, 0, 640, 480]],
    ]
    for rects in layouts:
        frame = rng.integers(0, 256, (520, 700, 3), dtype=np.uint8)
        rects = np.array(rects)
        got, _ = reused([frame] * len(rects), rects)
        expected, _ = LetterboxBatcher((320, 320))([frame] * len(rects), rects)
        assert np.array_equal(got, expected)


def test_tracker_whole_column_update_matches_the_scatter(monkeypatch):
    """Frames where every track is matched in order build new columns whole; the general scatter gives the same."""
    from borderwatch.edge.config.tracker import TrackerConfig
    from borderwatch.edge.tracking import box_tracker
    from borderwatch.edge.tracking import tracker as tracker_module

    rng = np.random.default_rng(8)
    frames = []
    for k in range(40):  # three walkers, one leaving at frame 25, a missed detection now and then
        boxes = [[10 + 4 * k, 50, 40 + 4 * k, 120], [300 - 3 * k, 80, 330 - 3 * k, 160], [200, 200 + k, 260, 240 + k]]
        rows = [b for j, b in enumerate(boxes) if not (j == 2 and k > 25) and rng.random() > 0.1]
        xyxy = np.array(rows, np.float32) + rng.normal(0, 0.5, (len(rows), 4)).astype(np.float32)
        order = rng.permutation(len(rows))  # detections in any order
        frames.append(Detections(xyxy[order], np.full(len(rows), 0.8), np.zeros(len(rows), np.int64)))

    def run() -> list[Tracks]:
        tracker = box_tracker(TrackerConfig())
        return [tracker.step(dets, k / 5).tracks for k, dets in enumerate(frames)]

    fast = run()
    monkeypatch.setattr(tracker_module, "_in_order", lambda rows, n: False)
    general = run()
    for a, b in zip(fast, general, strict=True):
        for name in a.__dataclass_fields__:
            x, y = getattr(a, name), getattr(b, name)
            assert x.dtype == y.dtype and np.array_equal(x, y), name


def test_small_graph_components_match_scipy_labels():
    """The boolean closure that merges a frame's crops numbers components exactly as scipy does."""
    from scipy.sparse.csgraph import connected_components

    from borderwatch.edge.sensors.camera.regions import components

    rng = np.random.default_rng(9)
    for trial in range(1500):
        n = int(rng.integers(1, 45))  # both sides of the dense/scipy switch
        adjacent = rng.random((n, n)) < rng.uniform(0.0, 0.4 if trial % 2 else 0.05)
        adjacent |= adjacent.T
        count, label = components(adjacent)
        expected_count, expected = connected_components(adjacent, directed=False)
        assert count == expected_count and np.array_equal(label, expected)
    assert components(np.zeros((0, 0), bool))[0] == 0


def test_quiet_frame_without_tracks_plans_what_plan_regions_plans():
    from borderwatch.edge.sensors.camera.config import CameraConfig
    from borderwatch.edge.sensors.camera.motion import MotionResult
    from borderwatch.edge.sensors.camera.pipeline import CameraPipeline
    from borderwatch.edge.sensors.camera.regions import plan_regions

    cfg = CameraConfig.model_validate({"url": "memory"})
    pipeline = CameraPipeline("s", "a", "cam", cfg, ("person",), 320)
    quiet = MotionResult(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.float32), 0.0, False,
                         np.zeros((240, 320), np.uint8))  # fmt: skip
    rects, tiling = pipeline._regions(quiet, 5.0, (640, 480))
    expected, expected_tiling = plan_regions(np.zeros((0, 4)), (640, 480), 320, cfg.motion.max_regions)
    assert tiling is None is expected_tiling and rects.dtype == expected.dtype and np.array_equal(rects, expected)


def test_pipeline_keeps_crops_that_are_fewer_inputs_than_its_whole_frame_pass():
    from borderwatch.edge.sensors.camera.config import CameraConfig
    from borderwatch.edge.sensors.camera.motion import MotionResult
    from borderwatch.edge.sensors.camera.pipeline import CameraPipeline
    from borderwatch.edge.sensors.camera.regions import plan_regions, whole_frame_regions

    wh = (960, 540)
    cfg = CameraConfig.model_validate({"url": "memory", "motion": {"max_regions": 2}})
    pipeline = CameraPipeline("s", "a", "cam", cfg, ("person",), 320)
    boxes = np.array([[500, 240, 650, 290], [836, 234, 844, 270]], np.float32)  # a group's blob, one person
    n = len(boxes)
    moving = MotionResult(boxes, np.ones(n, np.float32), np.full(n, 0.01, np.float32), 0.01, False,
                          np.zeros((270, 480), np.uint8))  # fmt: skip
    rects, tiling = pipeline._regions(moving, 5.0, wh)
    whole = len(whole_frame_regions(wh, 320)[0])
    assert cfg.motion.max_regions < len(rects) < whole and tiling is not None
    assert np.array_equal(rects, plan_regions(boxes, wh, 320, 8)[0])


def test_motion_ages_cleared_only_when_needed_match_clearing_every_quiet_frame():
    from borderwatch.edge.sensors.camera.config import MotionConfig
    from borderwatch.edge.sensors.camera.motion import MotionDetector

    rng = np.random.default_rng(10)
    base = rng.integers(60, 200, (240, 320, 3), dtype=np.uint8)
    lazy, eager = MotionDetector(MotionConfig()), MotionDetector(MotionConfig())
    for k in range(60):  # quiet runs with a walker now and then
        frame = base.copy()
        if 15 <= k < 22 or 40 <= k < 44:
            frame[100:160, 20 + 8 * (k % 20) : 50 + 8 * (k % 20)] = 250
        eager._ageing = True  # the general code: every quiet frame clears the ages
        a, b = lazy(frame), eager(frame)
        assert np.array_equal(a.boxes, b.boxes) and a.changed_frac == b.changed_frac
        assert np.array_equal(lazy.age, eager.age) and np.array_equal(lazy.background, eager.background)


def test_classifier_picks_are_the_classifier_decode_without_its_boxes():
    from borderwatch.edge.pipeline.decode import classifier_picks, decode_classifier
    from borderwatch.edge.sensors.thermal.unit import ChipMapping

    rng = np.random.default_rng(11)
    for trial in range(200):
        n, classes = int(rng.integers(0, 12)), int(rng.integers(1, 5))
        out = rng.random((n, classes), dtype=np.float32)
        if trial % 3 == 0:
            out = np.round(out, 1)  # ties: the first class wins either way
        mapping = ChipMapping(rng.uniform(0, 600, (n, 4)))
        full = decode_classifier(out, mapping, np.zeros(n, np.int64), (32, 32), 0.3)
        image, class_id, score = classifier_picks(out, 0.3)
        for x, y in ((image, full.image), (class_id, full.class_id), (score, full.score)):
            assert x.dtype == y.dtype and np.array_equal(x, y)


def test_anchors_projected_in_one_call_match_two_projections():
    from borderwatch.edge.config.pose import PoseConfig
    from borderwatch.edge.pipeline.projection import PoseProjector, focal_px
    from borderwatch.edge.pipeline.scene import RuleScene

    pose = PoseConfig(lat=48.2, lon=16.37, height_m=12.0, heading_deg=75.0, tilt_deg=14.0, hfov_deg=62.0)
    projector = PoseProjector(pose)
    rng = np.random.default_rng(12)
    for w, h in [(640, 512), (1280, 720), (160, 120)]:
        assert focal_px(w, pose.hfov_deg) == (w / 2) / np.tan(np.radians(pose.hfov_deg) / 2)
        scene = RuleScene(projector, [], [], (w, h))
        for n in (1, 3, 20):
            xy = rng.uniform(-50, [w + 50, h + 50], (n, 2))
            xyxy = np.concatenate((xy, xy + rng.uniform(1, 80, (n, 2))), axis=1)
            xyxy[0, 3] = h * 0.2  # a foot point above the horizon: no ground position (NaN)
            got = scene.anchors(xyxy)
            bottom = np.stack(((xyxy[:, 0] + xyxy[:, 2]) / 2, xyxy[:, 3]), axis=1)
            ground = projector.to_ground(bottom, w, h)
            nudged = bottom + np.stack((np.zeros(n), 0.05 * (xyxy[:, 3] - xyxy[:, 1])), axis=1)
            spread = np.linalg.norm(projector.to_ground(nudged, w, h) - ground, axis=1)
            for x, y in ((got.ground, ground), (got.uncertainty_m, np.maximum(spread, 0.5))):
                assert np.array_equal(x, y, equal_nan=True) and np.array_equal(np.isnan(x), np.isnan(y))


def test_frozen_frame_check_answers_as_array_equal():
    from borderwatch.edge.sensors.thermal.checks import same_frame

    rng = np.random.default_rng(13)
    for h, w in [(120, 160), (256, 320), (512, 640), (1, 5)]:
        a = rng.integers(0, 65536, (h, w), dtype=np.uint16)
        assert same_frame(a, a.copy())
        for y in {0, h - 1, h // 2, min(61, h - 1)}:  # rows the sample sees, and rows it skips
            b = a.copy()
            b[y, w // 2] ^= 1
            assert same_frame(a, b) is bool(np.array_equal(a, b)) is False


def test_dark_channel_by_two_minima_is_the_channel_reduction():
    from borderwatch.edge.sensors.camera import defog

    rng = np.random.default_rng(14)
    for trial in range(50):
        frame = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
        if trial % 2:
            frame[..., int(rng.integers(3))] //= 3  # one colour dark everywhere
        small = cv2.resize(frame, defog._THUMB, interpolation=cv2.INTER_AREA)
        expected = float(np.percentile(cv2.erode(small.min(axis=2), defog._PATCH), 10))
        assert defog.haze_level(frame) == expected


def test_motion_ageing_in_opencv_matches_the_numpy_formulas():
    from borderwatch.edge.sensors.camera.motion import _aged

    rng = np.random.default_rng(15)
    for trial in range(200):
        age = rng.integers(0, 60001, (48, 64)).astype(np.uint16)
        if trial % 3 == 0:
            age[:] = rng.integers(0, 5, (48, 64))
        age[0, :4] = (0, 59999, 60000, 1)
        changed = (rng.random((48, 64)) < rng.uniform(0, 1)).astype(np.uint8) * 255
        expected = np.where(changed > 0, np.minimum(age + 1, 60000), 0).astype(np.uint16)
        got = _aged(age, changed)
        assert got.dtype == expected.dtype and np.array_equal(got, expected)
        for absorb in (1, int(rng.integers(1, 70_000)), 60_000, 100_000):  # the config's whole range
            stuck = cv2.compare(got, absorb, cv2.CMP_GT)
            assert stuck.dtype == np.uint8 and np.array_equal(stuck, ((expected > absorb) * 255).astype(np.uint8))


class _EchoModel:
    """A DetectorBackend whose answer for each image is computed from that image alone (no broker, no session)."""

    name, labels, input_wh, dynamic_batch = "echo", ("person",), (8, 8), True

    def infer(self, batch: np.ndarray) -> np.ndarray:
        return np.stack((batch.sum(axis=(1, 2, 3)), batch[:, 0, 0, 0], batch.max(axis=(1, 2, 3))), axis=1)[..., None]


def test_a_batch_of_one_request_answers_what_the_sliced_batch_answers():
    """A batch holding one request hands over the model's whole output (no cumulative bounds); a batch of several
    slices it per request. Either way each request gets exactly what the model says of its own images."""
    from borderwatch.edge.config.detector import DetectorConfig
    from borderwatch.edge.pipeline.batcher import InferenceBatcher, Request

    rng = np.random.default_rng(16)
    model = _EchoModel()
    batcher = InferenceBatcher(model, DetectorConfig())  # lanes not started: _process runs in this thread
    for sizes in [(3,), (1,), (1, 3, 2), (2, 1)]:
        reqs = [Request("s", rng.random((k, 3, 8, 8), dtype=np.float32), 0.0, live=False) for k in sizes]
        batcher._process(reqs)
        for req in reqs:
            got, expected = req.future.result(0), model.infer(req.tensor)
            assert got.shape == expected.shape and got.dtype == expected.dtype and np.array_equal(got, expected)
