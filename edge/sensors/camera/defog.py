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

import functools
import math
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
HAZY_DARK_P10 = 100.0
_THUMB = (160, 90)
_PATCH = np.ones((5, 5), np.uint8)
_P10 = 10.0
_MAX_WEIGHT_BITS = 8  # a weight k / 2**bits with more bits is not taken as exact (``_area_taps``)


def haze_level(bgr: U8) -> float:
    """10th percentile (0-255) of the dark channel of a thumbnail: high means airlight everywhere."""
    small = area_thumbnail(bgr, _THUMB)
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


def area_thumbnail(bgr: U8, size: tuple[int, int]) -> U8:
    """``cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)``, the same bits, by integer row and column sums
    where OpenCV's own float arithmetic is exact; else that call itself.

    Why: for a frame that is not an exact multiple of the thumbnail (640x480 to 160x90) OpenCV's area
    resize takes its general path, a scalar float loop over every source value (about 10.7M
    instructions a 640x480 frame, most of a quiet frame's haze check). Its weights there are small
    dyadic fractions (1/4 a column; 3/16, 2/16, 1/16 a row), so every product and partial sum it forms is
    exact in float32 and its result is the weighted integer sum over 2**bits, rounded half to even
    (``cvRound``): computed here with uint16/uint32 sums, rows first, then columns of the transposed
    rows. Other sizes (non-dyadic weights such as 1/3, or OpenCV's 2x2 fast path, which rounds half
    up) fall back to OpenCV. Equality pinned by a property test in tests/test_defog.py.
    """
    h, w = bgr.shape[:2]
    taps = _area_plan(w, h, size[0], size[1]) if bgr.ndim == 3 and bgr.flags.c_contiguous else None
    if taps is None:
        return cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
    (ry, wy), (rx, wx), bits, dtype = taps
    cn = bgr.shape[2]
    rows = _weighted_rows(bgr.reshape(h, w * cn), ry, wy, dtype)  # (dh, w * cn)
    # (w, dh, cn): a source column is now a row (OpenCV copies uint32 as the int32 of the same bits)
    cols = cv2.transpose(rows.reshape(len(ry), w, cn).view(np.int32 if dtype is np.uint32 else dtype))
    acc = _weighted_rows(cols.reshape(w, -1).view(dtype), rx, wx, dtype).reshape(len(rx), len(ry), cn)
    half = (1 << bits) >> 1
    # round half to even of acc / 2**bits, in integers (acc + half - 1 + the quotient's parity) >> bits
    rounded = (acc + (half - 1) + ((acc >> bits) & 1)) >> bits if bits else acc
    return cv2.transpose(rounded.astype(np.uint8))


def _weighted_rows(img: npt.NDArray[np.integer], rows: I64, weights: I64, dtype: type) -> npt.NDArray[np.integer]:
    """(D, M) sums over taps k of ``weights[:, k] * img[rows[:, k]]`` (padding taps have weight 0)."""
    img = img.astype(dtype, copy=False)
    out = img[rows[:, 0]]
    out *= weights[:, :1].astype(dtype)
    for k in range(1, rows.shape[1]):
        tap = img[rows[:, k]]
        tap *= weights[:, k : k + 1].astype(dtype)
        out += tap
    return out


@functools.cache
def _area_plan(w: int, h: int, dw: int, dh: int) -> tuple[tuple[I64, I64], tuple[I64, I64], int, type] | None:
    """Integer taps (rows, weights) per axis, total weight bits and the sum dtype for ``area_thumbnail``;
    None where OpenCV's arithmetic is not provably the integer one (see there)."""
    if dw > w or dh > h or dw < 1 or dh < 1:
        return None
    sx, sy = w / dw, h / dh
    if sx == int(sx) == 2 and sy == int(sy) == 2:  # OpenCV's 2x2 fast path rounds half up
        return None
    tx, ty = _area_taps(w, dw, sx), _area_taps(h, dh, sy)
    if tx is None or ty is None:
        return None
    bits = tx[2] + ty[2]
    top = 255 * int(tx[1].sum(axis=1).max()) * int(ty[1].sum(axis=1).max())
    if 8 + bits > 24 or top >= 1 << 32:  # float32 would round somewhere (24-bit significand)
        return None
    return (ty[0], ty[1]), (tx[0], tx[1]), bits, np.uint16 if top < 1 << 16 else np.uint32


def _area_taps(ssize: int, dsize: int, scale: float) -> tuple[I64, I64, int] | None:
    """OpenCV's ``computeResizeAreaTab`` for one axis as (dsize, K) source indices and integer weights
    k / 2**bits (their float32 values exactly); None when a weight is not such a fraction."""
    taps: list[list[tuple[int, float]]] = []
    for d in range(dsize):
        f1 = d * scale
        f2 = f1 + scale
        cell = min(scale, ssize - f1)
        s1, s2 = math.ceil(f1), math.floor(f2)
        s2 = min(s2, ssize - 1)
        s1 = min(s1, s2)
        tap: list[tuple[int, float]] = []
        if s1 - f1 > 1e-3:
            tap.append((s1 - 1, float(np.float32((s1 - f1) / cell))))
        tap += [(s, float(np.float32(1.0 / cell))) for s in range(s1, s2)]
        if f2 - s2 > 1e-3:
            tap.append((s2, float(np.float32(min(min(f2 - s2, 1.0), cell) / cell))))
        taps.append(tap)
    alphas = np.array([a for tap in taps for _, a in tap])
    for bits in range(_MAX_WEIGHT_BITS + 1):
        scaled = alphas * (1 << bits)
        if (scaled == np.round(scaled)).all():
            break
    else:
        return None
    k = max(map(len, taps))
    rows, weights = np.zeros((dsize, k), np.int64), np.zeros((dsize, k), np.int64)
    for d, tap in enumerate(taps):
        for j, (s, a) in enumerate(tap):
            rows[d, j], weights[d, j] = s, round(a * (1 << bits))
    return rows, weights, bits


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
