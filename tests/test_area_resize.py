"""Area downscaling (edge/sensors/camera/area.py) is OpenCV's INTER_AREA resize to the bit on every path it
takes: block sums for integer factors, dyadic-weight sums for the general path, OpenCV itself otherwise."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.edge.sensors.camera.area import _area_plan, area_resize, block_factors
from tests.support.noise import noise_frames, random_frame

# (w, h) -> (dw, dh): integer factors other than 2x2, which single-channel images (motion luma) resize by
# ``block_mean`` (3x3 ... 24x24, uint32 sums from 16x16 on); colour ones by dyadic sums or OpenCV
_BLOCK = [
    ((1920, 1080), (160, 90)),
    ((480, 270), (160, 90)),
    ((1280, 720), (160, 90)),
    ((640, 360), (160, 90)),
    ((2560, 1440), (160, 90)),
    ((1280, 720), (320, 180)),
    ((1920, 1080), (320, 180)),
    ((960, 540), (320, 180)),
    ((1600, 900), (320, 180)),
    ((3840, 2160), (160, 90)),
    ((640, 480), (80, 60)),
]
# resizes whose weights are dyadic fractions (the haze thumbnail of 640x480: 1/4 a column; 3/16, 2/16,
# 1/16 a row; 1024x768: uint32 sums), and the same size
_DYADIC = [
    ((640, 480), (160, 90)),
    ((1024, 768), (160, 90)),
    ((160, 90), (160, 90)),
]
# OpenCV's own: 2x2 (its SIMD path rounds half up), non-dyadic weights (1/3, 2.2), sizes that do not divide
_OPENCV = [
    ((640, 480), (320, 240)),
    ((704, 576), (320, 262)),
    ((800, 600), (160, 90)),
    ((161, 91), (160, 90)),
    ((352, 288), (160, 90)),
]


def test_the_sizes_in_the_properties_take_the_paths_they_are_there_for() -> None:
    for (w, h), (dw, dh) in _BLOCK:
        assert block_factors(w, h, dw, dh) is not None
    for (w, h), (dw, dh) in _DYADIC:
        assert block_factors(w, h, dw, dh) is None and _area_plan(w, h, dw, dh) is not None
    for (w, h), (dw, dh) in _OPENCV:
        assert block_factors(w, h, dw, dh) is None and _area_plan(w, h, dw, dh) is None


@settings(max_examples=60, deadline=None)
@given(size=st.sampled_from(_BLOCK + _DYADIC + _OPENCV), channels=st.sampled_from([1, 3]), content=noise_frames())
def test_area_resize_is_opencv_s_inter_area_resize_to_the_bit(
    size: tuple[tuple[int, int], tuple[int, int]], channels: int, content: tuple[int, int, int]
) -> None:
    """Grey and colour images alike; narrow value ranges make many halves to round."""
    (w, h), dst = size
    frame = random_frame(h, w, content)
    img = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if channels == 1 else frame
    expected = cv2.resize(img, dst, interpolation=cv2.INTER_AREA)
    got = area_resize(img, dst)
    assert got.shape == expected.shape and got.dtype == np.uint8
    assert np.array_equal(got, expected)


def test_opencv_s_path_writes_into_the_buffer_it_is_given() -> None:
    img = np.arange(480 * 640, dtype=np.uint32).reshape(480, 640).astype(np.uint8)
    buf = np.empty((240, 320), np.uint8)
    out = area_resize(img, (320, 240), dst=buf)
    assert out is buf and np.array_equal(out, cv2.resize(img, (320, 240), interpolation=cv2.INTER_AREA))
