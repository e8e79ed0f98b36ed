"""CFAR detection on a range-Doppler power map, vectorised over the whole map (no loop per cell).

Square-law detector, noise power exponentially distributed (the usual model after non-coherent
integration). Cells wrap around at the map's edges (Doppler is circular; at the range edges the
window borrows the far end, as OpenRadar's ``mode='wrap'`` does).

* CA-CFAR: the noise estimate is the mean of the training cells of a 2-D window (training
  rectangle minus the guard rectangle around the cell under test), from one integral image (two
  cumulative sums), so the cost per cell is constant whatever the window. Threshold factor for
  ``N`` training cells: ``alpha = N (Pfa^(-1/N) - 1)``.
* OS-CFAR along range: the ``k``-th smallest of the ``2 t`` training cells (``sliding_window_view``
  + ``np.partition``), ``k = 3/4 of them`` by default; ``alpha`` solves Rohling's
  ``Pfa = prod_{i=0}^{k-1} (N - i) / (N - i + alpha)`` (bisection, computed once per configuration).
* Peak grouping: keep only detections that are the maximum of their 3 x 3 neighbourhood.
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view
from scipy import ndimage
from scipy.optimize import brentq

F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


def ca_alpha(n_train: int, pfa: float) -> float:
    """CA-CFAR threshold factor for ``n_train`` training cells and false-alarm rate ``pfa``."""
    return float(n_train * (pfa ** (-1.0 / n_train) - 1.0))


@functools.cache
def os_alpha(n_train: int, k: int, pfa: float) -> float:
    """OS-CFAR threshold factor (Rohling): the ``alpha`` giving ``pfa`` with the ``k``-th of ``n_train``."""
    if not 1 <= k <= n_train:
        raise ValueError(f"OS-CFAR rank k={k} must be within 1..{n_train}")
    i = np.arange(k)

    def excess(alpha: float) -> float:
        return float(np.sum(np.log((n_train - i) / (n_train - i + alpha)))) - np.log(pfa)

    return float(brentq(excess, 1e-9, 1e9))


def _box_sums(integral: F64, h: int, w: int, rows: int, cols: int, off_r: int, off_c: int) -> F64:
    """Sum over every h x w box whose top-left is at (i + off_r, j + off_c), i < rows, j < cols."""
    a = integral[off_r + h : off_r + h + rows, off_c + w : off_c + w + cols]
    b = integral[off_r : off_r + rows, off_c + w : off_c + w + cols]
    c = integral[off_r + h : off_r + h + rows, off_c : off_c + cols]
    d = integral[off_r : off_r + rows, off_c : off_c + cols]
    return a - b - c + d


def ca_cfar(power: npt.ArrayLike, guard: tuple[int, int], train: tuple[int, int], pfa: float) -> tuple[Mask, F64]:
    """(detections, threshold) of 2-D cell-averaging CFAR on a (range, Doppler) power map."""
    x = np.asarray(power, np.float64)
    (gr, gd), (tr, td) = guard, train
    pr, pd = gr + tr, gd + td
    padded = np.pad(x, ((pr, pr), (pd, pd)), mode="wrap")
    integral = np.zeros((padded.shape[0] + 1, padded.shape[1] + 1))
    np.cumsum(padded, axis=0, out=integral[1:, 1:])
    np.cumsum(integral[1:, 1:], axis=1, out=integral[1:, 1:])
    rows, cols = x.shape
    outer = _box_sums(integral, 2 * pr + 1, 2 * pd + 1, rows, cols, 0, 0)
    inner = _box_sums(integral, 2 * gr + 1, 2 * gd + 1, rows, cols, tr, td)
    n_train = (2 * pr + 1) * (2 * pd + 1) - (2 * gr + 1) * (2 * gd + 1)
    threshold = ca_alpha(n_train, pfa) * (outer - inner) / n_train
    return x > threshold, threshold


def os_cfar(power: npt.ArrayLike, guard: int, train: int, pfa: float, k: int | None = None) -> tuple[Mask, F64]:
    """(detections, threshold) of ordered-statistic CFAR along range (axis 0), every Doppler column at once."""
    x = np.asarray(power, np.float64)
    n_train = 2 * train
    k = k if k is not None else max(1, (3 * n_train) // 4)
    half = guard + train
    windows = sliding_window_view(np.pad(x, ((half, half), (0, 0)), mode="wrap"), 2 * half + 1, axis=0)
    cells = np.concatenate((windows[..., :train], windows[..., train + 2 * guard + 1 :]), axis=-1)
    ranked = np.partition(cells, k - 1, axis=-1)[..., k - 1]
    threshold = os_alpha(n_train, k, pfa) * ranked
    return x > threshold, threshold


def group_peaks(power: npt.ArrayLike, detections: Mask) -> Mask:
    """Detections that are the maximum of their 3 x 3 neighbourhood (one per target, not a blob)."""
    x = np.asarray(power, np.float64)
    return detections & (ndimage.maximum_filter(x, size=3, mode="wrap") == x)


def ca_cfar_loop(power: npt.ArrayLike, guard: tuple[int, int], train: tuple[int, int], pfa: float) -> Mask:
    """The straightforward version (a Python loop per cell): the reference the fast one is checked
    and benchmarked against (bench/bench_radar.py, tests/test_radar_cfar.py). Not for live use.
    """
    x = np.asarray(power, np.float64)
    (gr, gd), (tr, td) = guard, train
    pr, pd = gr + tr, gd + td
    rows, cols = x.shape
    n_train = (2 * pr + 1) * (2 * pd + 1) - (2 * gr + 1) * (2 * gd + 1)
    alpha = ca_alpha(n_train, pfa)
    out = np.zeros(x.shape, bool)
    for i in range(rows):
        for j in range(cols):
            total = 0.0
            for di in range(-pr, pr + 1):
                for dj in range(-pd, pd + 1):
                    if abs(di) <= gr and abs(dj) <= gd:
                        continue
                    total += x[(i + di) % rows, (j + dj) % cols]
            out[i, j] = x[i, j] > alpha * total / n_train
    return out
