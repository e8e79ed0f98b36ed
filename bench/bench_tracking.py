"""Tracking on real pedestrians: IDF1 and MOTA (motmetrics) on the TUD sequences motmetrics ships.

Run: python bench/bench_tracking.py
Detections: the boxes of each sequence's test.txt (another tracker's output) with ids stripped and
score set to 1; ground truth: gt.txt; matching at IoU >= 0.5. Rows:
- test.txt as is: the tracker that produced those boxes (target: ours at or above it);
- greedy IoU, same gate: a plain greedy IoU tracker with our IoU gate (1 - max_cost; target: ours at or above);
- greedy IoU 0.5: the same at the IOU tracker's published 0.5 gate (reference, no target);
- ours: `borderwatch track` with its default settings (the agent's tracker defaults); offline, it also
  writes a track's tentative frames once it is confirmed (as MOTChallenge outputs do), which the live
  agent, reporting from confirmation on, cannot.
The same again with one detection in five removed (seeded), the case a motion model exists for.
Not measured here: detection quality (the boxes are given) and speed.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from borderwatch.edge.tools import track_cli
from borderwatch.simulators.score.greedy_iou import greedy_iou_tracks
from borderwatch.simulators.score.motbox import SEQUENCES, BoxScore, as_detections, read_rows, score, sequence_dir

DROP = 0.2


def _row(label: str, s: BoxScore) -> str:
    counts = f"IDsw {s.switches:3d}  FP {s.false_positives:4d}  FN {s.misses:4d}"
    return f"  {label:<27} IDF1 {s.idf1:.3f}  MOTA {s.mota:.3f}  {counts}"


def _verdict(mine: BoxScore, other: BoxScore, what: str) -> tuple[bool, str]:
    ok = mine.idf1 >= other.idf1 and mine.mota >= other.mota
    return ok, f"  {'PASS' if ok else 'BELOW'} ours >= {what} (IDF1 and MOTA)"


def main() -> int:
    args = track_cli.parser().parse_args(["det.txt"])
    gate = 1.0 - args.max_cost
    print(
        f"ours = `borderwatch track` defaults: max_cost {args.max_cost} (IoU >= {gate:.1f}), min_hits "
        f"{args.min_hits}, max_age {args.max_age} s, fps {args.fps:g}, boxes {args.boxes}"
    )
    passed = True
    for name in SEQUENCES:
        folder = sequence_dir(name)
        gt, produced = read_rows(folder / "gt.txt"), read_rows(folder / "test.txt")
        for drop in (0.0, DROP):
            det = as_detections(produced)
            if drop:
                det = det[np.random.default_rng(1).random(len(det)) >= drop]
            mine = score(gt, track_cli.as_mot(track_cli.track_rows(det[:, [0, 2, 3, 4, 5, 6]], args)))
            same, half = score(gt, greedy_iou_tracks(det, gate)), score(gt, greedy_iou_tracks(det, 0.5))
            print(f"{name}: {len(det)} detections" + (f" ({drop:.0%} removed, seed 1)" if drop else ""))
            if not drop:
                asis = score(gt, produced)
                print(_row("test.txt as is", asis))
            print(_row(f"greedy IoU {gate:.1f} (same gate)", same))
            print(_row("greedy IoU 0.5 (reference)", half))
            print(_row("ours", mine))
            checks = [_verdict(mine, same, "greedy IoU, same gate")]
            if not drop:
                checks.insert(0, _verdict(mine, asis, "the tracker that produced the detections"))
            for ok, line in checks:
                passed &= ok
                print(line)
    print("tracking: " + ("PASS" if passed else "BELOW"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
