"""Our tracker on real pedestrian footage: the TUD sequences motmetrics ships, scored with motmetrics.

Detections are the boxes of ``test.txt`` (another tracker's output) with their ids stripped; the
ground truth is ``gt.txt``. The baseline is a plain greedy IoU tracker with the same IoU gate as ours
(``1 - max_cost``). ``make bench`` (bench/bench_tracking.py) prints all the figures.
"""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch.edge.tools import track_cli
from borderwatch.simulators.score.greedy_iou import greedy_iou_tracks
from borderwatch.simulators.score.motbox import SEQUENCES, as_detections, iou_distance, read_rows, score, sequence_dir


def ours(det: np.ndarray) -> np.ndarray:
    args = track_cli.parser().parse_args(["det.txt"])  # `borderwatch track`'s defaults
    return track_cli.as_mot(track_cli.track_rows(det[:, [0, 2, 3, 4, 5, 6]], args))


@pytest.mark.parametrize("name", SEQUENCES)
def test_ours_at_least_greedy_iou_on_real_pedestrians(name: str) -> None:
    folder = sequence_dir(name)
    gt, det = read_rows(folder / "gt.txt"), as_detections(read_rows(folder / "test.txt"))
    gate = 1.0 - track_cli.parser().parse_args(["det.txt"]).max_cost
    mine, greedy = score(gt, ours(det)), score(gt, greedy_iou_tracks(det, gate))
    assert mine.idf1 >= greedy.idf1 and mine.mota >= greedy.mota, (mine, greedy)
    # With one detection in five lost (seeded), coasting keeps identities where greedy IoU breaks them.
    thinned = det[np.random.default_rng(1).random(len(det)) >= 0.2]
    mine, greedy = score(gt, ours(thinned)), score(gt, greedy_iou_tracks(thinned, gate))
    assert mine.idf1 > greedy.idf1 and mine.switches < greedy.switches, (mine, greedy)


def test_score_is_perfect_on_truth_and_counts_a_swap() -> None:
    gt = np.array([[f, i, 10.0 + 5 * f + 100 * i, 50, 20, 40, 1] for f in range(1, 11) for i in (1, 2)])
    perfect = score(gt, gt)
    assert perfect.idf1 == 1.0 and perfect.mota == 1.0 and perfect.switches == 0
    swapped = gt.copy()
    swapped[(swapped[:, 0] > 5), 1] = 3 - swapped[(swapped[:, 0] > 5), 1]
    assert score(gt, swapped).switches == 2


def test_greedy_iou_keeps_an_id_on_a_steady_box_and_splits_on_a_jump() -> None:
    det = np.array([[f, -1, 10.0 + f, 10, 20, 40, 1] for f in range(1, 6)] + [[6, -1, 300, 10, 20, 40, 1]])
    ids = greedy_iou_tracks(det, 0.5)[:, 1]
    assert list(ids) == [1, 1, 1, 1, 1, 2]


def test_iou_distance_gates_at_half() -> None:
    a = np.array([[0.0, 0, 10, 10]])
    b = np.array([[0.0, 0, 10, 10], [5.0, 0, 10, 10], [100.0, 0, 10, 10]])
    d = iou_distance(a, b)
    assert d[0, 0] == 0 and np.isnan(d[0, 1]) and np.isnan(d[0, 2])  # IoU 1/3 is beyond the 0.5 gate


def test_greedy_iou_ends_every_track_on_a_frame_without_detections() -> None:
    # No coasting: a frame with nothing detected ends every track, as an unmatched track ends.
    det = np.array([[f, -1, 10.0, 10, 20, 40, 1] for f in (1, 2, 4)])
    assert list(greedy_iou_tracks(det, 0.5)[:, 1]) == [1, 1, 2]
