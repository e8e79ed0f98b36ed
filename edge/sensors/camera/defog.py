"""Digital defog: local contrast (CLAHE on luminance) of what the model sees, when the picture is hazy.

Why: fog keeps exp(-3.912 d / V) of a scene's contrast (Koschmieder), so at 150 m visibility a person
40 m out keeps about a third of it. The shipped detector missed such a person in the fog scenario's
frame and found it (score 0.54) once the frame had CLAHE. Motion and tamper checks keep the camera's
own picture: a contrast filter switching on must not look like a tampered lens. But a person's faded
contrast stays under the motion threshold (the model was never asked about the fog scenario's second
person until 25 m out), so while the picture is hazy motion counts from ``motion.hazy_threshold``.

Haze is told by the dark channel (He, Sun and Tang's dark channel prior): in a clear outdoor picture most
small patches hold a dark pixel in some colour, while fog's airlight lifts them all. The test is the
10th percentile of the dark channel of a 160x90 thumbnail; on the simulator's frames it was 119 in fog
(150 m) against 35 (night IR), 62-63 (day) and 74 (rain), so HAZY_DARK_P10 = 100 separates them. It is
checked every ``check_every_s``; between checks the last answer holds.
"""

from __future__ import annotations

import math
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from borderwatch.edge.sensors.camera.area import area_resize

U8 = npt.NDArray[np.uint8]
HAZY_DARK_P10 = 100.0
_THUMB = (160, 90)
_PATCH = np.ones((5, 5), np.uint8)
_P10 = 10.0


def haze_level(bgr: U8) -> float:
    """10th percentile (0-255) of the dark channel of a thumbnail: high means airlight everywhere."""
    small = area_resize(bgr, _THUMB)
    # the darkest colour of each pixel as two element-wise minima: the same values as ``small.min(axis=2)``
    # (pinned in tests/test_hotpath_helpers.py), whose reduction over the 3-element last axis is much slower
    darkest = np.minimum(np.minimum(small[..., 0], small[..., 1]), small[..., 2])
    dark = cv2.erode(darkest, _PATCH)
    return percentile_u8(dark, _P10)


def percentile_u8(values: U8, q: float) -> float:
    """``float(np.percentile(values, q))`` (linear method) of uint8 values from their histogram.

    Why: the two order statistics the percentile interpolates between are read off the cumulative
    counts (one ``bincount`` over 256 bins) instead of partitioning the array; the interpolation
    repeats numpy's own (``_lerp``: from the upper value when the fraction is >= 0.5), so the float
    is the same bits (pinned against ``np.percentile`` in tests/test_defog.py).
    """
    flat = values.ravel()
    n = len(flat)
    virtual = (n - 1) * (q / 100)
    below = math.floor(virtual)
    cum = np.cumsum(np.bincount(flat, minlength=256))
    lo, hi = np.searchsorted(cum, (below, min(below + 1, n - 1)), side="right")
    frac = virtual - below
    lo, hi = float(lo), float(hi)
    return hi - (hi - lo) * (1 - frac) if frac >= 0.5 else lo + (hi - lo) * frac


class Defog:
    """Per-camera defog: ``mode`` auto (only hazy frames), on (every frame) or off."""

    def __init__(self, mode: Literal["auto", "on", "off"] = "auto", check_every_s: float = 2.0) -> None:
        self.mode = mode
        self.check_every_s = check_every_s
        self._clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
        self._checked = -np.inf
        self.hazy = False  # the last check's answer, whatever the mode

    def check(self, bgr: U8, ts: float) -> bool:
        """Whether the picture is hazy, measured at most every ``check_every_s`` (in every mode: motion
        gating uses it too, see ``CameraPipeline.plan``)."""
        if ts - self._checked >= self.check_every_s:
            self._checked = ts
            self.hazy = haze_level(bgr) > HAZY_DARK_P10
        return self.hazy

    def __call__(self, bgr: U8, ts: float) -> U8:
        """The frame the model should see: ``bgr`` itself unless defog applies (never modified in place)."""
        on = self.mode == "on" or (self.mode == "auto" and self.check(bgr, ts))
        return clahe_luma(bgr, self._clahe) if on else bgr


def clahe_luma(bgr: U8, clahe: cv2.CLAHE) -> U8:
    """CLAHE on the L of CIE Lab: local contrast back, colours kept. (On YCrCb's Y the same fog frame's
    person scored 0.30, under the person filter's 0.4; on L it scored 0.54.)"""
    lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB)
    lab[:, :, 0] = clahe.apply(np.ascontiguousarray(lab[:, :, 0]))
    return cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)
