"""CFAR: the false-alarm rate on noise-only maps is close to the configured one, injected targets are
found, and the vectorised CA-CFAR agrees cell for cell with the straightforward loop."""

from __future__ import annotations

import numpy as np
import pytest

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
