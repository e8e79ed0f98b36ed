"""CFAR: the false-alarm rate on noise-only maps is close to the configured one, injected targets are
found, the vectorised CA-CFAR agrees cell for cell with the straightforward loop, and OS-CFAR its
per-cell definition, for any map size, guard/training cells and Pfa (Hypothesis)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.edge.sensors.radar.cfar import ca_cfar, ca_cfar_loop, group_peaks, os_alpha, os_cfar


@pytest.mark.parametrize("pfa", [1e-2, 1e-3])
def test_ca_cfar_false_alarm_rate_on_noise(pfa: float) -> None:
    rng = np.random.default_rng(42)
    maps = rng.exponential(3.0, (20, 256, 128))  # 655,360 noise cells
    rate = np.mean([ca_cfar(m, (2, 2), (8, 4), pfa)[0].mean() for m in maps])
    assert rate == pytest.approx(pfa, rel=0.25)


@pytest.mark.parametrize("pfa", [1e-2, 1e-3])
def test_os_cfar_false_alarm_rate_on_noise(pfa: float) -> None:
    rng = np.random.default_rng(7)
    maps = rng.exponential(0.5, (20, 256, 128))
    rate = np.mean([os_cfar(m, 2, 8, pfa)[0].mean() for m in maps])
    assert rate == pytest.approx(pfa, rel=0.25)


def test_targets_found_and_grouped_to_one_cell_each() -> None:
    rng = np.random.default_rng(3)
    x = rng.exponential(1.0, (256, 128))
    cells = [(40, 10), (120, 64), (200, 100)]
    for r, d in cells:
        x[r - 1 : r + 2, d - 1 : d + 2] += 80.0
        x[r, d] += 400.0
    for mask in (ca_cfar(x, (2, 2), (8, 4), 1e-6)[0], os_cfar(x, 2, 8, 1e-6)[0]):
        peaks = group_peaks(x, mask)
        assert sorted(zip(*np.nonzero(peaks), strict=True)) == cells


def test_vectorised_ca_equals_the_loop() -> None:
    x = np.random.default_rng(5).exponential(1.0, (48, 24))
    x[10, 5] = 60.0
    fast = ca_cfar(x, (1, 2), (3, 2), 1e-2)[0]
    assert np.array_equal(fast, ca_cfar_loop(x, (1, 2), (3, 2), 1e-2)) and fast[10, 5]


def test_os_alpha_is_rohlings_solution() -> None:
    alpha = os_alpha(16, 12, 1e-4)
    i = np.arange(12)
    assert np.prod((16 - i) / (16 - i + alpha)) == pytest.approx(1e-4, rel=1e-6)
    with pytest.raises(ValueError, match="rank"):
        os_alpha(16, 17, 1e-4)


def _os_cfar_loop(x: np.ndarray, guard: int, train: int, pfa: float) -> np.ndarray:
    """OS-CFAR threshold cell by cell (indices modulo the map's rows): the definition the vectorised
    version must match exactly (both select a cell, no arithmetic)."""
    n_train, half = 2 * train, guard + train
    k = max(1, (3 * n_train) // 4)
    offsets = [d for d in range(-half, half + 1) if abs(d) > guard]
    out = np.empty_like(x)
    for i, j in np.ndindex(*x.shape):
        out[i, j] = sorted(x[(i + d) % x.shape[0], j] for d in offsets)[k - 1]
    return os_alpha(n_train, k, pfa) * out


_PFA = st.sampled_from([1e-1, 1e-2, 1e-3, 1e-4, 1e-6, 1e-8])


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 20),
    cols=st.integers(1, 12),
    guard=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    train=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    pfa=_PFA,
    seed=st.integers(0, 2**32 - 1),
    integer=st.booleans(),
)
def test_ca_cfar_equals_the_loop_for_any_map_and_window(
    rows: int, cols: int, guard: tuple[int, int], train: tuple[int, int], pfa: float, seed: int, integer: bool
) -> None:
    """Windows wider than the map included (the wrap repeats): the detections are the loop's, cell for
    cell, except where a cell sits within float rounding (1e-9 relative) of its threshold."""
    rng = np.random.default_rng(seed)
    x = rng.exponential(5.0, (rows, cols))
    x = np.floor(x * 100).astype(np.uint16) if integer else x  # the TI heat map arrives as uint16
    x[rng.integers(rows), rng.integers(cols)] += 1000
    fast, threshold = ca_cfar(x, guard, train, pfa)
    slow = ca_cfar_loop(x, guard, train, pfa)
    clear = np.abs(x - threshold) > 1e-9 * threshold
    assert np.array_equal(fast[clear], slow[clear])
    assert clear.mean() > 0.9  # the comparison covers nearly every cell


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 40),
    cols=st.integers(1, 8),
    guard=st.integers(0, 4),
    train=st.integers(1, 8),
    pfa=_PFA,
    seed=st.integers(0, 2**32 - 1),
)
def test_os_cfar_equals_the_loop_for_any_map_and_window(
    rows: int, cols: int, guard: int, train: int, pfa: float, seed: int
) -> None:
    x = np.random.default_rng(seed).exponential(2.0, (rows, cols))
    mask, threshold = os_cfar(x, guard, train, pfa)
    expected = _os_cfar_loop(x, guard, train, pfa)
    assert np.array_equal(threshold, expected) and np.array_equal(mask, x > expected)


def test_ca_cfar_results_survive_later_calls_and_other_threads() -> None:
    """The padded map and box sums are reused per thread: a result must not change when the same
    thread or another one runs CFAR again (OpenCV releases the GIL, so threads do overlap)."""
    rng = np.random.default_rng(11)
    maps = [rng.exponential(1.0, (256, 128)) for _ in range(6)]
    expected = [ca_cfar(m, (2, 2), (8, 4), 1e-3)[1].copy() for m in maps]
    first_mask, first_threshold = ca_cfar(maps[0], (2, 2), (8, 4), 1e-3)
    kept = first_threshold.copy()
    with ThreadPoolExecutor(4) as pool:
        thresholds = list(pool.map(lambda m: ca_cfar(m, (2, 2), (8, 4), 1e-3)[1], maps * 40))
    assert all(np.array_equal(t, expected[i % len(maps)]) for i, t in enumerate(thresholds))
    assert np.array_equal(first_threshold, kept) and np.array_equal(first_mask, maps[0] > kept)
