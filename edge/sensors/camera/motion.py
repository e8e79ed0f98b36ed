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

from borderwatch.edge.sensors.camera.area import area_resize
from borderwatch.edge.sensors.camera.config import MotionConfig

_KERNEL = np.ones((3, 3), np.uint8)
_GROW = 2  # dilation iterations of the 3x3 kernel = pixels added on every side
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
        """Anything moved: a blob, or a change over the whole image (light, a knock) that blobs cannot place."""
        return len(self.boxes) > 0 or self.global_change


def downscale_gray(
    frame: np.ndarray, width: int, scratch: dict[str, np.ndarray] | None = None
) -> npt.NDArray[np.uint8]:
    """Luma at ``width`` pixels wide (aspect kept), lightly blurred against sensor noise.

    ``scratch``: the caller's buffers for the intermediate images (full-size luma; the small unblurred one
    where OpenCV resizes), reused from call to call instead of allocated per frame; each is overwritten
    whole, so their old contents never matter. The returned image is always new (callers keep it).
    The resize is ``area_resize`` (OpenCV's INTER_AREA bits, less work where OpenCV's loop is scalar).
    """
    h, w = frame.shape[:2]
    height = max(1, round(h * width / w))
    scratch = {} if scratch is None else scratch
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY, dst=_buffer(scratch, "luma", (h, w))) if frame.ndim == 3 else frame
    small = area_resize(gray, (width, height), dst=_buffer(scratch, "small", (height, width)))
    return cv2.GaussianBlur(small, (3, 3), 0)


def _buffer(scratch: dict[str, np.ndarray], name: str, shape: tuple[int, int]) -> npt.NDArray[np.uint8]:
    """The uint8 image ``scratch[name]`` of ``shape``, made anew only when there is none of that shape."""
    buf = scratch.get(name)
    if buf is None or buf.shape != shape:
        buf = scratch[name] = np.empty(shape, np.uint8)
    return buf


def motion_mask_image(polygons: Sequence[np.ndarray], frame_wh: tuple[int, int], width: int) -> np.ndarray | None:
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
    changed: np.ndarray, grouped: np.ndarray, min_area_px: float, scale: float, grow: int = _GROW
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Blobs = outer contours of ``grouped`` (``changed`` dilated by ``grow`` px, so fragments of one
    object join); boxes are shrunk back by ``grow`` and counted on ``changed`` through an integral
    image. Returns frame-pixel boxes, fill ratio (changed pixels / box area) and area fraction.
    """
    contours, _ = cv2.findContours(grouped, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)  # 20x faster than
    if not contours:  # connectedComponentsWithStats on a mostly empty mask
        return _no_boxes()
    pts = np.concatenate(contours).reshape(-1, 2).astype(np.int64)
    starts = np.r_[0, np.cumsum(np.fromiter(map(len, contours), np.int64))[:-1]]
    lo = np.minimum.reduceat(pts, starts, axis=0)
    hi = np.maximum.reduceat(pts, starts, axis=0) + 1
    x1, y1 = lo[:, 0] + grow, lo[:, 1] + grow
    x2, y2 = np.maximum(hi[:, 0] - grow, x1 + 1), np.maximum(hi[:, 1] - grow, y1 + 1)
    x1, y1 = np.minimum(x1, x2 - 1), np.minimum(y1, y2 - 1)
    h, w = changed.shape
    x2, y2 = np.minimum(x2, w), np.minimum(y2, h)
    x1, y1 = np.minimum(x1, x2 - 1), np.minimum(y1, y2 - 1)
    integral = cv2.integral(changed // 255, sdepth=cv2.CV_32S)
    area = (integral[y2, x2] - integral[y1, x2] - integral[y2, x1] + integral[y1, x1]).astype(np.float64)
    keep = area >= max(min_area_px, 1)
    boxes = np.stack((x1, y1, x2, y2), axis=1)[keep].astype(np.float32) / np.float32(scale)
    fill = area[keep] / np.maximum((x2 - x1) * (y2 - y1), 1)[keep]
    return boxes.reshape(-1, 4), fill.astype(np.float32), (area[keep] / changed.size).astype(np.float32)


class MotionDetector:
    """Per-camera motion state: the background image at motion resolution."""

    def __init__(self, cfg: MotionConfig, ignore: np.ndarray | None = None) -> None:
        self.cfg = cfg
        self.ignore = ignore
        self.background: np.ndarray | None = None
        self.age: np.ndarray | None = None
        self._ageing = False  # whether ``age`` may hold a non-zero count (a changed pixel since it was cleared)
        self.frames = 0
        self._first: list[np.ndarray] = []
        # per-frame intermediate images (luma, background in uint8, difference, changed mask), reused
        # frame after frame: each is overwritten whole before it is read (none leaves ``__call__``)
        self._scratch: dict[str, np.ndarray] = {}

    @property
    def warm(self) -> bool:
        """True once the background is the median of the first frames (no ghosts, no trails)."""
        return self.frames > _WARMUP_FRAMES

    def __call__(self, frame: np.ndarray, hazy: bool = False) -> MotionResult:
        """Motion of ``frame``; ``hazy``: the picture is hazy (``defog.py``), so changes count from
        ``hazy_threshold`` on -- fog fades a person's contrast with the background."""
        gray = downscale_gray(frame, self.cfg.width, self._scratch)
        scale = self.cfg.width / frame.shape[1]
        self.frames += 1
        if self.background is None or self.background.shape != gray.shape or not self.warm:
            return self._warm_up(gray)
        shape = gray.shape
        background = cv2.convertScaleAbs(self.background, dst=_buffer(self._scratch, "background", shape))
        diff = cv2.absdiff(gray, background, dst=_buffer(self._scratch, "diff", shape))
        threshold = self.cfg.hazy_threshold if hazy else self.cfg.threshold
        # the results, not the buffers, are used on: OpenCV returns a new array if a buffer does not fit
        changed = _buffer(self._scratch, "changed", shape)
        changed = cv2.threshold(diff, threshold, 255, cv2.THRESH_BINARY, dst=changed)[1]
        if self.ignore is not None and self.ignore.shape == changed.shape:
            changed = cv2.bitwise_and(changed, self.ignore, dst=changed)
        frac = cv2.countNonZero(changed) / changed.size
        if frac > self.cfg.max_changed_frac:
            self.background = gray.astype(np.float32)
            return MotionResult(*_no_boxes(), frac, True, gray)
        self._learn(gray, changed, frac)
        if frac == 0.0:
            return _still(gray)
        dilated = cv2.dilate(changed, _KERNEL, iterations=_GROW)
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
        self._ageing = False
        if len(self._first) >= _WARMUP_FRAMES:
            self._first = []
        return MotionResult(*_no_boxes(), 0.0, True, gray)  # scene not known yet: look everywhere

    def _learn(self, gray: np.ndarray, changed: np.ndarray, frac: float = 1.0) -> None:
        """Adapt at ``alpha`` where still, barely where moving (no trails behind walkers), and at once
        where a pixel stayed changed for ``absorb_frames`` (ghosts of departed objects, parked cars).
        """
        assert self.background is not None and self.age is not None
        if frac == 0.0:  # a quiet frame: one plain update, nothing is ageing
            if self._ageing:  # after a run of quiet frames the ages are zero already
                self.age.fill(0)
                self._ageing = False
            cv2.accumulateWeighted(gray, self.background, self.cfg.alpha)
            return
        self.age = _aged(self.age, changed)
        self._ageing = True
        stuck = cv2.compare(self.age, self.cfg.absorb_frames, cv2.CMP_GT)  # 255 where stuck, else 0
        moving = cv2.bitwise_and(changed, cv2.bitwise_not(stuck))
        cv2.accumulateWeighted(gray, self.background, self.cfg.alpha, mask=cv2.bitwise_not(changed))
        cv2.accumulateWeighted(gray, self.background, self.cfg.alpha * 0.1, mask=moving)
        cv2.accumulateWeighted(gray, self.background, 0.5, mask=stuck)


def _aged(age: npt.NDArray[np.uint16], changed: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint16]:
    """A new age image: one frame older (at most 60000) where ``changed`` (0/255), 0 elsewhere. Three OpenCV
    passes giving ``np.where(changed > 0, np.minimum(age + 1, 60000), 0)`` without its temporaries.
    """
    older = cv2.min(cv2.add(age, 1), 60000)
    out = np.zeros_like(age)
    cv2.bitwise_and(older, older, dst=out, mask=changed)  # masked-out pixels of a given dst are left as they are
    return out


# "no blob" columns, one read-only set shared by every result that has none (most frames: a quiet scene)
_NO_BOXES = (np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.float32))
for _column in _NO_BOXES:
    _column.flags.writeable = False


def _no_boxes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Empty boxes, fill and area columns: shared and read-only, not three new arrays each quiet frame."""
    return _NO_BOXES


def _still(gray: np.ndarray) -> MotionResult:
    return MotionResult(*_no_boxes(), 0.0, False, gray)
