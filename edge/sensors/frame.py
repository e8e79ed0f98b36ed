"""Frame: what a reader hands to its sensor kind's ``plan``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Frame:
    """One capture. ``ts`` is UTC seconds since the epoch at capture; ``index`` counts per sensor.

    ``data``'s format belongs to the sensor kind that reads it, and only that kind's package looks
    inside: the camera kind's is HxWx3 uint8 BGR (checked in ``edge/sensors/camera/kind.py``); a
    thermal kind would carry HxW uint16 centikelvin, a radar kind its plot table. Stages after the
    kind's ``finish`` never see a frame, only Detections and the evidence picture the kind rendered
    (HxWx3 uint8 BGR, ``edge/evidence.py``). Readers never reuse the buffer after handing it over.
    """

    sensor_id: str
    ts: float
    index: int
    data: np.ndarray
