"""Plane geometry as N x M broadcasts: IoU, point-in-polygon, polyline sides and crossings.

Every function takes whole arrays and returns whole arrays (no Python loop per box, point or
edge) and returns early for empty inputs, so rules and the tracker stay cheap at any load.
Why in ``runtime``: the edge's rules and tracker and the simulators' ground truth must agree on
what "inside a zone" means, so both import this one copy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F = npt.NDArray[np.floating]
# up to this many (point, segment) pairs, plain float arithmetic beats numpy's per-call overhead
_SCALAR_PAIRS = 8


def iou_matrix(a: F, b: F) -> npt.NDArray[np.float64]:
    """(N, M) intersection-over-union of xyxy boxes ``a`` (N, 4) and ``b`` (M, 4)."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    if len(a) * len(b) <= _SCALAR_PAIRS:  # the usual frame: a few tracks and detections
        rows, cols = a.tolist(), b.tolist()
        if all(math.isfinite(v) for box in rows + cols for v in box):
            return np.array([[box_iou(p, q) for q in cols] for p in rows], np.float64)
    wh = np.maximum(np.minimum(a[:, None, 2:], b[None, :, 2:]) - np.maximum(a[:, None, :2], b[None, :, :2]), 0.0)
    inter = wh[..., 0] * wh[..., 1]
    size_a = np.maximum(a[:, 2:] - a[:, :2], 0.0)
    size_b = np.maximum(b[:, 2:] - b[:, :2], 0.0)
    union = (size_a[:, 0] * size_a[:, 1])[:, None] + (size_b[:, 0] * size_b[:, 1])[None, :] - inter
    some = union > 0
    return np.where(some, inter / np.where(some, union, 1), 0.0)


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of two finite xyxy boxes in plain floats: ``iou_matrix``'s formula operation for operation (IEEE
    doubles either way, so the same bits), without its numpy calls on 1 x 1 arrays.
    """
    iw = max(min(a[2], b[2]) - max(a[0], b[0]), 0.0)
    ih = max(min(a[3], b[3]) - max(a[1], b[1]), 0.0)
    inter = iw * ih
    area_a = max(a[2] - a[0], 0.0) * max(a[3] - a[1], 0.0)
    area_b = max(b[2] - b[0], 0.0) * max(b[3] - b[1], 0.0)
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


def points_in_polygon(points: F, polygon: F) -> npt.NDArray[np.bool_]:
    """(N,) True where a point lies inside ``polygon`` (V, 2), by the even-odd crossing rule."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    poly = np.asarray(polygon, np.float64).reshape(-1, 2)
    if len(pts) == 0 or len(poly) < 3:
        return np.zeros(len(pts), bool)
    x1, y1 = poly[:, 0], poly[:, 1]
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    px, py = pts[:, 0:1], pts[:, 1:2]
    straddles = (y1 > py) != (y2 > py)
    dy = np.where(y2 == y1, 1.0, y2 - y1)
    x_at = x1 + (py - y1) * (x2 - x1) / dy
    crossings = straddles & (px < x_at)
    return (np.count_nonzero(crossings, axis=1) % 2) == 1


def signed_distance_to_polyline(points: F, polyline: F) -> npt.NDArray[np.float64]:
    """(N,) distance to the nearest segment, positive on the left (cross(P2-P1, X-P1) > 0).

    Beyond the polyline's ends the side comes from the end segment, which is enough for the
    crossing rule: a crossing is only counted when the path really intersects the polyline.
    """
    return Segments.of(polyline).signed_distance(points)


@dataclass(frozen=True, slots=True)
class Segments:
    """A polyline's segments, prepared once for the distance queries a rule makes every frame."""

    start: npt.NDArray[np.float64]  # (S, 2)
    vector: npt.NDArray[np.float64]  # (S, 2) start -> end
    length2: npt.NDArray[np.float64]  # (S,) squared length, never 0

    @classmethod
    def of(cls, polyline: F) -> Segments:
        """The V-1 segments of ``polyline`` (V, 2); a zero-length one gets a tiny length so nothing divides by 0."""
        line = np.asarray(polyline, np.float64).reshape(-1, 2)
        vector = line[1:] - line[:-1]
        return cls(line[:-1], vector, np.maximum((vector * vector).sum(axis=1), 1e-12))

    def signed_distance(self, points: F) -> npt.NDArray[np.float64]:
        """As ``signed_distance_to_polyline``."""
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        if len(pts) == 0:
            return np.zeros(0)
        if len(pts) * len(self.vector) <= _SCALAR_PAIRS:
            flat = pts.ravel().tolist()
            if all(map(math.isfinite, flat)):
                return np.array([self._scalar(x, y) for x, y in zip(flat[::2], flat[1::2], strict=True)])
        p1, seg = self.start, self.vector
        rel = pts[:, None, :] - p1  # (N, S, 2)
        t = np.minimum(np.maximum((rel * seg).sum(axis=2) / self.length2, 0.0), 1.0)
        off = pts[:, None, :] - (p1 + t[..., None] * seg)
        dist = np.sqrt((off * off).sum(axis=2))
        cross = seg[:, 0] * rel[..., 1] - seg[:, 1] * rel[..., 0]
        if len(seg) > 1:  # keep the nearest segment of each point
            nearest = dist.argmin(axis=1)[:, None]
            dist, cross = np.take_along_axis(dist, nearest, 1), np.take_along_axis(cross, nearest, 1)
        return np.where(cross[:, 0] >= 0, dist[:, 0], -dist[:, 0])

    def _scalar(self, x: float, y: float) -> float:
        """One finite point, in plain floats: the vectorised formula operation for operation (IEEE doubles
        either way, so the same bits), without a dozen numpy calls on arrays of one element. Ties between
        segments go to the first, as ``argmin`` does.
        """
        best, best_cross = math.inf, 0.0
        segments = zip(self.start.tolist(), self.vector.tolist(), self.length2.tolist(), strict=True)
        for (sx, sy), (vx, vy), l2 in segments:
            rx, ry = x - sx, y - sy
            t = min(max((rx * vx + ry * vy) / l2, 0.0), 1.0)
            ox, oy = x - (sx + t * vx), y - (sy + t * vy)
            dist = math.sqrt(ox * ox + oy * oy)
            if dist < best:
                best, best_cross = dist, vx * ry - vy * rx
        return best if best_cross >= 0 else -best


def paths_cross_polyline(start: F, end: F, polyline: F) -> npt.NDArray[np.bool_]:
    """(N,) True where the segment start[i] -> end[i] properly intersects any polyline segment."""
    a = np.asarray(start, np.float64).reshape(-1, 2)
    b = np.asarray(end, np.float64).reshape(-1, 2)
    line = np.asarray(polyline, np.float64).reshape(-1, 2)
    if len(a) == 0:
        return np.zeros(0, bool)
    c, d = line[:-1][None], line[1:][None]
    a, b = a[:, None], b[:, None]

    def orient(p: F, q: F, r: F) -> F:
        return (q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1]) - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0])

    o1, o2 = orient(a, b, c), orient(a, b, d)
    o3, o4 = orient(c, d, a), orient(c, d, b)
    hit = (np.sign(o1) != np.sign(o2)) & (np.sign(o3) != np.sign(o4))
    return hit.any(axis=1)


def xyxy_to_cxcywh(xyxy: F) -> npt.NDArray[np.float64]:
    """(N, 4) centre x, centre y, width, height."""
    b = np.asarray(xyxy, np.float64).reshape(-1, 4)
    return np.concatenate(((b[:, :2] + b[:, 2:]) * 0.5, b[:, 2:] - b[:, :2]), axis=1)


def xywh_to_xyxy(xywh: F) -> npt.NDArray[np.float64]:
    """(N, 4) corners from left, top, width, height (MOTChallenge's box columns)."""
    b = np.asarray(xywh, np.float64).reshape(-1, 4)
    return np.concatenate((b[:, :2], b[:, :2] + b[:, 2:]), axis=1)


def cxcywh_to_xyxy(cxcywh: F) -> npt.NDArray[np.float64]:
    """(N, 4) corners from centre and size."""
    b = np.asarray(cxcywh, np.float64).reshape(-1, 4)
    half = b[:, 2:] * 0.5
    return np.concatenate((b[:, :2] - half, b[:, :2] + half), axis=1)
