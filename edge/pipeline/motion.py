"""Motion gating: a cheap look at a downscaled luma image decides whether the model must run.

A running-average background (``cv2.accumulateWeighted``, slower where motion is seen so a
walker does not burn into it) is compared with each frame; changed pixels become blobs through
connected components; blob boxes are scaled back to frame pixels. A change over most of the image
(lights, IR switch, a bird on the lens) recalibrates the background instead of producing blobs.
On a quiet scene the whole step is one resize, one blur, one diff and one count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from edge.config.camera import MotionConfig

_KERNEL = np.ones((3, 3), np.uint8)
_WARMUP_FRAMES = 9


@dataclass(frozen=True, slots=True)
class MotionResult:
    """Motion of one frame: blob boxes in frame pixels, their fill ratio, and whole-image figures."""

    boxes: npt.NDArray[np.float32]
    fill: npt.NDArray[np.float32]
    area_frac: npt.NDArray[np.float32]
    changed_frac: float
    global_change: bool
    gray: npt.NDArray[np.uint8]

    @property
    def any(self) -> bool:
        return len(self.boxes) > 0 or self.global_change


def downscale_gray(frame: np.ndarray, width: int) -> npt.NDArray[np.uint8]:
    """Luma at ``width`` pixels wide (aspect kept), lightly blurred against sensor noise."""
    h, w = frame.shape[:2]
    height = max(1, round(h * width / w))
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    small = cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(small, (3, 3), 0)


def motion_mask_image(
    polygons: Sequence[np.ndarray], frame_wh: tuple[int, int], width: int
) -> np.ndarray | None:
    """uint8 image at motion resolution: 0 where motion is ignored, 255 elsewhere (None = no mask)."""
    if not polygons:
        return None
    scale = width / frame_wh[0]
    height = max(1, round(frame_wh[1] * scale))
    img = np.full((height, width), 255, np.uint8)
    pts = [np.round(np.asarray(p, np.float64) * scale).astype(np.int32) for p in polygons]
    cv2.fillPoly(img, pts, 0)
    return img


def blob_boxes(
    changed: np.ndarray, grouped: np.ndarray, min_area_px: float, scale: float
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Blobs = components of ``grouped`` (the dilated mask); each box bounds only its ``changed`` pixels.

    Returns frame-pixel boxes, fill ratio (changed pixels / box area) and area fraction of the image.
    """
    n, labels = cv2.connectedComponents(grouped, connectivity=8)
    ys, xs = np.nonzero(changed)
    lab = labels[ys, xs]
    area = np.bincount(lab, minlength=n).astype(np.float64)
    lo = np.full((n, 2), np.iinfo(np.int64).max)
    hi = np.full((n, 2), -1)
    np.minimum.at(lo, lab, np.stack((xs, ys), axis=1))
    np.maximum.at(hi, lab, np.stack((xs, ys), axis=1) + 1)
    keep = (area >= max(min_area_px, 1)) & (np.arange(n) > 0)
    lo, hi, area = lo[keep], hi[keep], area[keep]
    boxes = np.concatenate((lo, hi), axis=1).astype(np.float32) / np.float32(scale)
    fill = area / np.maximum(np.prod(hi - lo, axis=1), 1)
    return boxes.reshape(-1, 4), fill.astype(np.float32), (area / changed.size).astype(np.float32)


class MotionDetector:
    """Per-camera motion state: the background image at motion resolution."""

    def __init__(self, cfg: MotionConfig, ignore: np.ndarray | None = None) -> None:
        self.cfg = cfg
        self.ignore = ignore
        self.background: np.ndarray | None = None
        self.age: np.ndarray | None = None
        self.frames = 0
        self._first: list[np.ndarray] = []

    @property
    def warm(self) -> bool:
        """True once the background is the median of the first frames (no ghosts, no trails)."""
        return self.frames > _WARMUP_FRAMES

    def __call__(self, frame: np.ndarray) -> MotionResult:
        gray = downscale_gray(frame, self.cfg.width)
        scale = self.cfg.width / frame.shape[1]
        self.frames += 1
        if self.background is None or self.background.shape != gray.shape or not self.warm:
            return self._warm_up(gray)
        diff = cv2.absdiff(gray, cv2.convertScaleAbs(self.background))
        changed = cv2.threshold(diff, self.cfg.threshold, 255, cv2.THRESH_BINARY)[1]
        if self.ignore is not None and self.ignore.shape == changed.shape:
            changed = cv2.bitwise_and(changed, self.ignore)
        frac = cv2.countNonZero(changed) / changed.size
        if frac > self.cfg.max_changed_frac:
            self.background = gray.astype(np.float32)
            return MotionResult(*_no_boxes(), frac, True, gray)
        self._learn(gray, changed)
        if frac == 0.0:
            return _still(gray)
        dilated = cv2.dilate(changed, _KERNEL, iterations=2)
        boxes, fill, area = blob_boxes(changed, dilated, self.cfg.min_area_frac * changed.size, scale)
        return MotionResult(boxes, fill, area, frac, False, gray)

    def _warm_up(self, gray: np.ndarray) -> MotionResult:
        """Start-up: the background becomes the per-pixel median of the first frames, so objects
        that move during start-up leave neither ghosts nor trails. Until then the whole frame counts
        as changed (a model looks everywhere; blobs are not reported).
        """
        if self._first and self._first[0].shape != gray.shape:
            self._first, self.frames = [], 1
        self._first.append(gray)
        self.background = np.median(np.stack(self._first), axis=0).astype(np.float32)
        self.age = np.zeros(gray.shape, np.uint16)
        if len(self._first) >= _WARMUP_FRAMES:
            self._first = []
        return MotionResult(*_no_boxes(), 0.0, True, gray)  # scene not known yet: look everywhere

    def _learn(self, gray: np.ndarray, changed: np.ndarray) -> None:
        """Adapt at ``alpha`` where still, barely where moving (no trails behind walkers), and at once
        where a pixel stayed changed for ``absorb_frames`` (ghosts of departed objects, parked cars).
        """
        assert self.background is not None and self.age is not None
        self.age = np.where(changed > 0, np.minimum(self.age + 1, 60000), 0).astype(np.uint16)
        stuck = ((self.age > self.cfg.absorb_frames) * 255).astype(np.uint8)
        moving = cv2.bitwise_and(changed, cv2.bitwise_not(stuck))
        cv2.accumulateWeighted(gray, self.background, self.cfg.alpha, mask=cv2.bitwise_not(changed))
        cv2.accumulateWeighted(gray, self.background, self.cfg.alpha * 0.1, mask=moving)
        cv2.accumulateWeighted(gray, self.background, 0.5, mask=stuck)


def _no_boxes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.float32)


def _still(gray: np.ndarray) -> MotionResult:
    return MotionResult(*_no_boxes(), 0.0, False, gray)
