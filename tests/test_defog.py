"""Digital defog: hazy pictures (the simulator's fog) get local contrast for the model, clear, rain and
night pictures pass untouched, and the camera pipeline hands the model the defogged frame while its
motion and tamper checks keep the camera's own."""

from __future__ import annotations

import functools

import cv2
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from borderwatch.deploy.eval_run import LIBRARY
from borderwatch.edge.sensors.camera.config import CameraConfig, MotionConfig
from borderwatch.edge.sensors.camera.defog import (
    HAZY_DARK_P10,
    Defog,
    haze_level,
    percentile_u8,
)
from borderwatch.edge.sensors.camera.motion import MotionDetector
from borderwatch.edge.sensors.camera.pipeline import CameraPipeline
from borderwatch.edge.sensors.frame import Frame
from borderwatch.simulators.camera.render import CameraRenderer
from borderwatch.simulators.scenario import load_scenario


@functools.cache
def _frame(scenario: str, t: float = 50.0) -> np.ndarray:
    scn = load_scenario(LIBRARY / f"{scenario}.toml")
    return CameraRenderer(scn, scn.cameras[0].id).render(t).frame


def _edges(bgr: np.ndarray) -> float:
    """Local contrast: mean absolute Laplacian of the grey picture."""
    return float(np.abs(cv2.Laplacian(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), cv2.CV_32F)).mean())


@pytest.mark.parametrize(("scenario", "hazy"), [("fog", True), ("person-day", False), ("rain", False),
                                                ("group-night", False)])  # fmt: skip
def test_only_fog_reads_as_hazy(scenario: str, hazy: bool) -> None:
    assert (haze_level(_frame(scenario)) > HAZY_DARK_P10) is hazy


def test_defog_restores_contrast_and_leaves_clear_pictures_alone() -> None:
    fog, day = _frame("fog"), _frame("person-day")
    d = Defog("auto")
    out = d(fog, 0.0)
    assert out is not fog and out.shape == fog.shape and _edges(out) > 1.5 * _edges(fog)
    assert Defog("auto")(day, 0.0) is day and Defog("off")(fog, 0.0) is fog
    assert d(day, 1.0) is not day  # the last answer holds until the next check ...
    assert d(day, 2.5) is day  # ... 2 s later


def test_the_model_sees_the_defogged_frame_motion_and_tamper_the_camera_s_own() -> None:
    cfg = CameraConfig.model_validate({"motion": {"enabled": False}})
    pipe = CameraPipeline("s", "a", "cam-1", cfg, ("person",))
    fog = _frame("fog")
    plan = pipe.plan(Frame("cam-1", 1.0, 0, fog))
    assert len(plan.rects) and plan.frame.data is not fog and plan.frame.ts == 1.0
    clear = _frame("person-day")
    assert pipe.plan(Frame("cam-1", 4.0, 1, clear)).frame.data is clear


def test_motion_in_a_hazy_picture_counts_the_faded_walker() -> None:
    """Fog fades a walking person under the motion threshold: the fog scenario's second person, 40 m
    from cam-2, made no motion at the clear-weather threshold, so the model was never asked about him."""
    scn = load_scenario(LIBRARY / "fog.toml")
    cam = CameraRenderer(scn, "cam-2")
    frames = [cam.render(66 + i / 5).frame for i in range(60)]  # p2 walks from 48 m to 38 m out
    pipe = CameraPipeline("s", "a", "cam-2", CameraConfig(), ("person",))
    plans = [pipe.plan(Frame("cam-2", i / 5, i, f)) for i, f in enumerate(frames)]
    assert pipe.defog.hazy and sum(len(p.rects) > 0 for p in plans[-20:]) >= 15
    clear_weather = MotionDetector(MotionConfig())
    seen = [len(clear_weather(f).boxes) for f in frames]
    assert not any(seen[-20:])  # the clear-weather threshold: nothing moves, the model is not asked


def test_every_mode_measures_haze_for_motion_and_only_the_mode_decides_what_the_model_sees() -> None:
    """``check`` answers in every mode (motion gating asks it even with defog off); "on" filters a clear
    picture too, "off" never filters a hazy one."""
    fog, day = _frame("fog"), _frame("person-day")
    on, off = Defog("on"), Defog("off")
    assert on(day, 0.0) is not day and not on.check(day, 0.0)
    assert off.check(fog, 0.0) and off(fog, 0.0) is fog


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.integers(0, 255), min_size=1, max_size=400),
    q=st.sampled_from([0.0, 10.0, 25.0, 50.0, 66.7, 90.0, 100.0, 33.3]),
)
@example(values=[0, 13], q=90.0)  # numpy interpolates down from the upper value here: a + (b - a) t differs
@example(values=[0, 29, 40], q=33.3)
def test_percentile_from_the_histogram_is_numpy_s(values: list[int], q: float) -> None:
    a = np.array(values, np.uint8).reshape(-1, 1)
    assert percentile_u8(a, q) == float(np.percentile(a, q))


def test_percentile_from_the_histogram_on_a_thumbnail_sized_array() -> None:
    rng = np.random.default_rng(21)
    for _ in range(50):
        a = rng.integers(0, int(rng.integers(1, 257)), (90, 160)).astype(np.uint8)
        assert percentile_u8(a, 10.0) == float(np.percentile(a, 10))
