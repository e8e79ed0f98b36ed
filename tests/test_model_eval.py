"""Evaluation maths on hand-made cases: matching, AP, confusion (the figures in the model card)."""

from __future__ import annotations

import numpy as np
import pytest

from borderwatch.models.train.evaluate import average_precision, confusion, iou_matrix, match

BOX = np.array([[0, 0, 10, 10]], np.float32)


def test_iou_matrix_shapes_and_values() -> None:
    a = np.array([[0, 0, 10, 10], [5, 0, 15, 10]], np.float32)
    iou = iou_matrix(a, BOX)
    assert iou.shape == (2, 1) and iou[0, 0] == pytest.approx(1.0) and iou[1, 0] == pytest.approx(1 / 3)
    assert iou_matrix(np.zeros((0, 4)), BOX).shape == (0, 1)


def test_match_prefers_higher_score_and_counts_duplicates_false() -> None:
    det = np.array([[0, 0, 10, 10], [1, 0, 11, 10]], np.float32)
    assert match(det, np.array([0.2, 0.9]), BOX).tolist() == [False, True]
    assert match(det, np.array([0.9, 0.2]), np.zeros((0, 4))).tolist() == [False, False]


@pytest.mark.parametrize(
    ("scores", "tp", "n_gt", "ap"),
    [
        ([0.9, 0.8], [True, True], 2, 1.0),
        ([0.9, 0.8], [True, False], 2, 0.5),
        ([0.9, 0.8], [False, True], 2, 0.25),
        ([0.9], [True], 4, 0.25),
    ],
)
def test_average_precision(scores, tp, n_gt, ap) -> None:
    assert average_precision(np.array(scores), np.array(tp), n_gt) == pytest.approx(ap)


def test_animal_to_person_confusion() -> None:
    labels = np.array([[0, 2, 0, 0, 10, 10], [1, 2, 20, 20, 30, 30]], np.float32)
    dets = [
        (BOX.copy(), np.array([0.9], np.float32), np.array([0])),  # an animal called person
        (np.array([[20, 20, 30, 30]], np.float32), np.array([0.9], np.float32), np.array([2])),
    ]
    assert confusion(dets, labels, 2, 0, 0.5) == pytest.approx(0.5)
    assert confusion(dets, labels, 2, 0, 0.95) == 0.0
