"""Detections: one frame's detections as a struct of arrays, the currency between hot-path stages.

Why a struct of arrays: every stage (filters, NMS, tracker association, zone and line rules)
works on whole columns at once; Python objects per detection are only built at the boundary,
when events are made. Instances are immutable: indexing returns a new object, the input is
never mutated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

# ``extra`` columns of radar-like sensors. The polar ones are what the sensor measures; the metric
# ones (``edge/pipeline/polar.py`` makes them) are what ``ConstantVelocityPoint`` tracks.
RANGE_M = "range_m"  # distance from the sensor, metres
BEARING_DEG = "bearing_deg"  # clockwise from the sensor's boresight, degrees
DOPPLER_MPS = "doppler_mps"  # radial speed, metres per second, positive = moving away
SNR_DB = "snr_db"
X_M = "x_m"  # metres to the right of the boresight, in the sensor's frame
Y_M = "y_m"  # metres along the boresight, in the sensor's frame


def _column(name: str, values: Any, n: int, dtype: type) -> np.ndarray:
    arr = np.asarray(values, dtype=dtype)
    if arr.shape != (n,):
        raise ValueError(f"Detections.{name}: expected shape ({n},), got {arr.shape}")
    return arr


@dataclass(frozen=True, slots=True)
class Detections:
    """N detections of one frame.

    ``xyxy`` is (N, 4) float32 in the sensor's pixels (x first) for imaging sensors; radar-like
    detections carry zero-size boxes and fill ``extra`` columns: the measured ``range_m``,
    ``bearing_deg`` (and ``doppler_mps``, ``snr_db``), and the ``x_m``/``y_m`` metres the point
    tracker reads (``polar.with_metric`` adds them). ``tracker_id`` is -1 until a tracker assigns one.
    """

    xyxy: FloatArray
    confidence: FloatArray
    class_id: IntArray
    tracker_id: IntArray = field(default=None)  # type: ignore[assignment]
    extra: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        xyxy = np.asarray(self.xyxy, dtype=np.float32)
        if xyxy.ndim != 2 or xyxy.shape[1] != 4:
            raise ValueError(f"Detections.xyxy: expected shape (N, 4), got {xyxy.shape}")
        n = xyxy.shape[0]
        object.__setattr__(self, "xyxy", xyxy)
        object.__setattr__(self, "confidence", _column("confidence", self.confidence, n, np.float32))
        object.__setattr__(self, "class_id", _column("class_id", self.class_id, n, np.int64))
        tid = np.full(n, -1, dtype=np.int64) if self.tracker_id is None else self.tracker_id
        object.__setattr__(self, "tracker_id", _column("tracker_id", tid, n, np.int64))
        extra = {k: np.asarray(v) for k, v in self.extra.items()}
        for key, col in extra.items():
            if col.shape[:1] != (n,):
                raise ValueError(f"Detections.extra[{key!r}]: expected {n} rows, got shape {col.shape}")
        object.__setattr__(self, "extra", extra)

    @classmethod
    def empty(cls, extra_columns: tuple[str, ...] = ()) -> Detections:
        """No detections; ``extra_columns`` keeps the schema of sensors with extra columns."""
        return cls(
            np.zeros((0, 4), np.float32),
            np.zeros(0, np.float32),
            np.zeros(0, np.int64),
            extra={k: np.zeros(0, np.float32) for k in extra_columns},
        )

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    @classmethod
    def unchecked(
        cls,
        xyxy: FloatArray,
        confidence: FloatArray,
        class_id: IntArray,
        tracker_id: IntArray,
        extra: Mapping[str, np.ndarray],
    ) -> Detections:
        """Build from columns already known to be valid (rows of an existing Detections).

        Skips ``__post_init__``: the hot path slices detections several times per frame, and
        re-validating columns that were valid before the slice costs more than the slice.
        """
        obj = object.__new__(cls)
        for name, value in zip(_FIELDS, (xyxy, confidence, class_id, tracker_id, extra), strict=True):
            object.__setattr__(obj, name, value)
        return obj

    def __getitem__(self, index: np.ndarray | slice | list[int]) -> Detections:
        """Select rows with a boolean mask, an index array or a slice; returns a new object."""
        if not isinstance(index, slice):
            index = np.asarray(index) if len(index) else np.zeros(0, np.int64)  # [] is an empty selection
            if index.ndim != 1:  # a scalar or 2-D index would break the column shapes
                raise TypeError(f"Detections: rows are selected by a 1-D mask or index array, got {index.shape}")
        return Detections.unchecked(
            self.xyxy[index],
            self.confidence[index],
            self.class_id[index],
            self.tracker_id[index],
            {k: v[index] for k, v in self.extra.items()},
        )

    @property
    def area(self) -> FloatArray:
        """(N,) box areas in square pixels; inverted boxes count as 0 rather than negative."""
        wh = np.clip(self.xyxy[:, 2:] - self.xyxy[:, :2], 0, None)
        return wh[:, 0] * wh[:, 1]

    def with_tracker_ids(self, ids: np.ndarray) -> Detections:
        """The same rows with the tracker's ids; only that column is checked, the others are known to be valid."""
        return Detections.unchecked(
            self.xyxy, self.confidence, self.class_id, _column("tracker_id", ids, len(self), np.int64), self.extra
        )

    @staticmethod
    def concatenate(parts: list[Detections]) -> Detections:
        """Join detections of several crops of one frame (columns must match)."""
        if not parts:
            return Detections.empty()
        keys = set(parts[0].extra)
        return Detections(
            np.concatenate([p.xyxy for p in parts]),
            np.concatenate([p.confidence for p in parts]),
            np.concatenate([p.class_id for p in parts]),
            np.concatenate([p.tracker_id for p in parts]),
            {k: np.concatenate([p.extra[k] for p in parts]) for k in keys},
        )


_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Detections))
