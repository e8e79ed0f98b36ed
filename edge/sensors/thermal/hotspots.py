"""The thermal hot path: whole frames and all blobs of a frame at once, pure functions on numpy/OpenCV.

Frames stay the uint16 centikelvin the reader hands over (0.01 K per unit, nothing lost, no float
copy of the frame). A hot spot is a pixel warmer than its running background by ``delta_k`` and
inside the absolute bounds; both tests are folded into one per-pixel integer bound (``Thresholds``,
recomputed only when the background moves), so the per-frame mask is one ``cv2.inRange`` on the
counts. Connected components (OpenCV, labels only) run on the bounding box of the hot pixels, and
each blob's box, pixel count and max/mean temperature come from ``bincount``/``ufunc.at`` over the
hot pixels only. With a pose, blobs are gated by their metric extent at their range (a person 300 m
away is a few pixels; a 10-pixel blob 15 m away is a cat). Chips for the classifier are sampled for
every blob in one fancy-indexing gather (nearest neighbour), never a loop per blob.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from borderwatch.edge.pipeline.projection import PoseProjector, focal_px
from borderwatch.runtime.geometry import iou_matrix

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]
U16 = npt.NDArray[np.uint16]
ZERO_C_CK = 27315.0
CHIP = 32  # chip side, pixels (the classifier's input)
SATURATED = 65535  # the top count is the sensor's saturation code: never a hot spot
_CHIP_MARGIN = 0.25
_MIN_CHIP_PX = 6.0
_GROW = np.ones((3, 3), np.uint8)


@dataclass(frozen=True, slots=True)
class Hotspots:
    """N blobs of one frame: boxes (x1, y1, x2, y2 exclusive), pixel count, max and mean centikelvin."""

    xyxy: F64
    area: npt.NDArray[np.int64]
    max_ck: F64
    mean_ck: F64

    def __len__(self) -> int:
        return len(self.area)

    def __getitem__(self, index: npt.ArrayLike) -> Hotspots:
        return Hotspots(self.xyxy[index], self.area[index], self.max_ck[index], self.mean_ck[index])

    @classmethod
    def empty(cls) -> Hotspots:
        return cls(np.zeros((0, 4)), np.zeros(0, np.int64), np.zeros(0), np.zeros(0))


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Per pixel, the inclusive count range that is hot: ``lower`` (an image) .. ``upper`` (a constant image).

    A count ``t`` is hot when ``t - background > delta`` and ``min <= t <= max``; for an integer ``t`` that
    is ``t >= floor(background + delta) + 1``, ``t >= ceil(min)`` and ``t <= floor(max)`` (and below the
    saturation code). The sum is taken in float32 (far cheaper than float64 on a whole frame): it is exact when
    delta is a whole number of centikelvin and background and background + delta lie in 163.84..327.68 K
    (one float32 exponent: every terrestrial scene); outside, the bound may be one count (0.01 K) off.
    """

    lower: U16
    upper: U16

    @classmethod
    def of(cls, background: F32, delta_ck: float, min_ck: float, max_ck: float) -> Thresholds:
        """The bounds for ``background`` (a float32 image of centikelvin)."""
        lower = np.add(background, np.float32(delta_ck + 1.0), dtype=np.float32)
        np.clip(lower, np.float32(math.ceil(min_ck)), np.float32(SATURATED), out=lower)
        top = min(math.floor(max_ck), SATURATED - 1)
        return cls(lower.astype(np.uint16), np.full(background.shape, max(top, 0), np.uint16))  # truncation = floor


def hot_mask(frame: U16, bounds: Thresholds, out: U8 | None = None) -> U8:
    """255 where ``frame`` (uint16 centikelvin) is a hot spot, 0 elsewhere (``out`` is reused when given)."""
    return cv2.inRange(frame, bounds.lower, bounds.upper, dst=out)


def blobs(frame: npt.NDArray[np.number], mask: U8, min_pixels: int) -> Hotspots:
    """Connected hot regions (8-connected) of at least ``min_pixels``, with their temperatures.

    Only the bounding box of the hot pixels is labelled (components cannot leave it), and a frame
    without a hot pixel costs one bounding-box scan.
    """
    x0, y0, w, h = cv2.boundingRect(mask)
    if not w:
        return Hotspots.empty()
    sub = mask[y0 : y0 + h, x0 : x0 + w]
    n, labels = cv2.connectedComponents(sub, connectivity=8, ltype=cv2.CV_32S)
    xy = cv2.findNonZero(sub).reshape(-1, 2)
    xs, ys = xy[:, 0], xy[:, 1]
    lab = labels[ys, xs]
    area = np.bincount(lab, minlength=n)
    vals = frame[ys + y0, xs + x0].astype(np.float64)
    sums = np.bincount(lab, vals, minlength=n)
    peak = np.zeros(n)
    np.maximum.at(peak, lab, vals)
    box = np.empty((4, n), np.int32)
    box[:2], box[2:] = np.iinfo(np.int32).max, -1
    np.minimum.at(box[0], lab, xs)
    np.minimum.at(box[1], lab, ys)
    np.maximum.at(box[2], lab, xs)
    np.maximum.at(box[3], lab, ys)
    keep = np.flatnonzero(area >= min_pixels)
    keep = keep[keep > 0]  # label 0 is the background
    xyxy = (box[:, keep].T + np.array([x0, y0, x0 + 1, y0 + 1])).astype(np.float64)
    return Hotspots(xyxy, area[keep].astype(np.int64), peak[keep], sums[keep] / area[keep])


def range_gate(
    xyxy: F64, frame_wh: tuple[int, int], projector: PoseProjector, min_m: float, max_m: float
) -> npt.NDArray[np.bool_]:
    """True for blobs whose larger side, at the range of their foot point, is ``min_m``..``max_m`` metres.

    Blobs whose foot point does not reach the ground (sky: sun, aircraft) are refused.
    """
    w, h = frame_wh
    foot = np.stack(((xyxy[:, 0] + xyxy[:, 2]) / 2, xyxy[:, 3]), axis=1)
    ground = projector.to_ground(foot, w, h)
    slant = np.sqrt((ground * ground).sum(axis=1) + projector.pose.height_m**2)
    focal = focal_px(w, projector.pose.hfov_deg)
    extent_m = np.maximum(xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]) * slant / focal
    with np.errstate(invalid="ignore"):
        return (extent_m >= min_m) & (extent_m <= max_m)


def chip_boxes(xyxy: F64) -> F64:
    """Square sampling boxes around blobs, with a margin of background on every side."""
    centre = (xyxy[:, :2] + xyxy[:, 2:]) / 2
    side = np.maximum((xyxy[:, 2:] - xyxy[:, :2]).max(axis=1) * (1 + 2 * _CHIP_MARGIN), _MIN_CHIP_PX)
    half = side[:, None] / 2
    return np.concatenate((centre - half, centre + half), axis=1)


def chips(frame: npt.NDArray[np.number], background: F32, boxes: F64, delta_ck: float, side: int = CHIP) -> F32:
    """(N, 3, side, side) classifier input: (T - 20 C) / 20 K, (T - background) / 10 K, hot mask."""
    h, w = frame.shape
    grid = (np.arange(side) + 0.5) / side
    xs = boxes[:, 0:1] + grid[None] * (boxes[:, 2:3] - boxes[:, 0:1])
    ys = boxes[:, 1:2] + grid[None] * (boxes[:, 3:4] - boxes[:, 1:2])
    xi = np.clip(xs, 0, w - 1).astype(np.intp)[:, None, :]
    yi = np.clip(ys, 0, h - 1).astype(np.intp)[:, :, None]
    flat = yi * w + xi  # (N, side, side) indices into the frame, one gather per image
    t = frame.ravel().take(flat).astype(np.float32)
    d = t - background.ravel().take(flat)
    out = np.empty((len(boxes), 3, side, side), np.float32)
    np.subtract(t, ZERO_C_CK + 2000.0, out=out[:, 0])
    out[:, 0] /= 2000.0
    np.divide(d, 1000.0, out=out[:, 1])
    np.greater(d, delta_ck, out=out[:, 2])
    return out


def unchanged(previous: F64, current: F64, min_iou: float = 0.6) -> bool:
    """Whether the blobs of this frame are the previous frame's, barely moved (classification may be reused)."""
    if len(previous) != len(current):
        return False
    if not len(current):
        return True
    return bool((iou_matrix(current, previous).max(axis=1) >= min_iou).all())


def false_colour(frame: npt.NDArray[np.number], lo_ck: float, hi_ck: float) -> npt.NDArray[np.uint8]:
    """An HxWx3 BGR evidence picture (inferno palette) of ``lo_ck``..``hi_ck``."""
    scale = 255.0 / max(hi_ck - lo_ck, 1.0)
    grey = cv2.convertScaleAbs(frame, alpha=scale, beta=-lo_ck * scale)
    return cv2.applyColorMap(grey, cv2.COLORMAP_INFERNO)


def learn_background(
    background: F32, frame: npt.NDArray[np.number], hot: U8 | None, alpha: float, scratch: U8 | None = None
) -> None:
    """Exponential moving average per pixel, in place, skipping hot pixels and their 8 neighbours (a person
    standing still never melts into the background, nor does the warm fringe around them).
    """
    if hot is None:
        cv2.accumulateWeighted(frame, background, alpha)
        return
    keep = cv2.bitwise_not(cv2.dilate(hot, _GROW, dst=scratch), dst=scratch)
    cv2.accumulateWeighted(frame, background, alpha, mask=keep)
