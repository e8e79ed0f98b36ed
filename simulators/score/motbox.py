"""Image-box tracking scores (IDF1, MOTA) of MOTChallenge files with motmetrics, and the real sequences it ships.

Why our own IoU distance: motmetrics 1.4's ``iou_matrix`` calls ``np.asfarray``, which NumPy 2 removed;
the distance below is the same (1 - IoU, no pair beyond ``max_distance``), as in the MOTChallenge
devkit's 0.5 IoU match, on the IoU the edge's tracker uses (runtime/geometry.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from borderwatch.runtime.geometry import iou_matrix, xywh_to_xyxy

F64 = npt.NDArray[np.float64]
SEQUENCES = ("TUD-Campus", "TUD-Stadtmitte")
"""Real pedestrian sequences motmetrics ships: ground truth (gt.txt) and one tracker's output (test.txt)."""


@dataclass(frozen=True, slots=True)
class BoxScore:
    """motmetrics' IDF1 and MOTA over a sequence and the counts behind them."""

    idf1: float
    mota: float
    switches: int
    false_positives: int
    misses: int


def sequence_dir(name: str) -> Path:
    """Folder of a sequence shipped inside the installed motmetrics package (gt.txt, test.txt)."""
    import motmetrics

    path = Path(motmetrics.__file__).resolve().parent / "data" / name
    if not (path / "gt.txt").is_file():
        raise FileNotFoundError(f"{path}: no gt.txt (motmetrics without its sample data?)")
    return path


def read_rows(path: Path) -> F64:
    """(N, >=6) rows frame, id, x, y, w, h, ... of a MOTChallenge file (gt or tracker output)."""
    rows = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64)
    if rows.size and rows.shape[1] < 6:
        raise ValueError(f"{path}: expected frame,id,x,y,w,h,... rows, got {rows.shape[1]} columns")
    return rows if rows.size else np.zeros((0, 10))


def as_detections(rows: F64) -> F64:
    """A tracker's output turned into detections: id set to -1, score to 1 (the TUD files carry -1 there)."""
    det = rows[:, :7].copy()
    det[:, 1] = -1
    det[:, 6] = 1.0
    return det


def iou_distance(a: F64, b: F64, max_distance: float = 0.5) -> F64:
    """(len(a), len(b)) 1 - IoU of xywh boxes; NaN (no match) beyond ``max_distance``."""
    dist = 1.0 - iou_matrix(xywh_to_xyxy(a), xywh_to_xyxy(b))
    dist[dist > max_distance] = np.nan
    return dist


def score(gt: F64, hyp: F64) -> BoxScore:
    """Match ``hyp`` to ``gt`` frame by frame at IoU >= 0.5 and compute motmetrics' IDF1 and MOTA."""
    import motmetrics as mm

    acc = mm.MOTAccumulator(auto_id=False)
    frames = np.union1d(gt[:, 0], hyp[:, 0]).astype(np.int64)
    for frame in frames:  # motmetrics takes one frame per call
        g, h = gt[gt[:, 0] == frame], hyp[hyp[:, 0] == frame]
        acc.update(g[:, 1].astype(np.int64), h[:, 1].astype(np.int64), iou_distance(g[:, 2:6], h[:, 2:6]), int(frame))
    names = ["idf1", "mota", "num_switches", "num_false_positives", "num_misses"]
    row = mm.metrics.create().compute(acc, metrics=names, name="seq").iloc[0]
    return BoxScore(
        float(row["idf1"]),
        float(row["mota"]),
        int(row["num_switches"]),
        int(row["num_false_positives"]),
        int(row["num_misses"]),
    )
