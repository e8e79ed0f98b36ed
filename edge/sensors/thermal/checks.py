"""Bad-frame checks of a thermal frame against the previous good one: pure, whole-array tests.

A frame is refused (the reader counts the reason and skips it) when it is all zero (a dead
sensor or a zero-filled buffer), saturated (too many pixels at 0 or 65535), frozen (identical to the
previous frame: the shutter is closed for flat-field correction and the camera repeats itself), or
when its counter is not the previous counter + 1 (a repeat, a step back, or lost frames: the frame
after a jump is skipped once, then counting resumes from it). Size errors are the stream parser's
(``stream.py``).
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from borderwatch.edge.sensors.thermal.config import BadFrameConfig

U16 = npt.NDArray[np.uint16]


def bad_frame_reason(
    counts: U16, counter: int, previous: U16 | None, previous_counter: int | None, cfg: BadFrameConfig
) -> str | None:
    """Why ``counts`` must be skipped (a short code), or None when it is good."""
    lo, hi = (int(v) for v in cv2.minMaxLoc(counts.reshape(counts.shape[0], -1))[:2])  # one pass, no temporaries
    if hi == 0:
        return "all_zero"
    if (lo == 0 or hi == 65535) and np.count_nonzero(
        (counts == 0) | (counts == 65535)
    ) > cfg.saturated_frac * counts.size:
        return "saturated"
    if cfg.skip_counter_jumps and previous_counter is not None and counter != (previous_counter + 1) & 0xFFFFFFFF:
        return "counter_jump"
    if cfg.skip_frozen and previous is not None and previous.shape == counts.shape and same_frame(previous, counts):
        return "frozen"
    return None


_SAMPLE_ROWS = 61  # every 61st row: a handful of rows of any frame size, where sensor noise differs at once


def same_frame(a: U16, b: U16) -> bool:
    """``np.array_equal`` of two frames of one shape, answered from a few rows when they differ (a live sensor's
    frames always do: noise) instead of comparing every pixel; frames equal there are compared in full.
    """
    if not np.array_equal(a[::_SAMPLE_ROWS], b[::_SAMPLE_ROWS]):
        return False
    return bool(np.array_equal(a, b))
