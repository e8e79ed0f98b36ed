"""Per-class detection filters and object masks, as boolean masks over whole Detections.

Thresholds are turned into per-class lookup tables once; filtering a frame is then a gather and a
few comparisons, whatever the number of boxes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from borderwatch.contract.common import ObjectClass
from borderwatch.edge.config.rules import ClassFilter
from borderwatch.edge.pipeline.classes import CLASS_INDEX, CONTRACT_CLASSES
from borderwatch.edge.pipeline.detections import Detections
from borderwatch.runtime.geometry import points_in_polygon

_PASS_ALL = ClassFilter(min_score=0.0)
# up to this many detections, plain float comparisons beat a dozen numpy calls on arrays of a few rows
_SCALAR_ROWS = 8


@dataclass(frozen=True, slots=True)
class ClassFilterTable:
    """Columns indexed by contract class id: min_score, min/max area, min/max aspect ratio."""

    limits: npt.NDArray[np.float64]  # (K, 5)
    rows: tuple[tuple[float, ...], ...] = field(init=False, repr=False, compare=False)  # ``limits`` as floats

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", tuple(tuple(r) for r in np.asarray(self.limits, np.float64).tolist()))

    @classmethod
    def from_config(cls, filters: Mapping[ObjectClass, ClassFilter]) -> ClassFilterTable:
        """One row per contract class; a class without a filter passes everything (a new class drops no boxes)."""
        rows = [filters.get(c, _PASS_ALL) for c in CONTRACT_CLASSES]
        table = [[f.min_score, f.min_area, f.max_area, f.min_ratio, f.max_ratio] for f in rows]
        return cls(np.asarray(table, np.float64))

    def keep(self, dets: Detections) -> npt.NDArray[np.bool_]:
        """True for detections passing their class's filter."""
        if len(dets) == 0:
            return np.zeros(0, bool)
        size = np.maximum(dets.xyxy[:, 2:] - dets.xyxy[:, :2], 0)  # float32 differences, as the detector's boxes
        if len(dets) <= _SCALAR_ROWS:
            return self._keep_few(size, dets)
        cls = np.minimum(np.maximum(dets.class_id, 0), len(self.limits) - 1)
        min_score, min_area, max_area, min_ratio, max_ratio = self.limits[cls].T
        w, h = size.astype(np.float64).T
        area = w * h
        ratio = w / np.maximum(h, 1e-6)
        return (
            (dets.confidence >= min_score)
            & (area >= min_area)
            & (area <= max_area)
            & (ratio >= min_ratio)
            & (ratio <= max_ratio)
        )

    def _keep_few(self, size: npt.NDArray[np.float32], dets: Detections) -> npt.NDArray[np.bool_]:
        """``keep`` of a few detections in plain floats: the vectorised formula operation for operation (float32
        values widen exactly, and the products, quotients and comparisons are IEEE doubles either way, NaN
        included), so the same answer without its numpy calls on arrays of a row or two.
        """
        rows, last = self.rows, len(self.rows) - 1
        out = []
        for (w, h), score, c in zip(size.tolist(), dets.confidence.tolist(), dets.class_id.tolist(), strict=True):
            min_score, min_area, max_area, min_ratio, max_ratio = rows[min(max(c, 0), last)]
            area, ratio = w * h, w / max(h, 1e-6)
            out.append(score >= min_score and min_area <= area <= max_area and min_ratio <= ratio <= max_ratio)
        return np.array(out, bool)


def outside_masks(
    xyxy: npt.NDArray[np.floating], polygons: Sequence[npt.NDArray[np.floating]]
) -> npt.NDArray[np.bool_]:
    """True for (N, 4) boxes whose bottom centre (where the object stands) lies in none of the mask
    polygons: a camera's detections, a thermal imager's hot spots."""
    keep = np.ones(len(xyxy), bool)
    if len(xyxy) == 0 or not polygons:
        return keep
    anchors = np.stack(((xyxy[:, 0] + xyxy[:, 2]) * 0.5, xyxy[:, 3]), axis=1)
    for poly in polygons:  # one vectorised test per mask polygon (a handful per sensor)
        keep &= ~points_in_polygon(anchors, poly)
    return keep


def valid_classes(dets: Detections) -> npt.NDArray[np.bool_]:
    """True for detections whose class id is a contract class (model labels the map dropped are -1)."""
    return valid_class_ids(dets.class_id)


def valid_class_ids(class_id: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """True for ids of contract classes."""
    return (class_id >= 0) & (class_id < len(CONTRACT_CLASSES))


def class_ids(classes: Sequence[ObjectClass]) -> npt.NDArray[np.int64]:
    """Contract indices of a class list (rule ``classes`` settings)."""
    return np.asarray([CLASS_INDEX[c] for c in classes], np.int64)
