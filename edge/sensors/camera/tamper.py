"""Tamper detection on the motion image: covered/black lens, lost focus, sudden repositioning.

Measures per frame (all on the small luma image motion already made, so about free):
- ``black``: mean luma below ``dark_mean``; ``uniform``: luma std below ``uniform_std`` (spray, cloth);
- ``defocus``: variance of the Laplacian below ``defocus_ratio`` x its healthy baseline (an EMA);
- ``scene_change``: the normalised cross-correlation with a slow reference scene collapses; being
  contrast-normalised, a day/IR switch (global gain change) does not count, a turned camera does.
A condition must hold ``persist_s`` before it is raised, and ``persist_s`` clear before it is
cleared; a scene change is raised once and becomes the new reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from borderwatch.edge.sensors.camera.config import TamperConfig

_BASELINE_ALPHA = 0.02
_REFERENCE_ALPHA = 0.01
_WARMUP_CHECKS = 4
_WIDTH = 160


@dataclass(frozen=True, slots=True)
class TamperChange:
    """A tamper condition raised or cleared, with the measures that decided it."""

    kind: str
    raised: bool
    measures: dict[str, float]


def shrink(gray: np.ndarray, width: int) -> np.ndarray:
    """At most ``width`` pixels wide: the tamper measures are global, 160 px is plenty for them."""
    if gray.shape[1] <= width:
        return gray
    height = max(1, round(gray.shape[0] * width / gray.shape[1]))
    return cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA)


def frame_measures(gray: np.ndarray) -> dict[str, float]:
    """Mean, std and sharpness (Laplacian variance) of a small luma image."""
    mean, std = cv2.meanStdDev(gray)
    lap = cv2.Laplacian(gray, cv2.CV_32F)
    return {"mean": float(mean[0, 0]), "std": float(std[0, 0]), "sharpness": float(lap.var())}


def normalised(gray: np.ndarray) -> np.ndarray:
    """Zero-mean, unit-std float image (contrast normalisation)."""
    g = gray.astype(np.float32)
    return (g - g.mean()) / max(float(g.std()), 1.0)


def _blocks(img: np.ndarray, grid: int) -> np.ndarray:
    """(grid*grid, pixels) rows, each block normalised to zero mean and unit std."""
    h, w = img.shape[0] // grid, img.shape[1] // grid
    b = img[: h * grid, : w * grid].reshape(grid, h, grid, w).transpose(0, 2, 1, 3).reshape(grid * grid, -1)
    b = b - b.mean(axis=1, keepdims=True)
    return b / np.maximum(b.std(axis=1, keepdims=True), 1e-3)


def scene_correlation(img: np.ndarray, reference: np.ndarray, grid: int = 4) -> float:
    """Median over a grid of blocks of each block's correlation with the reference.

    Median of blocks, so a walker or a truck filling a few blocks does not count as a new scene,
    while a turned or covered camera changes every block.
    """
    corr = (_blocks(img, grid) * _blocks(reference, grid)).mean(axis=1)
    return median(corr)


def median(values: np.ndarray) -> float:
    """``float(np.median(values))`` of a 1-D array, by hand: sorted, the middle value or the mean of the
    middle two (in the array's dtype, as numpy takes it), NaN if any value is NaN.

    Why: ``np.median``'s Python layers (partition with NaN check, ``mean`` of the middle pair) cost
    more than the whole sort of the grid's 16 correlations. Pinned against ``np.median`` by a
    property test in tests/test_camera_tamper.py.
    """
    s = np.sort(values)
    n = len(s)
    if n == 0 or np.isnan(s[-1]):  # sort puts NaN last; numpy's median of nothing is NaN too
        return float("nan")
    k = n // 2
    # numpy's mean sums from 0.0 and then divides, so its median of -0.0 is +0.0 and that of a tiny negative and
    # 0.0 is -0.0 (the halved sum underflows): the "0.0 +" first, in the array's dtype, does the same
    return float(s[k]) + 0.0 if n % 2 else float((0.0 + s[k - 1] + s[k]) / 2)


class TamperDetector:
    """Per-camera tamper state machine."""

    def __init__(self, cfg: TamperConfig) -> None:
        self.cfg = cfg
        self.baseline: float | None = None
        self.reference: np.ndarray | None = None
        self.frames = 0
        self.last_check = -1e18
        self.active: dict[str, bool] = {"black": False, "uniform": False, "defocus": False}
        self.since: dict[str, float | None] = {"black": None, "uniform": None, "defocus": None, "scene": None}

    def due(self, ts: float) -> bool:
        """Whether a check is due at ``ts`` (checks are paced at ``interval_s``)."""
        return self.cfg.enabled and ts - self.last_check >= self.cfg.interval_s

    def __call__(self, gray: np.ndarray, ts: float) -> list[TamperChange]:
        if not self.due(ts):
            return []
        self.last_check = ts
        gray = shrink(gray, _WIDTH)
        m = frame_measures(gray)
        norm = normalised(gray)
        self.frames += 1
        conditions = self._conditions(m, norm)
        changes = [c for kind, on in conditions.items() if (c := self._debounce(kind, on, ts, m)) is not None]
        changes += self._scene_change(m, norm, ts)
        if not any(conditions.values()):
            self._learn(m, norm)
        return changes

    def _conditions(self, m: dict[str, float], norm: np.ndarray) -> dict[str, bool]:
        black = m["mean"] < self.cfg.dark_mean
        uniform = not black and m["std"] < self.cfg.uniform_std
        ready = self.baseline is not None and self.frames > _WARMUP_CHECKS
        defocus = bool(ready and not (black or uniform) and m["sharpness"] < self.cfg.defocus_ratio * self.baseline)
        return {"black": black, "uniform": uniform, "defocus": defocus}

    def _debounce(self, kind: str, on: bool, ts: float, m: dict[str, float]) -> TamperChange | None:
        """Raise/clear only after the condition (or its absence) lasted ``persist_s``."""
        if on == self.active[kind]:
            self.since[kind] = None
            return None
        start = self.since[kind]
        if start is None:
            self.since[kind] = ts
            start = ts
        if ts - start < self.cfg.persist_s:
            return None
        self.active[kind], self.since[kind] = on, None
        return TamperChange(kind, on, {**m, "baseline_sharpness": float(self.baseline or 0.0)})

    def _scene_change(self, m: dict[str, float], norm: np.ndarray, ts: float) -> list[TamperChange]:
        if self.reference is None or self.reference.shape != norm.shape or any(self.active.values()):
            self.since["scene"] = None
            return []
        correlation = scene_correlation(norm, self.reference)
        if correlation >= self.cfg.min_correlation:
            self.since["scene"] = None
            return []
        self.since["scene"] = self.since["scene"] if self.since["scene"] is not None else ts
        if ts - self.since["scene"] < self.cfg.persist_s:
            return []
        self.reference, self.since["scene"] = norm, None
        return [TamperChange("scene_change", True, {**m, "correlation": correlation})]

    def _learn(self, m: dict[str, float], norm: np.ndarray) -> None:
        if self.baseline is None:
            self.baseline = m["sharpness"]
        else:
            self.baseline += _BASELINE_ALPHA * (m["sharpness"] - self.baseline)
        if self.reference is None or self.reference.shape != norm.shape:
            self.reference = norm
        elif self.since["scene"] is None:
            self.reference += _REFERENCE_ALPHA * (norm - self.reference)
