"""Tamper detection on the motion image: covered/black lens, lost focus, sudden repositioning.

Measures per frame (all on the small luma image motion already made, so about free):
- ``black``: mean luma below ``dark_mean``; ``uniform``: luma std below ``uniform_std`` (spray, cloth);
- ``defocus``: variance of the Laplacian below ``defocus_ratio`` x its healthy baseline (an EMA);
- ``scene_change``: most pixels differ from a slow reference after contrast normalisation, so a
  day/IR switch (global gain change) does not count but a turned or blocked camera does.
A condition must hold ``persist_s`` before it is raised, and ``persist_s`` clear before it is
cleared; a scene change is raised once and becomes the new reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from edge.config.camera import TamperConfig

_BASELINE_ALPHA = 0.02
_REFERENCE_ALPHA = 0.01
_WARMUP_FRAMES = 10


@dataclass(frozen=True, slots=True)
class TamperChange:
    """A tamper condition raised or cleared, with the measures that decided it."""

    kind: str
    raised: bool
    measures: dict[str, float]


def frame_measures(gray: np.ndarray) -> dict[str, float]:
    """Mean, std and sharpness (Laplacian variance) of a small luma image."""
    mean, std = cv2.meanStdDev(gray)
    lap = cv2.Laplacian(gray, cv2.CV_32F)
    return {"mean": float(mean[0, 0]), "std": float(std[0, 0]), "sharpness": float(lap.var())}


def normalised(gray: np.ndarray) -> np.ndarray:
    """Zero-mean, unit-std float image (contrast normalisation)."""
    g = gray.astype(np.float32)
    return (g - g.mean()) / max(float(g.std()), 1.0)


class TamperDetector:
    """Per-camera tamper state machine."""

    def __init__(self, cfg: TamperConfig) -> None:
        self.cfg = cfg
        self.baseline: float | None = None
        self.reference: np.ndarray | None = None
        self.frames = 0
        self.active: dict[str, bool] = {"black": False, "uniform": False, "defocus": False}
        self.since: dict[str, float | None] = {"black": None, "uniform": None, "defocus": None, "scene": None}

    def __call__(self, gray: np.ndarray, ts: float) -> list[TamperChange]:
        if not self.cfg.enabled:
            return []
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
        ready = self.baseline is not None and self.frames > _WARMUP_FRAMES
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
        changed = float(np.mean(np.abs(norm - self.reference) > 1.0))
        if changed < self.cfg.change_frac:
            self.since["scene"] = None
            return []
        self.since["scene"] = self.since["scene"] if self.since["scene"] is not None else ts
        if ts - self.since["scene"] < self.cfg.persist_s:
            return []
        self.reference, self.since["scene"] = norm, None
        return [TamperChange("scene_change", True, {**m, "changed_frac": changed})]

    def _learn(self, m: dict[str, float], norm: np.ndarray) -> None:
        if self.baseline is None:
            self.baseline = m["sharpness"]
        else:
            self.baseline += _BASELINE_ALPHA * (m["sharpness"] - self.baseline)
        if self.reference is None or self.reference.shape != norm.shape:
            self.reference = norm
        elif self.since["scene"] is None:
            self.reference += _REFERENCE_ALPHA * (norm - self.reference)
