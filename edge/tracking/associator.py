"""Associators: one vectorised cost matrix per step, one assignment call, gated matches.

Costs: ``1 - IoU`` of predicted and detected boxes, or the centre distance normalised by the
track's length scale (box height; robust when boxes are tiny or fast). Class-aware association
forbids pairs of different classes. The global optimum comes from scipy's
``linear_sum_assignment``; pairs costing more than ``max_cost`` are refused afterwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from borderwatch.edge.pipeline.detections import Detections
from borderwatch.edge.tracking.models import MotionModel
from borderwatch.edge.tracking.tracks import Tracks
from borderwatch.runtime.geometry import box_iou, iou_matrix

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
_FORBIDDEN = 1e6
# up to this many (track, detection) pairs, costs in plain floats beat numpy's per-call overhead
_SCALAR_PAIRS = 8


@dataclass(frozen=True, slots=True)
class Assignment:
    """Matched (track row, detection row) pairs and the rows left over on each side."""

    tracks: I64
    detections: I64
    unmatched_tracks: I64
    unmatched_detections: I64


def solve(cost: F64, max_cost: float) -> Assignment:
    """Optimal assignment on ``cost`` (T, N), refusing pairs above ``max_cost``."""
    t, n = cost.shape
    if t == 0 or n == 0:
        return Assignment(np.zeros(0, np.int64), np.zeros(0, np.int64), np.arange(t), np.arange(n))
    if t == 1 or n == 1:  # one row or column: the optimum is its minimum (no solver call)
        row, col = divmod(int(np.argmin(cost)), n)
        if not cost[row, col] <= max_cost:  # written so that NaN is refused too
            return Assignment(np.zeros(0, np.int64), np.zeros(0, np.int64), np.arange(t), np.arange(n))
        return Assignment(np.array([row]), np.array([col]), _all_but(t, row), _all_but(n, col))
    rows, cols = linear_sum_assignment(np.minimum(cost, _FORBIDDEN))
    ok = cost[rows, cols] <= max_cost
    rows, cols = rows[ok].astype(np.int64), cols[ok].astype(np.int64)
    return Assignment(rows, cols, _left_over(t, rows), _left_over(n, cols))


def _all_but(n: int, k: int) -> I64:
    """``range(n)`` without ``k``."""
    if n == 1:  # one row or column, the one taken: nothing left over
        return np.zeros(0, np.int64)
    out = np.arange(n - 1)
    out[k:] += 1
    return out


def _left_over(n: int, taken: I64) -> I64:
    """Sorted indices in ``range(n)`` not in ``taken`` (a mask: ``setdiff1d`` sorts, far dearer)."""
    free = np.ones(n, bool)
    free[taken] = False
    return free.nonzero()[0]


def _penalise_classes(cost: F64, tracks: Tracks, dets: Detections, class_aware: bool) -> F64:
    """``cost`` (modified in place) with pairs of different classes made unaffordable."""
    if class_aware:  # one masked add in place: no boolean-index gather and scatter
        np.add(cost, _FORBIDDEN, out=cost, where=tracks.class_id[:, None] != dets.class_id[None, :])
    return cost


@dataclass(frozen=True, slots=True)
class IoUAssociator:
    """Cost = 1 - IoU(predicted box, detected box)."""

    model: MotionModel
    max_cost: float = 0.8
    class_aware: bool = True

    def associate(self, tracks: Tracks, dets: Detections) -> Assignment:
        """Pairs with IoU of at least ``1 - max_cost`` (and, if class-aware, of one class); the rest unmatched."""
        if len(tracks) == 0 or len(dets) == 0:
            return solve(np.zeros((len(tracks), len(dets))), self.max_cost)
        boxes = self.model.boxes(tracks.mean)
        if len(tracks) * len(dets) <= _SCALAR_PAIRS:
            few = self._associate_few(boxes, tracks, dets)
            if few is not None:
                return few
        cost = 1.0 - iou_matrix(boxes, dets.xyxy)
        return solve(_penalise_classes(cost, tracks, dets, self.class_aware), self.max_cost)

    def _associate_few(self, boxes: F64, tracks: Tracks, dets: Detections) -> Assignment | None:
        """``associate`` of a few finite boxes (None otherwise): the same costs in plain floats (``box_iou`` is
        ``iou_matrix``'s formula operation for operation, the class penalty the same addition), and for one
        track or one detection the same first minimum ``solve`` takes, without numpy calls on 1 x 2 arrays.
        """
        predicted, detected = boxes.tolist(), dets.xyxy.tolist()
        if not all(math.isfinite(v) for box in predicted + detected for v in box):
            return None
        aware = self.class_aware
        t_cls, d_cls = tracks.class_id.tolist(), dets.class_id.tolist()
        cost = [
            [
                (1.0 - box_iou(p, q)) + _FORBIDDEN if aware and tc != dc else 1.0 - box_iou(p, q)
                for q, dc in zip(detected, d_cls, strict=True)
            ]
            for p, tc in zip(predicted, t_cls, strict=True)
        ]
        t, n = len(cost), len(cost[0])
        if t > 1 and n > 1:  # a true assignment problem: the solver
            return solve(np.array(cost, np.float64), self.max_cost)
        flat = [c for row in cost for c in row]
        best = min(range(len(flat)), key=flat.__getitem__)  # the first minimum, as ``np.argmin``
        if not flat[best] <= self.max_cost:
            return Assignment(np.zeros(0, np.int64), np.zeros(0, np.int64), np.arange(t), np.arange(n))
        row, col = divmod(best, n)
        return Assignment(np.array([row]), np.array([col]), _all_but(t, row), _all_but(n, col))


@dataclass(frozen=True, slots=True)
class DistanceAssociator:
    """Cost = |predicted position - measured position| / track scale."""

    model: MotionModel
    max_cost: float = 1.5
    class_aware: bool = True

    def associate(self, tracks: Tracks, dets: Detections) -> Assignment:
        """Pairs closer than ``max_cost`` track scales (box heights, or the point model's length) and, if
        class-aware, of the same class; the rest unmatched.
        """
        if len(tracks) == 0 or len(dets) == 0:
            return solve(np.zeros((len(tracks), len(dets))), self.max_cost)
        predicted = self.model.positions(tracks.mean)
        measured = self.model.positions(self.model.measure(dets))
        dist = np.linalg.norm(predicted[:, None, :] - measured[None, :, :], axis=2)
        cost = dist / self.model.scale(tracks.mean)[:, None]
        return solve(_penalise_classes(cost, tracks, dets, self.class_aware), self.max_cost)
