"""Fog and rain on a rendered camera frame: simple, honest effects, not a weather model.

Fog follows Koschmieder's law: a pixel row's ground distance d (flat ground, the camera's own pinhole)
keeps exp(-3.912 d / V) of its contrast, V being the meteorological visibility; rows above the horizon
are all fog. Actors standing on a row take that row's fog, which is their feet's distance. Rain draws
short bright slanted streaks and takes some contrast. Both are pure functions of the frame.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from borderwatch.simulators.camera.projection import Pinhole

U8 = npt.NDArray[np.uint8]
KOSCHMIEDER = 3.912  # -ln(0.02): contrast threshold of the visibility definition
FOG_BGR = (205, 205, 200)


def fog_transmission(cam: Pinhole, visibility_m: float) -> npt.NDArray[np.float64]:
    """(H,) fraction of each pixel row's picture that survives the fog (0 above the horizon)."""
    return np.exp(-KOSCHMIEDER * cam.row_distance() / visibility_m)


def fog_layers(cam: Pinhole, visibility_m: float) -> tuple[npt.NDArray[np.float32], U8]:
    """(gain, veil): the frame-sized factors apply_fog needs, computed once per camera."""
    t = fog_transmission(cam, visibility_m)[:, None, None]
    shape = (cam.height, cam.width, 3)
    gain = np.ascontiguousarray(np.broadcast_to(t, shape), dtype=np.float32)
    veil = np.ascontiguousarray(np.broadcast_to((1.0 - t) * np.asarray(FOG_BGR), shape)).round().astype(np.uint8)
    return gain, veil


def apply_fog(frame: U8, layers: tuple[npt.NDArray[np.float32], U8]) -> U8:
    """frame * transmission + fog colour * (1 - transmission), per pixel row, in two OpenCV passes."""
    gain, veil = layers
    return cv2.add(cv2.multiply(frame, gain, dtype=cv2.CV_8U), veil)


def apply_rain(frame: U8, seed: int, streaks: int = 350) -> U8:
    """Streaks of rain (a new pattern per seed) over a picture with 15 % less contrast."""
    h, w = frame.shape[:2]
    rng = np.random.default_rng(seed)
    x0 = rng.integers(0, w, streaks)
    y0 = rng.integers(0, h, streaks)
    length = rng.uniform(0.02, 0.06, streaks) * h
    overlay = cv2.convertScaleAbs(frame, alpha=0.85, beta=0.15 * 150)
    streak = overlay.copy()
    tips = np.stack([x0 + 0.25 * length, y0 + length], axis=1).astype(np.int32)  # truncated, as int() would
    lines = np.stack([np.stack([x0, y0], axis=1).astype(np.int32), tips], axis=1)  # (streaks, 2 ends, xy)
    cv2.polylines(streak, list(lines), False, (215, 215, 215), 1, cv2.LINE_AA)
    return cv2.addWeighted(streak, 0.45, overlay, 0.55, 0)
