"""Tamper detection: covered (black / uniform) lens, lost focus, turned camera; no false alarms."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from borderwatch.edge.sensors.camera.config import TamperConfig
from borderwatch.edge.sensors.camera.motion import downscale_gray
from borderwatch.edge.sensors.camera.tamper import TamperDetector, median
from tests.support.testpattern import Mover, background, render

BG = background((640, 480), seed=1)
MOVERS = [Mover((20, 200), (60, 0), (30, 60))]


def healthy(t: float) -> np.ndarray:
    rng = np.random.default_rng(int(t * 100))
    noise = rng.integers(0, 6, BG.shape, dtype=np.uint8)
    return cv2.add(render(t, MOVERS, BG), noise)


def feed(det: TamperDetector, frames, t0: float, fps: float = 10.0) -> list[tuple[str, bool, float]]:
    out = []
    for i, frame in enumerate(frames):
        t = t0 + i / fps
        out += [(c.kind, c.raised, round(t, 1)) for c in det(downscale_gray(frame, 160), t)]
    return out


def test_normal_scene_with_a_walker_and_noise_raises_nothing():
    det = TamperDetector(TamperConfig(interval_s=0.0))
    assert feed(det, [healthy(i / 10) for i in range(60)], 0.0) == []


def test_black_frame_raised_after_persist_and_cleared_after_recovery():
    det = TamperDetector(TamperConfig(persist_s=1.0, interval_s=0.0))
    feed(det, [healthy(i / 10) for i in range(20)], 0.0)
    black = np.full_like(BG, 3)
    events = feed(det, [black] * 20, 2.0)
    assert events == [("black", True, 3.0)]
    events = feed(det, [healthy(4 + i / 10) for i in range(20)], 4.0)
    assert events == [("black", False, 5.0)]


def test_uniform_cover_is_not_called_black():
    det = TamperDetector(TamperConfig(persist_s=0.5, interval_s=0.0))
    feed(det, [healthy(i / 10) for i in range(20)], 0.0)
    assert [e[:2] for e in feed(det, [np.full_like(BG, 128)] * 10, 2.0)] == [("uniform", True)]


def test_defocus_against_the_learned_sharpness_baseline():
    det = TamperDetector(TamperConfig(persist_s=1.0, interval_s=0.0))
    feed(det, [healthy(i / 10) for i in range(30)], 0.0)
    blurred = [cv2.GaussianBlur(healthy(3 + i / 10), (0, 0), 6) for i in range(20)]
    events = feed(det, blurred, 3.0)
    assert [e[:2] for e in events] == [("defocus", True)]


def test_turned_camera_is_a_scene_change_but_a_gain_change_is_not():
    det = TamperDetector(TamperConfig(persist_s=1.0, interval_s=0.0))
    feed(det, [healthy(i / 10) for i in range(30)], 0.0)
    darker = [cv2.convertScaleAbs(healthy(3 + i / 10), alpha=0.5, beta=30) for i in range(20)]
    assert feed(det, darker, 3.0) == []  # IR/day switch: global gain, same structure
    other = background((640, 480), seed=7)
    events = feed(det, [other] * 30, 5.0)
    assert [e[:2] for e in events] == [("scene_change", True)]  # raised once, then the new reference


def test_disabled_tamper_reports_nothing():
    det = TamperDetector(TamperConfig(enabled=False))
    assert feed(det, [np.zeros_like(BG)] * 40, 0.0) == []


def test_checks_are_paced_by_interval():
    det = TamperDetector(TamperConfig(interval_s=1.0))
    for i in range(50):
        det(downscale_gray(healthy(i / 10), 160), i / 10)
    assert det.frames == 5  # 5 s of frames at 10 fps: one check per second


@settings(max_examples=300, deadline=None)
@given(
    values=st.one_of(
        arrays(np.float32, st.integers(0, 40), elements=st.floats(width=32)),
        arrays(np.float64, st.integers(0, 40)),
        arrays(np.float32, st.integers(1, 40), elements=st.sampled_from([0.0, -0.0, 1.0, -1.0])),
    )
)
@example(values=np.array([-0.0], np.float32))  # numpy's median of -0.0 is +0.0
@example(values=np.array([1.5, np.nan, -2.0], np.float32))
@example(values=np.array([-5e-324, 0.0]))  # the halved sum underflows to -0.0, as numpy's does
def test_the_median_by_hand_is_numpy_s_to_the_bit(values: np.ndarray) -> None:
    with np.errstate(all="ignore"):
        expected = float(np.median(values)) if len(values) else float("nan")
    got = median(values)
    assert (np.isnan(got) and np.isnan(expected)) or (got == expected and np.signbit(got) == np.signbit(expected))
