"""A plain greedy IoU tracker: the baseline our tracker must beat on real sequences.

Each frame, the pairs (previous frame's track, detection) are taken in descending IoU order while
IoU >= ``min_iou``, each track and detection once; unmatched detections start tracks, unmatched
tracks end. No motion model, no confirmation, no coasting: what the simplest IoU trackers
(e.g. the IOU tracker of Bochinski et al., 2017, without its length filter) do.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from borderwatch.runtime.geometry import iou_matrix, xywh_to_xyxy

F64 = npt.NDArray[np.float64]


def greedy_iou_tracks(det: F64, min_iou: float = 0.5) -> F64:
    """MOTChallenge rows (frame, id, x, y, w, h, 1, -1, -1, -1) from detection rows (frame, _, x, y, w, h, ...)."""
    out: list[list[float]] = []
    prev_ids, prev_xyxy, prev_frame = np.zeros(0, np.int64), np.zeros((0, 4)), None
    next_id = 1
    for frame in np.unique(det[:, 0]):  # sequential by nature
        if prev_frame is not None and frame != prev_frame + 1:  # a frame without detections ended every track
            prev_ids, prev_xyxy = np.zeros(0, np.int64), np.zeros((0, 4))
        d = det[det[:, 0] == frame]
        xyxy = xywh_to_xyxy(d[:, 2:6])
        ids = np.full(len(d), -1, np.int64)
        if len(prev_ids) and len(d):
            iou = iou_matrix(prev_xyxy, xyxy)
            order = np.argsort(-iou, axis=None, kind="stable")
            used_t: set[int] = set()
            used_d: set[int] = set()
            for flat in order:  # greedy: best pair first
                t, j = divmod(int(flat), len(d))
                if iou[t, j] < min_iou:
                    break
                if t not in used_t and j not in used_d:
                    used_t.add(t)
                    used_d.add(j)
                    ids[j] = prev_ids[t]
        for j in np.nonzero(ids < 0)[0]:
            ids[j], next_id = next_id, next_id + 1
        out.extend([float(frame), float(i), *row[2:6], 1.0, -1.0, -1.0, -1.0] for i, row in zip(ids, d, strict=True))
        prev_ids, prev_xyxy, prev_frame = ids, xyxy, frame
    return np.array(out, np.float64).reshape(-1, 10)
