"""Area (box-filter) downscaling with OpenCV's own bits, cheaper where OpenCV's loop is scalar.

Motion gating shrinks every frame's luma with it and the haze check every few seconds a colour
thumbnail; ``area_resize`` is ``cv2.resize(..., interpolation=cv2.INTER_AREA)`` to the bit (pinned by
property tests), so which path ran never changes a result.
"""

from __future__ import annotations

import functools
import math
import sys

import cv2
import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
_MAX_WEIGHT_BITS = 8  # a weight k / 2**bits with more bits is not taken as exact (``_area_taps``)


def area_resize(img: U8, size: tuple[int, int], dst: U8 | None = None) -> U8:
    """``cv2.resize(img, size, interpolation=cv2.INTER_AREA)``, the same bits, by integer sums where OpenCV's
    own loop is scalar and its arithmetic provably the integer one; else that call itself (into ``dst``
    when given and fitting).

    Why: two of OpenCV's area paths are scalar loops over every source value.
    - Integer factors other than 2x2 (1280x720 to 320x180): the integer-factor loop sums each block in an
      int and rounds ``sum * (1.f / (fx * fy))`` half to even -- 5.3M instructions for a 1280x720 luma,
      about 2.3M more than ``block_mean``'s row and column sums (single-channel images).
    - Non-integer factors (640x480 to 160x90): the general path, a float loop (about 10.7M instructions
      for a 640x480 BGR frame). Where its weights are small dyadic fractions (1/4 a column; 3/16, 2/16,
      1/16 a row) every product and partial sum it forms is exact in float32, and its result is the
      weighted integer sum over 2**bits rounded half to even (``cvRound``): computed here with
      uint16/uint32 sums, rows first, then columns of the transposed rows.
    Other sizes (non-dyadic weights such as 1/3, or OpenCV's 2x2 fast path, a SIMD loop that rounds half
    up) go to OpenCV. Equality pinned by property tests in tests/test_area_resize.py.
    """
    h, w = img.shape[:2]
    factors = block_factors(w, h, size[0], size[1]) if img.ndim == 2 else None
    if factors is not None:
        return block_mean(img, *factors)
    taps = _area_plan(w, h, size[0], size[1]) if img.flags.c_contiguous else None
    if taps is None:
        return cv2.resize(img, size, dst=dst, interpolation=cv2.INTER_AREA)
    (ry, wy), (rx, wx), bits, dtype = taps
    cn = img.shape[2] if img.ndim == 3 else 1
    rows = _weighted_rows(img.reshape(h, w * cn), ry, wy, dtype)  # (dh, w * cn)
    # (w, dh, cn): a source column is now a row (OpenCV copies uint32 as the int32 of the same bits)
    cols = cv2.transpose(rows.reshape(len(ry), w, cn).view(np.int32 if dtype is np.uint32 else dtype))
    acc = _weighted_rows(cols.reshape(w, -1).view(dtype), rx, wx, dtype).reshape(len(rx), len(ry), cn)
    half = (1 << bits) >> 1
    # round half to even of acc / 2**bits, in integers (acc + half - 1 + the quotient's parity) >> bits
    rounded = (acc + (half - 1) + ((acc >> bits) & 1)) >> bits if bits else acc
    return cv2.transpose(rounded.astype(np.uint8)).reshape((size[1], size[0], *img.shape[2:]))


def block_factors(w: int, h: int, dw: int, dh: int) -> tuple[int, int] | None:
    """(fx, fy) when OpenCV's INTER_AREA resize of w x h to dw x dh takes its integer-factor path (its
    own test: both scales within DBL_EPSILON of an integer) and ``block_mean`` is cheaper: not 2x2 (a
    SIMD loop that rounds half up) and not 1x1; else None."""
    sx, sy = 1.0 / (dw / w), 1.0 / (dh / h)
    fx, fy = round(sx), round(sy)
    if abs(sx - fx) >= sys.float_info.epsilon or abs(sy - fy) >= sys.float_info.epsilon:
        return None
    if (fx, fy) in ((1, 1), (2, 2)) or fx * dw != w or fy * dh != h or fx * fy * 255 >= 1 << 24:
        return None
    return fx, fy


def block_mean(gray: U8, fx: int, fy: int) -> U8:
    """``cv2.resize(gray, (w // fx, h // fy), interpolation=cv2.INTER_AREA)`` for integer factors (see
    ``block_factors``), the same bits: OpenCV's integer-factor loop sums each block in an int and rounds
    ``sum * (1.f / (fx * fy))`` half to even; so here, with the sums in uint16 (uint32 for big blocks).
    Single-channel only: on colour images these sums were no faster than OpenCV's loop (measured here).
    """
    h, w = gray.shape
    dtype = np.uint16 if fx * fy * 255 < 1 << 16 else np.uint32
    rows = gray.reshape(h // fy, fy, w)
    acc = rows[:, 0].astype(dtype)
    for k in range(1, fy):
        acc += rows[:, k]
    cols = acc.reshape(h // fy, w // fx, fx)
    total = cols[..., 0].copy()
    for k in range(1, fx):
        total += cols[..., k]
    return np.rint(total.astype(np.float32) * np.float32(1 / (fx * fy))).astype(np.uint8)


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
    """Integer taps (rows, weights) per axis, total weight bits and the sum dtype for ``area_resize``;
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
