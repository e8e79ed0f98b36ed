"""The thermal hot path: whole frames and all blobs of a frame at once, pure functions on numpy.

Temperatures stay in centikelvin as float32 (integers up to 65535 are exact in float32, so nothing
of the 0.01 K step is lost). A hot spot is a pixel warmer than its running background by
``delta_k`` and inside the absolute bounds; connected components (OpenCV) make blobs, whose
max/mean temperature come from one ``bincount``/``maximum.at`` over the hot pixels only. With a
pose, blobs are gated by their metric extent at their range (a person 300 m away is a few pixels;
a 10-pixel blob 15 m away is a cat). Chips for the classifier are sampled for every blob in one
fancy-indexing gather (nearest neighbour), never a loop per blob.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from borderwatch.edge.pipeline.geometry import iou_matrix
from borderwatch.edge.sensors.camera.projection import PoseProjector

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
ZERO_C_CK = 27315.0
CHIP = 32  # chip side, pixels (the classifier's input)
_CHIP_MARGIN = 0.25
_MIN_CHIP_PX = 6.0


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


def hot_mask(temp: F32, background: F32, delta_ck: float, min_ck: float, max_ck: float) -> npt.NDArray[np.bool_]:
    """Pixels warmer than their background by ``delta_ck`` and within [min_ck, max_ck]."""
    return ((temp - background) > delta_ck) & (temp >= min_ck) & (temp <= max_ck)


def blobs(temp: F32, mask: npt.NDArray[np.bool_], min_pixels: int) -> Hotspots:
    """Connected hot regions (8-connected) of at least ``min_pixels``, with their temperatures."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.view(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    if n <= 1:
        return Hotspots.empty()
    flat = labels.ravel()
    hot = np.flatnonzero(mask.ravel())
    lab = flat[hot]
    vals = temp.ravel()[hot].astype(np.float64)
    sums = np.bincount(lab, vals, minlength=n)
    peak = np.zeros(n)
    np.maximum.at(peak, lab, vals)
    area = stats[:, cv2.CC_STAT_AREA].astype(np.int64)
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    xyxy = np.stack((x, y, x + stats[:, cv2.CC_STAT_WIDTH], y + stats[:, cv2.CC_STAT_HEIGHT]), axis=1)
    keep = np.flatnonzero(area >= min_pixels)
    keep = keep[keep > 0]  # label 0 is the background
    return Hotspots(xyxy[keep].astype(np.float64), area[keep], peak[keep], sums[keep] / area[keep])


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
    focal = (w / 2) / np.tan(np.radians(projector.pose.hfov_deg) / 2)
    extent_m = np.maximum(xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]) * slant / focal
    with np.errstate(invalid="ignore"):
        return (extent_m >= min_m) & (extent_m <= max_m)


def chip_boxes(xyxy: F64) -> F64:
    """Square sampling boxes around blobs, with a margin of background on every side."""
    centre = (xyxy[:, :2] + xyxy[:, 2:]) / 2
    side = np.maximum((xyxy[:, 2:] - xyxy[:, :2]).max(axis=1) * (1 + 2 * _CHIP_MARGIN), _MIN_CHIP_PX)
    half = side[:, None] / 2
    return np.concatenate((centre - half, centre + half), axis=1)


def chips(temp: F32, background: F32, boxes: F64, delta_ck: float, side: int = CHIP) -> F32:
    """(N, 3, side, side) classifier input: (T - 20 C) / 20 K, (T - background) / 10 K, hot mask."""
    h, w = temp.shape
    grid = (np.arange(side) + 0.5) / side
    xs = boxes[:, 0:1] + grid[None] * (boxes[:, 2:3] - boxes[:, 0:1])
    ys = boxes[:, 1:2] + grid[None] * (boxes[:, 3:4] - boxes[:, 1:2])
    xi = np.clip(xs, 0, w - 1).astype(np.intp)[:, None, :]
    yi = np.clip(ys, 0, h - 1).astype(np.intp)[:, :, None]
    t = temp[yi, xi]
    d = t - background[yi, xi]
    out = np.empty((len(boxes), 3, side, side), np.float32)
    out[:, 0] = (t - (ZERO_C_CK + 2000.0)) / 2000.0
    out[:, 1] = d / 1000.0
    out[:, 2] = d > delta_ck
    return out


def unchanged(previous: F64, current: F64, min_iou: float = 0.6) -> bool:
    """Whether the blobs of this frame are the previous frame's, barely moved (classification may be reused)."""
    if len(previous) != len(current):
        return False
    if not len(current):
        return True
    return bool((iou_matrix(current, previous).max(axis=1) >= min_iou).all())


def false_colour(temp: F32, lo_ck: float, hi_ck: float) -> npt.NDArray[np.uint8]:
    """An HxWx3 BGR evidence picture (inferno palette) of ``lo_ck``..``hi_ck``."""
    scale = 255.0 / max(hi_ck - lo_ck, 1.0)
    grey = cv2.convertScaleAbs(temp, alpha=scale, beta=-lo_ck * scale)
    return cv2.applyColorMap(grey, cv2.COLORMAP_INFERNO)


def learn_background(background: F32, temp: F32, hot: npt.NDArray[np.bool_], alpha: float) -> None:
    """Exponential moving average per pixel, in place, skipping hot pixels (a person standing still
    never melts into the background).
    """
    cv2.accumulateWeighted(temp, background, alpha, mask=(~hot).view(np.uint8))
