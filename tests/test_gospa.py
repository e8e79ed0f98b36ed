"""GOSPA (alpha 2): hand-worked cases and a brute-force check over every assignment."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.simulators.score.gospa import C_M, gospa


def test_hand_worked_cases() -> None:
    a = np.array([[0.0, 0.0], [100.0, 0.0]])
    assert gospa(a, a).total_m == 0.0
    miss = gospa(a, a[:1])
    assert (miss.missed, miss.false) == (1, 0) and miss.total_m == pytest.approx(C_M / np.sqrt(2))
    off = gospa(a[:1], np.array([[3.0, 4.0], [50.0, 50.0]]))  # 5 m off, plus a false track
    assert (off.missed, off.false) == (0, 1) and off.localisation_m == pytest.approx(5.0)
    assert off.total_m == pytest.approx(np.sqrt(25 + C_M**2 / 2))
    far = gospa(a[:1], np.array([[30.0, 0.0]]))  # beyond the cutoff: a miss and a false track, not a pair
    assert (far.missed, far.false, far.localisation_m) == (1, 1, 0.0) and far.total_m == pytest.approx(C_M)
    assert gospa(np.zeros((0, 2)), np.zeros((0, 2))).total_m == 0.0


def _brute(x: np.ndarray, y: np.ndarray, c: float, p: float) -> float:
    if len(x) > len(y):
        x, y = y, x
    best = c**p / 2 * (len(y) - len(x)) + c**p / 2 * 2 * len(x)  # nothing paired
    for perm in itertools.permutations(range(len(y)), len(x)):
        d = np.hypot(*(x - y[list(perm)]).T) if len(x) else np.zeros(0)
        cost = np.sum(np.minimum(d, c) ** p) + c**p / 2 * (len(y) - len(x))
        best = min(best, cost)
    return float(best ** (1 / p))


points = st.lists(st.tuples(st.floats(-30, 30), st.floats(-30, 30)), max_size=4).map(
    lambda v: np.array(v, np.float64).reshape(-1, 2)
)


@settings(max_examples=200, deadline=None)
@given(points, points, st.sampled_from([1.0, 2.0]))
def test_matches_brute_force(x: np.ndarray, y: np.ndarray, p: float) -> None:
    g = gospa(x, y, C_M, p)
    assert g.total_m == pytest.approx(_brute(x, y, C_M, p), rel=1e-9, abs=1e-9)
    assert g.missed - g.false == len(x) - len(y)
