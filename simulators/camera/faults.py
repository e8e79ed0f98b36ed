"""Camera faults for tests and demos: what a vandal, the weather or a broken link does to a stream.

Why pure: the server holds the current fault; turning a rendered frame into a faulty one is a
plain function of the frame, so it is tested without a server. Stream death (kill) is not a
frame fault: the server closes its sockets for it.
"""

from __future__ import annotations

from enum import StrEnum

import cv2
import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]


class Fault(StrEnum):
    """Frame faults a server can apply; the values are the ``mode`` names of POST /fault."""

    NONE = "none"
    FREEZE = "freeze"  # the same picture forever (encoder hang)
    BLACK = "black"  # lens covered / video loss with sync
    UNIFORM = "uniform"  # sprayed or covered with something bright
    BLUR = "blur"  # defocused
    SHIFT = "shift"  # sudden global change: camera turned away


FRAME_FAULTS = frozenset(Fault) - {Fault.NONE}
SERVER_FAULTS = frozenset({"kill"})


def apply_fault(frame: U8, fault: Fault, frozen: U8 | None = None) -> U8:
    """The picture the camera sends under `fault` (frozen = the last picture before a freeze)."""
    if fault == Fault.FREEZE:
        return frozen if frozen is not None else frame
    if fault == Fault.BLACK:
        return np.zeros_like(frame)
    if fault == Fault.UNIFORM:
        return np.full_like(frame, 180)
    if fault == Fault.BLUR:
        return cv2.GaussianBlur(frame, (0, 0), max(frame.shape[1] / 120, 4.0))
    if fault == Fault.SHIFT:
        h, w = frame.shape[:2]
        m = np.float32([[1, 0, w / 3], [0, 1, -h / 4]])
        moved = cv2.warpAffine(frame, m, (w, h), borderMode=cv2.BORDER_REFLECT)
        return cv2.convertScaleAbs(moved, alpha=0.5, beta=90)
    return frame
