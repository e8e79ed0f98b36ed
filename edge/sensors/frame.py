"""Frame: what a reader hands to the pipeline."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Frame:
    """One capture. ``ts`` is UTC seconds since the epoch at capture; ``index`` counts per sensor.

    ``data`` is HxWx3 uint8 BGR for cameras, HxW uint16 (centikelvin) for thermal imagers, and a
    sensor-specific array for radar; readers never reuse the buffer after handing it over.
    """

    sensor_id: str
    ts: float
    index: int
    data: np.ndarray
