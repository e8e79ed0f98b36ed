"""Motion gating: quiet scenes cost no inference, motion becomes model-sized crops, stationary re-checks."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.edge.pipeline.decode import Candidates
from borderwatch.edge.sensors.camera.config import CameraConfig, MotionConfig
from borderwatch.edge.sensors.camera.motion import (
    MotionDetector,
    downscale_gray,
    motion_mask_image,
)
from borderwatch.edge.sensors.camera.pipeline import CameraPipeline
from borderwatch.edge.sensors.camera.regions import merge_overlapping, plan_regions
from borderwatch.edge.sensors.frame import Frame
from borderwatch.runtime.geometry import iou_matrix
from tests.support.noise import noise_frames, random_frame
from tests.support.testpattern import Mover, background, render, truth

BG = background((1280, 720), seed=3)
WALKER = [Mover((100, 300), (150, 0), (30, 70))]


def test_quiet_scene_has_no_motion_and_a_walker_is_boxed():
    det = MotionDetector(MotionConfig())
    for _ in range(10):
        res = det(render(0.0, [], BG))
    assert not res.any and res.changed_frac == 0.0
    for i in range(10):
        res = det(render(i / 10, WALKER, BG))
    iou = iou_matrix(truth(0.9, WALKER, (1280, 720)), res.boxes)
    assert iou.max() > 0.5


def test_start_up_looks_everywhere_then_learns_the_median_scene():
    det = MotionDetector(MotionConfig())
    results = [det(render(i / 10, WALKER, BG)) for i in range(9)]  # the walker moves during start-up
    assert all(r.global_change for r in results) and not det(render(0.9, [], BG)).any  # no ghost left


def test_global_change_recalibrates_instead_of_boxing_everything():
    det = MotionDetector(MotionConfig())
    for _ in range(10):
        det(BG)
    res = det(np.clip(BG.astype(int) + 80, 0, 255).astype(np.uint8))
    assert res.global_change and len(res.boxes) == 0
    assert not det(np.clip(BG.astype(int) + 80, 0, 255).astype(np.uint8)).any


def test_motion_mask_hides_motion_inside_it():
    poly = [np.array([[0, 0], [1280, 0], [1280, 720], [0, 720]], float)]
    det = MotionDetector(MotionConfig(), motion_mask_image(poly, (1280, 720), 320))
    for _ in range(10):
        det(BG)
    assert not det(render(0.5, WALKER, BG)).any


def test_regions_are_model_sized_merged_and_fall_back_to_full_frame():
    boxes = np.array([[100, 100, 130, 170], [140, 110, 170, 180], [900, 500, 930, 570]], float)
    rects, tiling = plan_regions(boxes, (1280, 720), 320, max_regions=4)
    assert tiling is None  # each union fits the model input: nothing split
    assert len(rects) == 2
    assert np.all(rects[:, 2:] - rects[:, :2] >= 320)
    assert np.all(rects[:, :2] >= 0) and np.all(rects[:, 2] <= 1280) and np.all(rects[:, 3] <= 720)
    many = np.array([[0, 0, 20, 50], [1200, 0, 1220, 50], [0, 600, 20, 650], [1200, 600, 1220, 650]], float)
    assert plan_regions(many, (1280, 720), 320, max_regions=2)[0].tolist() == [[0, 0, 1280, 720]]
    assert plan_regions(boxes, (640, 300), 320, 4)[0].tolist() == [[0, 0, 640, 300]]  # frame smaller than crop
    assert merge_overlapping(np.array([[0, 0, 10, 10], [5, 5, 20, 20], [30, 30, 40, 40]])).tolist() == [
        [0, 0, 20, 20],
        [30, 30, 40, 40],
    ]


def _candidates(box: np.ndarray) -> Candidates:
    one = np.zeros(1, np.int64)
    return Candidates(box[None].astype(np.float32), np.array([0.9], np.float32), one, one, one)


def test_pipeline_skips_quiet_frames_and_rechecks_stationary_tracks():
    cfg = CameraConfig.model_validate({"motion": {"stationary_recheck_s": 2.0}, "tracker": {"min_hits": 1}})
    pipe = CameraPipeline("s", "a", "cam", cfg, ("person",), model_side=320)
    still = [Mover((600, 300), (0, 0), (30, 70))]
    inferred = []
    for i in range(100):
        t = i / 10
        frame = render(t, still if i >= 30 else [], BG)
        plan = pipe.plan(Frame("cam", t, i, frame))
        cands = _candidates(truth(t, still, (1280, 720))[0]) if len(plan.rects) and i >= 30 else None
        pipe.finish(plan, cands, inferred=bool(len(plan.rects)))
        inferred.append(len(plan.rects) > 0)
    assert all(inferred[:9])  # start-up: the scene is unknown, the model looks at whole frames
    assert not any(inferred[9:30])  # empty, quiet scene: the model never runs
    assert inferred[30]  # the object appears: motion, inference
    assert len(pipe.tracker.tracks) == 1
    late = inferred[70:]  # motion has absorbed the parked object (absorb_frames=25)
    assert 1 <= sum(late) <= 2  # then it is re-verified every 2 s, not every frame
    assert pipe.tracker.stationary(pipe.tracker.tracks, 9.9).tolist() == [True]


def _vanishing_walker_runs(in_flight: int) -> tuple[list[int], int]:
    """Frames the model looked at after a walker vanished mid-frame (at frame 20), planning up to
    ``in_flight`` frames ahead of the one being finished as the sensor service does, and the tracks left."""
    cfg = CameraConfig.model_validate({"motion": {"stationary_recheck_s": 2.0}, "tracker": {"min_hits": 1}})
    pipe = CameraPipeline("s", "a", "cam", cfg, ("person",), model_side=320)
    waiting: list = []
    looked: list[int] = []

    def finish() -> None:
        i, t, plan = waiting.pop(0)
        cands = _candidates(truth(t, WALKER, (1280, 720))[0]) if len(plan.rects) and 10 <= i < 20 else None
        pipe.finish(plan, cands, inferred=bool(len(plan.rects)))

    for i in range(120):
        t = i / 10
        plan = pipe.plan(Frame("cam", t, i, render(t, WALKER if 10 <= i < 20 else [], BG)))
        if len(plan.rects) and i >= 20:
            looked.append(i)
        waiting.append((i, t, plan))
        if len(waiting) > in_flight:
            finish()
    while waiting:
        finish()
    return looked, len(pipe.tracker.tracks)


def test_frames_planned_while_a_look_is_in_flight_do_not_ask_for_the_same_look_again():
    """The service plans frames before the earlier ones are finished; a re-check of a vanished walker is
    then still one model run per look (as when every frame is finished before the next is planned), and
    the track ends as it does there."""
    step, left_step = _vanishing_walker_runs(0)
    ahead, left_ahead = _vanishing_walker_runs(4)
    assert left_step == left_ahead == 0  # the walker's track ended both ways
    assert 1 <= len(ahead) <= len(step) + 1, (step, ahead)  # not one run per frame in flight


def _motion_clip(bg: np.ndarray = BG) -> list[np.ndarray]:
    """Start-up, a quiet stretch, a walker, the lights going up (a global change), quiet again."""
    frames = [render(0.0, [], bg) for _ in range(12)] + [render(i / 10, WALKER, bg) for i in range(12)]
    frames += [np.minimum(bg.astype(np.int16) + 90, 255).astype(np.uint8)] * 3
    return frames + [render(2.0, WALKER, bg) for _ in range(4)]


@pytest.mark.parametrize("wh", [(1280, 720), (640, 480)])  # luma by block sums, and by OpenCV into a buffer
def test_reused_motion_buffers_carry_nothing_from_one_frame_to_the_next(wh: tuple[int, int]) -> None:
    """The detector's scratch images are overwritten whole each frame: garbage left in them changes no
    result, and the luma images handed out stay as they were after later frames."""
    poly = [np.array([[0, 0], [300, 0], [300, 200], [0, 200]], float)]
    mask = motion_mask_image(poly, wh, 320)
    clean, dirty = MotionDetector(MotionConfig(), mask), MotionDetector(MotionConfig(), mask)
    rng = np.random.default_rng(5)
    kept = []
    for frame in _motion_clip(BG if wh == (1280, 720) else background(wh, seed=3)):
        for buf in dirty._scratch.values():
            buf[...] = rng.integers(0, 256, buf.shape, dtype=np.uint8)
        a, b = clean(frame), dirty(frame)
        assert np.array_equal(a.boxes, b.boxes) and np.array_equal(a.fill, b.fill)
        assert np.array_equal(a.area_frac, b.area_frac) and np.array_equal(a.gray, b.gray)
        assert (a.changed_frac, a.global_change) == (b.changed_frac, b.global_change)
        kept.append((b.gray, b.gray.copy()))
    used = {"luma", "background", "diff", "changed"} | ({"small"} if wh == (640, 480) else set())
    assert used <= dirty._scratch.keys()  # every buffer was garbled
    assert all(np.array_equal(gray, copy) for gray, copy in kept)


def test_quiet_frames_share_read_only_empties_and_nothing_writes_to_them():
    """A quiet frame's rects, motion boxes and detections are shared read-only empty arrays (no new
    arrays per frame): any stage that wrote into them would raise here, through a walker's track
    being born, missed and ended."""
    cfg = CameraConfig.model_validate({"tracker": {"min_hits": 1}})
    pipe = CameraPipeline("s", "a", "cam", cfg, ("person",), model_side=320)
    quiet = []
    for i, frame in enumerate(_motion_clip() + [render(0.0, [], BG)] * 40):
        t = i / 10
        plan = pipe.plan(Frame("cam", t, i, frame))
        cands = _candidates(truth(t, WALKER, (1280, 720))[0]) if len(plan.rects) and 12 <= i < 24 else None
        dets = pipe.detections(plan, cands)
        pipe.finish(plan, cands, inferred=bool(len(plan.rects)))
        if not len(plan.rects):
            quiet.append((plan, dets))
    assert len(quiet) >= 10
    for plan, dets in quiet:
        assert plan.rects.shape == (0, 4) and plan.rects.dtype == np.int64 and not plan.rects.flags.writeable
        assert (dets.xyxy.shape, dets.xyxy.dtype, dets.class_id.dtype) == ((0, 4), np.float32, np.int64)
        assert not dets.xyxy.flags.writeable and not dets.tracker_id.flags.writeable
    assert not MotionDetector(MotionConfig())(BG).boxes.flags.writeable  # start-up: no blobs either


# (frame w, h, motion width): integer-factor sizes that take ``block_mean`` and some that do not (see
# tests/test_area_resize.py)
_BLOCK_SIZES = [(1280, 720, 320), (1920, 1080, 320), (3840, 2160, 160), (640, 480, 80)]
_OTHER_SIZES = [(640, 480, 320), (704, 576, 320), (1280, 720, 640), (320, 240, 320)]


@settings(max_examples=40, deadline=None)
@given(size=st.sampled_from(_BLOCK_SIZES + _OTHER_SIZES), content=noise_frames())
def test_motion_luma_is_opencv_s_area_resize_to_the_bit(
    size: tuple[int, int, int], content: tuple[int, int, int]
) -> None:
    """``downscale_gray`` (``area_resize``: block sums where OpenCV's integer-factor area loop would run) gives
    the bits of cvtColor + INTER_AREA resize + blur; narrow value ranges make many halves to round."""
    w, h, width = size
    frame = random_frame(h, w, content)
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    height = max(1, round(h * width / w))
    small = cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA)
    assert np.array_equal(downscale_gray(frame, width), cv2.GaussianBlur(small, (3, 3), 0))
