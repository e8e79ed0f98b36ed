"""Decode a model's raw output into frame-pixel candidates; the output's layout chooses the decoder.

Two layouts (``output_layout``): YOLO detection (B, 4+C, N) -- boxes and class scores per anchor --
and a classifier (B, C) -- one set of class scores per input image, whose box is the image itself.
How a batch image maps back to the frame (``BoxMapping``) and which boxes a tiled frame keeps
(``BoxFilter``) are the sensor kind's business (its preprocessing made them); the decoders only use
them through those two small protocols.

YOLO, in one vectorised pass over the whole batch:

Steps: best class per candidate (max over the class axis, argmax only for survivors), score
filter, top-k per image, box conversion, then one class-aware NMS call for the whole batch: boxes
are shifted by ``group * offset`` where the group is (frame, class), so boxes of different
frames or classes can never suppress each other (torchvision ``batched_nms`` trick). Crops of
the same frame share a group, so an object cut by two crops is merged there too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import cv2
import numpy as np
import numpy.typing as npt

Layout = Literal["yolo", "classifier"]


class BoxMapping(Protocol):
    """How the batch images were cut from their frame (e.g. a letterbox): model pixels -> frame pixels."""

    def to_frame(self, xyxy: npt.NDArray[np.floating], image: npt.NDArray[np.integer]) -> npt.NDArray[np.float32]:
        """(N, 4) model-pixel boxes of batch images ``image`` (N,) in frame pixels."""
        ...


class BoxFilter(Protocol):
    """Which decoded boxes of a frame to keep before NMS (e.g. a tiling drops boxes cut by a tile edge)."""

    def keep(self, xyxy: npt.NDArray[np.floating], image: npt.NDArray[np.integer]) -> npt.NDArray[np.bool_]:
        """(N,) True for the frame-pixel boxes (of batch images ``image``) that may go on to NMS."""
        ...


@dataclass(frozen=True, slots=True)
class Candidates:
    """Surviving detections of a batch: frame-pixel boxes plus the image and frame they belong to."""

    xyxy: npt.NDArray[np.float32]
    score: npt.NDArray[np.float32]
    class_id: npt.NDArray[np.int64]
    image: npt.NDArray[np.int64]
    frame: npt.NDArray[np.int64]


def _rank_within(groups: npt.NDArray[np.int64], score: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
    """Rank of each element among its group, best score first (0 = best)."""
    order = np.lexsort((-score, groups))
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order)) - run_start
    return rank


def select_candidates(
    out: npt.NDArray[np.float32], score_threshold: float, top_k: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """(image, anchor, score, class) of candidates above the threshold, at most top_k per image.

    The best class score is taken image by image: a max over the class axis of one (C, N) image is
    contiguous work, the same max over a (B, C, N) batch is a strided reduction several times
    dearer, and a request is usually one image.
    """
    scores = out[:, 4:, :]
    if len(scores) == 1:  # one image: no row-major flattening, no division into (image, anchor)
        best = scores[0].max(axis=0)
        anchor = (best > score_threshold).nonzero()[0]
        image = np.zeros(len(anchor), np.int64)
        score = best[anchor]
    else:
        best = np.stack([s.max(axis=0) for s in scores])
        flat = (best > score_threshold).ravel().nonzero()[0]  # row-major, as 2-D np.nonzero but far cheaper
        image, anchor = np.divmod(flat, best.shape[1])
        score = best.ravel()[flat]
    if len(score) == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0, np.float32), empty
    if len(score) > top_k:  # only then can some image hold more than top_k
        keep = _rank_within(image, score) < top_k
        image, anchor, score = image[keep], anchor[keep], score[keep]
    class_id = scores[0][:, anchor].argmax(axis=0) if len(scores) == 1 else scores[image, :, anchor].argmax(axis=1)
    return image, anchor, score.astype(np.float32, copy=False), class_id.astype(np.int64, copy=False)


def cxcywh_boxes(out: npt.NDArray[np.float32], image: np.ndarray, anchor: np.ndarray) -> npt.NDArray[np.float64]:
    """Model-pixel xyxy of the selected anchors."""
    # one image: a plain column gather; several: (K, 4) in one gather
    cxcywh = out[0][:4, anchor].T.astype(np.float64) if len(out) == 1 else out[image, :4, anchor].astype(np.float64)
    centre, half = cxcywh[:, :2], cxcywh[:, 2:] / 2
    return np.concatenate((centre - half, centre + half), axis=1)


def batched_nms(
    xyxy: npt.NDArray[np.floating], score: np.ndarray, group: np.ndarray, iou_threshold: float
) -> npt.NDArray[np.int64]:
    """Indices kept by greedy NMS run independently per group, in one OpenCV call."""
    if len(score) <= 1:  # nothing to suppress; OpenCV would keep a lone box if its score is > 0
        return np.flatnonzero(np.asarray(score) > 0)
    rects = np.array(xyxy, np.float64)  # a copy: becomes x, y, w, h in place
    group = np.asarray(group)
    if np.count_nonzero(group != group[0]):  # several groups (a single one, the usual case, needs no shift)
        offset = float(np.abs(rects).max()) * 2 + 1
        rects += (group * offset)[:, None]
    rects[:, 2:] -= rects[:, :2]
    keep = cv2.dnn.NMSBoxes(rects, np.asarray(score, np.float32), 0.0, float(iou_threshold))
    kept = np.asarray(keep, np.int64).reshape(-1)
    kept.sort()  # back to input order (OpenCV lists the kept boxes best first)
    return kept


def cap_per_group(group: np.ndarray, score: np.ndarray, limit: int) -> npt.NDArray[np.bool_]:
    """Mask keeping the ``limit`` best-scoring elements of every group."""
    if len(score) <= limit:
        return np.ones(len(score), bool)
    return _rank_within(np.asarray(group, np.int64), np.asarray(score, np.float32)) < limit


def decode_yolo(
    out: npt.NDArray[np.float32],
    letterbox: BoxMapping,
    frame_of_image: npt.NDArray[np.int64],
    score_threshold: float = 0.25,
    iou_threshold: float = 0.45,
    top_k: int = 300,
    max_detections: int = 100,
    tiling: BoxFilter | None = None,
) -> Candidates:
    """Decode a (B, 4+C, N) batch into frame-pixel detections grouped by frame.

    ``frame_of_image`` (B,) says which frame each batch image (crop) was cut from. ``tiling``, for a
    tiled frame: boxes it does not keep (cut by a tile edge, or an overview box of an object a tile
    saw whole) are dropped before NMS, so a half or blurred copy can neither suppress nor double
    the good box.
    """
    out = np.asarray(out, np.float32)
    if out.ndim != 3 or out.shape[1] < 5:
        raise ValueError(f"YOLO output: expected shape (B, 4+C, N) with C >= 1, got {out.shape}")
    num_classes = out.shape[1] - 4
    image, anchor, score, class_id = select_candidates(out, score_threshold, top_k)
    frames = np.asarray(frame_of_image, np.int64)[image]
    xyxy = letterbox.to_frame(cxcywh_boxes(out, image, anchor), image)
    if tiling is not None and len(image):
        whole = tiling.keep(xyxy, image)
        if not whole.all():
            image, score, class_id = image[whole], score[whole], class_id[whole]
            frames, xyxy = frames[whole], xyxy[whole]
    keep = batched_nms(xyxy, score, frames * num_classes + class_id, iou_threshold)
    if len(keep) > max_detections:  # only then can a frame hold too many
        keep = keep[cap_per_group(frames[keep], score[keep], max_detections)]
    if len(keep) == len(score):  # nothing suppressed (``keep`` is sorted): no gathers
        return Candidates(xyxy, score, class_id, image, frames)
    return Candidates(xyxy[keep], score[keep], class_id[keep], image[keep], frames[keep])


def decode_classifier(
    out: npt.NDArray[np.float32],
    mapping: BoxMapping,
    frame_of_image: npt.NDArray[np.int64],
    input_wh: tuple[int, int],
    score_threshold: float = 0.25,
) -> Candidates:
    """Decode a (B, C) classifier batch: per image its best class if it scores above the threshold,
    boxed by the whole model input mapped back to the frame (padding included: the kind clips).
    """
    image, class_id, score = classifier_picks(out, score_threshold)
    w, h = input_wh
    whole = np.tile(np.array([[0.0, 0.0, w, h]]), (len(image), 1))
    xyxy = mapping.to_frame(whole, image)
    frames = np.asarray(frame_of_image, np.int64)[image]
    return Candidates(xyxy, score, class_id, image, frames)


def classifier_picks(
    out: npt.NDArray[np.float32], score_threshold: float = 0.25
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """(image, class, score) of the images of a (B, C) classifier batch whose best class scores above the
    threshold: ``decode_classifier`` without the boxes, for a sensor that keeps its own (thermal chips).
    """
    out = np.asarray(out, np.float32)
    if out.ndim != 2 or out.shape[1] < 1:
        raise ValueError(f"classifier output: expected shape (B, C) with C >= 1, got {out.shape}")
    class_id = out.argmax(axis=1).astype(np.int64)
    score = out[np.arange(len(out)), class_id]
    image = np.flatnonzero(score > score_threshold).astype(np.int64)
    return image, class_id[image], score[image].astype(np.float32)


def output_layout(shape: tuple[int, ...]) -> Layout:
    """Which decoder a model output of ``shape`` needs: (B, 4+C, N) YOLO detection, (B, C) classifier."""
    if len(shape) == 3 and shape[1] >= 5:
        return "yolo"
    if len(shape) == 2 and shape[1] >= 1:
        return "classifier"
    raise ValueError(f"output {tuple(shape)} is neither YOLO detection (B, 4+C, N) nor a classifier (B, C)")


def class_count(shape: tuple[int, ...]) -> int:
    """Classes scored by an output of ``shape`` (see ``output_layout``)."""
    return int(shape[1]) - 4 if output_layout(shape) == "yolo" else int(shape[1])
