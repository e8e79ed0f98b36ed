"""``borderwatch track DET.txt``: the camera tracker on MOTChallenge detections, tracks out alike.

Input rows: ``frame,id,x,y,w,h,score[,x,y,z]`` (frame numbers from 1, id ignored, boxes in pixels).
Output rows: ``frame,track_id,x,y,w,h,score,-1,-1,-1``, sorted by frame, for every confirmed track a
detection updated in that frame, so the result can be scored with TrackEval or motmetrics.

Offline, a file is written after the fact: once a track is confirmed (``--min-hits`` updates) its
tentative frames are written too, as a MOTChallenge tracker's output has them; the live agent only
reports a track from its confirmation on. The box written is the detection that updated the track
(``--boxes detection``, as the detector saw the object), or the Kalman-filtered box (``filtered``).
The tracker settings are the agent's defaults (``[cameras.<id>.tracker]``) except those the options set.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path
from typing import TextIO

import numpy as np

from borderwatch.edge.config.tracker import TrackerConfig
from borderwatch.edge.pipeline.detections import Detections
from borderwatch.edge.tracking import box_tracker
from borderwatch.runtime.geometry import xywh_to_xyxy


def parser(p: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The command's options; fills ``p`` when given, so a wrapping command line can host them."""
    p = p or argparse.ArgumentParser(prog="borderwatch track", description=__doc__.splitlines()[0])
    p.add_argument("detections", type=Path, help="MOTChallenge det.txt")
    p.add_argument("-o", "--output", type=Path, help="write tracks here (default: stdout)")
    p.add_argument("--fps", type=float, default=30.0, help="frame rate of the sequence (default 30)")
    p.add_argument("--min-score", type=float, default=0.0, help="ignore detections below this score")
    agent = TrackerConfig()
    p.add_argument(
        "--min-hits", type=int, default=agent.min_hits, help="detections before a track is confirmed (agent default)"
    )
    p.add_argument(
        "--max-age", type=float, default=agent.max_age_s, help="seconds a track survives unseen (agent default)"
    )
    p.add_argument("--association", choices=("iou", "distance"), default=agent.association)
    p.add_argument(
        "--max-cost", type=float, default=agent.max_cost, help="1-IoU (or distance/height) gate (agent default)"
    )
    p.add_argument(
        "--boxes",
        choices=("detection", "filtered"),
        default="detection",
        help="write the detection that updated the track (default) or the Kalman-filtered box",
    )
    return p


def read_mot(path: Path, min_score: float) -> np.ndarray:
    """(N, 6) float rows frame, x, y, w, h, score; raises ValueError with the file name."""
    try:
        data = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a MOTChallenge detection file ({exc})") from None
    if data.size == 0:
        return np.zeros((0, 6))
    if data.shape[1] < 7:
        raise ValueError(f"{path}: expected at least 7 columns (frame,id,x,y,w,h,score), got {data.shape[1]}")
    rows = data[:, [0, 2, 3, 4, 5, 6]]
    return rows[rows[:, 5] >= min_score]


def frames_of(rows: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Frame numbers from first to last and each frame's rows (empty where no detections)."""
    if len(rows) == 0:
        return np.zeros(0, np.int64), []
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    frame_no = rows[:, 0].astype(np.int64)
    frames = np.arange(frame_no[0], frame_no[-1] + 1)
    bounds = np.searchsorted(frame_no, np.r_[frames, frames[-1] + 1])
    return frames, [rows[a:b] for a, b in itertools.pairwise(bounds)]


def run(rows: np.ndarray, args: argparse.Namespace, out: TextIO) -> int:
    """Track ``rows`` frame by frame (time = frame / fps) and write the MOTChallenge rows; returns how many."""
    written = 0
    for frame, tid, b, s in sorted(track_rows(rows, args)):  # output formatting
        out.write(f"{frame},{tid},{b[0]:.2f},{b[1]:.2f},{b[2] - b[0]:.2f},{b[3] - b[1]:.2f},{s:.4f},-1,-1,-1\n")
        written += 1
    return written


Row = tuple[int, int, tuple[float, float, float, float], float]


def track_rows(rows: np.ndarray, args: argparse.Namespace) -> list[Row]:
    """(frame, track id, xyxy box, score) of every confirmed track in every frame a detection updated it,
    its tentative frames included once it is confirmed; tracks never confirmed leave nothing.
    """
    cfg = TrackerConfig(
        association=args.association,
        max_cost=args.max_cost,
        min_hits=args.min_hits,
        max_age_s=args.max_age,
        min_init_confidence=0.0,
    )
    tracker = box_tracker(cfg)
    done: list[Row] = []
    pending: dict[int, list[Row]] = {}  # tentative tracks' rows, kept until they are confirmed or gone
    frames, per_frame = frames_of(rows)
    for frame, det in zip(frames, per_frame, strict=True):  # the tracker is sequential by nature
        xyxy = xywh_to_xyxy(det[:, 1:5])
        res = tracker.step(Detections(xyxy, det[:, 5], np.zeros(len(det), np.int64)), frame / args.fps)
        tracks = res.tracks
        updated = res.matched.nonzero()[0]
        used = res.detection[updated]
        boxes = xyxy[used] if args.boxes == "detection" else tracker.model.boxes(tracks.mean[updated])
        for i, d, box in zip(updated, used, boxes, strict=True):  # per updated track: a handful per frame
            tid = int(tracks.ids[i])
            row = (int(frame), tid, (float(box[0]), float(box[1]), float(box[2]), float(box[3])), float(det[d, 5]))
            if tracks.confirmed[i]:
                done.extend(pending.pop(tid, ()))
                done.append(row)
            else:
                pending.setdefault(tid, []).append(row)
        if pending:  # drop rows of tentative tracks that were deleted
            alive = set(tracks.ids.tolist())
            pending = {tid: r for tid, r in pending.items() if tid in alive}
    return done


def as_mot(rows: list[Row]) -> np.ndarray:
    """(N, 7) rows frame, id, x, y, w, h, score of ``track_rows``' output, sorted by frame (for scoring)."""
    out = np.array([(f, t, b[0], b[1], b[2] - b[0], b[3] - b[1], s) for f, t, b, s in sorted(rows)], np.float64)
    return out.reshape(-1, 7)


def main(argv: list[str] | None = None) -> int:
    """Exit 0, or 2 (message on stderr) for an unreadable detection file; the summary goes to stderr, not the output."""
    args = parser().parse_args(argv)
    try:
        rows = read_mot(args.detections, args.min_score)
    except ValueError as exc:
        print(f"track: {exc}", file=sys.stderr)
        return 2
    if args.output:
        with args.output.open("w", encoding="utf-8") as fh:
            n = run(rows, args, fh)
    else:
        n = run(rows, args, sys.stdout)
    print(f"track: {len(rows)} detections -> {n} track rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
