"""Polar to metric: range/bearing plots -> x/y metres, as the point tracker reads them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderwatch.edge.pipeline.detections import BEARING_DEG, RANGE_M, X_M, Y_M, Detections
from borderwatch.edge.pipeline.polar import metric_to_polar, polar_to_metric, with_metric
from borderwatch.edge.tracking import ConstantVelocityPoint

ranges = st.floats(0, 50_000, allow_nan=False)
bearings = st.floats(-720, 720, allow_nan=False)


def test_compass_points():
    x, y = polar_to_metric([100.0, 100.0, 100.0, 100.0], [0.0, 90.0, 180.0, 270.0])
    assert np.allclose(np.c_[x, y], [[0, 100], [100, 0], [0, -100], [-100, 0]], atol=1e-9)


@given(st.lists(st.tuples(ranges, bearings), max_size=50))
def test_distance_is_kept_and_angle_round_trips(plots: list[tuple[float, float]]):
    r = np.array([p[0] for p in plots], np.float64)
    b = np.array([p[1] for p in plots], np.float64)
    x, y = polar_to_metric(r, b)
    assert np.allclose(np.hypot(x, y), r, rtol=1e-12, atol=1e-9)
    far = r > 1e-6
    back = np.degrees(np.arctan2(x[far], y[far]))  # clockwise from the boresight
    assert np.allclose(np.angle(np.exp(1j * np.radians(back - b[far]))), 0, atol=1e-6)


def test_refuses_negative_range_and_mismatched_shapes():
    with pytest.raises(ValueError, match="negative range"):
        polar_to_metric([-1.0], [0.0])
    with pytest.raises(ValueError, match="differ in shape"):
        polar_to_metric([1.0, 2.0], [0.0])


def test_with_metric_adds_the_columns_the_point_tracker_measures():
    dets = Detections(
        np.zeros((2, 4), np.float32),
        [0.9, 0.8],
        [0, 0],
        extra={RANGE_M: np.array([200.0, 50.0]), BEARING_DEG: np.array([30.0, -45.0])},
    )
    out = with_metric(dets)
    assert set(out.extra) == {RANGE_M, BEARING_DEG, X_M, Y_M} and set(dets.extra) == {RANGE_M, BEARING_DEG}
    z = ConstantVelocityPoint().measure(out)
    assert np.allclose(z[0], [200 * math.sin(math.radians(30)), 200 * math.cos(math.radians(30))])
    assert np.allclose(z[1], [-50 * math.sqrt(0.5), 50 * math.sqrt(0.5)])
    with pytest.raises(ValueError, match="lack the columns"):
        with_metric(Detections.empty())


@given(st.lists(st.tuples(ranges, bearings), max_size=50), st.floats(0, 360, exclude_max=True))
def test_metric_to_polar_inverts_polar_to_metric(plots: list[tuple[float, float]], heading: float):
    r = np.array([p[0] for p in plots], np.float64)
    b = np.array([p[1] for p in plots], np.float64)
    back_r, back_b = metric_to_polar(*polar_to_metric(r, b), heading_deg=heading)
    assert np.allclose(back_r, r, rtol=1e-12, atol=1e-9)
    assert ((back_b >= 0) & (back_b < 360)).all()
    far = r > 1e-6
    assert np.allclose(np.angle(np.exp(1j * np.radians(back_b[far] - b[far] - heading))), 0, atol=1e-6)
